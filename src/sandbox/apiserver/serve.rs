//! The accept loop: each connection is HTTPS or plain HTTP/1.1, told apart by its first
//! byte (a TLS handshake starts with 0x16), then served by the axum app. Stopping the loop
//! drops every connection task with it.

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

const TLS_HANDSHAKE: u8 = 0x16;

async fn connection(stream: TcpStream, app: Router, acceptor: TlsAcceptor) {
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let app = app.clone();
        async move {
            use tower::ServiceExt;
            app.oneshot(req).await
        }
    });
    let mut first = [0u8; 1];
    let http = hyper::server::conn::http1::Builder::new();
    let result = match stream.peek(&mut first).await {
        Ok(1) if first[0] == TLS_HANDSHAKE => match acceptor.accept(stream).await {
            Ok(tls) => http.serve_connection(TokioIo::new(tls), service).await,
            Err(e) => {
                tracing::debug!("TLS handshake failed: {e}");
                return;
            }
        },
        Ok(_) => http.serve_connection(TokioIo::new(stream), service).await,
        Err(_) => return,
    };
    if let Err(e) = result {
        tracing::debug!("connection ended: {e}");
    }
}

/// Serves until `stop` fires (or its sender is dropped).
pub async fn run(
    listener: TcpListener,
    app: Router,
    tls: Arc<rustls::ServerConfig>,
    mut stop: oneshot::Receiver<()>,
) {
    let acceptor = TlsAcceptor::from(tls);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(connection(stream, app.clone(), acceptor.clone()));
                }
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            // Reap finished connections so the set does not grow.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}
