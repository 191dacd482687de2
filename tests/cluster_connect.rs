//! Connecting through a kubeconfig like kubectl, and discovering Flux's served versions,
//! against sandboxes playing Flux 2.7+ and Flux 2.6.

use fluxdeck::sandbox::crds::FluxVersion;
use fluxdeck::sandbox::{Sandbox, SandboxConfig};
use fluxdeck::workers::cluster::connect::{ConnectOptions, connect};
use fluxdeck::workers::cluster::discovery::discover;

async fn sandbox(flux: FluxVersion) -> (Sandbox, tempfile::TempDir) {
    let sb = Sandbox::start(SandboxConfig {
        flux,
        controllers: None,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    sb.write_kubeconfig(&dir.path().join("kubeconfig")).unwrap();
    (sb, dir)
}

#[tokio::test]
async fn connects_with_the_written_kubeconfig_and_discovers_flux_versions() {
    for (flux, image_version) in [(FluxVersion::Current, "v1"), (FluxVersion::V2_6, "v1beta2")] {
        let (sb, dir) = sandbox(flux).await;
        let conn = connect(&ConnectOptions {
            kubeconfig: Some(dir.path().join("kubeconfig")),
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
    let (_sb, dir) = sandbox(FluxVersion::Current).await;
    let err = connect(&ConnectOptions {
        kubeconfig: Some(dir.path().join("kubeconfig")),
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
        kubeconfig: Some(dir.path().join("nope")),
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
