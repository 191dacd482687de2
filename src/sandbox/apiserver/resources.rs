//! The resource types the sandbox serves: the built-in core/apps/authorization/RBAC kinds
//! (listed in `builtin_kinds.yaml`) and every kind and version the embedded Flux CRDs declare.
//! Discovery, routing, tables and validation all read this one table of [`ResourceTable`], so what is
//! discoverable is exactly what is served.

use serde_json::Value;

/// One printer column of a kind (a CRD's `additionalPrinterColumns`, or a built-in's).
#[derive(Debug, Clone)]
pub struct PrinterColumn {
    /// Column header as `kubectl get` shows it.
    pub name: String,
    /// OpenAPI type of the cell: `string`, `integer`, `number`, `boolean` or `date`.
    pub kind: String,
    /// JSONPath of the cell in the object (CRDs); built-ins compute cells in code.
    pub json_path: String,
    /// `0` shows always, `1` only with `-o wide`.
    pub priority: i64,
    /// Column description, served in the Table's column definitions.
    pub description: String,
}

/// One served version of a kind.
#[derive(Debug, Clone)]
pub struct ServedVersion {
    /// Version name, e.g. `v1beta2`.
    pub name: String,
    /// Printer columns of this version (CRDs may differ per version).
    pub columns: Vec<PrinterColumn>,
    /// The version's `openAPIV3Schema`, for CRDs.
    pub schema: Option<Value>,
    /// The deprecation warning a real server sends for this version, if any.
    pub deprecation_warning: Option<String>,
}

/// A resource type: group, versions, names, scope and subresources.
#[derive(Debug, Clone)]
pub struct ResourceType {
    /// API group (`""` for core).
    pub group: String,
    /// Served versions; the first is the storage (and preferred) version.
    pub versions: Vec<ServedVersion>,
    /// Kind, e.g. `Kustomization`.
    pub kind: String,
    /// Plural resource name used in paths, e.g. `kustomizations`.
    pub plural: String,
    /// Singular name, e.g. `kustomization`.
    pub singular: String,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
    /// Short names, e.g. `ks`.
    pub short_names: Vec<String>,
    /// Categories, e.g. `all`, `fluxcd`.
    pub categories: Vec<String>,
    /// Whether the `status` subresource exists (spec and status written separately).
    pub status_subresource: bool,
    /// Whether the kind is a custom resource (JSON merge patch only, schema validated).
    pub custom: bool,
    /// Only `create` is served (e.g. SelfSubjectAccessReview).
    pub create_only: bool,
}

impl ResourceType {
    /// `group/version` for an API version name, or `version` for the core group.
    pub fn api_version(&self, version: &str) -> String {
        if self.group.is_empty() {
            version.to_string()
        } else {
            format!("{}/{}", self.group, version)
        }
    }

    /// The storage version's name.
    pub fn storage_version(&self) -> &str {
        self.versions
            .first()
            .map(|v| v.name.as_str())
            .unwrap_or("v1")
    }

    /// The served version called `name`.
    pub fn version(&self, name: &str) -> Option<&ServedVersion> {
        self.versions.iter().find(|v| v.name == name)
    }

    /// `plural.group` (or `plural` for core), as Status messages name resources.
    pub fn qualified_name(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// The verbs discovery advertises.
    pub fn verbs(&self) -> Vec<&'static str> {
        if self.create_only {
            vec!["create"]
        } else if self.group.is_empty() && self.plural == "namespaces" {
            vec![
                "create", "delete", "get", "list", "patch", "update", "watch",
            ]
        } else {
            vec![
                "create",
                "delete",
                "deletecollection",
                "get",
                "list",
                "patch",
                "update",
                "watch",
            ]
        }
    }
}

/// Every resource type the sandbox serves, in discovery order.
#[derive(Debug, Clone, Default)]
pub struct ResourceTable {
    types: Vec<ResourceType>,
}

/// Index of a resource type in [`ResourceTable`]; stable for the server's lifetime.
pub type TypeId = usize;

impl ResourceTable {
    /// Built-ins plus the kinds declared by `crds`. Fails only if `builtin_kinds.yaml`
    /// does not parse (a unit test proves it does).
    pub fn new(crds: &[Value]) -> Result<Self, String> {
        let mut types = builtins()?;
        types.extend(crds.iter().filter_map(from_crd));
        Ok(ResourceTable { types })
    }

    /// All types, in discovery order.
    pub fn types(&self) -> &[ResourceType] {
        &self.types
    }

    /// The type with this id.
    pub fn get(&self, id: TypeId) -> Option<&ResourceType> {
        self.types.get(id)
    }

    /// The type served at `group/version` under `plural`.
    pub fn by_path(&self, group: &str, version: &str, plural: &str) -> Option<TypeId> {
        self.types
            .iter()
            .position(|t| t.group == group && t.plural == plural && t.version(version).is_some())
    }

    /// The type of an object with this `apiVersion` and `kind`.
    pub fn by_kind(&self, api_version: &str, kind: &str) -> Option<TypeId> {
        let (group, version) = split_api_version(api_version);
        self.types
            .iter()
            .position(|t| t.group == group && t.kind == kind && t.version(version).is_some())
    }

    /// Groups in discovery order, each with its versions (preferred first).
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for t in self.types.iter().filter(|t| !t.group.is_empty()) {
            let entry = match out.iter_mut().position(|(g, _)| *g == t.group) {
                Some(i) => &mut out[i],
                None => {
                    out.push((t.group.clone(), Vec::new()));
                    let last = out.len() - 1;
                    &mut out[last]
                }
            };
            for v in &t.versions {
                if !entry.1.contains(&v.name) {
                    entry.1.push(v.name.clone());
                }
            }
        }
        // Preferred version first: the highest stability (v1 > v1beta2 > v1beta1 > v1alpha1).
        for (_, versions) in &mut out {
            versions.sort_by_key(|v| std::cmp::Reverse(version_priority(v)));
        }
        out
    }
}

/// Kubernetes' version priority: GA over beta over alpha, then by number.
pub fn version_priority(v: &str) -> (u8, u32, u32) {
    let rest = v.strip_prefix('v').unwrap_or(v);
    let major_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let major: u32 = rest[..major_end].parse().unwrap_or(0);
    let tail = &rest[major_end..];
    let (stability, minor) = if tail.is_empty() {
        (3, 0)
    } else if let Some(n) = tail.strip_prefix("beta") {
        (2, n.parse().unwrap_or(0))
    } else if let Some(n) = tail.strip_prefix("alpha") {
        (1, n.parse().unwrap_or(0))
    } else {
        (0, 0)
    };
    (stability, major, minor)
}

/// Splits `group/version` (or `version` for core) into its parts.
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.rsplit_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn from_crd(crd: &Value) -> Option<ResourceType> {
    let spec = &crd["spec"];
    let names = &spec["names"];
    let mut versions: Vec<ServedVersion> = spec["versions"]
        .as_array()?
        .iter()
        .filter(|v| v["served"].as_bool().unwrap_or(true))
        .map(|v| ServedVersion {
            name: v["name"].as_str().unwrap_or_default().to_string(),
            columns: v["additionalPrinterColumns"]
                .as_array()
                .map(|cols| {
                    cols.iter()
                        .map(|c| PrinterColumn {
                            name: c["name"].as_str().unwrap_or_default().to_string(),
                            kind: c["type"].as_str().unwrap_or("string").to_string(),
                            json_path: c["jsonPath"].as_str().unwrap_or_default().to_string(),
                            priority: c["priority"].as_i64().unwrap_or(0),
                            description: c["description"].as_str().unwrap_or_default().to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            schema: Some(v["schema"]["openAPIV3Schema"].clone()),
            deprecation_warning: v["deprecationWarning"].as_str().map(str::to_string),
        })
        .collect();
    // The storage version goes first, so it is what the store keeps.
    if let Some(i) = spec["versions"]
        .as_array()?
        .iter()
        .filter(|v| v["served"].as_bool().unwrap_or(true))
        .position(|v| v["storage"].as_bool() == Some(true))
    {
        let storage = versions.remove(i);
        versions.insert(0, storage);
    }
    if versions.is_empty() {
        return None;
    }
    Some(ResourceType {
        group: spec["group"].as_str()?.to_string(),
        versions,
        kind: names["kind"].as_str()?.to_string(),
        plural: names["plural"].as_str()?.to_string(),
        singular: names["singular"].as_str().unwrap_or_default().to_string(),
        namespaced: spec["scope"].as_str() != Some("Cluster"),
        short_names: strings(&names["shortNames"]),
        categories: strings(&names["categories"]),
        status_subresource: spec["versions"]
            .as_array()?
            .iter()
            .any(|v| v["subresources"]["status"].is_object()),
        custom: true,
        create_only: false,
    })
}

/// The built-in kinds, as `builtin_kinds.yaml` lists them.
const BUILTIN_KINDS: &str = include_str!("builtin_kinds.yaml");

/// One entry of `builtin_kinds.yaml`.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BuiltinKind {
    group: String,
    version: String,
    kind: String,
    plural: String,
    #[serde(default)]
    singular: Option<String>,
    namespaced: bool,
    #[serde(default)]
    short_names: Vec<String>,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    status_subresource: bool,
    #[serde(default)]
    create_only: bool,
    #[serde(default)]
    columns: Vec<BuiltinColumn>,
}

/// One printer column of a built-in kind.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BuiltinColumn {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    priority: i64,
    description: String,
}

impl From<BuiltinKind> for ResourceType {
    fn from(b: BuiltinKind) -> Self {
        let columns = b
            .columns
            .into_iter()
            .map(|c| PrinterColumn {
                name: c.name,
                kind: c.kind,
                json_path: String::new(),
                priority: c.priority,
                description: c.description,
            })
            .collect();
        ResourceType {
            group: b.group,
            versions: vec![ServedVersion {
                name: b.version,
                columns,
                schema: None,
                deprecation_warning: None,
            }],
            singular: b.singular.unwrap_or_else(|| b.kind.to_lowercase()),
            kind: b.kind,
            plural: b.plural,
            namespaced: b.namespaced,
            short_names: b.short_names,
            categories: b.categories,
            status_subresource: b.status_subresource,
            custom: false,
            create_only: b.create_only,
        }
    }
}

/// The built-in kinds, parsed from `builtin_kinds.yaml`.
fn builtins() -> Result<Vec<ResourceType>, String> {
    serde_saphyr::from_str::<Vec<BuiltinKind>>(BUILTIN_KINDS)
        .map(|kinds| kinds.into_iter().map(ResourceType::from).collect())
        .map_err(|e| format!("the built-in kinds table (builtin_kinds.yaml) does not parse: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::crds::{FluxVersion, crds};

    #[test]
    fn kinds_serve_every_flux_kind_and_the_builtins() {
        let reg = ResourceTable::new(&crds(FluxVersion::Current).unwrap()).unwrap();
        let ks = reg
            .by_path("kustomize.toolkit.fluxcd.io", "v1", "kustomizations")
            .unwrap();
        let t = reg.get(ks).unwrap();
        assert_eq!(t.kind, "Kustomization");
        assert_eq!(t.short_names, vec!["ks"]);
        assert!(t.status_subresource && t.custom && t.namespaced);
        assert_eq!(t.versions[0].columns.len(), 3);
        assert!(reg.by_path("", "v1", "pods").is_some());
        assert!(reg.by_kind("apps/v1", "Deployment").is_some());
        assert!(
            reg.by_kind("image.toolkit.fluxcd.io/v1", "ImagePolicy")
                .is_some()
        );
        assert!(
            reg.by_kind("image.toolkit.fluxcd.io/v1beta2", "ImagePolicy")
                .is_none()
        );
    }

    #[test]
    fn flux_2_6_prefers_v1beta2_and_stores_it() {
        let reg = ResourceTable::new(&crds(FluxVersion::V2_6).unwrap()).unwrap();
        let id = reg
            .by_path("image.toolkit.fluxcd.io", "v1beta1", "imagepolicies")
            .unwrap();
        assert_eq!(reg.get(id).unwrap().storage_version(), "v1beta2");
        let groups = reg.groups();
        let image = groups
            .iter()
            .find(|(g, _)| g == "image.toolkit.fluxcd.io")
            .unwrap();
        assert_eq!(image.1, vec!["v1beta2", "v1beta1"]);
    }

    #[test]
    fn version_priority_orders_like_kubernetes() {
        let mut v = vec!["v1beta1", "v1", "v1alpha1", "v2beta1", "v1beta2", "v2"];
        v.sort_by_key(|s| std::cmp::Reverse(version_priority(s)));
        assert_eq!(
            v,
            vec!["v2", "v1", "v2beta1", "v1beta2", "v1beta1", "v1alpha1"]
        );
    }

    #[test]
    fn the_builtin_kinds_table_parses_and_has_what_the_code_needs() {
        let resources = ResourceTable::new(&[]).unwrap();
        let ty = |group: &str, plural: &str| {
            let id = resources
                .by_path(group, "v1", plural)
                .unwrap_or_else(|| panic!("{group}/{plural} is missing"));
            resources.get(id).unwrap()
        };
        // The kinds the store, verbs, defaults and tables single out.
        let ns = ty("", "namespaces");
        assert!(!ns.namespaced && ns.status_subresource);
        assert_eq!(ns.short_names, vec!["ns"]);
        let pods = ty("", "pods");
        assert!(pods.namespaced && pods.status_subresource);
        assert_eq!(pods.categories, vec!["all"]);
        assert_eq!(pods.singular, "pod");
        let deploy = ty("apps", "deployments");
        assert_eq!(deploy.kind, "Deployment");
        assert_eq!(deploy.versions[0].columns.len(), 8);
        assert_eq!(deploy.versions[0].columns[5].priority, 1);
        for plural in [
            "services",
            "events",
            "configmaps",
            "secrets",
            "serviceaccounts",
        ] {
            assert!(ty("", plural).namespaced, "{plural}");
        }
        assert!(ty("apps", "replicasets").status_subresource);
        let crd = ty("apiextensions.k8s.io", "customresourcedefinitions");
        assert_eq!(crd.versions[0].columns[1].kind, "date");
        for plural in ["selfsubjectaccessreviews", "selfsubjectrulesreviews"] {
            let review = ty("authorization.k8s.io", plural);
            assert!(review.create_only && !review.namespaced);
            assert_eq!(review.verbs(), vec!["create"]);
        }
        for (plural, namespaced) in [
            ("roles", true),
            ("rolebindings", true),
            ("clusterroles", false),
            ("clusterrolebindings", false),
        ] {
            assert_eq!(
                ty("rbac.authorization.k8s.io", plural).namespaced,
                namespaced
            );
        }
        assert!(resources.types().iter().all(|t| !t.custom));
        assert_eq!(resources.types().len(), 16);
        assert_eq!(resources.types()[0].plural, "namespaces", "discovery order");
    }
}
