//! Running the fluxdeck binary as a user would, isolated from the user's files: a private
//! HOME and XDG directories (no user config, credentials or caches are read or written), no
//! `KUBECONFIG`, no AWS metadata probes, no terminal.

use std::path::Path;
use std::time::{Duration, Instant};

/// How a run ended.
pub struct Run {
    /// The exit code.
    pub code: i32,
    /// What it printed.
    pub stdout: String,
    /// What it printed on stderr.
    pub stderr: String,
    /// From spawn to exit.
    pub took: Duration,
}

/// Runs `fluxdeck --kubeconfig KUBECONFIG --log-file DIR/fluxdeck.log ARGS…` with its home
/// under `dir` and `env` added; fails the test when it runs longer than `limit`.
pub async fn fluxdeck(
    kubeconfig: &Path,
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    limit: Duration,
) -> Run {
    let home = dir.join("home");
    let started = Instant::now();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_fluxdeck"))
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--log-file")
        .arg(dir.join("fluxdeck.log"))
        .args(args)
        .env_remove("KUBECONFIG")
        .env("HOME", &home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(limit, out)
        .await
        .unwrap_or_else(|_| panic!("fluxdeck ends within {limit:?}"))
        .expect("fluxdeck runs");
    Run {
        code: out.status.code().expect("fluxdeck exits, not killed"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
        took: started.elapsed(),
    }
}

/// The JSON Schema of `fluxdeck status -o json|yaml` (`schema/status.schema.json`), compiled.
pub fn status_schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schema/status.schema.json"
    ))
    .unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&serde_json::from_str(&text).unwrap())
        .expect("the schema compiles")
}

/// Fails the test, listing every error and where, unless `doc` meets `validator`.
pub fn assert_valid(validator: &jsonschema::Validator, doc: &serde_json::Value) {
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
}
