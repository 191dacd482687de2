//! image-reflector-controller, for ImageRepositories: lists the tags of `spec.image` in the
//! sandbox's ECR-compatible registry, applies `exclusionList`, keeps the tags for the
//! policies (the tag database) and writes `lastScanResult` as Flux does (tags sorted
//! descending byte-wise, `latestTags` the first ten, `revision` the adler32 of the JSON list;
//! Flux 2.6 wrote no revision), with Ready `successful scan: found N tags with checksum X`.

use serde_json::{Value, json};

use super::events::FluxEvent;
use super::outcome::{Failure, Reconciled, interval_of};
use super::world::World;
use crate::policy::ScanSummary;
use crate::sandbox::apiserver::store::now_rfc3339;
use crate::sandbox::crds::FluxVersion;
use crate::sandbox::registry::RegistryError;

/// Splits `spec.image` into (registry host, repository path, canonical name) as
/// go-containerregistry names it, or the Stalled failure Flux reports for a bad image.
pub fn parse_image(image: &str) -> Result<(String, String, String), Failure> {
    if let Some((scheme, _)) = image.split_once("://") {
        return Err(Failure::stalled(
            "ImageURLInvalid",
            format!("image '{image}' should not include URL scheme; remove '{scheme}://'"),
        ));
    }
    let (first, rest) = image.split_once('/').unwrap_or(("", image));
    let explicit_host = first.contains('.') || first.contains(':') || first == "localhost";
    let (host, path) = if explicit_host {
        (first.to_string(), rest.to_string())
    } else {
        ("index.docker.io".to_string(), image.to_string())
    };
    if let Some((_, tag)) = path.rsplit_once(':') {
        return Err(Failure::stalled(
            "ImageURLInvalid",
            format!("image '{image}' should not include a tag; remove ':{tag}'"),
        ));
    }
    if path.is_empty() {
        return Err(Failure::stalled(
            "ImageURLInvalid",
            format!("image '{image}' has no repository; write REGISTRY/REPOSITORY"),
        ));
    }
    let path = if host == "index.docker.io" && !path.contains('/') {
        format!("library/{path}")
    } else {
        path
    };
    let canonical = format!("{host}/{path}");
    Ok((host, path, canonical))
}

/// The tags the registry lists for `image`, or Flux's scan failure.
fn list_tags(world: &World, host: &str, path: &str) -> Result<Vec<String>, Failure> {
    let failed =
        |inner: String| Failure::new("ReadOperationFailed", format!("scan failed: {inner}"));
    let Some(registry) = world
        .registry
        .as_ref()
        .filter(|r| r.registry_host() == host)
    else {
        return Err(failed(format!(
            "Get \"https://{host}/v2/\": dial tcp: lookup {host} on 10.100.0.10:53: no such host"
        )));
    };
    match registry.tags(path) {
        Ok(entries) => Ok(entries.into_iter().map(|e| e.tag).collect()),
        Err(e @ RegistryError::RepositoryNotFound { .. }) => Err(failed(format!(
            "GET https://{host}/v2/{path}/tags/list?n=1000: NAME_UNKNOWN: {e}"
        ))),
        Err(e) => Err(failed(e.to_string())),
    }
}

/// One scan.
pub fn reconcile_repository(world: &World, obj: &Value) -> Reconciled {
    let ns = obj["metadata"]["namespace"].as_str().unwrap_or_default();
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    let spec = &obj["spec"];
    let every = interval_of(obj);
    let image = spec["image"].as_str().unwrap_or_default();
    let (host, path, canonical) = match parse_image(image) {
        Ok(parts) => parts,
        Err(f) => return Reconciled::failed(f),
    };
    let exclusions: Vec<String> = spec["exclusionList"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let listed = match list_tags(world, &host, &path) {
        Ok(tags) => tags,
        Err(f) => {
            let event = FluxEvent::warning("image-reflector-controller", &f.reason, &f.message);
            return Reconciled::failed(f).requeue(every).event(event);
        }
    };
    let summary = match ScanSummary::new(&listed, &exclusions) {
        Ok(s) => s,
        Err(e) => {
            let f = Failure::new(e.condition().reason(), e.condition_message());
            return Reconciled::failed(f).requeue(every);
        }
    };
    let previous = world.tags(ns, name);
    let changed = previous.as_deref() != Some(&summary.tags);
    let mut scan = json!({
        "tagCount": summary.tag_count,
        "scanTime": now_rfc3339(),
    });
    if !summary.latest_tags.is_empty() {
        scan["latestTags"] = json!(summary.latest_tags);
    }
    let message = match world.flux {
        FluxVersion::Current => {
            scan["revision"] = json!(summary.revision);
            summary.ready_message()
        }
        // Flux 2.6's v1beta2 had no scan revision, and its Ready message no checksum.
        FluxVersion::V2_6 => format!("successful scan: found {} tags", summary.tag_count),
    };
    let observed = if exclusions.is_empty() {
        json!([crate::policy::DEFAULT_EXCLUSION])
    } else {
        json!(exclusions)
    };
    world.set_tags(ns, name, summary.tags);
    let mut out = Reconciled::ready("Succeeded", message.clone())
        .with("lastScanResult", scan)
        .with("canonicalImageName", json!(canonical))
        .with("observedExclusionList", observed)
        .requeue(every);
    if changed {
        out = out.produced(succeeded(message));
    }
    out
}

/// The event the image reflector emits when a scan or a policy's pick is new.
pub(super) fn succeeded(message: String) -> FluxEvent {
    FluxEvent::normal("image-reflector-controller", "Succeeded", message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_parse_as_go_containerregistry_names_them_and_bad_ones_stall() {
        let ecr = "123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end";
        let (host, path, canonical) = parse_image(ecr).unwrap();
        assert_eq!(host, "123456789012.dkr.ecr.us-west-2.amazonaws.com");
        assert_eq!(path, "weaveworksdemos/front-end");
        assert_eq!(canonical, ecr);
        assert_eq!(
            parse_image("nginx").unwrap().2,
            "index.docker.io/library/nginx"
        );
        assert_eq!(
            parse_image("localhost:5000/app").unwrap().0,
            "localhost:5000"
        );
        let f = parse_image("https://ghcr.io/x/y").unwrap_err();
        assert!(f.stalled);
        assert_eq!(f.reason, "ImageURLInvalid");
        assert_eq!(
            f.message,
            "image 'https://ghcr.io/x/y' should not include URL scheme; remove 'https://'"
        );
        let f = parse_image("ghcr.io/x/y:1.0").unwrap_err();
        assert_eq!(
            f.message,
            "image 'ghcr.io/x/y:1.0' should not include a tag; remove ':1.0'"
        );
    }
}
