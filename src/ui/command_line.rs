//! The `:` commands, read from the command line the user typed.

/// A parsed `:` command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineCommand {
    /// `:q`, `:quit`.
    Quit,
    /// `:ns NAME`, `:ns all` (or `-A`): the namespace of the Flux panes.
    Namespace(Option<String>),
    /// `:ctx NAME`: another kubeconfig context.
    Context(String),
    /// `:pods NS|all|auto`: which pods are watched (`auto`: the namespaces of the
    /// Kustomizations' workloads).
    Pods(crate::state::PodsWatch),
    /// `:theme NAME`.
    Theme(String),
    /// `:readonly` toggles; `:readonly on|off` sets.
    ReadOnly(Option<bool>),
    /// `:repo` shows the next tracked repository in the commits pane; `:repo KEY` that one
    /// (a GitRepository `NS/NAME` not tracked yet is asked for).
    Repo(Option<String>),
    /// `:build [ok|broken|missing]`: ask the sandbox's CI for a build (fluxdeck demo).
    Build(String),
    /// `:releases [APP]`: the release lanes, all or those whose policy (`name` or
    /// `namespace/name`) contains APP.
    Releases(Option<String>),
}

/// The commands, for help and error messages.
pub const USAGE: &str = ":ns NAME|all  :ctx NAME  :pods NS|all|auto  :theme NAME  :readonly [on|off]  :repo [KEY]  :releases [APP]  :build [ok|broken|missing]  :q";

/// Reads a command line (without the `:`); the error says what was expected.
pub fn parse(line: &str) -> Result<LineCommand, String> {
    let mut words = line.split_whitespace();
    let Some(verb) = words.next() else {
        return Err(format!("type a command: {USAGE}"));
    };
    let arg = words.next();
    if let Some(extra) = words.next() {
        return Err(format!(
            "`:{verb}` takes one argument; `{extra}` is one too many"
        ));
    }
    let need = |what: &str| {
        arg.map(str::to_owned)
            .ok_or_else(|| format!("`:{verb}` needs {what}, e.g. `:{verb} {}`", example(verb)))
    };
    match verb {
        "q" | "q!" | "quit" | "qa" => Ok(LineCommand::Quit),
        "ns" | "namespace" => {
            let ns = need("a namespace or `all`")?;
            Ok(LineCommand::Namespace(match ns.as_str() {
                "all" | "-A" | "*" => None,
                _ => Some(ns),
            }))
        }
        "ctx" | "context" => need("a context name").map(LineCommand::Context),
        "pods" | "pod" | "po" => need("a namespace, `all` or `auto`")
            .map(|w| LineCommand::Pods(crate::state::PodsWatch::from_word(&w))),
        "theme" | "skin" => need("a theme name").map(LineCommand::Theme),
        "readonly" | "ro" => match arg {
            None => Ok(LineCommand::ReadOnly(None)),
            Some("on" | "true" | "yes") => Ok(LineCommand::ReadOnly(Some(true))),
            Some("off" | "false" | "no") => Ok(LineCommand::ReadOnly(Some(false))),
            Some(other) => Err(format!(
                "`:readonly {other}`: write `:readonly`, `:readonly on` or `:readonly off`"
            )),
        },
        "repo" | "r" => Ok(LineCommand::Repo(arg.map(str::to_owned))),
        "releases" | "release" | "rel" | "lanes" => {
            Ok(LineCommand::Releases(arg.map(str::to_owned)))
        }
        "build" | "b" => match arg.unwrap_or("ok") {
            kind @ ("ok" | "broken" | "missing") => Ok(LineCommand::Build(kind.to_owned())),
            other => Err(format!(
                "`:build {other}`: write `:build` (a good build), `:build broken` (its containers crash) or `:build missing` (its image cannot be pulled)"
            )),
        },
        other => Err(format!("unknown command `:{other}`; commands: {USAGE}")),
    }
}

fn example(verb: &str) -> &'static str {
    match verb {
        "ns" | "namespace" | "pods" | "pod" | "po" => "sock-shop",
        "ctx" | "context" => "prod",
        _ => "light",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_command() {
        assert_eq!(parse("q"), Ok(LineCommand::Quit));
        assert_eq!(parse("build"), Ok(LineCommand::Build("ok".into())));
        assert_eq!(
            parse("build broken"),
            Ok(LineCommand::Build("broken".into()))
        );
        assert!(parse("build flaky").unwrap_err().contains(":build missing"));
        assert_eq!(parse("repo"), Ok(LineCommand::Repo(None)));
        assert_eq!(parse("releases"), Ok(LineCommand::Releases(None)));
        assert_eq!(
            parse("rel shop/web"),
            Ok(LineCommand::Releases(Some("shop/web".into())))
        );
        assert_eq!(
            parse("repo flux-system/flux-system"),
            Ok(LineCommand::Repo(Some("flux-system/flux-system".into())))
        );
        assert_eq!(
            parse(" ns  flux-system "),
            Ok(LineCommand::Namespace(Some("flux-system".into())))
        );
        assert_eq!(parse("ns all"), Ok(LineCommand::Namespace(None)));
        assert_eq!(parse("ns -A"), Ok(LineCommand::Namespace(None)));
        assert_eq!(parse("ctx prod"), Ok(LineCommand::Context("prod".into())));
        assert_eq!(
            parse("pods default"),
            Ok(LineCommand::Pods(crate::state::PodsWatch::Namespace(
                "default".into()
            )))
        );
        assert_eq!(
            parse("pods all"),
            Ok(LineCommand::Pods(crate::state::PodsWatch::All))
        );
        assert_eq!(
            parse("pods auto"),
            Ok(LineCommand::Pods(crate::state::PodsWatch::Workloads))
        );
        assert_eq!(parse("theme light"), Ok(LineCommand::Theme("light".into())));
        assert_eq!(parse("readonly"), Ok(LineCommand::ReadOnly(None)));
        assert_eq!(
            parse("readonly off"),
            Ok(LineCommand::ReadOnly(Some(false)))
        );
    }

    #[test]
    fn errors_say_what_was_expected() {
        assert!(parse("").unwrap_err().contains(":ns NAME|all"));
        assert_eq!(
            parse("ns").unwrap_err(),
            "`:ns` needs a namespace or `all`, e.g. `:ns sock-shop`"
        );
        assert!(parse("ns a b").unwrap_err().contains("one too many"));
        assert!(
            parse("frobnicate")
                .unwrap_err()
                .starts_with("unknown command `:frobnicate`")
        );
        assert!(
            parse("readonly maybe")
                .unwrap_err()
                .contains(":readonly on")
        );
    }
}
