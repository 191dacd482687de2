//! The demo's registry content: the sock-shop `front-end` repository in account
//! 123456789012 / us-west-2 with a history of CI builds tagged `main-<7hex>-<build>` (the
//! reference pipeline's scheme) plus `latest` on the newest, pushed at increasing times.
//!
//! Everything is deterministic (commit ids are derived from the build number), so demo
//! screenshots and tests see the same tags on every run; only the anchor time varies.

use jiff::{SignedDuration, Timestamp};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::error::RegistryError;
use super::repository::PushRequest;
use super::store::{RegistryStore, TagEntry};

/// The seed's AWS account.
pub const SEED_ACCOUNT: &str = "123456789012";
/// The seed's region.
pub const SEED_REGION: &str = "us-west-2";
/// The sock-shop front-end repository.
pub const FRONT_END: &str = "weaveworksdemos/front-end";
/// Builds in the default history.
pub const FRONT_END_BUILDS: u32 = 24;

/// The short commit id of build `build` of the front-end (stable across runs).
pub fn front_end_commit(build: u32) -> String {
    let digest = Sha1::digest(format!("sock-shop front-end build {build}").as_bytes());
    hex::encode(digest).chars().take(7).collect()
}

/// The CI tag of build `build`: `main-<7hex>-<build>`.
pub fn front_end_tag(build: u32) -> String {
    format!("main-{}-{build}", front_end_commit(build))
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// A Docker v2 image manifest for a build, distinct per `(repository, build)`: a config blob
/// and three layers (a shared base, shared node modules, and the build's own app layer).
pub fn example_manifest(repository: &str, build: &str) -> String {
    let spread = u64::from_str_radix(sha256_hex(build).get(..4).unwrap_or("0"), 16).unwrap_or(0);
    let app_size = 180_000 + spread % 20_000;
    serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 6_400,
            "digest": format!("sha256:{}", sha256_hex(&format!("{repository} config {build}"))),
        },
        "layers": [
            {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 2_811_478,
             "digest": format!("sha256:{}", sha256_hex("node:10-alpine base"))},
            {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 21_934_612,
             "digest": format!("sha256:{}", sha256_hex(&format!("{repository} node_modules")))},
            {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": app_size,
             "digest": format!("sha256:{}", sha256_hex(&format!("{repository} app {build}")))},
        ],
    })
    .to_string()
}

/// Minutes between build `build` and the one before it: 40 to 62, varying like a real team's.
fn gap_minutes(build: u32) -> i64 {
    40 + i64::from(build.wrapping_mul(17) % 23)
}

/// Creates the front-end repository (if needed) in `store` and pushes builds `1..=builds`, the
/// newest at `newest`, each earlier one 40–62 minutes before the next; `latest` goes on the
/// newest. Returns the tags in push order.
pub fn seed_front_end(
    store: &RegistryStore,
    builds: u32,
    newest: Timestamp,
) -> Result<Vec<TagEntry>, RegistryError> {
    match store.create_repository(FRONT_END, false) {
        Ok(_) | Err(RegistryError::RepositoryAlreadyExists { .. }) => {}
        Err(e) => return Err(e),
    }
    let mut offsets = vec![0i64; builds as usize];
    let mut total = 0i64;
    for build in (1..builds).rev() {
        total += gap_minutes(build + 1);
        if let Some(slot) = offsets.get_mut(build as usize - 1) {
            *slot = total;
        }
    }
    for build in 1..=builds {
        let offset = offsets.get(build as usize - 1).copied().unwrap_or(0);
        let pushed_at = newest
            .checked_sub(SignedDuration::from_mins(offset))
            .unwrap_or(newest);
        let tag = front_end_tag(build);
        let manifest = example_manifest(FRONT_END, &tag);
        store.push_image(
            FRONT_END,
            PushRequest {
                tag: Some(tag),
                manifest: manifest.clone(),
                pushed_at: Some(pushed_at),
                ..PushRequest::default()
            },
        )?;
        if build == builds {
            store.push_image(
                FRONT_END,
                PushRequest {
                    tag: Some("latest".into()),
                    manifest,
                    ..PushRequest::default()
                },
            )?;
        }
    }
    store.tags(FRONT_END)
}

/// A registry for the seed account and region holding the front-end history.
pub fn front_end_registry(builds: u32, newest: Timestamp) -> Result<RegistryStore, RegistryError> {
    let store = RegistryStore::new(SEED_ACCOUNT, SEED_REGION);
    seed_front_end(&store, builds, newest)?;
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_has_ci_tags_increasing_push_times_and_latest_on_the_newest() {
        let newest = Timestamp::from_second(1_800_000_000).unwrap();
        let store = front_end_registry(FRONT_END_BUILDS, newest).unwrap();
        let tags = store.tags(FRONT_END).unwrap();
        assert_eq!(tags.len(), FRONT_END_BUILDS as usize + 1);
        let builds: Vec<&TagEntry> = tags.iter().filter(|t| t.tag != "latest").collect();
        for (i, t) in builds.iter().enumerate() {
            let n = i as u32 + 1;
            let re_ok = t.tag.starts_with("main-")
                && t.tag.ends_with(&format!("-{n}"))
                && t.tag[5..12]
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
            assert!(re_ok, "{}", t.tag);
        }
        assert!(builds.windows(2).all(|w| w[0].pushed_at < w[1].pushed_at));
        assert_eq!(builds.last().unwrap().pushed_at, newest);
        let latest = tags.iter().find(|t| t.tag == "latest").unwrap();
        assert_eq!(latest.digest, builds.last().unwrap().digest);
        // Gaps look like a team's day, not a metronome.
        let gaps: Vec<i64> = builds
            .windows(2)
            .map(|w| (w[1].pushed_at.as_second() - w[0].pushed_at.as_second()) / 60)
            .collect();
        assert!(gaps.iter().all(|g| (40..=62).contains(g)), "{gaps:?}");
        assert!(gaps.iter().any(|g| *g != gaps[0]));
        // Every build is its own image.
        let mut digests: Vec<&str> = builds.iter().map(|t| t.digest.as_str()).collect();
        digests.dedup();
        assert_eq!(digests.len(), builds.len());
    }

    #[test]
    fn seeding_is_deterministic_and_idempotent_on_the_repository() {
        assert_eq!(front_end_tag(24), front_end_tag(24));
        assert_ne!(front_end_commit(1), front_end_commit(2));
        assert_eq!(
            example_manifest(FRONT_END, "x"),
            example_manifest(FRONT_END, "x")
        );
        let store = RegistryStore::new(SEED_ACCOUNT, SEED_REGION);
        store.create_repository(FRONT_END, false).unwrap();
        let tags = seed_front_end(&store, 3, Timestamp::now()).unwrap();
        assert_eq!(tags.len(), 4);
        // Seeding again pushes the same manifests: ECR refuses duplicates, and so do we.
        assert!(matches!(
            seed_front_end(&store, 3, Timestamp::now()),
            Err(RegistryError::ImageAlreadyExists { .. })
        ));
    }
}
