//! Connecting through a kubeconfig like kubectl, and discovering Flux's served versions,
//! against sandboxes playing Flux 2.7+ and Flux 2.6, and as a pod through its service account.

use crate::support::sandbox::{Spec, TestSandbox};
use fluxdeck::sandbox::crds::FluxVersion;
use fluxdeck::workers::cluster::connect::{ConnectOptions, connect};
use fluxdeck::workers::cluster::discovery::discover;

async fn sandbox(flux: FluxVersion) -> TestSandbox {
    Spec::empty().flux(flux).no_controllers().start().await
}

#[tokio::test]
async fn connects_with_the_written_kubeconfig_and_discovers_flux_versions() {
    for (flux, image_version) in [(FluxVersion::Current, "v1"), (FluxVersion::V2_6, "v1beta2")] {
        let sb = sandbox(flux).await;
        let conn = connect(&ConnectOptions {
            kubeconfig: Some(sb.kubeconfig().to_path_buf()),
            context: None,
        })
        .await
        .unwrap();
        assert_eq!(conn.context, "fluxdeck-sandbox");
        assert_eq!(conn.default_namespace, "default");
        assert!(conn.server.starts_with(&sb.url));
        let kinds = discover(&conn.client).await.unwrap();
        let v = |k: &str| {
            kinds
                .iter()
                .find(|x| x.kind == k)
                .map(|x| x.version.clone())
        };
        assert_eq!(v("Kustomization").as_deref(), Some("v1"));
        assert_eq!(v("GitRepository").as_deref(), Some("v1"));
        assert_eq!(v("OCIRepository").as_deref(), Some("v1"));
        assert_eq!(v("ImagePolicy").as_deref(), Some(image_version));
        assert_eq!(v("ImageUpdateAutomation").as_deref(), Some(image_version));
    }
}

#[tokio::test]
async fn a_missing_context_or_file_is_a_clear_error() {
    let sb = sandbox(FluxVersion::Current).await;
    let err = connect(&ConnectOptions {
        kubeconfig: Some(sb.kubeconfig().to_path_buf()),
        context: Some("prod".into()),
    })
    .await
    .err()
    .unwrap()
    .to_string();
    assert!(
        err.contains("context 'prod' is not in the kubeconfig"),
        "{err}"
    );
    assert!(err.contains("fluxdeck-sandbox"), "{err}");
    let err = connect(&ConnectOptions {
        kubeconfig: Some(sb.dir().join("nope")),
        context: None,
    })
    .await
    .err()
    .unwrap()
    .to_string();
    assert!(
        err.contains("no kubeconfig: ") && err.contains("nope does not exist"),
        "{err}"
    );
}

/// Run as a pod: no kubeconfig, the service account's token, CA and namespace files (here a
/// directory laid out as the kubelet mounts it, for the sandbox's token and CA).
#[tokio::test]
async fn a_pod_connects_with_its_service_account() {
    use fluxdeck::workers::cluster::connect::{ServiceAccount, connect_in_cluster};
    let sb = sandbox(FluxVersion::Current).await;
    let mount = sb.dir().join("serviceaccount");
    std::fs::create_dir_all(&mount).unwrap();
    std::fs::write(mount.join("token"), &sb.token).unwrap();
    std::fs::write(mount.join("ca.crt"), &sb.ca_pem).unwrap();
    std::fs::write(mount.join("namespace"), "flux-system\n").unwrap();
    let port = sb.url.rsplit(':').next().unwrap().trim_end_matches('/');
    let account = ServiceAccount {
        host: "127.0.0.1".into(),
        port: port.into(),
        dir: mount.clone(),
        pod_namespace: None,
    };
    let conn = connect_in_cluster(&account, |_| None).await.unwrap();
    assert_eq!(conn.context, "in-cluster");
    assert_eq!(conn.default_namespace, "flux-system");
    assert!(conn.server.starts_with(&sb.url), "{}", conn.server);
    let kinds = discover(&conn.client).await.unwrap();
    assert!(kinds.iter().any(|k| k.kind == "Kustomization"));

    // POD_NAMESPACE wins over the file, as kubectl reads it.
    let conn = connect_in_cluster(
        &ServiceAccount {
            pod_namespace: Some("apps".into()),
            ..account.clone()
        },
        |_| None,
    )
    .await
    .unwrap();
    assert_eq!(conn.default_namespace, "apps");

    // A wrong token is refused by the API server, so the token file is what is sent.
    std::fs::write(mount.join("token"), "not-the-token").unwrap();
    let conn = connect_in_cluster(&account, |_| None).await.unwrap();
    assert!(discover(&conn.client).await.is_err());

    // No token mounted: one line naming the file and the fix.
    std::fs::remove_file(mount.join("token")).unwrap();
    let err = connect_in_cluster(&account, |_| None)
        .await
        .err()
        .expect("no token, no client")
        .to_string();
    assert!(
        err.contains(&mount.join("token").display().to_string()),
        "{err}"
    );
    assert!(err.contains("automountServiceAccountToken"), "{err}");
    sb.shutdown().await;
}
