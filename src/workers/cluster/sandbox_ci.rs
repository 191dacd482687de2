//! `:build`: asks fluxdeck's sandbox for a CI build (`POST /sandbox/ci/build`) over the
//! cluster connection, with the kubeconfig's credentials. A real cluster answers 404, which
//! becomes a message saying that only the sandbox (`fluxdeck demo`) has a CI.

use kube::Client;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::state::Update;

/// Sends the request and reports the answer as an `Update::Notice`.
pub async fn request_build(client: Client, kind: String, updates: mpsc::Sender<Update>) {
    let notice = match send(&client, &kind).await {
        Ok(text) => Update::Notice { error: false, text },
        Err(text) => Update::Notice { error: true, text },
    };
    let _ = updates.send(notice).await;
}

async fn send(client: &Client, kind: &str) -> Result<String, String> {
    let body = json!({"kind": kind}).to_string().into_bytes();
    let request = http::Request::post("/sandbox/ci/build")
        .header("Content-Type", "application/json")
        .body(body)
        .map_err(|e| format!(":build could not be sent: {e}"))?;
    match client.request_text(request).await {
        Ok(text) => {
            let build: Value = serde_json::from_str(&text).unwrap_or_default();
            Ok(format!(
                "CI build #{} of {} queued ({kind}); it pushes main-<sha>-{} to {} in a few seconds",
                build["number"],
                build["app"].as_str().unwrap_or("the app"),
                build["number"],
                build["repository"].as_str().unwrap_or("the registry"),
            ))
        }
        Err(kube::Error::Api(status)) if status.code == 404 => Err(
            ":build asks fluxdeck's sandbox CI, and this cluster has none; try it in `fluxdeck demo`"
                .into(),
        ),
        Err(kube::Error::Api(status)) => Err(format!(":build refused: {}", status.message)),
        Err(e) => Err(format!(":build failed: {e}")),
    }
}
