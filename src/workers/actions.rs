//! Actions on Flux objects with the flux CLI's semantics (FLUX-SEMANTICS §4.3):
//! suspend/resume are JSON merge patches of `spec.suspend` (`true`, and `null` to resume);
//! force sync sets `reconcile.fluxcd.io/requestedAt` to an RFC3339Nano local time and
//! follows the object until `status.lastHandledReconcileAt` equals it and Ready settles;
//! "with source" reconciles the referenced source first and waits for it. Reconciling a
//! suspended object is refused with Flux's message, before any write.
//!
//! Following uses a watch on the one object (not the CLI's 2 s polling), so the result
//! shows the moment the controller writes it. One divergence, on purpose: when the
//! controller has handled the request and reports Ready=False with `ProgressingWithRetry`,
//! the action ends as failed at once (the CLI keeps polling until its timeout).

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::{Value, json};

use super::cluster::discovery::ServedKind;
use crate::model::key::Kind;

/// The annotation that asks a Flux controller to reconcile now.
pub const REQUESTED_AT: &str = "reconcile.fluxcd.io/requestedAt";

/// Which object an action is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Where the kind is served.
    pub kind: ServedKind,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl Target {
    fn api(&self, client: &kube::Client) -> Api<DynamicObject> {
        let gvk = GroupVersionKind::gvk(&self.kind.group, &self.kind.version, &self.kind.kind);
        let ar = ApiResource::from_gvk_with_plural(&gvk, &self.kind.plural);
        Api::namespaced_with(client.clone(), &self.namespace, &ar)
    }

    /// `Kind/namespace/name`, as messages name objects.
    pub fn display(&self) -> String {
        format!("{}/{}/{}", self.kind.kind, self.namespace, self.name)
    }
}

/// The source a Kustomization (`obj`, in `namespace`) reads, from its `spec.sourceRef`
/// (kind defaulting to GitRepository, namespace to the Kustomization's), when the cluster
/// serves that kind: what `--with-source` reconciles first.
pub fn source_target(
    served: &HashMap<Kind, ServedKind>,
    namespace: &str,
    obj: &Value,
) -> Option<Target> {
    let r = &obj["spec"]["sourceRef"];
    let kind = Kind::from_name(r["kind"].as_str().unwrap_or("GitRepository"))?;
    Some(Target {
        kind: served.get(&kind)?.clone(),
        namespace: r["namespace"].as_str().unwrap_or(namespace).to_string(),
        name: r["name"].as_str()?.to_string(),
    })
}

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `flux suspend`.
    Suspend,
    /// `flux resume` (waits for the object to become ready, like the CLI with one name).
    Resume,
    /// `flux reconcile`, optionally `--with-source`.
    Reconcile {
        /// Reconcile the referenced source first.
        with_source: bool,
    },
}

impl Action {
    /// The verb as the status strip shows it.
    pub fn verb(self) -> &'static str {
        match self {
            Action::Suspend => "suspend",
            Action::Resume => "resume",
            Action::Reconcile { with_source: false } => "reconcile",
            Action::Reconcile { with_source: true } => "reconcile with source",
        }
    }
}

/// Progress of a running action, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// A write is about to be sent, in the flux CLI's words (`annotating Kustomization apps
    /// in flux-system namespace`).
    Start(String),
    /// A write was sent (the text says which).
    Sent(String),
    /// Waiting for a controller (the text says for what).
    Waiting(String),
    /// A step before the last one succeeded (with `--with-source`, the source's success
    /// message, e.g. `fetched revision main@sha1:…`).
    Step(String),
}

/// How an action ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done; the message is the flux CLI's success message.
    Succeeded(String),
    /// Failed; the message names the object and the cause.
    Failed(String),
}

/// The RFC3339Nano local time the flux CLI writes into `requestedAt` (trailing zeros of
/// the fraction trimmed, offset included).
pub fn request_token() -> String {
    jiff::Zoned::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.f%:z")
        .to_string()
}

fn condition<'a>(obj: &'a Value, kind: &str) -> Option<&'a Value> {
    obj["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)
}

/// kstatus as the flux CLI computes it: `Current`, `InProgress` or `Failed`.
fn kstatus(obj: &Value) -> &'static str {
    let generation = obj["metadata"]["generation"].as_i64();
    let observed = obj["status"]["observedGeneration"].as_i64();
    if generation.is_some() && observed.is_some() && generation != observed {
        return "InProgress";
    }
    if condition(obj, "Reconciling").is_some_and(|c| c["status"] == "True") {
        return "InProgress";
    }
    if condition(obj, "Stalled").is_some_and(|c| c["status"] == "True") {
        return "Failed";
    }
    "Current"
}

/// The flux CLI's success message for a kind (FLUX-SEMANTICS §4.3).
pub fn success_message(kind: &str, obj: &Value) -> String {
    let s = &obj["status"];
    let str_of = |v: &Value| v.as_str().unwrap_or_default().to_string();
    match kind {
        "GitRepository" | "OCIRepository" | "Bucket" => {
            format!("fetched revision {}", str_of(&s["artifact"]["revision"]))
        }
        "Kustomization" => format!("applied revision {}", str_of(&s["lastAppliedRevision"])),
        "ImageRepository" => format!(
            "scan fetched {} tags",
            s["lastScanResult"]["tagCount"].as_i64().unwrap_or(0)
        ),
        "ImagePolicy" => {
            let r = &s["latestRef"];
            let mut out = format!("selected ref {}:{}", str_of(&r["name"]), str_of(&r["tag"]));
            if let Some(d) = r["digest"].as_str().filter(|d| !d.is_empty()) {
                out.push('@');
                out.push_str(d);
            }
            if r.is_null() {
                out = format!("selected ref {}", str_of(&s["latestImage"]));
            }
            out
        }
        "ImageUpdateAutomation" => {
            match condition(obj, "Ready").and_then(|c| c["message"].as_str()) {
                Some(m) => m.to_string(),
                None => match s["lastAutomationRunTime"].as_str() {
                    Some(t) => format!("last run {t}"),
                    None => "automation not yet run".to_string(),
                },
            }
        }
        _ => "reconciliation completed".to_string(),
    }
}

/// Where an object stands after a reconcile request, if it has settled.
fn settled(kind: &str, obj: &Value, token: &str) -> Option<Outcome> {
    if obj["status"]["lastHandledReconcileAt"].as_str() != Some(token) {
        return None;
    }
    let ready = condition(obj, "Ready");
    let failing = ready.is_some_and(|c| c["status"] == "False");
    match kstatus(obj) {
        "Current" if ready.is_some_and(|c| c["status"] == "True") => {
            Some(Outcome::Succeeded(success_message(kind, obj)))
        }
        "Current" | "Failed" => Some(Outcome::Failed(format!(
            "{kind} reconciliation failed: '{}'",
            ready
                .and_then(|c| c["message"].as_str())
                .unwrap_or("not ready")
        ))),
        _ if failing
            && condition(obj, "Reconciling")
                .is_some_and(|c| c["reason"] == "ProgressingWithRetry") =>
        {
            Some(Outcome::Failed(format!(
                "{kind} reconciliation failed: '{}' (Flux will retry)",
                ready
                    .and_then(|c| c["message"].as_str())
                    .unwrap_or("not ready")
            )))
        }
        _ => None,
    }
}

/// Whether a resumed object is ready again (the CLI's `isObjectReady`).
fn ready_after_resume(kind: &str, obj: &Value) -> Option<Outcome> {
    let generation = obj["metadata"]["generation"].as_i64().unwrap_or(0);
    let ready = condition(obj, "Ready")?;
    let observed = match ready["observedGeneration"].as_i64() {
        Some(g) if g != 0 => g,
        _ => obj["status"]["observedGeneration"].as_i64().unwrap_or(0),
    };
    if observed != generation {
        return None;
    }
    match kstatus(obj) {
        "InProgress" => None,
        "Current" if ready["status"] == "True" => Some(Outcome::Succeeded(format!(
            "{kind} {} reconciliation completed; {}",
            obj["metadata"]["name"].as_str().unwrap_or_default(),
            success_message(kind, obj)
        ))),
        _ => Some(Outcome::Failed(format!(
            "{kind} reconciliation failed: '{}'",
            ready["message"].as_str().unwrap_or("not ready")
        ))),
    }
}

/// Watches one object until `done` says it settled or `timeout` passes. Watch errors
/// (a dropped connection, a 410) restart the watch; they do not end the action.
async fn follow(
    api: &Api<DynamicObject>,
    name: &str,
    timeout: Duration,
    done: impl Fn(&Value) -> Option<Outcome>,
) -> Outcome {
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let stream = watcher::watcher(api.clone(), config).default_backoff();
    let watch = async {
        futures::pin_mut!(stream);
        while let Some(ev) = stream.next().await {
            let obj = match ev {
                Ok(watcher::Event::Apply(o)) | Ok(watcher::Event::InitApply(o)) => o,
                Ok(watcher::Event::Delete(_)) => {
                    return Outcome::Failed(format!("{name} was deleted while waiting"));
                }
                _ => continue,
            };
            if let Ok(v) = serde_json::to_value(&obj)
                && let Some(o) = done(&v)
            {
                return o;
            }
        }
        Outcome::Failed(format!("lost the watch on {name}"))
    };
    match tokio::time::timeout(timeout, watch).await {
        Ok(o) => o,
        Err(_) => Outcome::Failed(format!(
            "timed out after {}s waiting for {name}; it may still finish: check its conditions",
            timeout.as_secs()
        )),
    }
}

/// Runs an action, reporting progress, and returns how it ended. Errors from the API are
/// outcomes too (a 403 names the missing permission).
pub async fn run(
    client: &kube::Client,
    target: &Target,
    action: Action,
    timeout: Duration,
    progress: &(dyn Fn(Progress) + Send + Sync),
    source_of: &(dyn Fn(&Value) -> Option<Target> + Send + Sync),
) -> Outcome {
    match run_inner(client, target, action, timeout, progress, source_of).await {
        Ok(o) => o,
        Err(e) => Outcome::Failed(describe_error(target, action, &e)),
    }
}

/// A kube error as a message naming the object, the cause and the fix.
pub fn describe_error(target: &Target, action: Action, e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) if s.code == 403 => format!(
            "{} {} refused: missing permission to patch {} in namespace {} ({})",
            action.verb(),
            target.display(),
            target.kind.plural,
            target.namespace,
            s.message
        ),
        kube::Error::Api(s) if s.code == 404 => {
            format!(
                "{} not found in namespace {}",
                target.display(),
                target.namespace
            )
        }
        kube::Error::Api(s) => format!(
            "{} {} failed: {}",
            action.verb(),
            target.display(),
            s.message
        ),
        other => format!("{} {} failed: {other}", action.verb(), target.display()),
    }
}

async fn run_inner(
    client: &kube::Client,
    target: &Target,
    action: Action,
    timeout: Duration,
    progress: &(dyn Fn(Progress) + Send + Sync),
    source_of: &(dyn Fn(&Value) -> Option<Target> + Send + Sync),
) -> Result<Outcome, kube::Error> {
    let api = target.api(client);
    let kind = target.kind.kind.as_str();
    match action {
        Action::Suspend => {
            progress(Progress::Start(format!(
                "suspending {kind} {} in {} namespace",
                target.name, target.namespace
            )));
            api.patch(
                &target.name,
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"suspend": true}})),
            )
            .await?;
            progress(Progress::Sent(format!("suspended {}", target.display())));
            Ok(Outcome::Succeeded(format!(
                "{kind} {} suspended",
                target.name
            )))
        }
        Action::Resume => {
            progress(Progress::Start(format!(
                "resuming {kind} {} in {} namespace",
                target.name, target.namespace
            )));
            api.patch(
                &target.name,
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"suspend": null}})),
            )
            .await?;
            progress(Progress::Sent(format!("resumed {}", target.display())));
            progress(Progress::Waiting(format!(
                "waiting for {kind} reconciliation"
            )));
            Ok(follow(&api, &target.name, timeout, |v| ready_after_resume(kind, v)).await)
        }
        Action::Reconcile { with_source } => {
            let current = serde_json::to_value(api.get(&target.name).await?).unwrap_or(Value::Null);
            if current["spec"]["suspend"] == true {
                return Ok(Outcome::Failed(format!(
                    "{} reconcile refused: resource is suspended",
                    target.display()
                )));
            }
            if with_source {
                match source_of(&current) {
                    Some(src) => {
                        let srcx = Box::pin(run_inner(
                            client,
                            &src,
                            Action::Reconcile { with_source: false },
                            timeout,
                            progress,
                            source_of,
                        ))
                        .await?;
                        match srcx {
                            Outcome::Failed(m) => return Ok(Outcome::Failed(m)),
                            Outcome::Succeeded(m) => progress(Progress::Step(m)),
                        }
                    }
                    None => {
                        return Ok(Outcome::Failed(format!(
                            "{} has no source fluxdeck can reconcile (spec.sourceRef)",
                            target.display()
                        )));
                    }
                }
            }
            progress(Progress::Start(format!(
                "annotating {kind} {} in {} namespace",
                target.name, target.namespace
            )));
            let token = request_token();
            let patch = json!({"metadata": {"annotations": {REQUESTED_AT: token}}});
            api.patch(&target.name, &PatchParams::default(), &Patch::Merge(patch))
                .await?;
            progress(Progress::Sent(format!("annotated {}", target.display())));
            progress(Progress::Waiting(format!(
                "waiting for {kind} reconciliation"
            )));
            Ok(follow(&api, &target.name, timeout, |v| settled(kind, v, &token)).await)
        }
    }
}

/// Whether the cluster lets this user patch `kind` in `namespace` (a
/// SelfSubjectAccessReview). `Err` carries a message when the review itself failed.
pub async fn can_patch(
    client: &kube::Client,
    kind: &ServedKind,
    namespace: &str,
) -> Result<bool, String> {
    let review = json!({
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {
            "namespace": namespace, "verb": "patch", "group": kind.group, "resource": kind.plural,
        }},
    });
    let gvk = GroupVersionKind::gvk("authorization.k8s.io", "v1", "SelfSubjectAccessReview");
    let ar = ApiResource::from_gvk_with_plural(&gvk, "selfsubjectaccessreviews");
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
    let obj: DynamicObject = serde_json::from_value(review).map_err(|e| e.to_string())?;
    let answer = api
        .create(&Default::default(), &obj)
        .await
        .map_err(|e| format!("cannot check permissions: {e}"))?;
    Ok(answer.data["status"]["allowed"] == true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ks(handled: &str, ready: &str, reconciling: Option<&str>) -> Value {
        let mut conds = vec![
            json!({"type": "Ready", "status": ready, "message": "Applied revision: main@sha1:abc", "reason": "x"}),
        ];
        if let Some(r) = reconciling {
            conds.push(json!({"type": "Reconciling", "status": "True", "reason": r}));
        }
        json!({"metadata": {"generation": 2, "name": "app"},
               "status": {"observedGeneration": 2, "lastHandledReconcileAt": handled,
                          "lastAppliedRevision": "main@sha1:abc", "conditions": conds}})
    }

    #[test]
    fn request_tokens_look_like_go_rfc3339nano() {
        let t = request_token();
        assert!(t.len() >= 20, "{t}");
        assert!(t.contains('T'));
        assert!(!t.contains(".000"), "trailing zeros are trimmed: {t}");
        assert!(
            t.ends_with('Z') || t.rfind(['+', '-']).is_some_and(|i| i > 18),
            "{t}"
        );
    }

    #[test]
    fn settles_only_on_the_requested_token_and_a_settled_ready() {
        assert_eq!(
            settled("Kustomization", &ks("old", "True", None), "new"),
            None
        );
        assert_eq!(
            settled(
                "Kustomization",
                &ks("new", "Unknown", Some("Progressing")),
                "new"
            ),
            None
        );
        assert_eq!(
            settled("Kustomization", &ks("new", "True", None), "new"),
            Some(Outcome::Succeeded("applied revision main@sha1:abc".into()))
        );
        assert!(matches!(
            settled("Kustomization", &ks("new", "False", Some("ProgressingWithRetry")), "new"),
            Some(Outcome::Failed(m)) if m.contains("reconciliation failed") && m.contains("retry")
        ));
    }

    #[test]
    fn success_messages_per_kind() {
        let ip = json!({"status": {"latestRef": {"name": "repo/app", "tag": "1.2.3"}}});
        assert_eq!(
            success_message("ImagePolicy", &ip),
            "selected ref repo/app:1.2.3"
        );
        let old = json!({"status": {"latestImage": "repo/app:1.0.0"}});
        assert_eq!(
            success_message("ImagePolicy", &old),
            "selected ref repo/app:1.0.0"
        );
        let ir = json!({"status": {"lastScanResult": {"tagCount": 7}}});
        assert_eq!(
            success_message("ImageRepository", &ir),
            "scan fetched 7 tags"
        );
        let gr = json!({"status": {"artifact": {"revision": "main@sha1:1"}}});
        assert_eq!(
            success_message("GitRepository", &gr),
            "fetched revision main@sha1:1"
        );
        assert_eq!(
            success_message("ImageUpdateAutomation", &json!({})),
            "automation not yet run"
        );
    }
}
