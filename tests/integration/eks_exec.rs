//! EKS sign-in as `aws eks update-kubeconfig` sets it up: the kubeconfig user runs the exec
//! plugin `aws eks get-token`, and fluxdeck sends the token it prints. The AWS CLI is not
//! installed here, so a script in its place prints the ExecCredential `aws eks get-token`
//! prints, with the sandbox's bearer token (the sandbox refuses any other token, which the
//! second half of the test shows).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::support::sandbox::Spec;
use fluxdeck::sandbox::Sandbox;
use fluxdeck::workers::cluster::connect::{ConnectOptions, connect};
use fluxdeck::workers::cluster::discovery::discover;

/// A stand-in for `aws` that checks it was called as `aws eks get-token`, records the call
/// and prints an ExecCredential with `token`.
fn fake_aws(dir: &Path, token: &str) -> std::path::PathBuf {
    let script = dir.join("aws");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n\
             [ \"$1 $2\" = \"eks get-token\" ] || {{ echo \"unexpected: $*\" >&2; exit 2; }}\n\
             echo \"$* profile=$AWS_PROFILE\" >> '{log}'\n\
             printf '%s' '{{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"spec\":{{}},\"status\":{{\"expirationTimestamp\":\"2099-01-01T00:00:00Z\",\"token\":\"{token}\"}}}}'\n",
            log = dir.join("calls").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

/// The sandbox's kubeconfig with its static token replaced by the exec plugin.
fn exec_kubeconfig(sb: &Sandbox, aws: &Path, path: &Path) {
    let original = sb.kubeconfig();
    let token_line = original
        .lines()
        .find(|l| l.trim_start().starts_with("token: "))
        .expect("the sandbox kubeconfig has a token");
    let exec = format!(
        "    exec:\n\
         \x20     apiVersion: client.authentication.k8s.io/v1beta1\n\
         \x20     command: {}\n\
         \x20     args: [\"eks\", \"get-token\", \"--cluster-name\", \"sock-shop\", \"--output\", \"json\"]\n\
         \x20     env:\n\
         \x20     - name: AWS_PROFILE\n\
         \x20       value: release-reader\n\
         \x20     interactiveMode: Never",
        aws.display()
    );
    std::fs::write(path, original.replace(token_line, &exec)).unwrap();
}

#[tokio::test]
async fn the_kubeconfig_exec_plugin_aws_eks_get_token_signs_in() {
    let sb = Spec::empty().no_controllers().start().await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");

    let good = dir.path().join("good");
    std::fs::create_dir_all(&good).unwrap();
    exec_kubeconfig(&sb, &fake_aws(&good, &sb.token), &kubeconfig);
    let conn = connect(&ConnectOptions {
        kubeconfig: Some(kubeconfig.clone()),
        context: None,
    })
    .await
    .unwrap_or_else(|e| panic!("connect with the exec plugin: {e}"));
    let kinds = discover(&conn.client)
        .await
        .unwrap_or_else(|e| panic!("discovery with the exec plugin's token: {e}"));
    assert!(kinds.iter().any(|k| k.kind == "Kustomization"));
    let calls = std::fs::read_to_string(good.join("calls")).unwrap();
    assert!(
        calls.starts_with(
            "eks get-token --cluster-name sock-shop --output json profile=release-reader"
        ),
        "{calls}"
    );

    // The same plugin printing another token is refused: the token above was what counted.
    let bad = dir.path().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    exec_kubeconfig(&sb, &fake_aws(&bad, "not-the-token"), &kubeconfig);
    let refused = match connect(&ConnectOptions {
        kubeconfig: Some(kubeconfig),
        context: None,
    })
    .await
    {
        Ok(conn) => discover(&conn.client).await.err().map(|e| e.to_string()),
        Err(e) => Some(e.to_string()),
    };
    let refused = refused.expect("a wrong token is refused");
    assert!(
        refused.contains("401") || refused.to_lowercase().contains("unauthorized"),
        "{refused}"
    );
    sb.shutdown().await;
}
