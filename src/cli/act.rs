//! `fluxdeck suspend|resume|reconcile KIND/NAME`: the TUI's actions (`workers::cluster::act`,
//! with the flux CLI's semantics) without the UI, with the flux CLI's progress lines on
//! stderr (`►` a write, `✔` done, `◎` waiting, `✗` failed) and its exit
//! status: 0 on success, 1 on failure or timeout.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use serde_json::Value;

use super::global::GlobalArgs;
use super::status::{humanize, parse_duration};
use crate::model::key::Kind;
use crate::workers::cluster::act::{self, Action, Outcome, Progress, Target};
use crate::workers::cluster::connect::{ConnectOptions, connect};
use crate::workers::cluster::discovery::{ServedKind, discover};

/// The namespace actions default to without `-n`, as the flux CLI's (`flux-system`).
pub const DEFAULT_NAMESPACE: &str = "flux-system";

/// The object an action is for, and how long to wait.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// The object: `KIND/NAME` (`ks/apps`, `Kustomization/apps`), `KIND NAME`, or the flux
    /// CLI's words (`source git flux-system`, `image repository podinfo`, `image update
    /// flux-system`). KIND is case-insensitive: kustomization (ks), gitrepository (git),
    /// ocirepository (oci), bucket, helmrepository (helm), imagerepository, imagepolicy,
    /// imageupdateautomation (imageupdate).
    #[arg(value_name = "KIND/NAME", required = true, num_args = 1..=3)]
    pub object: Vec<String>,
    /// How long to wait for the controller (e.g. `30s`, `5m`); the whole command ends
    /// within it.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub timeout: Duration,
}

/// Suspend a Flux object (`spec.suspend: true`), as `flux suspend`
///
/// Sets `spec.suspend: true` with a JSON merge patch, exactly as `flux suspend`, and does
/// not wait. The namespace is `-n NS`, else flux-system (the flux CLI's default).
///
/// Examples:
///   fluxdeck suspend ks/apps
///   fluxdeck suspend imageupdateautomation/sock-shop-front-end -n sock-shop
#[derive(Debug, Clone, Args)]
#[command(verbatim_doc_comment)]
pub struct SuspendArgs {
    #[command(flatten)]
    pub target: TargetArgs,
}

/// Resume a Flux object and wait until it is Ready, as `flux resume`
///
/// Clears `spec.suspend` with a JSON merge patch, exactly as `flux resume` with one name,
/// then waits until the object is Ready for its current generation (kstatus Current).
/// Prints the kind's success message, e.g. `applied revision main@sha1:…`.
///
/// Examples:
///   fluxdeck resume ks/apps
///   fluxdeck resume Kustomization/sock-shop -n sock-shop --timeout 2m
#[derive(Debug, Clone, Args)]
#[command(verbatim_doc_comment)]
pub struct ResumeArgs {
    #[command(flatten)]
    pub target: TargetArgs,
}

/// Ask Flux to reconcile an object now and wait for the result, as `flux reconcile`
///
/// Sets the `reconcile.fluxcd.io/requestedAt` annotation (an RFC3339Nano time), waits until
/// the controller's `status.lastHandledReconcileAt` equals it, then reports Ready with the
/// kind's success message (`✔ applied revision main@sha1:…`), exactly as `flux reconcile`.
/// A suspended object is refused before any write. With --with-source, the
/// Kustomization's source (spec.sourceRef) is reconciled first and waited for.
///
/// Examples:
///   fluxdeck reconcile ks/apps --with-source
///   fluxdeck reconcile source git flux-system
///   fluxdeck reconcile imagerepository/sock-shop-front-end -n sock-shop
#[derive(Debug, Clone, Args)]
#[command(verbatim_doc_comment)]
pub struct ReconcileArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Reconcile the Kustomization's source first and wait for it.
    #[arg(long)]
    pub with_source: bool,
}

/// The kind a user wrote, flux CLI-ish and case-insensitive; `None` when unknown.
pub fn kind_alias(word: &str) -> Option<Kind> {
    let w = word.to_ascii_lowercase();
    // `Kind.group` (as kubectl prints) names the same kind.
    let w = w.split('.').next().unwrap_or_default();
    Some(match w {
        "kustomization" | "kustomizations" | "ks" => Kind::Kustomization,
        "gitrepository" | "gitrepositories" | "gitrepo" | "git" => Kind::GitRepository,
        "ocirepository" | "ocirepositories" | "oci" => Kind::OciRepository,
        "bucket" | "buckets" => Kind::Bucket,
        "helmrepository" | "helmrepositories" | "helm" => Kind::HelmRepository,
        "imagerepository" | "imagerepositories" | "imagerepo" => Kind::ImageRepository,
        "imagepolicy" | "imagepolicies" => Kind::ImagePolicy,
        "imageupdateautomation" | "imageupdateautomations" | "imageupdate" => {
            Kind::ImageUpdateAutomation
        }
        _ => return None,
    })
}

/// Reads the object words: `KIND/NAME`, `KIND NAME`, or `source git NAME` /
/// `image repository NAME` / `image policy NAME` / `image update NAME`.
pub fn parse_object(words: &[String]) -> anyhow::Result<(Kind, String)> {
    let (kind_words, name): (Vec<&str>, &str) = match words {
        [one] => match one.split_once('/') {
            Some((kind, name)) => (vec![kind], name),
            None => bail!(
                "`{one}` names no kind; write KIND/NAME (e.g. ks/{one} or gitrepository/{one})"
            ),
        },
        [kind, name] => (vec![kind.as_str()], name.as_str()),
        [group, kind, name] => (vec![group.as_str(), kind.as_str()], name.as_str()),
        _ => bail!("expected KIND/NAME, KIND NAME or e.g. `source git NAME`"),
    };
    let kind = match kind_words.as_slice() {
        [k] => kind_alias(k),
        [group, k] => match (group.to_ascii_lowercase().as_str(), k.to_ascii_lowercase()) {
            ("source", k) => kind_alias(&k).filter(|kind| kind.is_source()),
            ("image", k) => match k.as_str() {
                "repository" => Some(Kind::ImageRepository),
                "policy" => Some(Kind::ImagePolicy),
                "update" => Some(Kind::ImageUpdateAutomation),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    };
    let Some(kind) = kind else {
        bail!(
            "unknown kind `{}`; use one of kustomization (ks), gitrepository (git), \
             ocirepository (oci), bucket, helmrepository (helm), imagerepository, imagepolicy, \
             imageupdateautomation",
            kind_words.join(" ")
        );
    };
    if name.is_empty() || name.contains('/') {
        bail!("`{name}` is not an object name; write KIND/NAME, e.g. ks/apps");
    }
    Ok((kind, name.to_owned()))
}

/// Runs `fluxdeck suspend`.
pub fn suspend(global: &GlobalArgs, args: SuspendArgs) -> anyhow::Result<ExitCode> {
    run(global, &args.target, Action::Suspend)
}

/// Runs `fluxdeck resume`.
pub fn resume(global: &GlobalArgs, args: ResumeArgs) -> anyhow::Result<ExitCode> {
    run(global, &args.target, Action::Resume)
}

/// Runs `fluxdeck reconcile`.
pub fn reconcile(global: &GlobalArgs, args: ReconcileArgs) -> anyhow::Result<ExitCode> {
    run(
        global,
        &args.target,
        Action::Reconcile {
            with_source: args.with_source,
        },
    )
}

/// One progress line on stderr, in the flux CLI's style.
pub fn progress_line(p: &Progress) -> String {
    match p {
        Progress::Start(s) => format!("► {s}"),
        Progress::Sent(s) | Progress::Step(s) => format!("✔ {s}"),
        Progress::Waiting(s) => format!("◎ {s}"),
    }
}

fn run(global: &GlobalArgs, target: &TargetArgs, action: Action) -> anyhow::Result<ExitCode> {
    super::logging::init_logging(global);
    let (kind, name) = parse_object(&target.object)?;
    if global.all_namespaces {
        bail!(
            "{} acts on one object: -A does not apply; name its namespace with -n NS",
            action.verb()
        );
    }
    if matches!(action, Action::Reconcile { with_source: true }) && kind != Kind::Kustomization {
        bail!(
            "--with-source applies to Kustomizations only, not {kind}; reconcile the source \
             itself, or drop --with-source"
        );
    }
    let namespace = global
        .namespace
        .clone()
        .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned());
    let options = ConnectOptions {
        kubeconfig: global.kubeconfig.clone(),
        context: global.context.clone(),
    };
    let timeout = target.timeout;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(async move {
        let work = async {
            let conn = connect(&options).await?;
            let served = discover(&conn.client)
                .await
                .with_context(|| format!("cannot reach the API server {}", conn.server))?;
            let served: HashMap<Kind, ServedKind> = served
                .into_iter()
                .filter_map(|s| Kind::from_name(&s.kind).map(|k| (k, s)))
                .collect();
            let Some(sk) = served.get(&kind).cloned() else {
                bail!(
                    "the cluster does not serve {} (is the Flux controller for {kind} installed?)",
                    kind.resource()
                );
            };
            let target = Target {
                kind: sk,
                namespace: namespace.clone(),
                name,
            };
            let progress = |p: Progress| {
                // `suspend` ends with its own `✔ Kind name suspended`, as the flux CLI's.
                if !(action == Action::Suspend && matches!(p, Progress::Sent(_))) {
                    eprintln!("{}", progress_line(&p));
                }
            };
            let source_of =
                |obj: &Value| -> Option<Target> { act::source_target(&served, &namespace, obj) };
            let display = target.display();
            let outcome = act::run(
                &conn.client,
                &target,
                action,
                timeout,
                &progress,
                &source_of,
            )
            .await;
            // Flux's own words name the kind only: say which object failed.
            anyhow::Ok(match outcome {
                Outcome::Failed(m) if !m.contains(&display) => {
                    Outcome::Failed(format!("{display}: {m}"))
                }
                other => other,
            })
        };
        // The wait inside follows `timeout`; this bounds the connection and writes too.
        match tokio::time::timeout(timeout, work).await {
            Ok(result) => result,
            Err(_) => Ok(Outcome::Failed(format!(
                "timed out after {} before {} {kind}/{} finished; it may still finish: check \
                 its conditions, or raise --timeout",
                humanize(timeout),
                action.verb(),
                target.object.last().map(String::as_str).unwrap_or_default()
            ))),
        }
    })?;
    runtime.shutdown_background();
    Ok(match outcome {
        Outcome::Succeeded(m) => {
            eprintln!("✔ {m}");
            ExitCode::SUCCESS
        }
        Outcome::Failed(m) => {
            eprintln!("✗ {m}");
            ExitCode::FAILURE
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn objects_are_named_like_the_flux_cli_names_them() {
        let ok = |w: &[&str]| parse_object(&words(w)).unwrap();
        assert_eq!(ok(&["ks/apps"]), (Kind::Kustomization, "apps".into()));
        assert_eq!(
            ok(&["Kustomization/apps"]),
            (Kind::Kustomization, "apps".into())
        );
        assert_eq!(ok(&["KS", "apps"]), (Kind::Kustomization, "apps".into()));
        assert_eq!(
            ok(&["source", "git", "flux-system"]),
            (Kind::GitRepository, "flux-system".into())
        );
        assert_eq!(
            ok(&["gitrepository/flux-system"]),
            (Kind::GitRepository, "flux-system".into())
        );
        assert_eq!(
            ok(&["image", "update", "x"]),
            (Kind::ImageUpdateAutomation, "x".into())
        );
        assert_eq!(ok(&["ImagePolicy/p"]), (Kind::ImagePolicy, "p".into()));
        assert_eq!(
            ok(&["imagerepositories.image.toolkit.fluxcd.io/r"]),
            (Kind::ImageRepository, "r".into())
        );
    }

    #[test]
    fn unknown_kinds_and_bare_names_say_what_to_write() {
        let err = |w: &[&str]| parse_object(&words(w)).unwrap_err().to_string();
        assert!(err(&["helmrelease/x"]).contains("unknown kind `helmrelease`"));
        assert!(err(&["apps"]).contains("ks/apps"));
        assert!(err(&["source", "image", "x"]).contains("unknown kind"));
        assert!(err(&["ks/"]).contains("not an object name"));
    }

    #[test]
    fn progress_lines_have_the_flux_cli_marks() {
        assert_eq!(
            progress_line(&Progress::Start("annotating Kustomization apps".into())),
            "► annotating Kustomization apps"
        );
        assert_eq!(progress_line(&Progress::Waiting("w".into())), "◎ w");
        assert_eq!(
            progress_line(&Progress::Step("fetched".into())),
            "✔ fetched"
        );
    }
}
