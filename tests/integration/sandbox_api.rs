//! The sandbox's API server over real HTTP on loopback: auth, discovery, the verbs, tables,
//! watches, faults, and bad input answered with the right Status.

use std::time::Duration;

use crate::support::sandbox::{Spec, TestSandbox};
use fluxdeck::sandbox::Sandbox;
use serde_json::{Value, json};

const KS: &str = "/apis/kustomize.toolkit.fluxcd.io/v1";

fn namespace(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
}

fn kustomization(ns: &str, name: &str) -> Value {
    json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": name, "namespace": ns, "labels": {"team": if name.ends_with('a') { "a" } else { "b" }}},
        "spec": {"interval": "5m", "path": "./deploy", "prune": true,
                 "sourceRef": {"kind": "GitRepository", "name": "repo"}},
        "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded",
                   "message": "Applied revision: main@sha1:0123456789abcdef0123456789abcdef01234567",
                   "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": 1}],
                   "lastAppliedRevision": "main@sha1:0123456789abcdef0123456789abcdef01234567"}
    })
}

async fn start() -> TestSandbox {
    let mut objects = vec![namespace("sock-shop"), namespace("flux-system")];
    for n in ["ks-a", "ks-b", "ks-c"] {
        objects.push(kustomization("sock-shop", n));
    }
    objects.push(kustomization("flux-system", "flux-system"));
    // No simulated controllers: these tests check the API's own behaviour, version by version.
    Spec::objects(objects).no_controllers().start().await
}

struct Client {
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Client {
    fn new(sb: &Sandbox) -> Self {
        Client {
            http: reqwest::Client::new(),
            url: sb.http_url(),
            token: sb.token.clone(),
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        content_type: Option<&str>,
        body: Option<Vec<u8>>,
        accept: Option<&str>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.url, path))
            .bearer_auth(&self.token);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        if let Some(a) = accept {
            req = req.header("accept", a);
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, v)
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None, None, None)
            .await
    }

    async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send(
            reqwest::Method::POST,
            path,
            Some("application/json"),
            Some(body.to_string().into_bytes()),
            None,
        )
        .await
    }

    async fn patch(&self, path: &str, ct: &str, body: &str) -> (u16, Value) {
        self.send(
            reqwest::Method::PATCH,
            path,
            Some(ct),
            Some(body.as_bytes().to_vec()),
            None,
        )
        .await
    }
}

fn assert_status(v: &Value, code: u16, reason: &str) {
    assert_eq!(v["kind"], "Status", "{v}");
    assert_eq!(v["code"], code, "{v}");
    assert_eq!(v["reason"], reason, "{v}");
    assert!(!v["message"].as_str().unwrap_or_default().is_empty(), "{v}");
}

#[tokio::test]
async fn requests_without_the_token_get_401_with_a_status_body() {
    let sb = start().await;
    let http = reqwest::Client::new();
    for auth in [None, Some("Bearer wrong"), Some("Basic Zm9vOmJhcg==")] {
        let mut req = http.get(format!("{}/api/v1/namespaces", sb.http_url()));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 401);
        let v: Value = resp.json().await.unwrap();
        assert_status(&v, 401, "Unauthorized");
    }
    // The admin paths need the token too.
    let resp = http
        .get(format!("{}/sandbox/requests", sb.http_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
}

#[tokio::test]
async fn discovery_lists_core_apps_and_every_flux_kind() {
    let sb = start().await;
    let c = Client::new(&sb);
    let (s, v) = c.get("/version").await;
    assert_eq!(s, 200);
    assert_eq!(v["major"], "1");
    let (_, v) = c.get("/api").await;
    assert_eq!(v["versions"], json!(["v1"]));
    let (_, v) = c.get("/apis").await;
    let groups: Vec<&str> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    for g in [
        "apps",
        "apiextensions.k8s.io",
        "authorization.k8s.io",
        "kustomize.toolkit.fluxcd.io",
        "source.toolkit.fluxcd.io",
        "image.toolkit.fluxcd.io",
    ] {
        assert!(groups.contains(&g), "{g} in {groups:?}");
    }
    let (_, v) = c.get(KS).await;
    let ks = v["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "kustomizations")
        .unwrap();
    assert_eq!(ks["shortNames"], json!(["ks"]));
    assert_eq!(ks["namespaced"], true);
    let (_, v) = c.get("/api/v1").await;
    let names: Vec<&str> = v["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    for r in [
        "pods",
        "pods/log",
        "pods/status",
        "services",
        "events",
        "namespaces",
        "secrets",
        "configmaps",
        "serviceaccounts",
    ] {
        assert!(names.contains(&r), "{r}");
    }
    let (s, v) = c.get("/apis/image.toolkit.fluxcd.io/v1beta2").await;
    assert_status(&v, 404, "NotFound");
    assert_eq!(s, 404);
    let (_, v) = c
        .get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions")
        .await;
    assert_eq!(v["items"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn list_filters_pages_and_serves_tables() {
    let sb = start().await;
    let c = Client::new(&sb);
    let (s, v) = c.get(&format!("{KS}/kustomizations")).await;
    assert_eq!(s, 200);
    assert_eq!(v["kind"], "KustomizationList");
    assert_eq!(v["items"].as_array().unwrap().len(), 4);
    assert!(
        !v["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .is_empty()
    );
    let (_, v) = c
        .get(&format!(
            "{KS}/namespaces/sock-shop/kustomizations?labelSelector=team%3Da"
        ))
        .await;
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    assert_eq!(v["items"][0]["metadata"]["name"], "ks-a");
    let (_, v) = c
        .get(&format!(
            "{KS}/kustomizations?fieldSelector=metadata.namespace%3Dflux-system"
        ))
        .await;
    assert_eq!(v["items"][0]["metadata"]["name"], "flux-system");
    // Paging: 4 objects in pages of 3.
    let (_, p1) = c.get(&format!("{KS}/kustomizations?limit=3")).await;
    assert_eq!(p1["items"].as_array().unwrap().len(), 3);
    assert_eq!(p1["metadata"]["remainingItemCount"], 1);
    let token = p1["metadata"]["continue"].as_str().unwrap();
    let (_, p2) = c
        .get(&format!("{KS}/kustomizations?limit=3&continue={token}"))
        .await;
    assert_eq!(p2["items"].as_array().unwrap().len(), 1);
    assert!(p2["metadata"]["continue"].is_null());
    assert_eq!(
        p2["metadata"]["resourceVersion"],
        p1["metadata"]["resourceVersion"]
    );
    // Table for kubectl.
    let (_, t) = c
        .send(
            reqwest::Method::GET,
            &format!("{KS}/namespaces/sock-shop/kustomizations"),
            None,
            None,
            Some("application/json;as=Table;v=v1;g=meta.k8s.io,application/json"),
        )
        .await;
    assert_eq!(t["kind"], "Table");
    let cols: Vec<&str> = t["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(cols, vec!["Name", "Age", "Ready", "Status"]);
    assert_eq!(t["rows"][0]["cells"][2], "True");
    assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
}

#[tokio::test]
async fn writes_bump_versions_generation_and_respect_the_status_subresource() {
    let sb = start().await;
    let c = Client::new(&sb);
    let path = format!("{KS}/namespaces/sock-shop/kustomizations/ks-a");
    let (_, before) = c.get(&path).await;
    let rv0: u64 = before["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let (s, after) = c
        .patch(
            &path,
            "application/merge-patch+json",
            r#"{"spec":{"suspend":true}}"#,
        )
        .await;
    assert_eq!(s, 200, "{after}");
    assert_eq!(after["spec"]["suspend"], true);
    assert_eq!(after["metadata"]["generation"], 2);
    let rv1: u64 = after["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(rv1 > rv0);
    // Annotations do not bump the generation; a no-op patch bumps nothing.
    let (_, a) = c
        .patch(
            &path,
            "application/merge-patch+json",
            r#"{"metadata":{"annotations":{"reconcile.fluxcd.io/requestedAt":"2026-11-28T10:00:00.1+00:00"}}}"#,
        )
        .await;
    assert_eq!(a["metadata"]["generation"], 2);
    let (_, same) = c
        .patch(
            &path,
            "application/merge-patch+json",
            r#"{"metadata":{"annotations":{"reconcile.fluxcd.io/requestedAt":"2026-11-28T10:00:00.1+00:00"}}}"#,
        )
        .await;
    assert_eq!(
        same["metadata"]["resourceVersion"],
        a["metadata"]["resourceVersion"]
    );
    // Status written through the main resource is ignored; through /status it sticks.
    let (_, x) = c
        .patch(
            &path,
            "application/merge-patch+json",
            r#"{"status":{"lastHandledReconcileAt":"x"}}"#,
        )
        .await;
    assert!(x["status"]["lastHandledReconcileAt"].is_null());
    let (s, x) = c
        .patch(
            &format!("{path}/status"),
            "application/merge-patch+json",
            r#"{"status":{"lastHandledReconcileAt":"x"},"spec":{"suspend":false}}"#,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(x["status"]["lastHandledReconcileAt"], "x");
    assert_eq!(x["spec"]["suspend"], true);
    // JSON patch.
    let (s, x) = c
        .patch(
            &path,
            "application/json-patch+json",
            r#"[{"op":"replace","path":"/spec/suspend","value":false}]"#,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(x["spec"]["suspend"], false);
    // Server-side apply records its manager.
    let (s, x) = c
        .patch(
            &format!("{path}?fieldManager=fluxdeck"),
            "application/apply-patch+yaml",
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ks-a\nspec:\n  interval: 10m\n",
        )
        .await;
    assert_eq!(s, 200, "{x}");
    assert_eq!(x["spec"]["interval"], "10m");
    assert!(
        x["metadata"]["managedFields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["manager"] == "fluxdeck")
    );
    // PUT with a stale resourceVersion conflicts.
    let mut stale = before.clone();
    stale["spec"]["path"] = json!("./other");
    let (s, v) = c
        .send(
            reqwest::Method::PUT,
            &path,
            Some("application/json"),
            Some(stale.to_string().into_bytes()),
            None,
        )
        .await;
    assert_eq!(s, 409);
    assert_status(&v, 409, "Conflict");
    // Create, duplicate create, delete, get after delete.
    let coll = format!("{KS}/namespaces/sock-shop/kustomizations");
    let (s, _) = c.post(&coll, &kustomization("sock-shop", "new-one")).await;
    assert_eq!(s, 201);
    let (s, v) = c.post(&coll, &kustomization("sock-shop", "new-one")).await;
    assert_eq!(s, 409);
    assert_status(&v, 409, "AlreadyExists");
    let (s, _) = c
        .send(
            reqwest::Method::DELETE,
            &format!("{coll}/new-one"),
            None,
            None,
            None,
        )
        .await;
    assert_eq!(s, 200);
    let (s, v) = c.get(&format!("{coll}/new-one")).await;
    assert_eq!(s, 404);
    assert_status(&v, 404, "NotFound");
    // A namespace that does not exist.
    let (s, v) = c
        .post(
            &format!("{KS}/namespaces/nope/kustomizations"),
            &kustomization("nope", "x"),
        )
        .await;
    assert_eq!(s, 404, "{v}");
}

#[tokio::test]
async fn strategic_merge_patch_on_pods_and_415_on_custom_resources() {
    let sb = start().await;
    let c = Client::new(&sb);
    let pod = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "namespace": "sock-shop", "labels": {"app": "x"}},
        "spec": {"containers": [{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}]}});
    let (s, _) = c.post("/api/v1/namespaces/sock-shop/pods", &pod).await;
    assert_eq!(s, 201);
    let (s, v) = c
        .patch(
            "/api/v1/namespaces/sock-shop/pods/p",
            "application/strategic-merge-patch+json",
            r#"{"metadata":{"labels":{"tier":"web"}},"spec":{"containers":[{"name":"b","image":"b:2"}]}}"#,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["metadata"]["labels"], json!({"app": "x", "tier": "web"}));
    assert_eq!(v["spec"]["containers"][0]["image"], "a:1");
    assert_eq!(v["spec"]["containers"][1]["image"], "b:2");
    let (s, v) = c
        .patch(
            &format!("{KS}/namespaces/sock-shop/kustomizations/ks-a"),
            "application/strategic-merge-patch+json",
            r#"{"spec":{"suspend":true}}"#,
        )
        .await;
    assert_eq!(s, 415);
    assert_status(&v, 415, "UnsupportedMediaType");
    let (s, v) = c.get("/api/v1/namespaces/sock-shop/pods/p/log").await;
    assert_eq!(s, 400, "two containers need ?container=: {v}");
    let (s, v) = c
        .get("/api/v1/namespaces/sock-shop/pods/p/log?container=b")
        .await;
    assert_eq!(s, 200);
    assert!(
        v.as_str().unwrap().contains(" b: "),
        "the log of container b: {v}"
    );
}

#[tokio::test]
async fn bad_input_gets_the_right_status() {
    let sb = start().await;
    let c = Client::new(&sb);
    let path = format!("{KS}/namespaces/sock-shop/kustomizations/ks-a");
    type Case<'a> = (
        reqwest::Method,
        String,
        Option<&'a str>,
        Vec<u8>,
        u16,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            reqwest::Method::GET,
            "/apis/nope.example.com/v1/things".into(),
            None,
            vec![],
            404,
            "NotFound",
        ),
        (
            reqwest::Method::GET,
            "/api/v1/namespaces/sock-shop/widgets".into(),
            None,
            vec![],
            404,
            "NotFound",
        ),
        (
            reqwest::Method::GET,
            "/nonsense".into(),
            None,
            vec![],
            404,
            "NotFound",
        ),
        (
            reqwest::Method::POST,
            format!("{KS}/namespaces/sock-shop/kustomizations"),
            Some("application/json"),
            b"{not json".to_vec(),
            400,
            "BadRequest",
        ),
        (
            reqwest::Method::PATCH,
            path.clone(),
            Some("application/merge-patch+json"),
            b"[1,2".to_vec(),
            400,
            "BadRequest",
        ),
        (
            reqwest::Method::PATCH,
            path.clone(),
            Some("application/json-patch+json"),
            br#"[{"op":"remove","path":"/spec/nope"}]"#.to_vec(),
            422,
            "Invalid",
        ),
        (
            reqwest::Method::PATCH,
            path.clone(),
            Some("text/plain"),
            b"{}".to_vec(),
            415,
            "UnsupportedMediaType",
        ),
        (
            reqwest::Method::POST,
            format!("{KS}/namespaces/sock-shop/kustomizations"),
            Some("application/json"),
            vec![b' '; 4 * 1024 * 1024],
            413,
            "RequestEntityTooLarge",
        ),
        (
            reqwest::Method::GET,
            format!("{KS}/kustomizations?labelSelector=a%20in%20b"),
            None,
            vec![],
            400,
            "BadRequest",
        ),
        (
            reqwest::Method::GET,
            format!("{KS}/kustomizations?continue=garbage"),
            None,
            vec![],
            400,
            "BadRequest",
        ),
        (
            reqwest::Method::POST,
            format!("{KS}/namespaces/sock-shop/kustomizations"),
            Some("application/json"),
            br#"{"metadata":{"name":"Bad_Name"}}"#.to_vec(),
            422,
            "Invalid",
        ),
    ];
    for (m, p, ct, body, code, reason) in cases {
        let (s, v) = c.send(m.clone(), &p, ct, Some(body), None).await;
        assert_eq!(s, code, "{m} {p}: {v}");
        assert_status(&v, code, reason);
    }
}

#[tokio::test]
async fn faults_deny_503_latency_and_the_request_log() {
    let sb = start().await;
    let c = Client::new(&sb);
    let path = format!("{KS}/namespaces/sock-shop/kustomizations/ks-a");
    let (s, _) = c
        .post(
            "/sandbox/faults",
            &json!({"deny": [{"verb": "patch", "resource": "kustomizations", "group": "kustomize.toolkit.fluxcd.io"}]}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, v) = c
        .patch(
            &path,
            "application/merge-patch+json",
            r#"{"spec":{"suspend":true}}"#,
        )
        .await;
    assert_eq!(s, 403);
    assert_status(&v, 403, "Forbidden");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("cannot patch resource \"kustomizations\"")
    );
    let review = json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {"namespace": "sock-shop", "verb": "patch",
                 "group": "kustomize.toolkit.fluxcd.io", "resource": "kustomizations"}}});
    let (s, v) = c
        .post(
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            &review,
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(v["status"]["allowed"], false);
    let mut get_review = review.clone();
    get_review["spec"]["resourceAttributes"]["verb"] = json!("get");
    let (_, v) = c
        .post(
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            &get_review,
        )
        .await;
    assert_eq!(v["status"]["allowed"], true);
    c.post("/sandbox/faults", &json!({"reset": true})).await;
    let (s, _) = c
        .patch(
            &path,
            "application/merge-patch+json",
            r#"{"spec":{"suspend":true}}"#,
        )
        .await;
    assert_eq!(s, 200);
    // 503 for a while, then back.
    c.post("/sandbox/faults", &json!({"unavailableSeconds": 0.3}))
        .await;
    let (s, v) = c.get(&path).await;
    assert_eq!(s, 503);
    assert_status(&v, 503, "ServiceUnavailable");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(c.get(&path).await.0, 200);
    // Latency.
    c.post("/sandbox/faults", &json!({"latencyMs": 150})).await;
    let t = std::time::Instant::now();
    c.get(&path).await;
    assert!(t.elapsed() >= Duration::from_millis(150));
    c.post("/sandbox/faults", &json!({"reset": true})).await;
    // The log shows method, path and status of every request.
    let (_, log) = c.get("/sandbox/requests").await;
    let reqs = log["requests"].as_array().unwrap();
    assert!(
        reqs.iter()
            .any(|r| r["method"] == "PATCH" && r["status"] == 403)
    );
    assert!(
        reqs.iter()
            .any(|r| r["method"] == "GET" && r["status"] == 503)
    );
    let (s, v) = c.post("/sandbox/faults", &json!({"bogus": 1})).await;
    assert_eq!(s, 400);
    assert_status(&v, 400, "BadRequest");
}

#[tokio::test]
async fn survives_hundreds_of_random_and_malformed_requests() {
    let sb = start().await;
    let c = Client::new(&sb);
    let methods = [
        reqwest::Method::GET,
        reqwest::Method::POST,
        reqwest::Method::PUT,
        reqwest::Method::PATCH,
        reqwest::Method::DELETE,
    ];
    let paths = [
        "/api",
        "/api/v1",
        "/apis",
        "/apis/",
        "/apis//v1",
        "/api/v1/namespaces",
        "/api/v1/namespaces/sock-shop",
        "/api/v1/namespaces/sock-shop/pods",
        "/api/v1/namespaces/sock-shop/pods/x/log",
        "/api/v1/namespaces/sock-shop/pods/x/exec",
        "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/sock-shop/kustomizations/ks-b",
        "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/sock-shop/kustomizations/ks-b/status",
        "/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations?watch=true&resourceVersion=abc",
        "/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations?limit=-1",
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        "/sandbox/faults",
        "/sandbox/nope",
        "/%ff%fe",
        "/api/v1/namespaces/%00/pods",
    ];
    let content_types = [
        "application/json",
        "application/merge-patch+json",
        "application/json-patch+json",
        "application/strategic-merge-patch+json",
        "application/apply-patch+yaml",
        "text/plain",
        "",
    ];
    let bodies: [&[u8]; 8] = [
        b"",
        b"{",
        b"null",
        b"[]",
        b"{\"metadata\":{\"name\":5}}",
        b"\xff\xfe\x00",
        br#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"q"}}"#,
        br#"[{"op":"add","path":"/metadata/labels/x","value":"y"}]"#,
    ];
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed as usize
    };
    for _ in 0..400 {
        let m = methods[next() % methods.len()].clone();
        let p = paths[next() % paths.len()];
        let ct = content_types[next() % content_types.len()];
        let b = bodies[next() % bodies.len()];
        let mut req = c
            .http
            .request(m, format!("{}{}", c.url, p))
            .bearer_auth(&c.token)
            .timeout(Duration::from_secs(5))
            .body(b.to_vec());
        if !ct.is_empty() {
            req = req.header("content-type", ct);
        }
        if let Ok(resp) = req.send().await {
            let status = resp.status().as_u16();
            // Watches stream; everything else answers with a status body when it fails.
            if status >= 400 {
                let v: Value = resp.json().await.expect("a Status body on every error");
                assert_eq!(v["kind"], "Status");
                assert_eq!(v["code"], status);
            }
        }
    }
    // Still answering correctly (the random DELETEs may have removed the namespace).
    let (s, v) = c
        .get(&format!(
            "{KS}/namespaces/flux-system/kustomizations/flux-system"
        ))
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["metadata"]["name"], "flux-system");
    let (s, _) = c.get("/version").await;
    assert_eq!(s, 200);
}

async fn wait_for(c: &Client, path: &str, what: &str, cond: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..100 {
        let (_, v) = c.get(path).await;
        if cond(&v) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what} on {path}");
}

#[tokio::test]
async fn controllers_answer_reconcile_requests_and_resume_like_flux() {
    let mut objects = vec![namespace("sock-shop")];
    objects.push(kustomization("sock-shop", "app"));
    objects.push(json!({
        "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
        "metadata": {"name": "repo", "namespace": "sock-shop"},
        "spec": {"interval": "1m", "url": "https://example.com/repo.git", "ref": {"branch": "main"}},
        "status": {"artifact": {"revision": "main@sha1:1111111111111111111111111111111111111111",
            "digest": "sha256:00", "path": "p", "url": "u", "lastUpdateTime": "2026-01-01T00:00:00Z"}}
    }));
    let sb = Spec::objects(objects)
        .reconcile_time(Duration::from_millis(50))
        .start()
        .await;
    let c = Client::new(&sb);
    let path = format!("{KS}/namespaces/sock-shop/kustomizations/app");
    let token = "2026-11-28T10:00:00.123456789+01:00";
    c.patch(
        &path,
        "application/merge-patch+json",
        &format!(
            r#"{{"metadata":{{"annotations":{{"reconcile.fluxcd.io/requestedAt":"{token}"}}}}}}"#
        ),
    )
    .await;
    let v = wait_for(&c, &path, "lastHandledReconcileAt", |v| {
        v["status"]["lastHandledReconcileAt"] == token
    })
    .await;
    let ready = v["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Ready")
        .unwrap();
    assert_eq!(ready["status"], "True");
    assert_eq!(ready["reason"], "ReconciliationSucceeded");
    assert_eq!(
        ready["message"],
        "Applied revision: main@sha1:1111111111111111111111111111111111111111"
    );
    assert_eq!(
        v["status"]["lastAppliedRevision"],
        "main@sha1:1111111111111111111111111111111111111111"
    );
    // Suspend: a request is only marked handled; resume reconciles the new generation.
    c.patch(
        &path,
        "application/merge-patch+json",
        r#"{"spec":{"suspend":true}}"#,
    )
    .await;
    c.patch(
        &path,
        "application/merge-patch+json",
        r#"{"metadata":{"annotations":{"reconcile.fluxcd.io/requestedAt":"second"}}}"#,
    )
    .await;
    let v = wait_for(&c, &path, "handled while suspended", |v| {
        v["status"]["lastHandledReconcileAt"] == "second"
    })
    .await;
    assert_eq!(
        v["status"]["observedGeneration"],
        v["metadata"]["generation"]
    );
    let (_, v) = c
        .patch(
            &path,
            "application/merge-patch+json",
            r#"{"spec":{"suspend":null}}"#,
        )
        .await;
    let generation = v["metadata"]["generation"].clone();
    wait_for(&c, &path, "observedGeneration after resume", |v| {
        v["status"]["observedGeneration"] == generation
            && v["status"]["conditions"][0]["status"] == "True"
    })
    .await;
    // A Kustomization whose source is missing fails like Flux's.
    c.patch(
        &path,
        "application/merge-patch+json",
        r#"{"spec":{"sourceRef":{"name":"gone"}}}"#,
    )
    .await;
    let v = wait_for(&c, &path, "ArtifactFailed", |v| {
        v["status"]["conditions"][0]["reason"] == "ArtifactFailed"
    })
    .await;
    assert_eq!(v["status"]["conditions"][0]["status"], "False");
    assert!(
        v["status"]["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["type"] == "Reconciling" && c["reason"] == "ProgressingWithRetry")
    );
}
