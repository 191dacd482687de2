//! `scale:N --live`, for benchmarks: N tenants, 50 to a namespace, each with the reference
//! pipeline of its own: a GitRepository on its own branch of the shared `tenants-repo`, a
//! Kustomization of `./app` there (a Deployment of two pods and the overlay whose `newTag`
//! carries the setter marker), an ImageRepository of its own ECR repository
//! (`tenants/app-NNNNN`), the reference ImagePolicy and an ImageUpdateAutomation that commits
//! to its branch. The live controllers and the CI (which spreads builds over the tenants) do
//! the rest.

use serde_json::{Value, json};

use super::ids::Ids;
use super::kube::{self, Meta, object};
use super::options::ScenarioOptions;

/// Tenants per namespace.
pub const PER_NAMESPACE: usize = 50;

/// The namespace of tenant `i` (0-based).
pub fn namespace_of(i: usize) -> String {
    format!("team-{:04}", i / PER_NAMESPACE + 1)
}

/// The name of tenant `i` (its objects, branch, app and ECR repository all carry it).
pub fn tenant_name(i: usize) -> String {
    format!("app-{:05}", i + 1)
}

/// The ECR repository of tenant `i`.
pub fn tenant_repository(i: usize) -> String {
    format!("tenants/{}", tenant_name(i))
}

/// The files of tenant `i`'s branch: `app/kustomization.yaml` (namespace, the image with
/// setter markers) and `app/deployment.yaml`.
pub fn tenant_files(i: usize, registry_host: &str) -> Vec<(String, String)> {
    let ns = namespace_of(i);
    let name = tenant_name(i);
    let repo = tenant_repository(i);
    vec![
        (
            "app/kustomization.yaml".into(),
            format!(
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {ns}\nresources:\n- deployment.yaml\nimages:\n- name: app\n  newName: {registry_host}/{repo} # {{\"$imagepolicy\": \"{ns}:{name}:name\"}}\n  newTag: latest # {{\"$imagepolicy\": \"{ns}:{name}:tag\"}}\n"
            ),
        ),
        (
            "app/deployment.yaml".into(),
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  labels:\n    name: {name}\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      name: {name}\n  template:\n    metadata:\n      labels:\n        name: {name}\n    spec:\n      containers:\n      - name: app\n        image: app\n        ports:\n        - containerPort: 8080\n        resources:\n          requests:\n            cpu: 10m\n            memory: 32Mi\n"
            ),
        ),
    ]
}

/// Every object of `scale:n --live`, namespaces first.
pub(super) fn for_each(n: usize, opts: &ScenarioOptions, mut emit: impl FnMut(Value)) {
    let ids = Ids::new(opts.seed);
    let now = opts.now.as_second();
    let namespaces = n.div_ceil(PER_NAMESPACE);
    for k in 0..namespaces {
        emit(kube::namespace(
            &ids,
            &namespace_of(k * PER_NAMESPACE),
            now,
            &[],
        ));
    }
    for k in 0..namespaces {
        let ns = namespace_of(k * PER_NAMESPACE);
        emit(kube::secret(
            Meta::new(&ids, "Secret", Some(&ns), "git-credentials", now),
            &[
                ("username", opts.git_username.as_str()),
                ("password", opts.git_password.as_str()),
            ],
        ));
    }
    let image_api = super::flux::image_api_version(opts.flux);
    let registry = format!(
        "{}.dkr.ecr.{}.amazonaws.com",
        super::options::AWS_ACCOUNT_ID,
        super::options::AWS_REGION
    );
    for i in 0..n {
        let ns = namespace_of(i);
        let name = tenant_name(i);
        let meta = |kind: &str| {
            let mut m = Meta::new(&ids, kind, Some(&ns), &name, now);
            m.generation = Some(1);
            // Each tenant's automation selects its own policy (a namespace holds 50).
            m.label("app", name.clone())
        };
        let objects = [
            (
                "source.toolkit.fluxcd.io/v1",
                "GitRepository",
                json!({"interval": "1m", "url": opts.tenant_repo_url, "ref": {"branch": name},
                       "secretRef": {"name": "git-credentials"}, "timeout": "60s"}),
            ),
            (
                "kustomize.toolkit.fluxcd.io/v1",
                "Kustomization",
                json!({"interval": "5m", "path": "./app", "prune": true, "force": false,
                       "sourceRef": {"kind": "GitRepository", "name": name}}),
            ),
            (
                image_api,
                "ImageRepository",
                json!({"image": format!("{registry}/{}", tenant_repository(i)), "interval": "1m", "provider": "aws"}),
            ),
            (
                image_api,
                "ImagePolicy",
                json!({"imageRepositoryRef": {"name": name},
                       "filterTags": {"pattern": "^main-[a-fA-F0-9]+-(?P<buidnumber>.*)", "extract": "$buidnumber"},
                       "policy": {"numerical": {"order": "asc"}}}),
            ),
            (
                image_api,
                "ImageUpdateAutomation",
                json!({"interval": "5m",
                       "sourceRef": {"kind": "GitRepository", "name": name},
                       "git": {"checkout": {"ref": {"branch": name}},
                               "commit": {"author": {"name": "fluxcdbot", "email": "fluxcdbot@users.noreply.github.com"},
                                          "messageTemplate": "{{range .Changed.Changes}}{{println .NewValue}}{{end}}"},
                               "push": {"branch": name}},
                       "update": {"path": "./app", "strategy": "Setters"},
                       "policySelector": {"matchLabels": {"app": name}}}),
            ),
        ];
        for (api, kind, spec) in objects {
            emit(object(api, kind, meta(kind), vec![("spec", spec)]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenants_are_named_by_number_fifty_to_a_namespace_with_five_flux_objects_each() {
        assert_eq!(namespace_of(0), "team-0001");
        assert_eq!(namespace_of(49), "team-0001");
        assert_eq!(namespace_of(50), "team-0002");
        assert_eq!(tenant_name(0), "app-00001");
        let mut objs = Vec::new();
        for_each(51, &ScenarioOptions::default(), |o| objs.push(o));
        // 2 namespaces, 2 secrets, 51 × 5 Flux objects.
        assert_eq!(objs.len(), 2 + 2 + 51 * 5);
        let files = tenant_files(50, "r.example");
        assert!(files[0].1.contains("namespace: team-0002"));
        assert!(files[0].1.contains("\"team-0002:app-00051:tag\""));
    }
}
