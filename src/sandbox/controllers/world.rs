//! What the live controllers share: the store, the pace, the sandbox's registry and git
//! host, the image reflector's tag database and the event recorder.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde_json::Value;

use super::events::Recorder;
use crate::sandbox::apiserver::resources::TypeId;
use crate::sandbox::apiserver::store::Store;
use crate::sandbox::crds::FluxVersion;
use crate::sandbox::git::serve::GitCredentials;
use crate::sandbox::pace::Pace;
use crate::sandbox::registry::RegistryStore;

/// The bare repositories the sandbox serves over HTTP, and who may read them.
#[derive(Debug, Clone)]
pub struct GitHost {
    /// The directory holding one bare repository per name.
    pub root: PathBuf,
    /// `http://127.0.0.1:PORT/v1/repos`: a repository's URL is this, `/` and its name.
    pub base_url: String,
    /// The one user the server accepts.
    pub credentials: GitCredentials,
}

impl GitHost {
    /// The local path of the repository `url` names, when this host serves it (a user in the
    /// URL and a trailing `/` are allowed, as git clients write them).
    pub fn repository(&self, url: &str) -> Option<PathBuf> {
        let name = crate::sandbox::git::serve::repo_name_of(&self.base_url, url)?;
        let name = name.strip_suffix(".git").unwrap_or(&name);
        let path = self.root.join(name);
        path.is_dir().then_some(path)
    }

    /// The URL of repository `name`.
    pub fn url(&self, name: &str) -> String {
        format!("{}/{name}", self.base_url)
    }

    /// The URL of repository `name` with the user in it, as CodeCommit's HTTPS URLs are often
    /// written: a client with only the password (`FLUXDECK_GIT_TOKEN`) then authenticates.
    pub fn user_url(&self, name: &str) -> String {
        match self.base_url.split_once("://") {
            Some((scheme, rest)) => {
                format!("{scheme}://{}@{rest}/{name}", self.credentials.username)
            }
            None => self.url(name),
        }
    }
}

/// The Flux kinds the live controllers reconcile.
pub const FLUX_KINDS: [&str; 5] = [
    "GitRepository",
    "Kustomization",
    "ImageRepository",
    "ImagePolicy",
    "ImageUpdateAutomation",
];

/// An object's `metadata.namespace` and `metadata.name` (empty when absent).
pub fn ns_name(obj: &Value) -> (String, String) {
    let meta = &obj["metadata"];
    let text = |k: &str| meta[k].as_str().unwrap_or_default().to_string();
    (text("namespace"), text("name"))
}

/// The type ids of the kinds the controllers read and write.
#[derive(Debug, Clone, Copy)]
pub struct Kinds {
    /// `GitRepository`.
    pub git_repository: Option<TypeId>,
    /// `Kustomization`.
    pub kustomization: Option<TypeId>,
    /// `ImageRepository`.
    pub image_repository: Option<TypeId>,
    /// `ImagePolicy`.
    pub image_policy: Option<TypeId>,
    /// `ImageUpdateAutomation`.
    pub image_update_automation: Option<TypeId>,
    /// Core `Secret`.
    pub secret: Option<TypeId>,
}

impl Kinds {
    fn new(store: &Store) -> Kinds {
        let resources = store.resources();
        let custom = |kind: &str| {
            resources
                .types()
                .iter()
                .position(|t| t.kind == kind && t.custom)
        };
        Kinds {
            git_repository: custom("GitRepository"),
            kustomization: custom("Kustomization"),
            image_repository: custom("ImageRepository"),
            image_policy: custom("ImagePolicy"),
            image_update_automation: custom("ImageUpdateAutomation"),
            secret: resources.by_path("", "v1", "secrets"),
        }
    }

    /// The Flux kind of a type id, if it is one the live controllers reconcile.
    pub fn flux_kind(&self, id: TypeId) -> Option<&'static str> {
        let is = |k: Option<TypeId>| k == Some(id);
        if is(self.git_repository) {
            Some("GitRepository")
        } else if is(self.kustomization) {
            Some("Kustomization")
        } else if is(self.image_repository) {
            Some("ImageRepository")
        } else if is(self.image_policy) {
            Some("ImagePolicy")
        } else if is(self.image_update_automation) {
            Some("ImageUpdateAutomation")
        } else {
            None
        }
    }

    /// The type id of a Flux kind the controllers reconcile.
    pub fn id(&self, kind: &str) -> Option<TypeId> {
        match kind {
            "GitRepository" => self.git_repository,
            "Kustomization" => self.kustomization,
            "ImageRepository" => self.image_repository,
            "ImagePolicy" => self.image_policy,
            "ImageUpdateAutomation" => self.image_update_automation,
            _ => None,
        }
    }
}

/// (namespace, name) of an ImageRepository → the tags of its last scan.
type TagDb = HashMap<(String, String), Arc<Vec<String>>>;

/// Everything the live controllers share.
pub struct World {
    /// The objects.
    pub store: Arc<Store>,
    /// How fast intervals and delays play.
    pub pace: Pace,
    /// The Flux release played (status shapes differ between 2.6 and 2.7+).
    pub flux: FluxVersion,
    /// The sandbox's ECR-compatible registry (`None`: every scan fails, as with no access).
    pub registry: Option<Arc<RegistryStore>>,
    /// The sandbox's git host (`None`: every fetch fails).
    pub git: Option<GitHost>,
    /// Kinds by type id.
    pub kinds: Kinds,
    /// The image reflector's database: the tags of each ImageRepository's last scan,
    /// descending byte-wise, as image-reflector-controller keeps them.
    tags: Mutex<TagDb>,
    /// What kustomize-controller last applied of each object (by inventory id): the fields
    /// it owns, as server-side apply's managed fields would say.
    pub applied: Mutex<HashMap<String, Value>>,
    /// Events the controllers emit.
    pub events: Recorder,
    /// What the controllers' loop is doing.
    pub stats: Arc<super::stats::RuntimeStats>,
}

impl World {
    /// A world over `store`.
    pub fn new(
        store: Arc<Store>,
        pace: Pace,
        flux: FluxVersion,
        registry: Option<Arc<RegistryStore>>,
        git: Option<GitHost>,
    ) -> World {
        let kinds = Kinds::new(&store);
        let events = Recorder::new(store.clone());
        World {
            store,
            pace,
            flux,
            registry,
            git,
            kinds,
            tags: Mutex::new(HashMap::new()),
            applied: Mutex::new(HashMap::new()),
            events,
            stats: Arc::default(),
        }
    }

    /// The current object of a Flux kind, parsed.
    pub fn get(&self, kind: &str, ns: &str, name: &str) -> Option<Value> {
        let id = self.kinds.id(kind)?;
        self.store.get(id, ns, name)?.value().ok()
    }

    /// Every object of a Flux kind in `ns` (all namespaces for `None`), parsed.
    pub fn list(&self, kind: &str, ns: Option<&str>) -> Vec<Value> {
        self.list_selected(kind, ns, &Default::default())
    }

    /// The objects of a Flux kind in `ns` whose labels `labels` selects, parsed (the others
    /// are not).
    pub fn list_selected(
        &self,
        kind: &str,
        ns: Option<&str>,
        labels: &crate::sandbox::apiserver::selectors::LabelSelector,
    ) -> Vec<Value> {
        let Some(id) = self.kinds.id(kind) else {
            return Vec::new();
        };
        self.store
            .list(id, ns, labels, &Default::default(), None, None)
            .map(|page| page.items.iter().filter_map(|o| o.value().ok()).collect())
            .unwrap_or_default()
    }

    /// A Secret's decoded `data` (values as UTF-8 text), `None` when there is no such Secret.
    pub fn secret(&self, ns: &str, name: &str) -> Option<HashMap<String, String>> {
        let obj = self.store.get(self.kinds.secret?, ns, name)?.value().ok()?;
        let engine = base64::engine::general_purpose::STANDARD;
        let mut out = HashMap::new();
        if let Some(data) = obj["data"].as_object() {
            for (k, v) in data {
                let bytes = engine.decode(v.as_str().unwrap_or_default()).ok()?;
                out.insert(k.clone(), String::from_utf8_lossy(&bytes).into_owned());
            }
        }
        if let Some(data) = obj["stringData"].as_object() {
            for (k, v) in data {
                out.insert(k.clone(), v.as_str().unwrap_or_default().to_string());
            }
        }
        Some(out)
    }

    /// Stores the tags of an ImageRepository's scan.
    pub fn set_tags(&self, ns: &str, name: &str, tags: Vec<String>) {
        self.tags
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((ns.to_string(), name.to_string()), Arc::new(tags));
    }

    /// The tags of an ImageRepository's last scan (`None`: never scanned).
    pub fn tags(&self, ns: &str, name: &str) -> Option<Arc<Vec<String>>> {
        self.tags
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(ns.to_string(), name.to_string()))
            .cloned()
    }

    /// Forgets a deleted ImageRepository's tags.
    pub fn forget_tags(&self, ns: &str, name: &str) {
        self.tags
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&(ns.to_string(), name.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repository_url_maps_to_its_directory_with_or_without_user_and_suffix() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("microservices-repo")).unwrap();
        let host = GitHost {
            root: dir.path().to_path_buf(),
            base_url: "http://127.0.0.1:9/v1/repos".into(),
            credentials: GitCredentials::new("u", "p"),
        };
        let want = Some(dir.path().join("microservices-repo"));
        for url in [
            "http://127.0.0.1:9/v1/repos/microservices-repo",
            "http://u:p@127.0.0.1:9/v1/repos/microservices-repo",
            "http://127.0.0.1:9/v1/repos/microservices-repo/",
        ] {
            assert_eq!(host.repository(url), want, "{url}");
        }
        for url in [
            "http://127.0.0.1:9/v1/repos/other",
            "http://127.0.0.1:10/v1/repos/microservices-repo",
            "http://127.0.0.1:9/v1/repos/../etc",
            "https://git-codecommit.us-west-2.amazonaws.com/v1/repos/microservices-repo",
        ] {
            assert_eq!(host.repository(url), None, "{url}");
        }
        assert_eq!(
            host.url("flux-repo"),
            "http://127.0.0.1:9/v1/repos/flux-repo"
        );
        assert_eq!(
            host.user_url("flux-repo"),
            "http://u@127.0.0.1:9/v1/repos/flux-repo"
        );
        assert_eq!(host.repository(&host.user_url("microservices-repo")), want);
    }
}
