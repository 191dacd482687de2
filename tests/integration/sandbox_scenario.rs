//! The sandbox's seed scenarios: every Flux object validates against its CRD schema under
//! both Flux releases, the validator rejects broken objects with a clear path, the Sock Shop
//! is all there and consistent with the pipeline's statuses, and `scale:N` has exact counts.

use std::collections::{BTreeSet, HashMap, HashSet};

use base64::Engine as _;
use fluxdeck::model::yaml;
use fluxdeck::sandbox::crds::{self, FluxVersion};
use fluxdeck::sandbox::scenario::{
    Scenario, ScenarioOptions, for_each_object, front_end_tags, objects, pod_log,
};
use fluxdeck::sandbox::schema::{SchemaViolation, validate};
use regex::Regex;
use serde_json::{Value, json};

const COMPLETE_DEMO: &str = include_str!("../../assets/sock-shop/complete-demo.yaml");
const ECR_FRONT_END: &str =
    "123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end";

fn opts(flux: FluxVersion, seed: u64) -> ScenarioOptions {
    ScenarioOptions {
        flux,
        now: "2026-08-07T12:00:00Z".parse().unwrap(),
        seed,
        ..ScenarioOptions::default()
    }
}

fn sock_shop(flux: FluxVersion) -> Vec<Value> {
    objects(&Scenario::SockShop, &opts(flux, 7))
}

fn of_kind<'a>(objs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objs.iter().filter(|o| o["kind"] == kind).collect()
}

fn find<'a>(objs: &'a [Value], kind: &str, ns: &str, name: &str) -> &'a Value {
    objs.iter()
        .find(|o| {
            o["kind"] == kind && o["metadata"]["namespace"] == ns && o["metadata"]["name"] == name
        })
        .unwrap_or_else(|| panic!("no {kind} {ns}/{name}"))
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

/// Validates every Flux object of `objs` against the CRD schema of its apiVersion and kind,
/// returning how many were checked.
fn validate_flux_objects(objs: &[Value], flux: FluxVersion) -> usize {
    let crds = crds::crds(flux).unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for o in objs
        .iter()
        .filter(|o| s(&o["apiVersion"]).contains(".toolkit.fluxcd.io/"))
    {
        let (group, version) = s(&o["apiVersion"]).split_once('/').unwrap();
        let kind = s(&o["kind"]);
        let schema = crds::schema(&crds, group, version, kind)
            .unwrap_or_else(|| panic!("{group}/{version} {kind} is not served by Flux {flux:?}"));
        let violations = validate(schema, o);
        if !violations.is_empty() {
            failures.push(format!("{kind} {}: {violations:#?}", o["metadata"]["name"]));
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    checked
}

#[test]
fn every_sock_shop_flux_object_validates_under_both_flux_releases() {
    for flux in [FluxVersion::Current, FluxVersion::V2_6] {
        // 2 GitRepositories, 4 Kustomizations, 3 image automation objects.
        assert_eq!(validate_flux_objects(&sock_shop(flux), flux), 9, "{flux:?}");
    }
}

#[test]
fn every_scale_flux_object_validates_under_both_flux_releases() {
    for flux in [FluxVersion::Current, FluxVersion::V2_6] {
        let objs = objects(&Scenario::Scale(230), &opts(flux, 3));
        assert_eq!(validate_flux_objects(&objs, flux), 460, "{flux:?}");
    }
}

#[test]
fn flux_2_6_serves_image_kinds_at_v1beta2_with_both_latest_image_and_latest_ref() {
    let old = sock_shop(FluxVersion::V2_6);
    let new = sock_shop(FluxVersion::Current);
    for kind in ["ImageRepository", "ImagePolicy", "ImageUpdateAutomation"] {
        assert_eq!(
            of_kind(&old, kind)[0]["apiVersion"],
            "image.toolkit.fluxcd.io/v1beta2"
        );
        assert_eq!(
            of_kind(&new, kind)[0]["apiVersion"],
            "image.toolkit.fluxcd.io/v1"
        );
    }
    let policy = &of_kind(&old, "ImagePolicy")[0]["status"];
    let latest = format!(
        "{}:{}",
        s(&policy["latestRef"]["name"]),
        s(&policy["latestRef"]["tag"])
    );
    assert_eq!(policy["latestImage"], json!(latest));
    let previous = format!(
        "{}:{}",
        s(&policy["observedPreviousRef"]["name"]),
        s(&policy["observedPreviousRef"]["tag"])
    );
    assert_eq!(policy["observedPreviousImage"], json!(previous));
    assert!(
        of_kind(&new, "ImagePolicy")[0]["status"]
            .get("latestImage")
            .is_none()
    );
    // Flux 2.6 had no scan revision; the current release has one and says it in Ready.
    let old_scan = &of_kind(&old, "ImageRepository")[0]["status"];
    assert!(old_scan["lastScanResult"].get("revision").is_none());
    let new_scan = &of_kind(&new, "ImageRepository")[0]["status"];
    let revision = s(&new_scan["lastScanResult"]["revision"]);
    assert!(
        s(&new_scan["conditions"][0]["message"]).ends_with(&format!("with checksum {revision}"))
    );
}

fn violations_of(object: &Value, flux: FluxVersion) -> Vec<SchemaViolation> {
    let crds = crds::crds(flux).unwrap();
    let (group, version) = s(&object["apiVersion"]).split_once('/').unwrap();
    validate(
        crds::schema(&crds, group, version, s(&object["kind"])).unwrap(),
        object,
    )
}

#[test]
fn the_validator_rejects_broken_objects_with_the_field_path() {
    let objs = sock_shop(FluxVersion::Current);
    let policy = of_kind(&objs, "ImagePolicy")[0].clone();
    let repository = of_kind(&objs, "ImageRepository")[0].clone();
    let ks = find(&objs, "Kustomization", "sock-shop", "sock-shop").clone();
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            {
                let mut o = ks.clone();
                o["spec"]["prune"] = json!("yes");
                o
            },
            "spec.prune",
            "must be a boolean, not a string (\"yes\")",
        ),
        (
            {
                let mut o = policy.clone();
                o["spec"]["policy"]["numerical"]["order"] = json!("ascending");
                o
            },
            "spec.policy.numerical.order",
            "must be one of \"asc\", \"desc\", not \"ascending\"",
        ),
        (
            {
                let mut o = repository.clone();
                o["spec"]["interval"] = json!("every minute");
                o
            },
            "spec.interval",
            "must match the pattern ^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$",
        ),
        (
            {
                let mut o = policy.clone();
                o["spec"]
                    .as_object_mut()
                    .unwrap()
                    .remove("imageRepositoryRef");
                o
            },
            "spec.imageRepositoryRef",
            "is required: add it",
        ),
        (
            {
                let mut o = policy.clone();
                o["spec"]["filterTag"] = json!({"pattern": ".*"});
                o
            },
            "spec.filterTag",
            "unknown field \"filterTag\": remove it or correct its name",
        ),
        (
            {
                let mut o = ks.clone();
                o["status"]["conditions"][0]["status"] = json!("Yes");
                o
            },
            "status.conditions[0].status",
            "must be one of \"True\", \"False\", \"Unknown\"",
        ),
        (
            {
                let mut o = ks.clone();
                o["metadata"]["labels"]["app"] = json!("not a label value");
                o
            },
            "metadata.labels[app]",
            "the label value \"not a label value\" is invalid",
        ),
    ];
    for (object, path, message) in cases {
        let v = violations_of(&object, FluxVersion::Current);
        assert_eq!(v.len(), 1, "{path}: {v:#?}");
        assert_eq!(v[0].path, path);
        assert!(
            v[0].message.starts_with(message),
            "{path}: {}",
            v[0].message
        );
    }
    // The 2.6 schema has no scan revision: a current-shaped status is an unknown field there.
    let mut old_repository = repository;
    old_repository["apiVersion"] = json!("image.toolkit.fluxcd.io/v1beta2");
    let v = violations_of(&old_repository, FluxVersion::V2_6);
    assert_eq!(v.len(), 1, "{v:#?}");
    assert_eq!(v[0].path, "status.lastScanResult.revision");
}

#[test]
fn sock_shop_runs_the_14_deployments_of_complete_demo_with_owned_replica_sets_and_pods() {
    let demo = yaml::documents(COMPLETE_DEMO).unwrap();
    let manifests: HashMap<&str, &Value> = demo
        .iter()
        .filter(|d| d["kind"] == "Deployment")
        .map(|d| (s(&d["metadata"]["name"]), d))
        .collect();
    assert_eq!(manifests.len(), 14);
    let objs = sock_shop(FluxVersion::Current);
    let in_ns = |kind: &str| -> Vec<&Value> {
        of_kind(&objs, kind)
            .into_iter()
            .filter(|o| o["metadata"]["namespace"] == "sock-shop")
            .collect()
    };
    let deployments = in_ns("Deployment");
    let names: BTreeSet<&str> = deployments
        .iter()
        .map(|d| s(&d["metadata"]["name"]))
        .collect();
    assert_eq!(names, manifests.keys().copied().collect());
    let safe = "[bcdfghjklmnpqrstvwxz2456789]";
    let replica_sets = in_ns("ReplicaSet");
    let pods = in_ns("Pod");
    for d in deployments {
        let name = s(&d["metadata"]["name"]);
        let manifest = manifests[name];
        let owned: Vec<&&Value> = replica_sets
            .iter()
            .filter(|rs| rs["metadata"]["ownerReferences"][0]["uid"] == d["metadata"]["uid"])
            .collect();
        assert_eq!(owned.len(), 1, "{name} has one ReplicaSet");
        let rs = owned[0];
        assert_eq!(rs["metadata"]["ownerReferences"][0]["kind"], "Deployment");
        assert_eq!(rs["metadata"]["ownerReferences"][0]["controller"], true);
        let hash = s(&rs["metadata"]["labels"]["pod-template-hash"]);
        assert_eq!(s(&rs["metadata"]["name"]), format!("{name}-{hash}"));
        let pod_name = Regex::new(&format!("^{name}-{safe}{{8,10}}-{safe}{{5}}$")).unwrap();
        let its_pods: Vec<&&Value> = pods
            .iter()
            .filter(|p| p["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"])
            .collect();
        assert_eq!(
            its_pods.len() as u64,
            manifest["spec"]["replicas"].as_u64().unwrap()
        );
        for pod in its_pods {
            assert!(
                pod_name.is_match(s(&pod["metadata"]["name"])),
                "{}",
                pod["metadata"]["name"]
            );
            assert_eq!(pod["status"]["phase"], "Running");
            assert_eq!(pod["metadata"]["labels"]["pod-template-hash"], hash);
            for (key, value) in manifest["spec"]["template"]["metadata"]["labels"]
                .as_object()
                .unwrap()
            {
                assert_eq!(
                    &pod["metadata"]["labels"][key], value,
                    "{name} pod label {key}"
                );
            }
            let want: Vec<String> = manifest["spec"]["template"]["spec"]["containers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| s(&c["image"]).to_string())
                .collect();
            let got: Vec<&str> = pod["spec"]["containers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| s(&c["image"]))
                .collect();
            if name == "front-end" {
                assert_eq!(
                    got,
                    [format!("{ECR_FRONT_END}:{}", front_end_tags().latest())]
                );
            } else {
                assert_eq!(got, want, "{name}");
            }
            let statuses = pod["status"]["containerStatuses"].as_array().unwrap();
            assert_eq!(statuses.len(), want.len());
            assert!(
                statuses
                    .iter()
                    .all(|c| c["ready"] == true && c["state"]["running"].is_object())
            );
            for c in pod["spec"]["containers"].as_array().unwrap() {
                assert!(
                    !pod_log(pod, Some(s(&c["name"]))).is_empty(),
                    "no log for {name}"
                );
            }
        }
    }
    let services: BTreeSet<&str> = in_ns("Service")
        .iter()
        .map(|o| s(&o["metadata"]["name"]))
        .collect();
    let demo_services: BTreeSet<&str> = demo
        .iter()
        .filter(|d| d["kind"] == "Service")
        .map(|d| s(&d["metadata"]["name"]))
        .collect();
    assert_eq!(services, demo_services);
}

#[test]
fn the_pipeline_statuses_tell_one_consistent_story() {
    let full_sha = Regex::new("^[0-9a-f]{40}$").unwrap();
    for flux in [FluxVersion::Current, FluxVersion::V2_6] {
        let objs = sock_shop(flux);
        let tenant = find(&objs, "GitRepository", "sock-shop", "sock-shop-tenant");
        let revision = s(&tenant["status"]["artifact"]["revision"]);
        let sha = revision.strip_prefix("main@sha1:").unwrap();
        assert!(full_sha.is_match(sha));
        let ks = find(&objs, "Kustomization", "sock-shop", "sock-shop");
        assert_eq!(s(&ks["status"]["lastAppliedRevision"]), revision);
        assert_eq!(
            s(&ks["status"]["history"][0]["metadata"]["revision"]),
            revision
        );
        assert_eq!(
            ks["metadata"]["annotations"]["reconcile.fluxcd.io/requestedAt"],
            ks["status"]["lastHandledReconcileAt"]
        );

        let automation = of_kind(&objs, "ImageUpdateAutomation")[0];
        assert_eq!(s(&automation["status"]["lastPushCommit"]), sha);
        assert_eq!(s(&automation["status"]["observedSourceRevision"]), revision);

        // The policy's pick is the highest build number among the tags under its filter.
        let repository = of_kind(&objs, "ImageRepository")[0];
        let policy = of_kind(&objs, "ImagePolicy")[0];
        let filter = Regex::new(
            s(&policy["spec"]["filterTags"]["pattern"])
                .replace("(?P<", "(?<")
                .as_str(),
        )
        .unwrap();
        let tags = front_end_tags().tags;
        let best = tags
            .iter()
            .filter_map(|t| Some((filter.captures(t)?["buidnumber"].parse::<f64>().ok()?, t)))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .unwrap()
            .1;
        assert_eq!(s(&policy["status"]["latestRef"]["tag"]), best);
        assert_eq!(
            policy["status"]["latestRef"]["name"],
            repository["spec"]["image"]
        );
        assert_eq!(
            automation["status"]["observedPolicies"]["sock-shop-front-end"]["tag"],
            json!(best)
        );
        assert_eq!(
            repository["status"]["lastScanResult"]["tagCount"],
            json!(tags.len())
        );
        let mut sorted = tags.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        let checksum = adler2::adler32_slice(serde_json::to_string(&sorted).unwrap().as_bytes());
        assert!(
            s(&repository["status"]["conditions"][0]["message"])
                .starts_with("successful scan: found 25 tags")
        );
        if flux == FluxVersion::Current {
            assert_eq!(
                repository["status"]["lastScanResult"]["revision"],
                json!(checksum.to_string())
            );
        }
        assert_eq!(
            repository["status"]["lastScanResult"]["latestTags"],
            json!(sorted[..10])
        );

        // The front-end runs the picked tag.
        let want = format!("{ECR_FRONT_END}:{best}");
        for pod in of_kind(&objs, "Pod")
            .iter()
            .filter(|p| p["metadata"]["labels"]["name"] == "front-end")
        {
            assert_eq!(s(&pod["spec"]["containers"][0]["image"]), want);
            assert!(
                s(&pod["status"]["containerStatuses"][0]["imageID"])
                    .starts_with(&format!("{ECR_FRONT_END}@sha256:"))
            );
        }

        // flux-system's Kustomizations applied the flux repository's revision, and their
        // inventories list what clusters/dev-cluster and apps/ hold.
        let flux_repo = find(&objs, "GitRepository", "flux-system", "flux-system");
        let flux_revision = &flux_repo["status"]["artifact"]["revision"];
        let ids = |ks: &Value| -> HashSet<String> {
            ks["status"]["inventory"]["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| s(&e["id"]).to_string())
                .collect()
        };
        for name in ["flux-system", "infrastructure", "apps"] {
            assert_eq!(
                &find(&objs, "Kustomization", "flux-system", name)["status"]["lastAppliedRevision"],
                flux_revision
            );
        }
        let cluster = ids(find(&objs, "Kustomization", "flux-system", "flux-system"));
        for id in [
            "flux-system_flux-system_source.toolkit.fluxcd.io_GitRepository",
            "flux-system_flux-system_kustomize.toolkit.fluxcd.io_Kustomization",
            "flux-system_apps_kustomize.toolkit.fluxcd.io_Kustomization",
            "flux-system_infrastructure_kustomize.toolkit.fluxcd.io_Kustomization",
            "_flux-system__Namespace",
            "_kustomizations.kustomize.toolkit.fluxcd.io_apiextensions.k8s.io_CustomResourceDefinition",
        ] {
            assert!(
                cluster.contains(id),
                "{id} missing from flux-system's inventory"
            );
        }
        for d in of_kind(&objs, "Deployment")
            .iter()
            .filter(|d| d["metadata"]["namespace"] == "flux-system")
        {
            assert!(cluster.contains(&format!(
                "flux-system_{}_apps_Deployment",
                s(&d["metadata"]["name"])
            )));
            assert_eq!(d["metadata"]["labels"]["app.kubernetes.io/part-of"], "flux");
        }
        let apps = ids(find(&objs, "Kustomization", "flux-system", "apps"));
        for o in objs.iter().filter(|o| {
            o["metadata"]["namespace"] == "sock-shop"
                && s(&o["apiVersion"]).contains("toolkit.fluxcd.io")
        }) {
            let (group, _) = s(&o["apiVersion"]).split_once('/').unwrap();
            assert!(apps.contains(&format!(
                "sock-shop_{}_{group}_{}",
                s(&o["metadata"]["name"]),
                s(&o["kind"])
            )));
        }
        let image_version = if flux == FluxVersion::Current {
            "v1"
        } else {
            "v1beta2"
        };
        let apps_ks = find(&objs, "Kustomization", "flux-system", "apps");
        let entry = apps_ks["status"]["inventory"]["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| {
                e["id"] == "sock-shop_sock-shop-front-end_image.toolkit.fluxcd.io_ImagePolicy"
            })
            .unwrap();
        assert_eq!(entry["v"], image_version);
        let workloads: HashSet<String> = objs
            .iter()
            .filter(|o| {
                o["metadata"]["namespace"] == "sock-shop"
                    && (o["kind"] == "Deployment" || o["kind"] == "Service")
            })
            .map(|o| {
                let group = if o["kind"] == "Deployment" {
                    "apps"
                } else {
                    ""
                };
                format!(
                    "sock-shop_{}_{group}_{}",
                    s(&o["metadata"]["name"]),
                    s(&o["kind"])
                )
            })
            .collect();
        let mut applied = ids(ks);
        assert!(applied.remove("_sock-shop__Namespace"));
        assert_eq!(applied, workloads);
    }
}

#[test]
fn every_object_is_well_formed_and_every_event_points_at_an_object() {
    let objs = sock_shop(FluxVersion::Current);
    let now: jiff::Timestamp = "2026-08-07T12:00:00Z".parse().unwrap();
    let first_other = objs.iter().position(|o| o["kind"] != "Namespace").unwrap();
    assert!(
        objs[first_other..].iter().all(|o| o["kind"] != "Namespace"),
        "namespaces come first"
    );
    let namespaces: HashSet<&str> = objs[..first_other]
        .iter()
        .map(|o| s(&o["metadata"]["name"]))
        .collect();
    let mut uids = HashSet::new();
    let mut by_uid = HashMap::new();
    for o in &objs {
        let m = &o["metadata"];
        assert!(
            m.get("resourceVersion").is_none(),
            "the store assigns resourceVersion"
        );
        assert!(uids.insert(s(&m["uid"])), "duplicate uid {}", m["uid"]);
        let created: jiff::Timestamp = s(&m["creationTimestamp"]).parse().unwrap();
        assert!(
            created <= now,
            "{} {} created in the future",
            o["kind"],
            m["name"]
        );
        if let Some(ns) = m["namespace"].as_str() {
            assert!(
                namespaces.contains(ns),
                "{ns} is not a Namespace of the scenario"
            );
        }
        by_uid.insert(s(&m["uid"]), o);
    }
    let mut with_events = HashSet::new();
    for e in of_kind(&objs, "Event") {
        let about = &e["involvedObject"];
        let target = by_uid
            .get(s(&about["uid"]))
            .unwrap_or_else(|| panic!("event about no object: {e}"));
        assert_eq!(about["kind"], target["kind"]);
        assert_eq!(about["name"], target["metadata"]["name"]);
        assert_eq!(about["namespace"], target["metadata"]["namespace"]);
        assert_eq!(about["apiVersion"], target["apiVersion"]);
        assert!(e["firstTimestamp"].as_str() <= e["lastTimestamp"].as_str());
        assert!(e["count"].as_u64().unwrap() >= 1);
        assert!(!s(&e["source"]["component"]).is_empty());
        with_events.insert(s(&about["uid"]));
    }
    for o in objs
        .iter()
        .filter(|o| o["kind"] == "Pod" || s(&o["apiVersion"]).contains("toolkit.fluxcd.io"))
    {
        assert!(
            with_events.contains(s(&o["metadata"]["uid"])),
            "no event for {} {}",
            o["kind"],
            o["metadata"]["name"]
        );
    }
    // Secrets hold only base64 of obviously fake values, and every namespace has a default ServiceAccount.
    for secret in of_kind(&objs, "Secret") {
        for value in secret["data"].as_object().unwrap().values() {
            let plain = base64::engine::general_purpose::STANDARD
                .decode(s(value))
                .unwrap();
            let plain = String::from_utf8(plain).unwrap();
            assert!(
                plain.contains("sandbox") || plain.contains("not-a-real"),
                "{plain}"
            );
        }
    }
    for ns in &namespaces {
        find(&objs, "ServiceAccount", ns, "default");
    }
    find(&objs, "ServiceAccount", "sock-shop", "sock-shop");
}

#[test]
fn the_same_seed_gives_the_same_objects_and_another_seed_other_names() {
    for scenario in [Scenario::SockShop, Scenario::Scale(60)] {
        let a = objects(&scenario, &opts(FluxVersion::Current, 11));
        let b = objects(&scenario, &opts(FluxVersion::Current, 11));
        assert_eq!(a, b, "{scenario}");
        let c = objects(&scenario, &opts(FluxVersion::Current, 12));
        assert_eq!(a.len(), c.len());
        assert_ne!(a[0]["metadata"]["uid"], c[0]["metadata"]["uid"]);
        let pod_names = |objs: &[Value]| -> BTreeSet<String> {
            of_kind(objs, "Pod")
                .iter()
                .map(|p| s(&p["metadata"]["name"]).to_string())
                .collect()
        };
        assert!(
            pod_names(&a).is_disjoint(&pod_names(&c)),
            "{scenario}: pod names do not depend on the seed"
        );
    }
}

#[test]
fn scale_counts_are_exact() {
    for (n, namespaces) in [(1, 1), (50, 1), (51, 2), (230, 5)] {
        let objs = objects(&Scenario::Scale(n), &opts(FluxVersion::Current, 5));
        let count = |kind: &str| of_kind(&objs, kind).len();
        assert_eq!(count("Namespace"), namespaces, "scale:{n}");
        assert_eq!(count("Kustomization"), n, "scale:{n}");
        assert_eq!(count("GitRepository"), n, "scale:{n}");
        assert_eq!(count("Pod"), 5 * n, "scale:{n}");
        assert_eq!(count("ServiceAccount"), namespaces, "scale:{n}");
        assert_eq!(
            objs.len(),
            2 * namespaces + 7 * n,
            "scale:{n}: nothing else"
        );
    }
}

#[test]
fn scale_kustomizations_match_their_sources_and_pods() {
    let objs = objects(&Scenario::Scale(230), &opts(FluxVersion::Current, 5));
    let mut pods_of: HashMap<(&str, &str), usize> = HashMap::new();
    let mut ips = HashSet::new();
    for pod in of_kind(&objs, "Pod") {
        assert_eq!(pod["status"]["phase"], "Running");
        assert!(ips.insert(s(&pod["status"]["podIP"])), "duplicate pod IP");
        assert!(!s(&pod["spec"]["nodeName"]).is_empty());
        *pods_of
            .entry((
                s(&pod["metadata"]["namespace"]),
                s(&pod["metadata"]["labels"]["app"]),
            ))
            .or_default() += 1;
    }
    let (mut failing, mut suspended) = (0, 0);
    for ks in of_kind(&objs, "Kustomization") {
        let (ns, name) = (s(&ks["metadata"]["namespace"]), s(&ks["metadata"]["name"]));
        let source = find(&objs, "GitRepository", ns, name);
        let source_revision = &source["status"]["artifact"]["revision"];
        assert_eq!(&ks["status"]["lastAttemptedRevision"], source_revision);
        if ks["status"]["conditions"][0]["status"] == "True" {
            assert_eq!(&ks["status"]["lastAppliedRevision"], source_revision);
        } else {
            assert_eq!(ks["status"]["conditions"][0]["reason"], "HealthCheckFailed");
            assert_ne!(&ks["status"]["lastAppliedRevision"], source_revision);
            failing += 1;
        }
        if ks["spec"]["suspend"] == true {
            suspended += 1;
        }
        assert_eq!(pods_of.get(&(ns, name)), Some(&5), "{ns}/{name}");
    }
    assert_eq!((failing, suspended), (2, 2));
}

#[test]
fn for_each_object_streams_exactly_what_objects_returns() {
    for scenario in [Scenario::SockShop, Scenario::Scale(120)] {
        let o = opts(FluxVersion::V2_6, 9);
        let mut streamed = Vec::new();
        for_each_object(&scenario, &o, |v| streamed.push(v));
        assert_eq!(streamed, objects(&scenario, &o), "{scenario}");
    }
}
