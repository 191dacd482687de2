//! The demo pipeline: what the simulated controllers do when the sandbox has real local git
//! repositories and a registry to work on. Sources fetch branch heads, image repositories
//! scan the sandbox registry, policies select with `crate::policy`, automations rewrite
//! markers with `crate::setters` and commit as their configured author, Kustomizations apply
//! image changes to the Deployments they manage. The same engines users run through
//! `fluxdeck policy` and `fluxdeck setters`, so the sandbox plays Flux with Flux's rules.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};

use super::Outcome;
use crate::policy::{self, PolicySpec, ScanSummary};
use crate::sandbox::apiserver::store::now_rfc3339;
use crate::sandbox::git::{self, Identity, NewCommit};
use crate::sandbox::registry::RegistryStore;
use crate::setters::{self, ImageRef, PolicyRef, TemplateData};

/// The local things the pipeline works on.
#[derive(Clone)]
pub struct Pipeline {
    /// Git URLs (as GitRepositories spell them) → bare repositories on disk.
    pub repos: HashMap<String, PathBuf>,
    /// The sandbox's ECR-compatible registry.
    pub registry: Option<Arc<RegistryStore>>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline").field("repos", &self.repos).finish_non_exhaustive()
    }
}

/// What to reconcile next because this reconcile changed something others read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kick {
    /// The objects that depend on this one (kind, namespace, name): a source's
    /// Kustomizations, a repository's policies, a policy's automations.
    DependentsOf(String, String, String),
    /// This object itself (kind, namespace, name), e.g. the source an automation pushed to.
    Object(String, String, String),
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

impl Pipeline {
    /// The bare repository behind a GitRepository URL, if the sandbox holds it.
    pub fn repo(&self, url: &str) -> Option<&Path> {
        self.repos.get(url.trim_end_matches('/')).map(PathBuf::as_path)
    }

    /// The registry repository name of an image (`<host>/<name>`), if the sandbox's registry
    /// serves that host.
    fn registry_repo(&self, image: &str) -> Option<(Arc<RegistryStore>, String)> {
        let reg = self.registry.as_ref()?;
        let name = image.strip_prefix(&format!("{}/", reg.registry_host()))?;
        Some((reg.clone(), name.to_string()))
    }

    /// A GitRepository: store the branch head as the artifact.
    pub fn git_repository(&self, obj: &Value) -> Option<(Outcome, Vec<Kick>)> {
        let path = self.repo(text(&obj["spec"]["url"]))?;
        let branch = obj["spec"]["ref"]["branch"].as_str().unwrap_or("master");
        let ns = text(&obj["metadata"]["namespace"]);
        let name = text(&obj["metadata"]["name"]);
        let sha = match git::head(path, branch) {
            Ok(s) => s,
            Err(e) => {
                return Some((
                    Outcome::failed("GitOperationFailed", format!("failed to checkout and determine revision: {e}")),
                    Vec::new(),
                ));
            }
        };
        let rev = format!("{branch}@sha1:{sha}");
        let old = text(&obj["status"]["artifact"]["revision"]);
        let digest = format!("sha256:{}", hex::encode(<sha2::Sha256 as sha2::Digest>::digest(rev.as_bytes())));
        let artifact = json!({
            "revision": rev,
            "digest": digest,
            "path": format!("gitrepository/{ns}/{name}/{sha}.tar.gz"),
            "url": format!("http://source-controller.flux-system.svc.cluster.local./gitrepository/{ns}/{name}/{sha}.tar.gz"),
            "lastUpdateTime": now_rfc3339(),
            "size": 20_480,
        });
        let kicks = if old != rev {
            vec![Kick::DependentsOf("GitRepository".into(), ns.to_string(), name.to_string())]
        } else {
            Vec::new()
        };
        Some((
            Outcome::ready("Succeeded", format!("stored artifact for revision '{rev}'"))
                .with("artifact", artifact),
            kicks,
        ))
    }

    /// An ImageRepository: scan the sandbox registry as Flux scans a registry.
    pub fn image_repository(&self, obj: &Value) -> Option<(Outcome, Vec<Kick>)> {
        let image = text(&obj["spec"]["image"]);
        let (reg, repo) = self.registry_repo(image)?;
        let ns = text(&obj["metadata"]["namespace"]).to_string();
        let name = text(&obj["metadata"]["name"]).to_string();
        let tags = match reg.tags(&repo) {
            Ok(t) => t.into_iter().map(|t| t.tag).collect::<Vec<_>>(),
            Err(e) => {
                return Some((
                    Outcome::failed("ReadOperationFailed", format!("scan failed: {e}")),
                    Vec::new(),
                ));
            }
        };
        let exclusions: Vec<String> = obj["spec"]["exclusionList"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        let summary = match ScanSummary::new(&tags, &exclusions) {
            Ok(s) => s,
            Err(e) => return Some((Outcome::failed("Failure", e.to_string()), Vec::new())),
        };
        let old = text(&obj["status"]["lastScanResult"]["revision"]);
        let kicks = if old != summary.revision {
            vec![Kick::DependentsOf("ImageRepository".into(), ns, name)]
        } else {
            Vec::new()
        };
        let observed = if exclusions.is_empty() {
            vec![policy::DEFAULT_EXCLUSION.to_string()]
        } else {
            exclusions
        };
        let mut scan = json!({
            "revision": summary.revision,
            "scanTime": now_rfc3339(),
            "tagCount": summary.tag_count,
        });
        if !summary.latest_tags.is_empty() {
            scan["latestTags"] = json!(summary.latest_tags);
        }
        Some((
            Outcome::ready("Succeeded", summary.ready_message())
                .with("lastScanResult", scan)
                .with("canonicalImageName", json!(image))
                .with("observedExclusionList", json!(observed)),
            kicks,
        ))
    }

    /// An ImagePolicy: select the latest tag of its repository's scan with the policy engine.
    pub fn image_policy(&self, obj: &Value, repository: &Value) -> Option<(Outcome, Vec<Kick>)> {
        let image = text(&repository["spec"]["image"]).to_string();
        let (reg, repo) = self.registry_repo(&image)?;
        let listed: Vec<String> = reg.tags(&repo).ok()?.into_iter().map(|t| t.tag).collect();
        let exclusions: Vec<String> = repository["spec"]["exclusionList"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        let ns = text(&obj["metadata"]["namespace"]).to_string();
        let name = text(&obj["metadata"]["name"]).to_string();
        let result = ScanSummary::new(&listed, &exclusions)
            .and_then(|s| PolicySpec::from_spec(&obj["spec"])?.compile()?.latest(&s.tags));
        let tag = match result {
            Ok(t) => t,
            Err(e) => {
                let cond = e.condition();
                let mut o = Outcome::failed(cond.reason(), e.condition_message());
                o.stalled = cond.stalled();
                return Some((o, Vec::new()));
            }
        };
        let prev = &obj["status"]["latestRef"];
        let changed = text(&prev["tag"]) != tag || text(&prev["name"]) != image;
        let previous = (!prev.is_null() && changed).then(|| policy::ImageRef {
            name: text(&prev["name"]).to_string(),
            tag: text(&prev["tag"]).to_string(),
            digest: text(&prev["digest"]).to_string(),
        });
        let message = policy::ready_message(&image, &tag, "", previous.as_ref());
        let mut out = Outcome::ready("Succeeded", message).with("latestRef", json!({"name": image, "tag": tag}));
        if changed && !prev.is_null() {
            out = out.with("observedPreviousRef", prev.clone());
        }
        // Flux 2.6 (v1beta2) also reported the deprecated string form.
        if text(&obj["apiVersion"]).ends_with("v1beta2") {
            out = out.with("latestImage", json!(format!("{image}:{tag}")));
        }
        let kicks = if changed { vec![Kick::DependentsOf("ImagePolicy".into(), ns, name)] } else { Vec::new() };
        Some((out, kicks))
    }

    /// An ImageUpdateAutomation: rewrite the markers under `spec.update.path` of its source
    /// with the namespace's policies and commit as the configured author.
    pub fn image_update_automation(
        &self,
        obj: &Value,
        source: &Value,
        policies: &[Value],
    ) -> Option<(Outcome, Vec<Kick>)> {
        let path = self.repo(text(&source["spec"]["url"]))?.to_path_buf();
        let ns = text(&obj["metadata"]["namespace"]).to_string();
        let name = text(&obj["metadata"]["name"]).to_string();
        let git_spec = &obj["spec"]["git"];
        let checkout = git_spec["checkout"]["ref"]["branch"]
            .as_str()
            .or(source["spec"]["ref"]["branch"].as_str());
        let Some(branch) = git_spec["push"]["branch"].as_str().or(checkout) else {
            let mut o = Outcome::failed(
                "InvalidSourceConfiguration",
                "push spec not provided, and cannot be inferred from .spec.git.checkout.ref or GitRepository .spec.ref",
            );
            o.stalled = true;
            return Some((o, Vec::new()));
        };
        let author = Identity::new(
            git_spec["commit"]["author"]["name"].as_str().unwrap_or("fluxcdbot"),
            text(&git_spec["commit"]["author"]["email"]),
        );
        let refs: Vec<PolicyRef> = policies
            .iter()
            .filter(|p| p["metadata"]["namespace"] == ns.as_str())
            .filter_map(|p| {
                let r = &p["status"]["latestRef"];
                Some(PolicyRef {
                    namespace: ns.clone(),
                    name: p["metadata"]["name"].as_str()?.to_string(),
                    latest: ImageRef {
                        name: r["name"].as_str()?.to_string(),
                        tag: r["tag"].as_str()?.to_string(),
                        digest: r["digest"].as_str().filter(|d| !d.is_empty()).map(str::to_string),
                    },
                })
            })
            .collect();
        let observed: BTreeMap<String, Value> = refs
            .iter()
            .map(|r| (r.name.clone(), json!({"name": r.latest.name, "tag": r.latest.tag})))
            .collect();
        let run_time = now_rfc3339();
        let head = match git::head(&path, branch) {
            Ok(h) => h,
            Err(e) => return Some((Outcome::failed("GitOperationFailed", format!("failed to checkout source: {e}")), Vec::new())),
        };
        let update_path = obj["spec"]["update"]["path"].as_str().unwrap_or(".");
        let files: Vec<(String, Vec<u8>)> = match git::read_tree(&path, &head, update_path) {
            Ok(f) => f.into_iter().map(|f| (f.path, f.bytes)).collect(),
            Err(e) => return Some((Outcome::failed("UpdateFailed", format!("failed to apply policies: {e}")), Vec::new())),
        };
        let (written, changes, _problems) = setters::apply_files(&files, &refs);
        let mut out = Outcome::ready("Succeeded", "repository up-to-date")
            .with("lastAutomationRunTime", json!(run_time))
            .with("observedPolicies", json!(observed));
        if written.is_empty() {
            return Some((out.with("observedSourceRevision", json!(format!("{branch}@sha1:{head}"))), Vec::new()));
        }
        let values: BTreeMap<String, String> = git_spec["commit"]["messageTemplateValues"]
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), text(v).to_string())).collect())
            .unwrap_or_default();
        let data = TemplateData {
            automation_namespace: ns.clone(),
            automation_name: name.clone(),
            changes,
            values,
        };
        let message = match setters::commit_message(git_spec["commit"]["messageTemplate"].as_str(), &data) {
            Ok(m) => m,
            Err(e) => return Some((Outcome::failed("UpdateFailed", e.to_string()), Vec::new())),
        };
        let commit = NewCommit { branch, author: &author, message: &message, time: None };
        let sha = match git::commit_files_on(&path, &head, &commit, &written) {
            Ok(s) => s,
            Err(e) => return Some((Outcome::failed("GitOperationFailed", format!("failed to update source: {e}")), Vec::new())),
        };
        out = out
            .with("lastPushCommit", json!(sha))
            .with("lastPushTime", json!(now_rfc3339()))
            .with("observedSourceRevision", json!(format!("{branch}@sha1:{sha}")));
        let src_ns = source["metadata"]["namespace"].as_str().unwrap_or(&ns).to_string();
        let src_name = text(&source["metadata"]["name"]).to_string();
        Some((out, vec![Kick::Object("GitRepository".into(), src_ns, src_name)]))
    }
}
