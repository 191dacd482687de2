//! The image automation objects of the reference pipeline (ImageRepository, ImagePolicy,
//! ImageUpdateAutomation) as image-reflector-controller and image-automation-controller leave
//! them, in the shape of the Flux release the sandbox plays, and the front-end tags they see.

use serde_json::{Value, json};

use super::flux::{Commit, image_api_version};
use super::ids;
use super::kube::{Event, Meta, condition, event, object, set};
use crate::sandbox::crds::FluxVersion;

/// The front-end image tags in the sandbox's ECR repository and what the ImagePolicy makes
/// of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontEndTags {
    /// Every tag CI pushed (`main-<short sha>-<build>`, plus `latest`), oldest build first.
    pub tags: Vec<String>,
    /// The tags the policy picked at the last releases, oldest first; the last is the current
    /// pick, the one before it `observedPreviousRef`.
    pub picks: Vec<String>,
}

impl FrontEndTags {
    /// The tag the policy selects now (the highest build number).
    pub fn latest(&self) -> &str {
        self.picks.last().map(String::as_str).unwrap_or_default()
    }

    /// The tag the policy had selected before the current one.
    pub fn previous(&self) -> Option<&str> {
        self.picks.iter().rev().nth(1).map(String::as_str)
    }
}

/// The front-end tags and the policy's picks: the reference ImagePolicy (`filterTags`
/// pattern `^main-[a-fA-F0-9]+-(?P<buidnumber>.*)`, extract `$buidnumber`, numerical asc),
/// run by `crate::policy` over the tags the registry held at each of the last five releases,
/// picks the highest build number: neither the byte-wise greatest tag (`main-f9a6c31-18`)
/// nor the alphabetically greatest build (`9`).
pub fn front_end_tags() -> FrontEndTags {
    const SHORT_SHAS: [&str; 24] = [
        "8a1c2e4", "f03b9d7", "5e7a210", "c2d94b8", "71e0f3a", "0b96c5d", "e4f2178", "93ad6c0",
        "2c8e5f1", "b7140ea", "46d3b92", "da05c7e", "1e9b4f6", "a8c27d3", "6f31e08", "cb7d9a4",
        "0d5e2b7", "f9a6c31", "3b07e9d", "84e1f5c", "e62b0a9", "57c9d1e", "9e3f6b2", "1f49071",
    ];
    let mut tags: Vec<String> = SHORT_SHAS
        .iter()
        .zip(1..)
        .map(|(sha, build)| format!("main-{sha}-{build}"))
        .collect();
    let policy = super::assets::front_end_policy();
    // The last five builds each went out as a release: what the policy picked when the
    // registry held builds 1..=n (and `latest`).
    let picks = (20..=tags.len())
        .filter_map(|n| {
            let mut seen: Vec<String> = tags.get(..n)?.to_vec();
            seen.push("latest".to_string());
            crate::policy::repository_order(&mut seen);
            policy.as_ref()?.latest(&seen).ok()
        })
        .collect();
    tags.push("latest".to_string());
    FrontEndTags { tags, picks }
}

/// The scan of a tag list as image-reflector-controller stores it, by `crate::policy`:
/// tags sorted descending byte-wise, and the revision (decimal adler32 of the JSON array of
/// that sorted list), with the default exclusion list.
pub(super) fn scan(tags: &[String]) -> (Vec<String>, String) {
    match crate::policy::ScanSummary::new(tags, &[]) {
        Ok(s) => (s.tags, s.revision),
        // The default exclusion pattern is a valid Go regex (a policy unit test compiles
        // it); the fallback only keeps this total.
        Err(_) => (tags.to_vec(), "0".into()),
    }
}

/// When each step of the latest release happened, and what it produced.
#[derive(Debug, Clone)]
pub(super) struct Release<'a> {
    pub flux: FluxVersion,
    pub tags: &'a FrontEndTags,
    /// `spec.image` of the ImageRepository (repository, no tag).
    pub image: &'a str,
    /// The ImageRepository's last scan (it scans every minute).
    pub scanned: i64,
    /// When the policy picked the current tag.
    pub picked: i64,
    /// The commit the automation pushed for it.
    pub pushed: &'a Commit,
    pub pushed_at: i64,
    /// The automation's last run (it runs every interval, with or without changes).
    pub last_run: i64,
    /// When the three objects first became Ready.
    pub ready_since: i64,
    /// The automation's `spec.git.commit.messageTemplate`.
    pub message_template: Option<&'a str>,
}

/// The ImageRepository after its last scan.
pub(super) fn image_repository(manifest: &Value, meta: Meta, r: &Release<'_>) -> Value {
    let (sorted, revision) = scan(&r.tags.tags);
    let count = sorted.len();
    let mut spec = manifest["spec"].clone();
    let exclusions = json!(["^.*\\.sig$"]);
    if let Some(s) = spec.as_object_mut() {
        s.entry("exclusionList").or_insert(exclusions.clone());
        s.entry("provider").or_insert(json!("generic"));
    }
    let mut scan = json!({
        "tagCount": count,
        "scanTime": ids::rfc3339(r.scanned),
        "latestTags": sorted.iter().take(10).collect::<Vec<_>>(),
    });
    // Flux 2.6's v1beta2 had no scan revision, and its Ready message no checksum.
    let message = match r.flux {
        FluxVersion::Current => {
            set(&mut scan, &["revision"], json!(revision));
            format!("successful scan: found {count} tags with checksum {revision}")
        }
        FluxVersion::V2_6 => format!("successful scan: found {count} tags"),
    };
    let status = json!({
        "observedGeneration": 1,
        "conditions": [condition("Ready", "True", "Succeeded", &message, r.ready_since, 1)],
        "canonicalImageName": r.image,
        "lastScanResult": scan,
        "observedExclusionList": exclusions,
    });
    object(
        image_api_version(r.flux),
        "ImageRepository",
        meta,
        vec![("spec", spec), ("status", status)],
    )
}

/// The Ready message of an ImagePolicy (`composeImagePolicyReadyMessage`, no digest).
fn policy_message(image: &str, latest: &str, previous: Option<&str>) -> String {
    let mut message = format!("Latest image tag for {image} resolved to {latest}");
    if let Some(previous) = previous.filter(|p| *p != latest) {
        message.push_str(&format!(" (previously {image}:{previous})"));
    }
    message
}

/// The ImagePolicy after it picked the current tag.
pub(super) fn image_policy(manifest: &Value, meta: Meta, r: &Release<'_>) -> Value {
    let latest = r.tags.latest();
    let previous = r.tags.previous();
    let mut spec = manifest["spec"].clone();
    if let Some(s) = spec.as_object_mut() {
        s.entry("digestReflectionPolicy").or_insert(json!("Never"));
    }
    let message = policy_message(r.image, latest, previous);
    let mut status = json!({
        "observedGeneration": 1,
        "conditions": [condition("Ready", "True", "Succeeded", &message, r.ready_since, 1)],
        "latestRef": {"name": r.image, "tag": latest},
    });
    if let Some(previous) = previous {
        set(
            &mut status,
            &["observedPreviousRef"],
            json!({"name": r.image, "tag": previous}),
        );
    }
    // Flux 2.6 still wrote the deprecated string forms next to the structured refs.
    if r.flux == FluxVersion::V2_6 {
        set(
            &mut status,
            &["latestImage"],
            json!(format!("{}:{latest}", r.image)),
        );
        if let Some(previous) = previous {
            set(
                &mut status,
                &["observedPreviousImage"],
                json!(format!("{}:{previous}", r.image)),
            );
        }
    }
    object(
        image_api_version(r.flux),
        "ImagePolicy",
        meta,
        vec![("spec", spec), ("status", status)],
    )
}

/// The ImageUpdateAutomation after it pushed the commit for the current tag.
pub(super) fn image_update_automation(
    manifest: &Value,
    meta: Meta,
    policy_name: &str,
    r: &Release<'_>,
) -> Value {
    let status = json!({
        "observedGeneration": 1,
        "conditions": [condition("Ready", "True", "Succeeded", "repository up-to-date", r.ready_since, 1)],
        "lastAutomationRunTime": ids::rfc3339(r.last_run),
        "lastPushCommit": r.pushed.sha,
        "lastPushTime": ids::rfc3339(r.pushed_at),
        "observedPolicies": {policy_name: {"name": r.image, "tag": r.tags.latest()}},
        "observedSourceRevision": r.pushed.revision(),
    });
    object(
        image_api_version(r.flux),
        "ImageUpdateAutomation",
        meta,
        vec![("spec", manifest["spec"].clone()), ("status", status)],
    )
}

/// The commit message the automation's `messageTemplate` renders when it sets the
/// overlay's `newTag` from `previous` to `tag` (the ECR name was already in place), rendered
/// by `crate::setters` as the image automation renders it.
pub(super) fn commit_message(template: Option<&str>, previous: &str, tag: &str) -> String {
    use crate::setters::{Change, FileChange, ObjectId, TemplateData};
    let data = TemplateData {
        automation_namespace: "sock-shop".into(),
        automation_name: "sock-shop-front-end".into(),
        changes: vec![FileChange {
            file: "kustomization.yaml".into(),
            change: Change {
                object: ObjectId {
                    api_version: "kustomize.config.k8s.io/v1beta1".into(),
                    kind: "Kustomization".into(),
                    ..ObjectId::default()
                },
                setter: "sock-shop:sock-shop-front-end:tag".into(),
                old_value: previous.into(),
                new_value: tag.into(),
                missing_metadata: false,
            },
        }],
        values: Default::default(),
    };
    crate::setters::commit_message(template, &data).unwrap_or_else(|e| e.to_string())
}

/// The Events the last release left on the three objects.
pub(super) fn release_events(ids: &ids::Ids, objects: [&Value; 3], r: &Release<'_>) -> Vec<Value> {
    let [repository, policy, automation] = objects;
    let scan_message = repository["status"]["conditions"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let policy_message = policy["status"]["conditions"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let short = r.pushed.sha.get(..7).unwrap_or_default();
    let push = format!(
        "pushed commit '{short}' to branch '{}'\n{}",
        r.pushed.branch,
        commit_message(
            r.message_template,
            r.tags.previous().unwrap_or("latest"),
            r.tags.latest()
        )
    );
    vec![
        event(
            ids,
            repository,
            Event::normal(
                "Succeeded",
                scan_message,
                r.picked - 5,
                "image-reflector-controller",
            ),
        ),
        event(
            ids,
            policy,
            Event::normal(
                "Succeeded",
                policy_message,
                r.picked,
                "image-reflector-controller",
            ),
        ),
        event(
            ids,
            automation,
            Event::normal(
                "Succeeded",
                push,
                r.pushed_at,
                "image-automation-controller",
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build_number(tag: &str) -> Option<u64> {
        let re = regex::Regex::new("^main-[a-fA-F0-9]+-(?P<buidnumber>.*)").unwrap();
        re.captures(tag)?.name("buidnumber")?.as_str().parse().ok()
    }

    #[test]
    fn the_pick_is_the_highest_build_number_among_matching_tags() {
        let t = front_end_tags();
        let max = t
            .tags
            .iter()
            .filter_map(|tag| build_number(tag))
            .max()
            .unwrap();
        assert_eq!(build_number(t.latest()), Some(max));
        // Not what a byte-wise or alphabetical pick would give.
        let bytewise = t
            .tags
            .iter()
            .filter(|tag| build_number(tag).is_some())
            .max()
            .unwrap();
        assert_ne!(bytewise, t.latest());
        assert!(t.tags.contains(&"latest".to_string()));
    }

    #[test]
    fn picks_are_tags_in_increasing_build_order_and_previous_precedes_latest() {
        let t = front_end_tags();
        let builds: Vec<u64> = t.picks.iter().map(|p| build_number(p).unwrap()).collect();
        assert!(builds.windows(2).all(|w| w[0] < w[1]), "{builds:?}");
        assert!(t.picks.iter().all(|p| t.tags.contains(p)));
        assert_eq!(
            build_number(t.previous().unwrap()),
            Some(builds[builds.len() - 1] - 1)
        );
    }

    #[test]
    fn scan_sorts_descending_and_checksums_the_json_list() {
        // Checksum computed independently: Python's zlib.adler32 over the same JSON bytes.
        let tags = ["main-0a9f3d1-12", "latest", "main-2b1e4c7-3"].map(String::from);
        let (sorted, revision) = scan(&tags);
        assert_eq!(sorted, ["main-2b1e4c7-3", "main-0a9f3d1-12", "latest"]);
        assert_eq!(revision, "660933870");
    }

    #[test]
    fn policy_message_mentions_the_previous_tag_only_when_it_differs() {
        assert_eq!(
            policy_message("r/i", "b", None),
            "Latest image tag for r/i resolved to b"
        );
        assert_eq!(
            policy_message("r/i", "b", Some("b")),
            "Latest image tag for r/i resolved to b"
        );
        assert_eq!(
            policy_message("r/i", "b", Some("a")),
            "Latest image tag for r/i resolved to b (previously r/i:a)"
        );
    }
}
