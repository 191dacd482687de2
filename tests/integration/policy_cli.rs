//! `fluxdeck policy` as scripts call it: the built binary, its exit codes, stdin and messages.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fluxdeck"))
        .arg("policy")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn fluxdeck");
    let mut pipe = child.stdin.take().expect("stdin pipe");
    let input = stdin.unwrap_or_default().to_vec();
    // Write from a thread so a large input cannot deadlock against a full stdout pipe.
    let writer = std::thread::spawn(move || pipe.write_all(&input));
    let out = child.wait_with_output().expect("wait for fluxdeck");
    // The binary may legitimately stop reading early (tags given as arguments).
    let _ = writer.join();
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn numerical_pipeline_from_arguments() {
    let o = run(
        &[
            "--numerical",
            "asc",
            "--pattern",
            "^main-[a-fA-F0-9]+-(?P<buidnumber>.*)",
            "--extract",
            "$buidnumber",
            "latest",
            "main-1f49071-24",
            "main-9c2e8aa-25",
            "main-0b7d2f1-9",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "main-9c2e8aa-25\n");
    assert_eq!(stderr(&o), "");
}

#[test]
fn tags_from_stdin_ignore_empty_lines_and_crlf() {
    let o = run(
        &["--semver", ">=1.0.0 <2.0.0"],
        Some(b"1.2.0\r\n\n  v1.2.5  \n1.3.0-rc.1\n2.0.0\n\n"),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "v1.2.5\n");
}

#[test]
fn alphabetical_default_order_and_explicit_desc() {
    let o = run(&["--alphabetical", "--", "b", "c", "a"], None);
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), "c\n".to_owned()));
    let o = run(&["--alphabetical", "DESC", "b", "c", "a"], None);
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), "a\n".to_owned()));
}

#[test]
fn default_exclusion_drops_signatures_unless_disabled() {
    let tags = ["sha256-ff.sig", "sha256-aa"];
    let o = run(&[&["--alphabetical", "asc"][..], &tags[..]].concat(), None);
    assert_eq!(stdout(&o), "sha256-aa\n");
    let o = run(
        &[
            &["--alphabetical", "asc", "--no-default-exclude"][..],
            &tags[..],
        ]
        .concat(),
        None,
    );
    assert_eq!(stdout(&o), "sha256-ff.sig\n");
    let o = run(
        &[
            "--alphabetical",
            "asc",
            "--exclude",
            "-aa$",
            "--exclude",
            "^x",
            "sha256-ff.sig",
            "sha256-aa",
            "x1",
        ],
        None,
    );
    assert_eq!(stdout(&o), "sha256-ff.sig\n");
}

#[test]
fn semver_tie_follows_repository_order() {
    // Whatever the input order, Flux sees descending byte order: `v1.0.0` first, and wins.
    let o = run(&["--semver", "1.0.0", "1.0.0", "v1.0.0"], None);
    assert_eq!(stdout(&o), "v1.0.0\n");
}

#[test]
fn invalid_regex_exits_1_with_flux_message() {
    let o = run(&["--semver", "*", "--pattern", "^(?P<n>.*", "1.0.0"], None);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    assert!(
        err.starts_with("error: invalid regular expression pattern '^(?P<n>.*': error parsing regexp: missing closing ): `^(?P<n>.*`\n"),
        "{err}"
    );
    assert!(err.contains("hint: fix --pattern"), "{err}");
}

#[test]
fn invalid_exclusion_exits_1() {
    let o = run(&["--numerical", "--exclude", "[", "1"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with(
        "error: failed to compile regex [: error parsing regexp: missing closing ]: `[`"
    ));
}

#[test]
fn invalid_range_exits_1() {
    let o = run(&["--semver", "nope", "1.0.0"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("error: improper constraint: \"nope\"\n"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn no_tag_left_exits_1() {
    let o = run(&["--semver", "*", "--pattern", "^release-", "1.0.0"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("error: version list argument cannot be empty\n"));
    let o = run(&["--semver", ">=5.0.0", "1.0.0"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("error: unable to determine latest version from provided list\n")
    );
    let o = run(&["--numerical"], Some(b"\n\n"));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("error: version list argument cannot be empty\n"));
}

#[test]
fn unparsable_numerical_tag_exits_1() {
    let o = run(&["--numerical", "asc", "1", "2", "latest"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("error: failed to parse invalid numeric value 'latest'\n"));
}

#[test]
fn non_utf8_stdin_is_a_message() {
    let o = run(&["--alphabetical"], Some(b"v1\n\xff\xfe\nv2\n"));
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.starts_with("error: stdin is not UTF-8 text (invalid byte at offset 3)"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &[][..],
        &["1.0.0"][..],
        &["--semver", "*", "--numerical", "1"][..],
        &["--alphabetical", "sideways", "a"][..],
        &["--semver"][..],
        &["--numerical", "--exclude", "x", "--no-default-exclude", "1"][..],
        &["--bogus"][..],
    ] {
        let o = run(args, Some(b"1\n"));
        assert_eq!(o.status.code(), Some(2), "args {args:?}: {}", stderr(&o));
        assert_eq!(stdout(&o), "", "args {args:?}");
    }
    let o = run(&["--alphabetical", "sideways", "a"], None);
    assert!(
        stderr(&o)
            .contains("invalid order argument provided: 'SIDEWAYS', must be one of: ASC, DESC")
    );
}

#[test]
fn help_is_the_manual() {
    let o = run(&["--help"], None);
    assert_eq!(o.status.code(), Some(0));
    let help = stdout(&o);
    for needle in [
        "--semver",
        "--alphabetical",
        "--numerical",
        "--pattern",
        "--extract",
        "--exclude",
        "^.*\\.sig$",
        "Examples:",
        "Exit status",
    ] {
        assert!(help.contains(needle), "help lacks {needle}");
    }
}

#[test]
fn hundred_thousand_tags_on_stdin() {
    let mut input = String::new();
    for i in 0..100_000 {
        input.push_str(&format!("main-{:07x}-{i}\n", i * 7919 % 0xfff_ffff));
        if i % 10 == 0 {
            input.push_str(&format!("junk-{i}.sig\n"));
        }
    }
    let o = run(
        &[
            "--numerical",
            "--pattern",
            "^main-[a-fA-F0-9]+-(?P<buidnumber>.*)",
            "--extract",
            "$buidnumber",
        ],
        Some(input.as_bytes()),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!("main-{:07x}-99999\n", 99_999 * 7919 % 0xfff_ffff)
    );
}
