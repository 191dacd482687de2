//! Building blocks every scenario shares: object metadata in the API server's field order,
//! status conditions, core Events, and the plain core objects (Namespaces, ServiceAccounts,
//! Secrets, ConfigMaps).

use base64::Engine as _;
use rand::Rng;
use serde_json::{Map, Value, json};

use super::ids::{self, Ids};

/// `metadata` of an object being built; `uid` is drawn from the object's own generator.
#[derive(Debug, Default, Clone)]
pub(super) struct Meta {
    pub name: String,
    pub namespace: Option<String>,
    pub uid: String,
    pub created: i64,
    pub generation: Option<i64>,
    pub labels: Map<String, Value>,
    pub annotations: Map<String, Value>,
    pub owners: Vec<Value>,
    pub finalizers: Vec<&'static str>,
}

impl Meta {
    /// Metadata for the `kind` object `namespace/name` created at `created`, with a uid
    /// seeded by all three (a Deployment and its Service share a name, not a uid).
    pub(super) fn new(
        ids: &Ids,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
        created: i64,
    ) -> Self {
        let key = format!("{kind}/{}/{name}", namespace.unwrap_or(""));
        Self::with_uid(ids::uid(&mut ids.rng(&key)), namespace, name, created)
    }

    /// Metadata with a uid the caller drew (bulk scenarios reuse one generator).
    pub(super) fn with_uid(uid: String, namespace: Option<&str>, name: &str, created: i64) -> Self {
        Self {
            name: name.to_string(),
            namespace: namespace.map(str::to_string),
            uid,
            created,
            ..Self::default()
        }
    }

    /// Adds a label.
    pub(super) fn label(mut self, key: &str, value: impl Into<String>) -> Self {
        self.labels
            .insert(key.to_string(), Value::String(value.into()));
        self
    }

    /// Adds the labels kustomize-controller puts on everything a Kustomization applies.
    pub(super) fn applied_by(self, kustomization: &str, namespace: &str) -> Self {
        self.label("kustomize.toolkit.fluxcd.io/name", kustomization)
            .label("kustomize.toolkit.fluxcd.io/namespace", namespace)
    }

    /// Serialises in the order the API server writes metadata fields.
    pub(super) fn into_value(self) -> Value {
        let mut m = Map::new();
        m.insert("name".into(), Value::String(self.name));
        if let Some(ns) = self.namespace {
            m.insert("namespace".into(), Value::String(ns));
        }
        m.insert("uid".into(), Value::String(self.uid));
        if let Some(generation) = self.generation {
            m.insert("generation".into(), json!(generation));
        }
        m.insert(
            "creationTimestamp".into(),
            Value::String(ids::rfc3339(self.created)),
        );
        if !self.labels.is_empty() {
            m.insert("labels".into(), Value::Object(self.labels));
        }
        if !self.annotations.is_empty() {
            m.insert("annotations".into(), Value::Object(self.annotations));
        }
        if !self.owners.is_empty() {
            m.insert("ownerReferences".into(), Value::Array(self.owners));
        }
        if !self.finalizers.is_empty() {
            m.insert("finalizers".into(), json!(self.finalizers));
        }
        Value::Object(m)
    }
}

/// A whole object: `apiVersion`, `kind`, `metadata`, then the other top-level fields given.
pub(super) fn object(api_version: &str, kind: &str, meta: Meta, rest: Vec<(&str, Value)>) -> Value {
    let mut m = Map::new();
    m.insert("apiVersion".into(), Value::String(api_version.to_string()));
    m.insert("kind".into(), Value::String(kind.to_string()));
    m.insert("metadata".into(), meta.into_value());
    for (key, value) in rest {
        m.insert(key.to_string(), value);
    }
    Value::Object(m)
}

/// An owner reference to its controller (ReplicaSet → pod, Deployment → ReplicaSet).
pub(super) fn controller_ref(api_version: &str, kind: &str, owner: &Meta) -> Value {
    json!({
        "apiVersion": api_version,
        "kind": kind,
        "name": owner.name,
        "uid": owner.uid,
        "controller": true,
        "blockOwnerDeletion": true,
    })
}

/// Sets the field at `path` of `v`, creating objects on the way. Manifests are data: where
/// the way holds something other than an object, `v` is left unchanged instead of panicking.
pub(crate) fn set(v: &mut Value, path: &[&str], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        *v = value;
        return;
    };
    let mut at = v;
    for key in parents {
        if at.is_null() {
            *at = Value::Object(Map::new());
        }
        let Some(next) = at
            .as_object_mut()
            .map(|m| m.entry(*key).or_insert(Value::Null))
        else {
            return;
        };
        at = next;
    }
    if at.is_null() {
        *at = Value::Object(Map::new());
    }
    if let Some(m) = at.as_object_mut() {
        m.insert((*last).to_string(), value);
    }
}

/// A `metav1.Condition` (Flux objects), fields in Go's order.
pub(super) fn condition(
    kind: &str,
    status: &str,
    reason: &str,
    message: &str,
    since: i64,
    observed_generation: i64,
) -> Value {
    json!({
        "type": kind,
        "status": status,
        "observedGeneration": observed_generation,
        "lastTransitionTime": ids::rfc3339(since),
        "reason": reason,
        "message": message,
    })
}

/// One core v1 Event about an object.
#[derive(Debug, Clone)]
pub(crate) struct Event<'a> {
    /// Why (`Scheduled`, `Pulled`, `BackOff`).
    pub reason: &'a str,
    /// What happened, in the component's words.
    pub message: String,
    /// A Warning rather than a Normal event.
    pub warning: bool,
    /// How many times it happened.
    pub count: u32,
    /// When it first and last happened (seconds since the epoch).
    pub first: i64,
    /// See `first`.
    pub last: i64,
    /// Reporting component (`kubelet`, `kustomize-controller`).
    pub component: &'a str,
    /// Node for kubelet events.
    pub host: Option<&'a str>,
    /// `spec.containers{name}` for container events.
    pub field_path: Option<String>,
    /// Flux puts the revision on its events (`kustomize.toolkit.fluxcd.io/revision`).
    pub annotations: Map<String, Value>,
}

impl<'a> Event<'a> {
    /// A Normal event seen once at `at`.
    pub(crate) fn normal(
        reason: &'a str,
        message: impl Into<String>,
        at: i64,
        component: &'a str,
    ) -> Self {
        Self {
            reason,
            message: message.into(),
            warning: false,
            count: 1,
            first: at,
            last: at,
            component,
            host: None,
            field_path: None,
            annotations: Map::new(),
        }
    }
}

/// The Event object for `e` about `about`, named as the event recorder names them
/// (`<object>.<hex of the first timestamp in nanoseconds>`).
pub(super) fn event(ids: &Ids, about: &Value, e: Event<'_>) -> Value {
    let uid = about["metadata"]["uid"].as_str().unwrap_or_default();
    let path = e.field_path.as_deref().unwrap_or_default();
    let mut rng = ids.rng(&format!("event/{uid}/{path}/{}/{}", e.reason, e.first));
    let nanos = e
        .first
        .saturating_mul(1_000_000_000)
        .saturating_add(rng.random_range(0..1_000_000_000));
    event_object(about, e, nanos, ids::uid(&mut rng))
}

/// The Event object for `e` about `about`, named `<object>.<nanos in hex>` (the event
/// recorder's names), with the uid `event_uid`: what [`event`] builds from the scenario's
/// seed, and the sandbox's live controllers from the clock.
pub(crate) fn event_object(about: &Value, e: Event<'_>, nanos: i64, event_uid: String) -> Value {
    let name = about["metadata"]["name"].as_str().unwrap_or_default();
    let namespace = about["metadata"]["namespace"].as_str().unwrap_or("default");
    let uid = about["metadata"]["uid"].as_str().unwrap_or_default();
    let mut meta = Meta::with_uid(
        event_uid,
        Some(namespace),
        &format!("{name}.{nanos:x}"),
        e.first,
    );
    meta.annotations = e.annotations;
    let mut involved = json!({
        "kind": about["kind"],
        "namespace": namespace,
        "name": name,
        "uid": uid,
        "apiVersion": about["apiVersion"],
    });
    if let Some(path) = e.field_path {
        set(&mut involved, &["fieldPath"], Value::String(path));
    }
    let mut source = json!({"component": e.component});
    if let Some(host) = e.host {
        set(&mut source, &["host"], json!(host));
    }
    object(
        "v1",
        "Event",
        meta,
        vec![
            ("involvedObject", involved),
            ("reason", json!(e.reason)),
            ("message", json!(e.message)),
            ("source", source),
            ("firstTimestamp", json!(ids::rfc3339(e.first))),
            ("lastTimestamp", json!(ids::rfc3339(e.last))),
            ("count", json!(e.count)),
            ("type", json!(if e.warning { "Warning" } else { "Normal" })),
            ("eventTime", Value::Null),
            ("reportingComponent", json!(e.component)),
            ("reportingInstance", json!(e.host.unwrap_or_default())),
        ],
    )
}

/// A Namespace, Active, with the name label the API server adds.
pub(super) fn namespace(ids: &Ids, name: &str, created: i64, labels: &[(&str, &str)]) -> Value {
    let mut meta =
        Meta::new(ids, "Namespace", None, name, created).label("kubernetes.io/metadata.name", name);
    for (k, v) in labels {
        meta = meta.label(k, *v);
    }
    object(
        "v1",
        "Namespace",
        meta,
        vec![
            ("spec", json!({"finalizers": ["kubernetes"]})),
            ("status", json!({"phase": "Active"})),
        ],
    )
}

/// A ServiceAccount.
pub(super) fn service_account(ids: &Ids, meta_ns: &str, name: &str, created: i64) -> Value {
    object(
        "v1",
        "ServiceAccount",
        Meta::new(ids, "ServiceAccount", Some(meta_ns), name, created),
        vec![],
    )
}

/// An Opaque Secret whose values are base64-encoded as the API stores them. Scenario secrets
/// hold only obviously fake placeholder values.
pub(super) fn secret(meta: Meta, data: &[(&str, &str)]) -> Value {
    let engine = base64::engine::general_purpose::STANDARD;
    let data: Map<String, Value> = data
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(engine.encode(v))))
        .collect();
    object(
        "v1",
        "Secret",
        meta,
        vec![("type", json!("Opaque")), ("data", Value::Object(data))],
    )
}

/// The `kube-root-ca.crt` ConfigMap every namespace gets (with a placeholder, not a real CA).
pub(super) fn root_ca_config_map(ids: &Ids, namespace: &str, created: i64) -> Value {
    let mut meta = Meta::new(
        ids,
        "ConfigMap",
        Some(namespace),
        "kube-root-ca.crt",
        created,
    );
    meta.annotations.insert(
        "kubernetes.io/description".into(),
        json!(
            "Contains a CA bundle that can be used to verify the kube-apiserver when using \
             internal endpoints such as the internal service IP or kubernetes.default.svc. No \
             other usage is guaranteed across distributions of Kubernetes clusters."
        ),
    );
    let pem = "-----BEGIN CERTIFICATE-----\nZmx1eGRlY2stc2FuZGJveC1wbGFjZWhvbGRlci1ub3QtYS1jZXJ0aWZpY2F0ZQ==\n-----END CERTIFICATE-----\n";
    object(
        "v1",
        "ConfigMap",
        meta,
        vec![("data", json!({"ca.crt": pem}))],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_keeps_the_api_server_field_order_and_skips_empty_parts() {
        let ids = Ids::new(1);
        let mut meta = Meta::new(&ids, "Pod", Some("ns"), "x", 0).label("a", "b");
        meta.generation = Some(2);
        let v = meta.into_value();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "name",
                "namespace",
                "uid",
                "generation",
                "creationTimestamp",
                "labels"
            ]
        );
    }

    #[test]
    fn events_point_at_their_object_and_carry_its_uid() {
        let ids = Ids::new(1);
        let pod = object(
            "v1",
            "Pod",
            Meta::new(&ids, "Pod", Some("ns"), "p", 10),
            vec![],
        );
        let mut e = Event::normal("Started", "Started container c", 100, "kubelet");
        e.host = Some("node-1");
        let ev = event(&ids, &pod, e);
        assert_eq!(ev["involvedObject"]["uid"], pod["metadata"]["uid"]);
        assert_eq!(ev["involvedObject"]["kind"], "Pod");
        assert_eq!(ev["metadata"]["namespace"], "ns");
        assert!(ev["metadata"]["name"].as_str().unwrap().starts_with("p."));
        assert_eq!(
            ev["source"],
            json!({"component": "kubelet", "host": "node-1"})
        );
        assert_eq!(ev["firstTimestamp"], "1970-01-01T00:01:40Z");
    }

    #[test]
    fn set_creates_objects_on_the_way_and_never_panics() {
        let mut v = json!({"a": {"b": 1}, "s": "text"});
        set(&mut v, &["a", "c", "d"], json!(2));
        set(&mut v, &["s", "x"], json!(3));
        set(&mut v, &["n"], json!(null));
        assert_eq!(
            v,
            json!({"a": {"b": 1, "c": {"d": 2}}, "s": "text", "n": null})
        );
    }

    #[test]
    fn secrets_are_base64_encoded() {
        let ids = Ids::new(1);
        let s = secret(
            Meta::new(&ids, "Secret", Some("ns"), "s", 0),
            &[("username", "fake")],
        );
        assert_eq!(s["data"]["username"], "ZmFrZQ==");
    }
}
