//! `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` for the API server and for ECR calls, as kubectl
//! reads them. A tiny proxy on loopback (CONNECT tunnels and plain absolute-form requests)
//! counts what goes through it. Go's rules never proxy a loopback address, so the clients are
//! pointed at `*.proxied.test` names that only the proxy knows: it sends every one of them to
//! 127.0.0.1 at the same port, where the sandbox and its registry listen. That the client
//! never resolves those names itself proves the request went through the proxy.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::support::sandbox::Spec;
use fluxdeck::workers::cluster::connect::{ConnectOptions, connect_with_env};
use fluxdeck::workers::cluster::discovery::discover;
use fluxdeck::workers::proxy::ProxyEnv;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// An HTTP proxy on 127.0.0.1 that maps every host to 127.0.0.1 (same port); counts the
/// connections it opened. Stopped on drop.
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
        let mut upstream = TcpStream::connect(loopback(authority)).await?;
        count.fetch_add(1, Ordering::SeqCst);
        upstream.write_all(&head).await?;
        tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
        return Ok(());
    }
    let mut upstream = TcpStream::connect(loopback(uri)).await?;
    count.fetch_add(1, Ordering::SeqCst);
    client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

/// Where the proxy sends `host:port`: 127.0.0.1 at that port (loopback only: this proxy never
/// reaches out).
fn loopback(authority: &str) -> String {
    let port = authority.rsplit(':').next().unwrap_or_default();
    format!("127.0.0.1:{port}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_server_is_reached_through_https_proxy_but_never_on_loopback() {
    let sb = Spec::empty().no_controllers().start().await;
    let kc = sb.kubeconfig().to_path_buf();
    let direct = ConnectOptions {
        kubeconfig: Some(kc.clone()),
        context: None,
    };
    // The same API server under a name only the proxy resolves (its certificate is for
    // 127.0.0.1, so this test skips verification: the proxy is what it checks).
    let far = sb.dir().join("kubeconfig-far");
    let text = std::fs::read_to_string(&kc).unwrap();
    assert!(text.contains("https://127.0.0.1:"), "{text}");
    let text = text
        .replace("https://127.0.0.1:", "https://api.proxied.test:")
        .lines()
        .filter(|l| !l.contains("certificate-authority-data"))
        .map(|l| {
            if l.trim_start().starts_with("server:") {
                let indent = &l[..l.len() - l.trim_start().len()];
                format!("{l}\n{indent}insecure-skip-tls-verify: true")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&far, text).unwrap();
    let far = ConnectOptions {
        kubeconfig: Some(far),
        context: None,
    };
    let proxy = Proxy::start().await;
    let proxy_url = proxy.url();

    let conn = connect_with_env(&far, |name| {
        (name == "HTTPS_PROXY").then(|| proxy_url.clone())
    })
    .await
    .unwrap();
    discover(&conn.client).await.unwrap();
    let through = proxy.tunnels();
    assert!(through >= 1, "the client went through the proxy");

    drop(proxy);

    // 127.0.0.1 (the demo's sandbox) goes direct, as Go's rules say, proxy or not. (A proxy
    // of its own: the first client's tunnels may still be opening.)
    let proxy = Proxy::start().await;
    let proxy_url = proxy.url();
    let conn = connect_with_env(&direct, |name| match name {
        "https_proxy" => Some(proxy_url.clone()),
        _ => None,
    })
    .await
    .unwrap();
    discover(&conn.client).await.unwrap();
    assert_eq!(proxy.tunnels(), 0, "loopback bypasses the proxy");

    drop(proxy);
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecr_calls_go_through_the_proxy() {
    use fluxdeck::sandbox::registry::RegistryStore;
    use fluxdeck::workers::ecr::build_client;

    let store = std::sync::Arc::new(RegistryStore::new("123456789012", "us-west-2"));
    let server = store
        .start(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let repo =
        crate::support::registry::repo("123456789012.dkr.ecr.us-west-2.amazonaws.com/team/app");
    let proxy = Proxy::start().await;
    let port = server.url.rsplit(':').next().unwrap().trim_end_matches('/');
    let mut config = crate::support::registry::config(&format!("http://ecr.proxied.test:{port}"));
    config.proxy = ProxyEnv::from_pairs([("HTTP_PROXY".to_string(), proxy.url())]);
    let ecr = build_client(&config, &repo).await.unwrap();
    ecr.create_repository()
        .repository_name("team/app")
        .send()
        .await
        .unwrap();
    assert!(proxy.tunnels() >= 1, "the ECR call went through the proxy");

    drop(proxy);

    // The registry on 127.0.0.1 (the demo's) goes direct, proxy variables or not.
    let proxy = Proxy::start().await;
    let mut config = crate::support::registry::config(&server.url);
    config.proxy = ProxyEnv::from_pairs([
        ("HTTPS_PROXY".to_string(), proxy.url()),
        ("HTTP_PROXY".to_string(), proxy.url()),
    ]);
    let direct = build_client(&config, &repo).await.unwrap();
    direct.describe_repositories().send().await.unwrap();
    assert_eq!(proxy.tunnels(), 0, "loopback bypasses the proxy");
}
