//! What the API server fills in on a write, before the object is validated and stored:
//! Deployments get the defaults `kubectl get deploy -o yaml` shows (strategy,
//! `revisionHistoryLimit`, `progressDeadlineSeconds`, the pod template's spec defaults), the
//! same ones the scenario's Deployments carry, so one applied through the API looks like one
//! the scenario seeded.

use serde_json::Value;

use super::resources::ResourceType;
use crate::sandbox::scenario::workloads::default_deployment_spec;

/// Applies the defaults of `ty` to `obj` (a no-op for kinds without defaults here).
pub fn apply(ty: &ResourceType, obj: &mut Value) {
    if ty.group == "apps"
        && ty.kind == "Deployment"
        && let Some(spec) = obj.get_mut("spec").filter(|s| s.is_object())
    {
        default_deployment_spec(spec);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::apiserver::resources::ResourceTable;
    use serde_json::json;

    #[test]
    fn deployments_get_the_api_servers_defaults_and_keep_what_is_set() {
        let reg = ResourceTable::new(&[]).unwrap();
        let id = reg.by_kind("apps/v1", "Deployment").unwrap();
        let ty = reg.get(id).unwrap();
        let mut d = json!({"spec": {
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
            "template": {"spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}
        }});
        apply(ty, &mut d);
        assert_eq!(d["spec"]["replicas"], 1);
        assert_eq!(d["spec"]["revisionHistoryLimit"], 10);
        assert_eq!(d["spec"]["progressDeadlineSeconds"], 600);
        assert_eq!(
            d["spec"]["strategy"]["rollingUpdate"],
            json!({"maxSurge": 1, "maxUnavailable": "25%"})
        );
        let c = &d["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["imagePullPolicy"], "IfNotPresent");
        assert_eq!(d["spec"]["template"]["spec"]["restartPolicy"], "Always");
        let again = d.clone();
        apply(ty, &mut d);
        assert_eq!(d, again, "defaulting twice changes nothing");

        let mut recreate = json!({"spec": {"strategy": {"type": "Recreate"}, "template": {}}});
        apply(ty, &mut recreate);
        assert_eq!(recreate["spec"]["strategy"], json!({"type": "Recreate"}));

        let pods = reg.get(reg.by_kind("v1", "Pod").unwrap()).unwrap();
        let mut pod = json!({"spec": {"containers": [{"name": "c", "image": "x"}]}});
        apply(pods, &mut pod);
        assert!(pod["spec"].get("restartPolicy").is_none());
    }
}
