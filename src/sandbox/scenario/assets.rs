//! The reference repositories' manifests, embedded from `assets/`, with the write-up's
//! placeholders filled in (account `123456789012`, the configured repository URLs, fake git
//! credentials), so the seeded objects have exactly the specs the repositories declare.

use base64::Engine as _;
use serde_json::{Value, json};

use super::kube::set;
use super::options::{AWS_ACCOUNT_ID, ScenarioOptions};
use crate::model::yaml;
use crate::sandbox::crds::FluxVersion;

const COMPLETE_DEMO: &str = include_str!("../../../assets/sock-shop/complete-demo.yaml");
const BASE: &str = include_str!(
    "../../../assets/seed-gitops/microservices-repo/deploy/kubernetes/base/kustomization.yaml"
);
const DEV_OVERLAY: &str = include_str!(
    "../../../assets/seed-gitops/microservices-repo/deploy/kubernetes/overlays/development/kustomization.yaml"
);
/// What `apps/overlays/development` builds to (base `sock-shop/` plus the overlay's).
const APPS: [&str; 7] = [
    include_str!("../../../assets/seed-gitops/flux-repo/apps/base/sock-shop/namespace.yaml"),
    include_str!("../../../assets/seed-gitops/flux-repo/apps/base/sock-shop/rbac.yaml"),
    include_str!(
        "../../../assets/seed-gitops/flux-repo/apps/base/sock-shop/basic-access-auth.yaml"
    ),
    include_str!("../../../assets/seed-gitops/flux-repo/apps/base/sock-shop/tenant.yaml"),
    include_str!(
        "../../../assets/seed-gitops/flux-repo/apps/overlays/development/sock-shop/registry.yaml"
    ),
    include_str!(
        "../../../assets/seed-gitops/flux-repo/apps/overlays/development/sock-shop/policy.yaml"
    ),
    include_str!(
        "../../../assets/seed-gitops/flux-repo/apps/overlays/development/sock-shop/image-automation.yaml"
    ),
];
/// What `clusters/dev-cluster` holds besides `gotk-components.yaml`.
const CLUSTER: [&str; 3] = [
    include_str!(
        "../../../assets/seed-gitops/flux-repo/clusters/dev-cluster/flux-system/gotk-sync.yaml"
    ),
    include_str!("../../../assets/seed-gitops/flux-repo/clusters/dev-cluster/infrastructure.yaml"),
    include_str!("../../../assets/seed-gitops/flux-repo/clusters/dev-cluster/apps.yaml"),
];

/// The parsed manifests of the reference pipeline.
#[derive(Debug, Clone)]
pub(super) struct Manifests {
    /// `complete-demo.yaml`: the Namespace, 14 Deployments and 14 Services.
    pub demo: Vec<Value>,
    /// What the `apps` Kustomization applies (namespace `sock-shop`).
    pub apps: Vec<Value>,
    /// `gotk-sync.yaml`, `infrastructure.yaml`, `apps.yaml`.
    pub cluster: Vec<Value>,
    /// The front-end repository the development overlay sets (`newName` of its `images:`).
    pub front_end_image: String,
}

impl Manifests {
    /// The manifest of `kind` named `name` among `docs`.
    pub(super) fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> Option<&'a Value> {
        docs.iter()
            .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
    }
}

/// Parses the embedded manifests for `opts` (URLs) and `flux` (image kinds' apiVersion).
pub(super) fn manifests(opts: &ScenarioOptions, flux: FluxVersion) -> Manifests {
    let engine = base64::engine::general_purpose::STANDARD;
    let fill = |text: &str| {
        text.replace("__ACCOUNT_ID__", AWS_ACCOUNT_ID)
            .replace("__MICRO_SERVICES_REPO__", &opts.tenant_repo_url)
            .replace("__BASE64_USERNAME__", &engine.encode(&opts.git_username))
            .replace("__BASE64_PASSWORD__", &engine.encode(&opts.git_password))
    };
    let image_api = super::flux::image_api_version(flux);
    let mut apps: Vec<Value> = APPS.iter().flat_map(|text| parse(&fill(text))).collect();
    for doc in &mut apps {
        if doc["apiVersion"]
            .as_str()
            .is_some_and(|v| v.starts_with("image.toolkit.fluxcd.io/"))
        {
            set(doc, &["apiVersion"], json!(image_api));
        }
    }
    let mut cluster: Vec<Value> = CLUSTER.iter().flat_map(|text| parse(&fill(text))).collect();
    for doc in &mut cluster {
        if doc["kind"] == "GitRepository" && doc["metadata"]["name"] == "flux-system" {
            set(doc, &["spec", "url"], json!(opts.flux_repo_url));
        }
    }
    let overlay = parse(&fill(DEV_OVERLAY));
    let front_end_image = overlay
        .first()
        .and_then(|o| o["images"].as_array())
        .and_then(|images| {
            images
                .iter()
                .find(|i| i["name"] == "weaveworksdemos/front-end")
        })
        .and_then(|i| i["newName"].as_str())
        .unwrap_or_default()
        .to_string();
    Manifests {
        demo: parse(COMPLETE_DEMO),
        apps,
        cluster,
        front_end_image,
    }
}

/// The image the `front-end` Deployment runs once the automation set the overlay's markers
/// to `tag` (by `crate::setters`, as the image automation does) and kustomize-controller
/// built the overlay (by the sandbox's kustomize subset); `None` only if an embedded file
/// were broken (a unit test builds it).
pub(super) fn released_front_end_image(tag: &str) -> Option<String> {
    use crate::setters::{ImageRef, PolicyRef};
    let overlay = DEV_OVERLAY.replace("__ACCOUNT_ID__", AWS_ACCOUNT_ID);
    let docs = parse(APPS[4]);
    let image = docs.first()?["spec"]["image"]
        .as_str()?
        .replace("__ACCOUNT_ID__", AWS_ACCOUNT_ID);
    let policy = PolicyRef {
        namespace: "sock-shop".into(),
        name: "sock-shop-front-end".into(),
        latest: ImageRef {
            name: image,
            tag: tag.into(),
            digest: None,
        },
    };
    let rewritten = crate::setters::rewrite(&overlay, &[policy])
        .ok()?
        .new_text
        .unwrap_or(overlay);
    let dir = "deploy/kubernetes";
    let files: std::collections::BTreeMap<String, Vec<u8>> = [
        (format!("{dir}/base/kustomization.yaml"), BASE.to_string()),
        (
            format!("{dir}/base/complete-demo.yaml"),
            COMPLETE_DEMO.to_string(),
        ),
        (
            format!("{dir}/overlays/development/kustomization.yaml"),
            rewritten,
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.into_bytes()))
    .collect();
    let built = crate::sandbox::kustomize::build(
        &files,
        &format!("./{dir}/overlays/development"),
        &Default::default(),
    )
    .ok()?;
    built
        .iter()
        .find(|o| o["kind"] == "Deployment" && o["metadata"]["name"] == "front-end")?
        .pointer("/spec/template/spec/containers/0/image")?
        .as_str()
        .map(str::to_string)
}

/// The reference ImagePolicy (`policy.yaml` of the development overlay), compiled by
/// `crate::policy`; `None` only if the embedded file were broken (a unit test parses it).
pub(super) fn front_end_policy() -> Option<crate::policy::CompiledPolicy> {
    let docs = parse(APPS[5]);
    let spec = &docs.first()?["spec"];
    crate::policy::PolicySpec::from_spec(spec)
        .and_then(|p| p.compile())
        .ok()
}

/// Parses an embedded YAML file. The files are part of the binary and a unit test parses
/// each, so a failure here cannot reach users; it yields no documents rather than a panic.
fn parse(text: &str) -> Vec<Value> {
    yaml::documents(text).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_manifest_parses_with_placeholders_filled() {
        for text in APPS
            .iter()
            .chain(&CLUSTER)
            .chain([&COMPLETE_DEMO, &DEV_OVERLAY])
        {
            let docs = yaml::documents(text).unwrap();
            assert!(!docs.is_empty());
        }
        let m = manifests(&ScenarioOptions::default(), FluxVersion::V2_6);
        assert_eq!(
            m.demo.iter().filter(|d| d["kind"] == "Deployment").count(),
            14
        );
        assert_eq!(m.apps.len(), 9);
        assert_eq!(m.cluster.len(), 4);
        assert_eq!(
            m.front_end_image,
            "123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end"
        );
        let text = serde_json::to_string(&m.apps).unwrap();
        assert!(!text.contains("__"), "a placeholder is left: {text}");
        assert!(front_end_policy().is_some());
        assert_eq!(
            released_front_end_image("main-1f49071-24").as_deref(),
            Some(
                "123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end:main-1f49071-24"
            )
        );
        let policy = Manifests::find(&m.apps, "ImagePolicy", "sock-shop-front-end").unwrap();
        assert_eq!(policy["apiVersion"], "image.toolkit.fluxcd.io/v1beta2");
        let tenant = Manifests::find(&m.apps, "GitRepository", "sock-shop-tenant").unwrap();
        assert_eq!(
            tenant["spec"]["url"],
            ScenarioOptions::default().tenant_repo_url
        );
    }
}
