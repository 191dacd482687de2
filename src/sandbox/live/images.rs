//! The images the sandbox's kubelet pulls: what CI pushed to the sandbox's registry decides
//! whether a pod runs, crashes or cannot pull its image.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::sandbox::registry::RegistryStore;

/// What the kubelet finds when it pulls an image: images of the sandbox's registry as CI
/// pushed them (a `broken` build crashes, a `missing` one cannot be pulled, a tag that was
/// never pushed is not found); images of any other registry pull and run.
pub struct RegistryImages {
    registry: Arc<RegistryStore>,
}

impl RegistryImages {
    /// Over `registry`.
    pub fn new(registry: Arc<RegistryStore>) -> RegistryImages {
        RegistryImages { registry }
    }
}

/// The output of the sandbox's crashing front-end (a Node.js start-up failure).
fn crash_log() -> Vec<String> {
    [
        "",
        "> microservices-demo-front-end@0.0.1 start /usr/src/app",
        "> node server.js",
        "",
        "/usr/src/app/config.js:14",
        "    throw new Error('config-loader: missing peer dependency \"express-session\"');",
        "    ^",
        "",
        "Error: config-loader: missing peer dependency \"express-session\"",
        "    at Object.<anonymous> (/usr/src/app/config.js:14:11)",
        "    at Module._compile (internal/modules/cjs/loader.js:778:30)",
        "    at Object.Module._extensions..js (internal/modules/cjs/loader.js:789:10)",
        "    at Module.load (internal/modules/cjs/loader.js:653:32)",
        "    at Function.Module._load (internal/modules/cjs/loader.js:593:12)",
        "    at Module.require (internal/modules/cjs/loader.js:692:17)",
        "    at require (internal/modules/cjs/helpers.js:25:18)",
        "    at Object.<anonymous> (/usr/src/app/server.js:3:16)",
        "npm ERR! code ELIFECYCLE",
        "npm ERR! errno 1",
        "npm ERR! microservices-demo-front-end@0.0.1 start: `node server.js`",
        "npm ERR! Exit status 1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

impl crate::sandbox::controllers::workloads::ImageSource for RegistryImages {
    fn fate(&self, image: &str) -> crate::sandbox::controllers::workloads::ImageFate {
        use crate::sandbox::controllers::workloads::ImageFate;
        use sha2::{Digest, Sha256};
        let elsewhere = || ImageFate::Runs {
            digest: format!("sha256:{}", hex::encode(Sha256::digest(image.as_bytes()))),
            size: 48_213_004,
        };
        let (host, rest) = image.split_once('/').unwrap_or(("", image));
        if host != self.registry.registry_host() {
            return elsewhere();
        }
        let (path, reference) = match rest.split_once('@') {
            Some((p, d)) => (p, d),
            None => rest.rsplit_once(':').unwrap_or((rest, "latest")),
        };
        let not_found = ImageFate::Unpullable {
            message: format!(
                "rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": failed to resolve reference \"{image}\": {image}: not found"
            ),
        };
        let found = self.registry.with_repository(path, |r| {
            r.by_tag(reference)
                .or_else(|| r.by_digest(reference))
                .map(|i| (i.digest.clone(), i.size_bytes, i.manifest.clone()))
        });
        let Ok(Some((digest, size, manifest))) = found else {
            return not_found;
        };
        match crate::sandbox::ci::fate_of(&manifest).as_deref() {
            Some("crash") => ImageFate::Crashes {
                digest,
                size,
                exit_code: 1,
                after: Duration::from_secs(2),
                log: crash_log(),
            },
            Some("unpullable") => {
                let layer = serde_json::from_str::<Value>(&manifest)
                    .ok()
                    .and_then(|m| m["layers"][2]["digest"].as_str().map(str::to_string))
                    .unwrap_or_default();
                ImageFate::Unpullable {
                    message: format!(
                        "rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": failed to copy: httpReadSeeker: failed open: content at https://{host}/v2/{path}/blobs/{layer} not found: not found"
                    ),
                }
            }
            _ => ImageFate::Runs { digest, size },
        }
    }
}
