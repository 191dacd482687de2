use super::*;

#[test]
fn image_references_normalise_as_containerd_reports_them() {
    let n = |s: &str| {
        let (r, t) = normalize(s);
        format!("{r}:{t}")
    };
    assert_eq!(n("mongo"), "docker.io/library/mongo:latest");
    assert_eq!(n("redis:alpine"), "docker.io/library/redis:alpine");
    assert_eq!(
        n("weaveworksdemos/carts:0.4.8"),
        "docker.io/weaveworksdemos/carts:0.4.8"
    );
    assert_eq!(
        n("ghcr.io/fluxcd/source-controller:v1.6.2"),
        "ghcr.io/fluxcd/source-controller:v1.6.2"
    );
    assert_eq!(n("localhost:5000/app"), "localhost:5000/app:latest");
}

#[test]
fn nodes_hand_out_distinct_pod_ips() {
    let mut nodes = Nodes::new(3);
    let ips: std::collections::HashSet<String> = (0..600).map(|i| nodes.place(i).pod_ip).collect();
    assert_eq!(ips.len(), 600);
}

#[test]
fn factory_pods_share_the_template_and_differ_in_identity_node_ips_and_times() {
    let ids = Ids::new(2);
    let mut images = Images::new(ids);
    let spec = json!({"containers": [{"name": "c", "image": "nginx"}]});
    let full = PodFactory::new(&mut images, spec.clone());
    let lean = PodFactory::lean(&mut images, spec);
    let mut nodes = Nodes::new(2);
    let mut rng = ids.rng("t");
    let mut plan = |name: &str, at: i64| PodPlan {
        meta: Meta::new(&ids, "Pod", Some("ns"), name, at),
        placement: nodes.place(at as usize),
        started: at + 5,
        ready: at + 9,
    };
    let a = full.pod(&mut rng, plan("a", 100));
    let b = full.pod(&mut rng, plan("b", 201));
    assert_eq!(a["metadata"]["name"], "a");
    assert_eq!(b["metadata"]["name"], "b");
    assert_ne!(a["spec"]["nodeName"], b["spec"]["nodeName"]);
    assert_ne!(a["status"]["podIP"], b["status"]["podIP"]);
    assert_eq!(a["status"]["podIPs"][0]["ip"], a["status"]["podIP"]);
    assert_eq!(a["status"]["hostIPs"][0]["ip"], a["status"]["hostIP"]);
    assert_eq!(a["status"]["startTime"], "1970-01-01T00:01:40Z");
    assert_eq!(a["status"]["conditions"][2]["type"], "Ready");
    assert_eq!(
        a["status"]["conditions"][2]["lastTransitionTime"],
        "1970-01-01T00:01:49Z"
    );
    let started = &a["status"]["containerStatuses"][0];
    assert_eq!(
        started["state"]["running"]["startedAt"],
        "1970-01-01T00:01:45Z"
    );
    assert!(
        started["containerID"]
            .as_str()
            .unwrap()
            .starts_with("containerd://")
    );
    assert_ne!(
        started["containerID"],
        b["status"]["containerStatuses"][0]["containerID"]
    );
    assert_eq!(a["spec"]["containers"], b["spec"]["containers"]);
    assert!(a["spec"]["tolerations"].is_array());
    let l = lean.pod(&mut rng, plan("c", 300));
    assert!(l["spec"].get("tolerations").is_none());
    assert_eq!(l["spec"]["serviceAccountName"], "default");
    assert_eq!(l["status"]["qosClass"], "BestEffort");
}

#[test]
fn qos_follows_requests_and_limits() {
    assert_eq!(
        qos_class(&json!({"containers": [{"resources": {}}]})),
        "BestEffort"
    );
    let same = json!({"cpu": "1", "memory": "1Gi"});
    assert_eq!(
        qos_class(&json!({"containers": [{"resources": {"requests": same, "limits": same}}]})),
        "Guaranteed"
    );
    let less = json!({"cpu": "100m", "memory": "1Gi"});
    assert_eq!(
        qos_class(&json!({"containers": [{"resources": {"requests": less, "limits": same}}]})),
        "Burstable"
    );
}
