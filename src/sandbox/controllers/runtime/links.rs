//! Which objects an object reads (its source, its ImageRepository, the Kustomizations it
//! depends on, the policies its selector picks): the indexes that find dependents.

use serde_json::Value;

use crate::sandbox::labels::string_map;

/// A parsed object's place in the indexes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Links {
    /// (kind, namespace, name) of the objects whose output this one reads.
    pub(super) reads: Vec<(&'static str, String, String)>,
    /// An automation's `policySelector.matchLabels`: the policies of its namespace it reads.
    pub(super) policy_labels: Vec<(String, String)>,
}

fn ns_of(obj: &Value) -> String {
    crate::sandbox::controllers::world::ns_name(obj).0
}

/// What an object reads, for the indexes.
pub(super) fn links_of(kind: &str, obj: &Value) -> Links {
    let ns = ns_of(obj);
    let spec = &obj["spec"];
    let mut reads = Vec::new();
    let source = |reads: &mut Vec<(&'static str, String, String)>| {
        let r = &spec["sourceRef"];
        if r["kind"].as_str().unwrap_or("GitRepository") == "GitRepository"
            && let Some(name) = r["name"].as_str()
        {
            let sns = r["namespace"].as_str().unwrap_or(&ns).to_string();
            reads.push(("GitRepository", sns, name.to_string()));
        }
    };
    match kind {
        "Kustomization" => {
            source(&mut reads);
            for d in spec["dependsOn"].as_array().into_iter().flatten() {
                if let Some(name) = d["name"].as_str() {
                    let dns = d["namespace"].as_str().unwrap_or(&ns).to_string();
                    reads.push(("Kustomization", dns, name.to_string()));
                }
            }
        }
        "ImageUpdateAutomation" => {
            source(&mut reads);
            // The ImagePolicies of the namespace (`""` as the name stands for all), narrowed
            // by the selector when a policy changes.
            reads.push(("ImagePolicy", ns.clone(), String::new()));
            let policy_labels = string_map(&spec["policySelector"]["matchLabels"]);
            return Links {
                reads,
                policy_labels,
            };
        }
        "ImagePolicy" => {
            let r = &spec["imageRepositoryRef"];
            if let Some(name) = r["name"].as_str() {
                let rns = r["namespace"].as_str().unwrap_or(&ns).to_string();
                reads.push(("ImageRepository", rns, name.to_string()));
            }
        }
        _ => {}
    }
    Links {
        reads,
        policy_labels: Vec::new(),
    }
}
