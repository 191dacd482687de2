//! The conventions of an installed CLI, on the built binary: completion scripts a real shell
//! loads, and a man page `man` renders.

use std::process::Command;

fn fluxdeck(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_fluxdeck"))
        .args(args)
        .output()
        .expect("run fluxdeck");
    assert!(
        out.status.success(),
        "fluxdeck {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

#[test]
fn bash_loads_the_completion_script_and_completes_subcommands_and_shells() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("fluxdeck.bash");
    std::fs::write(&script, fluxdeck(&["completions", "bash"])).unwrap();
    // Ask the completion function what it offers, as bash does on TAB.
    let probe = format!(
        "source '{}' || exit 1\n\
         complete -p fluxdeck || exit 1\n\
         COMP_WORDS=(fluxdeck comp); COMP_CWORD=1; _fluxdeck fluxdeck comp fluxdeck; echo \"first: ${{COMPREPLY[*]}}\"\n\
         COMP_WORDS=(fluxdeck completions ''); COMP_CWORD=2; _fluxdeck fluxdeck '' completions; echo \"shells: ${{COMPREPLY[*]}}\"\n",
        script.display()
    );
    let out = Command::new("bash")
        .arg("--norc")
        .arg("-c")
        .arg(&probe)
        .output()
        .expect("bash runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("-F _fluxdeck fluxdeck"), "{text}");
    assert!(text.contains("first: completions"), "{text}");
    let shells = text
        .lines()
        .find(|l| l.starts_with("shells:"))
        .unwrap_or("");
    for shell in ["bash", "zsh", "fish", "powershell"] {
        assert!(shells.contains(shell), "{text}");
    }
}

#[test]
fn the_man_page_renders() {
    let page = fluxdeck(&["man"]);
    assert!(page.starts_with(".ie"), "roff expected");
    let Ok(out) = Command::new("man")
        .args(["-l", "-"])
        .env("MANWIDTH", "100")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(page.as_bytes())?;
            child.wait_with_output()
        })
    else {
        eprintln!("SKIPPED rendering: `man` is not installed; the roff text was checked");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.contains("FLUXDECK COMPLETIONS"), "{text}");
    assert!(text.contains("--log-level"), "{text}");
}
