//! What ssh expands in a configuration's values: the `%` tokens, a leading `~`, and the
//! `*`/`?` file-name patterns of `Include`.

use super::glob::glob;
use std::path::{Path, PathBuf};

/// The values `%` tokens expand to.
pub(super) struct Tokens {
    pub(super) alias: String,
    pub(super) hostname: String,
    pub(super) port: u16,
    pub(super) user: String,
    pub(super) local_user: String,
    pub(super) home: PathBuf,
}

impl Tokens {
    /// For `HostName`, where only `%h` (the alias) and `%%` mean something.
    pub(super) fn host_only(alias: &str) -> Tokens {
        Tokens {
            alias: alias.to_string(),
            hostname: alias.to_string(),
            port: 22,
            user: String::new(),
            local_user: String::new(),
            home: PathBuf::new(),
        }
    }
}

pub(super) fn expand_tokens(text: &str, t: &Tokens) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('h') => out.push_str(&t.hostname),
            Some('n') => out.push_str(&t.alias),
            Some('p') => out.push_str(&t.port.to_string()),
            Some('r') => out.push_str(&t.user),
            Some('u') => out.push_str(&t.local_user),
            Some('d') => out.push_str(&t.home.to_string_lossy()),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

/// A path argument: tokens, then `~` as the home; a relative path is taken relative to the
/// home, as ssh resolves `IdentityFile id_x`.
pub(super) fn expand_path(arg: &str, t: &Tokens) -> PathBuf {
    let text = expand_tokens(arg, t);
    if text == "~" {
        return t.home.clone();
    }
    if let Some(rest) = text.strip_prefix("~/") {
        return t.home.join(rest);
    }
    let path = PathBuf::from(&text);
    if path.is_absolute() {
        path
    } else {
        t.home.join(path)
    }
}

/// The files an `Include` argument names: relative to `~/.ssh`, with `*`/`?` in the last
/// component, sorted as ssh's glob sorts them.
pub(super) fn include_files(arg: &str, home: &Path) -> Vec<PathBuf> {
    let expanded = if arg == "~" {
        home.to_path_buf()
    } else if let Some(rest) = arg.strip_prefix("~/") {
        home.join(rest)
    } else if Path::new(arg).is_absolute() {
        PathBuf::from(arg)
    } else {
        home.join(".ssh").join(arg)
    };
    let Some(name) = expanded
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
    else {
        return Vec::new();
    };
    if !name.contains(['*', '?']) {
        return vec![expanded];
    }
    let Some(dir) = expanded.parent() else {
        return Vec::new();
    };
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = read
        .flatten()
        .filter(|e| glob(name.as_bytes(), e.file_name().to_string_lossy().as_bytes()))
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}
