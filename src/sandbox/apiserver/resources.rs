//! The resource types the sandbox serves: the built-in core/apps/authorization kinds and every
//! kind and version the embedded Flux CRDs declare. Discovery, routing, tables and validation
//! all read this one registry, so what is discoverable is exactly what is served.

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

/// The registry: every resource type the sandbox serves, in discovery order.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    types: Vec<ResourceType>,
}

/// Index of a resource type in the registry; stable for the server's lifetime.
pub type TypeId = usize;

impl Registry {
    /// Built-ins plus the kinds declared by `crds`.
    pub fn new(crds: &[Value]) -> Self {
        let mut types = builtins();
        types.extend(crds.iter().filter_map(from_crd));
        Registry { types }
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

fn col(name: &str, kind: &str, priority: i64, description: &str) -> PrinterColumn {
    PrinterColumn {
        name: name.to_string(),
        kind: kind.to_string(),
        json_path: String::new(),
        priority,
        description: description.to_string(),
    }
}

fn builtin(
    group: &str,
    kind: &str,
    plural: &str,
    namespaced: bool,
    short_names: &[&str],
    status: bool,
    columns: Vec<PrinterColumn>,
) -> ResourceType {
    // Every built-in the sandbox serves is at v1.
    let version = "v1";
    ResourceType {
        group: group.to_string(),
        versions: vec![ServedVersion {
            name: version.to_string(),
            columns,
            schema: None,
            deprecation_warning: None,
        }],
        kind: kind.to_string(),
        plural: plural.to_string(),
        singular: kind.to_lowercase(),
        namespaced,
        short_names: short_names.iter().map(|s| s.to_string()).collect(),
        categories: if ["pods", "services", "deployments", "replicasets"].contains(&plural) {
            vec!["all".to_string()]
        } else {
            Vec::new()
        },
        status_subresource: status,
        custom: false,
        create_only: false,
    }
}

fn builtins() -> Vec<ResourceType> {
    let name = || {
        col(
            "Name",
            "string",
            0,
            "Name must be unique within a namespace.",
        )
    };
    let age = || col("Age", "string", 0, "CreationTimestamp of the object.");
    let mut ssar = builtin(
        "authorization.k8s.io",
        "SelfSubjectAccessReview",
        "selfsubjectaccessreviews",
        false,
        &[],
        false,
        vec![],
    );
    ssar.create_only = true;
    let mut ssrr = builtin(
        "authorization.k8s.io",
        "SelfSubjectRulesReview",
        "selfsubjectrulesreviews",
        false,
        &[],
        false,
        vec![],
    );
    ssrr.create_only = true;
    let mut types = vec![
        builtin(
            "",
            "Namespace",
            "namespaces",
            false,
            &["ns"],
            true,
            vec![
                name(),
                col("Status", "string", 0, "The status of the namespace"),
                age(),
            ],
        ),
        builtin(
            "",
            "Pod",
            "pods",
            true,
            &["po"],
            true,
            vec![
                name(),
                col(
                    "Ready",
                    "string",
                    0,
                    "The aggregate readiness state of this pod for accepting traffic.",
                ),
                col(
                    "Status",
                    "string",
                    0,
                    "The aggregate status of the containers in this pod.",
                ),
                col(
                    "Restarts",
                    "string",
                    0,
                    "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
                ),
                age(),
                col(
                    "IP",
                    "string",
                    1,
                    "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.",
                ),
                col(
                    "Node",
                    "string",
                    1,
                    "Name of the Node this pod is scheduled on.",
                ),
                col(
                    "Nominated Node",
                    "string",
                    1,
                    "Name of the node that the pod may be preempting to.",
                ),
                col(
                    "Readiness Gates",
                    "string",
                    1,
                    "The readiness gates of the pod.",
                ),
            ],
        ),
        builtin(
            "",
            "Service",
            "services",
            true,
            &["svc"],
            true,
            vec![
                name(),
                col("Type", "string", 0, "The type of the service."),
                col("Cluster-IP", "string", 0, "The IP address of the service."),
                col(
                    "External-IP",
                    "string",
                    0,
                    "The external IP addresses of the service.",
                ),
                col("Port(s)", "string", 0, "The ports of the service."),
                age(),
                col(
                    "Selector",
                    "string",
                    1,
                    "Route service traffic to pods with label keys and values matching this selector.",
                ),
            ],
        ),
        builtin(
            "",
            "Event",
            "events",
            true,
            &["ev"],
            false,
            vec![
                col("Last Seen", "string", 0, "Time of the last occurrence."),
                col("Type", "string", 0, "Type of this event (Normal, Warning)."),
                col("Reason", "string", 0, "Why the action was taken."),
                col("Object", "string", 0, "The object this event is about."),
                col(
                    "Message",
                    "string",
                    0,
                    "A human-readable description of the status of this operation.",
                ),
            ],
        ),
        builtin(
            "",
            "ConfigMap",
            "configmaps",
            true,
            &["cm"],
            false,
            vec![name(), col("Data", "string", 0, "Number of keys."), age()],
        ),
        builtin(
            "",
            "Secret",
            "secrets",
            true,
            &[],
            false,
            vec![
                name(),
                col("Type", "string", 0, "The type of the secret."),
                col("Data", "string", 0, "Number of keys."),
                age(),
            ],
        ),
        builtin(
            "",
            "ServiceAccount",
            "serviceaccounts",
            true,
            &["sa"],
            false,
            vec![
                name(),
                col("Secrets", "string", 0, "Number of secrets."),
                age(),
            ],
        ),
        builtin(
            "apps",
            "Deployment",
            "deployments",
            true,
            &["deploy"],
            true,
            vec![
                name(),
                col("Ready", "string", 0, "Number of the pod with ready state"),
                col(
                    "Up-to-date",
                    "string",
                    0,
                    "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
                ),
                col(
                    "Available",
                    "string",
                    0,
                    "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
                ),
                age(),
                col(
                    "Containers",
                    "string",
                    1,
                    "Names of each container in the template.",
                ),
                col(
                    "Images",
                    "string",
                    1,
                    "Images referenced by each container in the template.",
                ),
                col("Selector", "string", 1, "Label selector for pods."),
            ],
        ),
        builtin(
            "apps",
            "ReplicaSet",
            "replicasets",
            true,
            &["rs"],
            true,
            vec![
                name(),
                col("Desired", "string", 0, "Number of desired pods."),
                col("Current", "string", 0, "Number of actually running pods."),
                col("Ready", "string", 0, "Number of ready pods."),
                age(),
                col(
                    "Containers",
                    "string",
                    1,
                    "Names of each container in the template.",
                ),
                col(
                    "Images",
                    "string",
                    1,
                    "Images referenced by each container in the template.",
                ),
                col("Selector", "string", 1, "Label selector for pods."),
            ],
        ),
        builtin(
            "apiextensions.k8s.io",
            "CustomResourceDefinition",
            "customresourcedefinitions",
            false,
            &["crd", "crds"],
            true,
            vec![name(), col("Created At", "date", 0, "Creation time.")],
        ),
        ssar,
        ssrr,
    ];
    // RBAC, which tenants' Kustomizations apply (a RoleBinding for their ServiceAccount).
    for (kind, plural, namespaced, binding) in [
        ("Role", "roles", true, false),
        ("RoleBinding", "rolebindings", true, true),
        ("ClusterRole", "clusterroles", false, false),
        ("ClusterRoleBinding", "clusterrolebindings", false, true),
    ] {
        let columns = if binding {
            vec![
                name(),
                col("Role", "string", 0, "The role the binding refers to."),
                age(),
            ]
        } else {
            vec![name(), col("Created At", "date", 0, "Creation time.")]
        };
        types.push(builtin(
            "rbac.authorization.k8s.io",
            kind,
            plural,
            namespaced,
            &[],
            false,
            columns,
        ));
    }
    types
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::crds::{FluxVersion, crds};

    #[test]
    fn registry_serves_every_flux_kind_and_the_builtins() {
        let reg = Registry::new(&crds(FluxVersion::Current).unwrap());
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
        let reg = Registry::new(&crds(FluxVersion::V2_6).unwrap());
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
}
