//! The writes: merge patches of `spec.suspend` and of the `requestedAt` annotation, sent
//! the way the flux CLI sends them, then followed (`follow`) until the object settles; and
//! the SelfSubjectAccessReview that says whether they are allowed.

use std::collections::HashMap;
use std::time::Duration;

use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams};
use serde_json::{Value, json};

use super::follow::{Outcome, follow, ready_after_resume, settled};
use crate::model::key::Kind;
use crate::workers::cluster::discovery::ServedKind;

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

/// The RFC3339Nano local time the flux CLI writes into `requestedAt` (trailing zeros of
/// the fraction trimmed, offset included).
pub fn request_token() -> String {
    jiff::Zoned::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.f%:z")
        .to_string()
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
    let run = Run {
        client,
        timeout,
        progress,
        source_of,
    };
    match run.act(target, action).await {
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

/// Suspends `target` (`spec.suspend: true`) or resumes it (the field removed, as the flux CLI
/// does), telling `progress` what is sent.
async fn patch_suspend(
    api: &Api<DynamicObject>,
    target: &Target,
    suspend: bool,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<(), kube::Error> {
    let (doing, done, value) = if suspend {
        ("suspending", "suspended", json!(true))
    } else {
        ("resuming", "resumed", Value::Null)
    };
    progress(Progress::Start(format!(
        "{doing} {} {} in {} namespace",
        target.kind.kind, target.name, target.namespace
    )));
    let patch = Patch::Merge(json!({"spec": {"suspend": value}}));
    api.patch(&target.name, &PatchParams::default(), &patch)
        .await?;
    progress(Progress::Sent(format!("{done} {}", target.display())));
    Ok(())
}

/// What `run` was given besides the target and the action: a source's reconcile runs with
/// the same.
struct Run<'a> {
    client: &'a kube::Client,
    timeout: Duration,
    progress: &'a (dyn Fn(Progress) + Send + Sync),
    source_of: &'a (dyn Fn(&Value) -> Option<Target> + Send + Sync),
}

impl Run<'_> {
    /// Runs `action` on `target` (and first on its source, for a reconcile with source); API
    /// errors are left to `run` to describe.
    async fn act(&self, target: &Target, action: Action) -> Result<Outcome, kube::Error> {
        let Run {
            client,
            timeout,
            progress,
            source_of,
        } = *self;
        let api = target.api(client);
        let kind = target.kind.kind.as_str();
        match action {
            Action::Suspend => {
                patch_suspend(&api, target, true, progress).await?;
                Ok(Outcome::Succeeded(format!(
                    "{kind} {} suspended",
                    target.name
                )))
            }
            Action::Resume => {
                patch_suspend(&api, target, false, progress).await?;
                progress(Progress::Waiting(format!(
                    "waiting for {kind} reconciliation"
                )));
                Ok(follow(&api, &target.name, timeout, |v| ready_after_resume(kind, v)).await)
            }
            Action::Reconcile { with_source } => {
                let current =
                    serde_json::to_value(api.get(&target.name).await?).unwrap_or(Value::Null);
                if current["spec"]["suspend"] == true {
                    return Ok(Outcome::Failed(format!(
                        "{} reconcile refused: resource is suspended",
                        target.display()
                    )));
                }
                if with_source {
                    match source_of(&current) {
                        Some(src) => {
                            let srcx =
                                Box::pin(self.act(&src, Action::Reconcile { with_source: false }))
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
}
