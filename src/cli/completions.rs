//! `fluxdeck completions SHELL` and `fluxdeck man`: shell completion scripts and a man page,
//! generated from the same clap definition that parses the command line, written to stdout.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

/// The shells `fluxdeck completions` writes scripts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    /// Bash: `fluxdeck completions bash > ~/.local/share/bash-completion/completions/fluxdeck`.
    Bash,
    /// Zsh: `fluxdeck completions zsh > "${fpath[1]}/_fluxdeck"`.
    Zsh,
    /// Fish: `fluxdeck completions fish > ~/.config/fish/completions/fluxdeck.fish`.
    Fish,
    /// PowerShell: `fluxdeck completions powershell >> $PROFILE`.
    Powershell,
    /// Elvish.
    Elvish,
}

/// Flags of `fluxdeck completions`.
#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to write the completion script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Flags of `fluxdeck man`.
#[derive(Debug, Clone, Args)]
pub struct ManArgs {}

/// Writes the completion script of `command` (fluxdeck's command line) for `args.shell` to
/// stdout.
pub fn completions(args: CompletionsArgs, mut command: clap::Command) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    closed_pipe_is_fine(
        write_completions(args.shell, &mut command, &mut out).and_then(|()| out.flush()),
    )
}

/// A reader that stopped early (`| head`) is not an error.
fn closed_pipe_is_fine(result: std::io::Result<()>) -> anyhow::Result<ExitCode> {
    match result {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// The completion script of `command` for `shell`, into `out`.
pub fn write_completions(
    shell: Shell,
    command: &mut clap::Command,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    use clap_complete::Shell as S;
    let generator = match shell {
        Shell::Bash => S::Bash,
        Shell::Zsh => S::Zsh,
        Shell::Fish => S::Fish,
        Shell::Powershell => S::PowerShell,
        Shell::Elvish => S::Elvish,
    };
    clap_complete::generate(generator, command, "fluxdeck", out);
    Ok(())
}

/// Writes the man page (roff, section 1) of `command` (fluxdeck's command line) to stdout:
/// `fluxdeck man > fluxdeck.1`.
pub fn man(_args: ManArgs, command: clap::Command) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    closed_pipe_is_fine(write_man(command, &mut out).and_then(|()| out.flush()))
}

/// The man page of `command`, with a section per subcommand, into `out`.
pub fn write_man(command: clap::Command, out: &mut dyn Write) -> std::io::Result<()> {
    let man = clap_mangen::Man::new(command.clone());
    man.render(out)?;
    // One section per subcommand, so `man fluxdeck` documents every flag.
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_name();
        if name == "help" {
            continue;
        }
        writeln!(out, ".SH \"FLUXDECK {}\"", name.to_ascii_uppercase())?;
        let full = format!("fluxdeck {name}");
        let sub = sub.clone().bin_name(full.clone()).display_name(full);
        let page = clap_mangen::Man::new(sub);
        let mut section = Vec::new();
        page.render_synopsis_section(&mut section)?;
        page.render_description_section(&mut section)?;
        page.render_options_section(&mut section)?;
        // Its sections become subsections of the subcommand's.
        for line in String::from_utf8_lossy(&section).lines() {
            match line.strip_prefix(".SH ") {
                Some(heading) => writeln!(out, ".SS {heading}")?,
                None => writeln!(out, "{line}")?,
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;
    use crate::cli::Cli;

    fn text(f: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
        let mut buf = Vec::new();
        f(&mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn every_shell_gets_a_script_naming_the_subcommands_and_flags() {
        for shell in Shell::value_variants() {
            let script = text(|b| write_completions(*shell, &mut Cli::command(), b));
            for word in [
                "fluxdeck",
                "completions",
                "sandbox",
                "log-level",
                "kubeconfig",
            ] {
                assert!(script.contains(word), "{shell:?} script lacks {word}");
            }
        }
        let bash = text(|b| write_completions(Shell::Bash, &mut Cli::command(), b));
        assert!(bash.contains("complete -F"), "{bash}");
        let zsh = text(|b| write_completions(Shell::Zsh, &mut Cli::command(), b));
        assert!(zsh.starts_with("#compdef fluxdeck"), "{zsh}");
    }

    #[test]
    fn the_man_page_is_roff_with_every_subcommand() {
        let page = text(|b| write_man(Cli::command(), b));
        assert!(
            page.contains(".TH fluxdeck 1"),
            "{}",
            &page[..200.min(page.len())]
        );
        for section in [
            "FLUXDECK DEMO",
            "FLUXDECK SANDBOX",
            "FLUXDECK POLICY",
            "FLUXDECK SETTERS",
            "FLUXDECK COMPLETIONS",
        ] {
            assert!(page.contains(section), "man page lacks {section}");
        }
        assert!(page.contains("log\\-level"), "man page lacks --log-level");
    }
}
