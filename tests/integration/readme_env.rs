//! The README's "Environment variables" table lists exactly the variables fluxdeck's own
//! code reads (`std::env::var`/`var_os` with a literal name, and the git token variables),
//! plus those it reads through `dirs` (`HOME`, `XDG_*`).

use std::collections::BTreeSet;
use std::path::Path;

/// Names read in the source under `dir` (tests excluded: they read their own variables).
fn read_in_source(dir: &Path, names: &mut BTreeSet<String>) {
    let direct = regex::Regex::new(r#"env::var(?:_os)?\("([A-Z][A-Z0-9_]*)"\)"#).unwrap();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            read_in_source(&path, names);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // Unit tests sit at the end of a file, after `#[cfg(test)]`.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for cap in direct.captures_iter(code) {
            names.insert(cap[1].to_string());
        }
    }
}

fn readme_table() -> BTreeSet<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = readme
        .split("## Environment variables")
        .nth(1)
        .expect("README has an Environment variables section");
    let names_in = regex::Regex::new(r"`([A-Z][A-Z0-9_]*)`").unwrap();
    let mut names = BTreeSet::new();
    // The first table: rows start with `|`, the first cell names the variables.
    for line in section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
    {
        let first_cell = line.split('|').nth(1).unwrap_or_default();
        for cap in names_in.captures_iter(first_cell) {
            names.insert(cap[1].to_string());
        }
    }
    names
}

#[test]
fn the_readme_lists_every_environment_variable_fluxdeck_reads() {
    let mut source = BTreeSet::new();
    read_in_source(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut source,
    );
    // The token variables are a list in the git credentials' defaults.
    let credentials = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src/workers/git/credentials.rs"),
    )
    .unwrap();
    for var in ["FLUXDECK_GIT_TOKEN", "GIT_TOKEN"] {
        assert!(
            credentials.contains(&format!("\"{var}\".into()")),
            "{var} is no longer a token variable: update this test and the README"
        );
        source.insert(var.to_string());
    }
    // Read through `dirs` (home, state, config and cache directories).
    for var in [
        "HOME",
        "XDG_STATE_HOME",
        "XDG_CONFIG_HOME",
        "XDG_CACHE_HOME",
    ] {
        source.insert(var.to_string());
    }
    assert!(
        source.contains("KUBECONFIG") && source.contains("RUST_LOG"),
        "{source:?}"
    );
    let readme = readme_table();
    let missing: Vec<_> = source.difference(&readme).collect();
    let stale: Vec<_> = readme.difference(&source).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "README's environment table: missing {missing:?}, not read by the code {stale:?}"
    );
}
