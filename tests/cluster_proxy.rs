//! `HTTPS_PROXY`/`NO_PROXY` for the API server, as kubectl honours them, and a proxy for ECR
//! calls: a tiny proxy on loopback (CONNECT tunnels and plain absolute-form requests) counts
//! the connections fluxdeck's clients open to the sandbox and its registry through it.

mod registry_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use fluxdeck::sandbox::{Sandbox, SandboxConfig};
use fluxdeck::workers::cluster::connect::{ConnectOptions, connect_with_env};
use fluxdeck::workers::cluster::discovery::discover;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A CONNECT-only HTTP proxy on 127.0.0.1; counts the tunnels it opened. Stopped on drop.
struct Proxy {
    port: u16,
    tunnels: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    async fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let tunnels = Arc::new(AtomicUsize::new(0));
        let count = tunnels.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let count = count.clone();
                tokio::spawn(async move {
                    let _ = tunnel(client, &count).await;
                });
            }
        });
        Proxy {
            port,
            tunnels,
            task,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn tunnels(&self) -> usize {
        self.tunnels.load(Ordering::SeqCst)
    }
}

async fn tunnel(mut client: TcpStream, count: &AtomicUsize) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte).await? == 0 || head.len() > 8192 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut words = text.split_whitespace();
    let (method, uri) = (
        words.next().unwrap_or_default(),
        words.next().unwrap_or_default(),
    );
    if method != "CONNECT" {
        // A plain request in absolute form (`GET http://host:port/path`): forward it as is.
        let Some(authority) = uri
            .strip_prefix("http://")
            .and_then(|rest| rest.split('/').next())
        else {
            client
                .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                .await?;
            return Ok(());
        };
        assert!(
            authority.starts_with("127.0.0.1:"),
            "request to {authority}"
        );
        let mut upstream = TcpStream::connect(authority).await?;
        count.fetch_add(1, Ordering::SeqCst);
        upstream.write_all(&head).await?;
        tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
        return Ok(());
    }
    let target = uri;
    // Loopback only: this proxy never reaches out.
    assert!(target.starts_with("127.0.0.1:"), "tunnel to {target}");
    let mut upstream = TcpStream::connect(target).await?;
    count.fetch_add(1, Ordering::SeqCst);
    client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_server_is_reached_through_https_proxy_unless_no_proxy_names_it() {
    let sb = Sandbox::start(SandboxConfig {
        controllers: None,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    sb.write_kubeconfig(&kc).unwrap();
    let options = ConnectOptions {
        kubeconfig: Some(kc),
        context: None,
    };
    let proxy = Proxy::start().await;
    let proxy_url = proxy.url();

    let conn = connect_with_env(&options, |name| {
        (name == "HTTPS_PROXY").then(|| proxy_url.clone())
    })
    .await
    .unwrap();
    discover(&conn.client).await.unwrap();
    let through = proxy.tunnels();
    assert!(through >= 1, "the client went through the proxy");

    let conn = connect_with_env(&options, |name| match name {
        "https_proxy" => Some(proxy_url.clone()),
        "no_proxy" => Some("localhost,127.0.0.1".into()),
        _ => None,
    })
    .await
    .unwrap();
    discover(&conn.client).await.unwrap();
    assert_eq!(proxy.tunnels(), through, "NO_PROXY bypasses the proxy");

    drop(proxy);
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecr_calls_go_through_the_proxy() {
    use fluxdeck::sandbox::registry::RegistryStore;
    use fluxdeck::workers::registry::build_client;

    let store = std::sync::Arc::new(RegistryStore::new("123456789012", "us-west-2"));
    let server = store
        .start(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let repo = registry_support::repo("123456789012.dkr.ecr.us-west-2.amazonaws.com/team/app");
    let proxy = Proxy::start().await;
    let mut config = registry_support::config(&server.url);
    config.proxy = Some(proxy.url());
    let ecr = build_client(&config, &repo).await.unwrap();
    ecr.create_repository()
        .repository_name("team/app")
        .send()
        .await
        .unwrap();
    assert!(proxy.tunnels() >= 1, "the ECR call went through the proxy");

    let direct = build_client(&registry_support::config(&server.url), &repo)
        .await
        .unwrap();
    let before = proxy.tunnels();
    direct.describe_repositories().send().await.unwrap();
    assert_eq!(proxy.tunnels(), before, "no proxy when none is set");
}
