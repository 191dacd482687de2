//! Putting the sandbox's cluster, user and context into a kubeconfig that may hold the
//! user's own clusters, and taking exactly those entries out again, as kind and k3d do.
//!
//! Why merge rather than write: `fluxdeck sandbox --kubeconfig ~/.kube/config` used to
//! replace the file, which destroyed every other cluster in it. Now the file's other
//! entries, its `current-context` (unless the user asks to switch, or there was none) and
//! its permissions are kept; every write goes through a temporary file in the same
//! directory and a rename, so a reader (kubectl, a crash) never sees half a file.
//!
//! Like kind, the file is re-serialised: comments in it are not kept. An entry named
//! `fluxdeck-sandbox` that points anywhere but loopback was not written by a sandbox and
//! is never replaced: the merge refuses and says how to resolve it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

/// The kubeconfig context, cluster and user name the sandbox writes.
pub const CONTEXT: &str = "fluxdeck-sandbox";

/// What the sandbox puts into a kubeconfig.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The API server URL.
    pub server: String,
    /// The CA (base64 of the PEM) for `certificate-authority-data`.
    pub ca_data: String,
    /// The bearer token.
    pub token: String,
}

/// Why a kubeconfig could not be merged or cleaned.
#[derive(Debug, thiserror::Error)]
pub enum KubeconfigError {
    /// Reading or writing the file failed.
    #[error("cannot {action} the kubeconfig {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The existing file is not a kubeconfig fluxdeck can read; it is left untouched.
    #[error(
        "the kubeconfig {path} cannot be read ({cause}); it was left untouched: fix it or pass another --kubeconfig PATH"
    )]
    Unreadable {
        /// The file.
        path: String,
        /// Why.
        cause: String,
    },
    /// The file already has an entry with the sandbox's name that a sandbox did not write.
    #[error(
        "the kubeconfig {path} already has a {what} named '{CONTEXT}' for {server}, which the sandbox did not write; it was left untouched: remove it (kubectl config delete-{what} {CONTEXT}) or pass another --kubeconfig PATH"
    )]
    Taken {
        /// The file.
        path: String,
        /// `cluster`, `user` or `context`.
        what: &'static str,
        /// Where the existing cluster entry points.
        server: String,
    },
}

/// The sandbox's entries in a kubeconfig file: [`Merged::remove`] takes them out again.
#[derive(Debug)]
#[must_use = "the entries stay in the file until `remove` is called"]
pub struct Merged {
    /// The file written (symlinks resolved).
    pub path: PathBuf,
    /// The file did not exist before: it is deleted on removal if nothing else was added.
    created: bool,
    /// The `current-context` before the merge, when the merge changed it.
    replaced_current: Option<Option<String>>,
}

impl Merged {
    /// Whether the merge made the sandbox the file's current context.
    pub fn switched_context(&self) -> bool {
        self.replaced_current.is_some()
    }
}

/// The three lists of a kubeconfig that hold named entries.
const LISTS: [(&str, &str); 3] = [
    ("clusters", "cluster"),
    ("users", "user"),
    ("contexts", "context"),
];

/// Merges the sandbox's cluster, user and context into the kubeconfig at `path` (created,
/// readable by the owner only, when absent). The current context is set only when the file
/// has none or `switch_context` asks for it.
pub fn merge(path: &Path, entry: &Entry, switch_context: bool) -> Result<Merged, KubeconfigError> {
    let path = resolve(path);
    let created = !path.exists();
    let existing = read(&path)?;
    let mut config = existing.unwrap_or_else(empty_config);
    refuse_foreign_entries(&path, &config)?;
    let Some(map) = config.as_object_mut() else {
        return Err(unreadable(&path, "it is not a YAML mapping"));
    };
    let ours = [
        (
            "clusters",
            json!({"name": CONTEXT, "cluster": {"certificate-authority-data": entry.ca_data, "server": entry.server}}),
        ),
        (
            "users",
            json!({"name": CONTEXT, "user": {"token": entry.token}}),
        ),
        (
            "contexts",
            json!({"name": CONTEXT, "context": {"cluster": CONTEXT, "user": CONTEXT}}),
        ),
    ];
    for (list, item) in ours {
        let items = list_mut(map, list);
        items.retain(|i| !named_ours(i));
        items.push(item);
    }
    let current = map
        .get("current-context")
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    let replaced_current = if current.is_none() || switch_context {
        map.insert("current-context".into(), Value::String(CONTEXT.into()));
        // A stale sandbox context (from a sandbox that was killed) is not worth restoring.
        Some(current.filter(|c| c != CONTEXT))
    } else {
        None
    };
    write(&path, &config, created)?;
    Ok(Merged {
        path,
        created,
        replaced_current,
    })
}

impl Merged {
    /// Takes the sandbox's entries out of the file again, keeping anything else (also what
    /// was added while the sandbox ran), and restores the current context the merge replaced
    /// if the sandbox's is still current. A file the merge created and that holds nothing
    /// else is deleted.
    pub fn remove(self) -> Result<(), KubeconfigError> {
        let Some(mut config) = read(&self.path)? else {
            return Ok(());
        };
        let Some(map) = config.as_object_mut() else {
            return Err(unreadable(&self.path, "it is not a YAML mapping"));
        };
        let mut others = 0;
        for (list, _) in LISTS {
            if let Some(items) = map.get_mut(list).and_then(Value::as_array_mut) {
                items.retain(|i| !named_ours(i));
                others += items.len();
            }
        }
        if map.get("current-context").and_then(Value::as_str) == Some(CONTEXT) {
            match self.replaced_current.flatten() {
                Some(previous) => {
                    map.insert("current-context".into(), Value::String(previous));
                }
                None => {
                    map.insert("current-context".into(), Value::String(String::new()));
                }
            }
        }
        if self.created && others == 0 {
            return fs::remove_file(&self.path).map_err(|source| KubeconfigError::Io {
                action: "remove",
                path: self.path.display().to_string(),
                source,
            });
        }
        write(&self.path, &config, false)
    }
}

/// The file a symlink points at, so the rename replaces the target and not the link.
fn resolve(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

fn empty_config() -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [],
        "contexts": [],
        "current-context": "",
        "preferences": {},
        "users": [],
    })
}

fn unreadable(path: &Path, cause: &str) -> KubeconfigError {
    KubeconfigError::Unreadable {
        path: path.display().to_string(),
        cause: cause.to_owned(),
    }
}

/// The file's content, `None` when it does not exist (or is empty, as kubectl reads it).
fn read(path: &Path) -> Result<Option<Value>, KubeconfigError> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(KubeconfigError::Io {
                action: "read",
                path: path.display().to_string(),
                source,
            });
        }
    };
    if text.trim().is_empty() {
        return Ok(None);
    }
    let mut docs =
        crate::model::yaml::documents(&text).map_err(|e| unreadable(path, &e.to_string()))?;
    match (docs.pop(), docs.is_empty()) {
        (Some(doc), true) if doc.is_object() => Ok(Some(doc)),
        (None, _) => Ok(None),
        _ => Err(unreadable(path, "it is not a single YAML mapping")),
    }
}

fn named_ours(item: &Value) -> bool {
    item.get("name").and_then(Value::as_str) == Some(CONTEXT)
}

fn list_mut<'a>(map: &'a mut Map<String, Value>, list: &str) -> &'a mut Vec<Value> {
    let slot = map
        .entry(list.to_owned())
        .or_insert_with(|| Value::Array(Vec::new()));
    if !slot.is_array() {
        // `clusters: null` (as some tools write an empty list) reads as no entries.
        *slot = Value::Array(Vec::new());
    }
    match slot {
        Value::Array(items) => items,
        // Just made an array above.
        _ => unreachable!("the slot was made an array"),
    }
}

/// A `fluxdeck-sandbox` cluster that points off loopback (and the user and context that go
/// with it) belongs to someone else: refuse rather than replace it.
fn refuse_foreign_entries(path: &Path, config: &Value) -> Result<(), KubeconfigError> {
    let Some(clusters) = config.get("clusters").and_then(Value::as_array) else {
        return Ok(());
    };
    for cluster in clusters.iter().filter(|c| named_ours(c)) {
        let server = cluster["cluster"]["server"].as_str().unwrap_or_default();
        if !is_loopback_url(server) {
            return Err(KubeconfigError::Taken {
                path: path.display().to_string(),
                what: "cluster",
                server: server.to_owned(),
            });
        }
    }
    Ok(())
}

fn is_loopback_url(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Writes `config` through a temporary file in the same directory and a rename, keeping the
/// file's permissions (a new file is readable by the owner only: it holds a token).
fn write(path: &Path, config: &Value, created: bool) -> Result<(), KubeconfigError> {
    let io = |action, source| KubeconfigError::Io {
        action,
        path: path.display().to_string(),
        source,
    };
    let text = serde_saphyr::to_string(config).map_err(|e| {
        io(
            "serialise",
            std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
        )
    })?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| io("create the directory of", e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.fluxdeck-{}.tmp", std::process::id()));
    let permissions = if created {
        None
    } else {
        fs::metadata(path).ok().map(|m| m.permissions())
    };
    let written = (|| {
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut file = opts.open(&tmp)?;
        file.write_all(text.as_bytes())?;
        if let Some(p) = permissions {
            fs::set_permissions(&tmp, p)?;
        }
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io("write", e));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
