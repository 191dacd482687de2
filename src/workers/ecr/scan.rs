//! One scan of one ECR repository: `DescribeImages` over all pages, assembled into a
//! [`RegistryScan`] that carries everything the policy preview and drift need (every tag,
//! its digest and push time, and the untagged images).
//!
//! `DescribeImages` rather than the registry's `tags/list` (which Flux uses)
//! because it also returns digests and push times, which the release timeline needs. Pages are
//! not a snapshot: a tag can move between two page fetches, so assembly keeps each tag on the
//! most recently pushed image that claims it.

use std::collections::HashMap;

use aws_sdk_ecr::types::ImageDetail as SdkImageDetail;
use jiff::Timestamp;

use super::errors::{ScanError, classify};
use super::image_ref::EcrRepo;

/// `DescribeImages` page size: ECR's maximum, so 10,000 images take 10 calls.
pub const PAGE_SIZE: i32 = 1000;

/// One image (manifest) in the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageDetail {
    /// `sha256:...` of the manifest.
    pub digest: String,
    /// The tags on it (zero, one or several).
    pub tags: Vec<String>,
    /// When it was pushed.
    pub pushed_at: Option<Timestamp>,
    /// Size as ECR reports it (compressed layers).
    pub size_bytes: Option<u64>,
    /// The manifest media type.
    pub media_type: Option<String>,
}

/// A tag with the image it points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagRef<'a> {
    /// The tag.
    pub tag: &'a str,
    /// The image's digest.
    pub digest: &'a str,
    /// When the image was pushed.
    pub pushed_at: Option<Timestamp>,
}

/// The result of scanning one repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryScan {
    /// The repository.
    pub repo: EcrRepo,
    /// Every image, in the order ECR listed them.
    pub images: Vec<ImageDetail>,
    /// How many `DescribeImages` pages it took.
    pub pages: u32,
    /// When the scan finished.
    pub scanned_at: Timestamp,
}

impl RegistryScan {
    /// Every tag with its digest and push time, newest push first (ties by tag name), which is
    /// the order a release timeline reads.
    pub fn tags(&self) -> Vec<TagRef<'_>> {
        let mut tags: Vec<TagRef<'_>> = self
            .images
            .iter()
            .flat_map(|image| {
                image.tags.iter().map(|tag| TagRef {
                    tag,
                    digest: &image.digest,
                    pushed_at: image.pushed_at,
                })
            })
            .collect();
        tags.sort_by(|a, b| b.pushed_at.cmp(&a.pushed_at).then(a.tag.cmp(b.tag)));
        tags
    }

    /// Just the tag names (the policy engine's input), in [`RegistryScan::tags`] order.
    pub fn tag_names(&self) -> Vec<&str> {
        self.tags().into_iter().map(|t| t.tag).collect()
    }

    /// Number of tags.
    pub fn tag_count(&self) -> usize {
        self.images.iter().map(|i| i.tags.len()).sum()
    }

    /// The image a tag points at.
    pub fn image_for_tag(&self, tag: &str) -> Option<&ImageDetail> {
        self.images.iter().find(|i| i.tags.iter().any(|t| t == tag))
    }

    /// Images without any tag (invisible to Flux, shown for completeness).
    pub fn untagged(&self) -> impl Iterator<Item = &ImageDetail> {
        self.images.iter().filter(|i| i.tags.is_empty())
    }
}

/// Collects `DescribeImages` pages into a [`RegistryScan`].
#[derive(Debug, Default)]
pub struct ScanAssembler {
    images: Vec<ImageDetail>,
    by_digest: HashMap<String, usize>,
    by_tag: HashMap<String, usize>,
    pages: u32,
}

impl ScanAssembler {
    /// An empty assembler.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one page of image details.
    pub fn add_page(&mut self, details: Vec<SdkImageDetail>) {
        self.pages = self.pages.saturating_add(1);
        self.images.reserve(details.len());
        for detail in details {
            self.add(detail);
        }
    }

    fn add(&mut self, detail: SdkImageDetail) {
        let Some(digest) = detail.image_digest else {
            // ECR always sends a digest; an entry without one cannot be told apart from others.
            tracing::debug!("DescribeImages returned an image without a digest; skipped");
            return;
        };
        // The wire carries epoch seconds as a double, which misses most milliseconds by a few
        // nanoseconds; ECR's resolution is the millisecond, so round to it.
        let pushed_at = detail.image_pushed_at.and_then(|t| {
            Timestamp::new(t.secs(), i32::try_from(t.subsec_nanos()).unwrap_or(0))
                .and_then(|ts| ts.round(jiff::Unit::Millisecond))
                .ok()
        });
        let index = match self.by_digest.get(&digest) {
            // The same image on two pages (the listing shifted): merge into the first entry.
            Some(&i) => i,
            None => {
                let i = self.images.len();
                self.by_digest.insert(digest.clone(), i);
                self.images.push(ImageDetail {
                    digest,
                    tags: Vec::new(),
                    pushed_at,
                    size_bytes: detail
                        .image_size_in_bytes
                        .and_then(|s| u64::try_from(s).ok()),
                    media_type: detail.image_manifest_media_type,
                });
                i
            }
        };
        for tag in detail.image_tags.unwrap_or_default() {
            self.claim(tag, index);
        }
    }

    /// Puts `tag` on image `index`, unless a more recently pushed image already holds it.
    fn claim(&mut self, tag: String, index: usize) {
        let pushed = |i: usize| self.images.get(i).and_then(|img| img.pushed_at);
        match self.by_tag.get(&tag).copied() {
            Some(held) if held == index => {}
            Some(held) if pushed(held) > pushed(index) => {}
            Some(held) => {
                if let Some(old) = self.images.get_mut(held) {
                    old.tags.retain(|t| *t != tag);
                }
                self.attach(tag, index);
            }
            None => self.attach(tag, index),
        }
    }

    fn attach(&mut self, tag: String, index: usize) {
        if let Some(image) = self.images.get_mut(index) {
            image.tags.push(tag.clone());
            self.by_tag.insert(tag, index);
        }
    }

    /// The finished scan.
    pub fn finish(self, repo: EcrRepo, scanned_at: Timestamp) -> RegistryScan {
        RegistryScan {
            repo,
            images: self.images,
            pages: self.pages,
            scanned_at,
        }
    }
}

/// Lists every image of `repo` with `DescribeImages`, all pages.
pub async fn scan(client: &aws_sdk_ecr::Client, repo: &EcrRepo) -> Result<RegistryScan, ScanError> {
    let region = client
        .config()
        .region()
        .map_or_else(|| repo.region.clone(), |r| r.to_string());
    let mut pages = client
        .describe_images()
        .registry_id(&repo.account)
        .repository_name(&repo.repository)
        .into_paginator()
        .page_size(PAGE_SIZE)
        .send();
    let mut assembler = ScanAssembler::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify(e, repo, &region))?;
        assembler.add_page(page.image_details.unwrap_or_default());
    }
    Ok(assembler.finish(repo.clone(), Timestamp::now()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecr::primitives::DateTime;

    fn repo() -> EcrRepo {
        crate::workers::ecr::parse_ecr_image(
            "123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end",
        )
        .unwrap()
    }

    fn detail(digest: &str, tags: &[&str], secs: i64) -> SdkImageDetail {
        let mut b = SdkImageDetail::builder()
            .image_digest(digest)
            .image_pushed_at(DateTime::from_secs(secs))
            .image_size_in_bytes(1234);
        for t in tags {
            b = b.image_tags(*t);
        }
        b.build()
    }

    fn assemble(pages: Vec<Vec<SdkImageDetail>>) -> RegistryScan {
        let mut a = ScanAssembler::new();
        for p in pages {
            a.add_page(p);
        }
        a.finish(repo(), Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn tags_newest_first_with_digests_multi_tag_and_untagged() {
        let scan = assemble(vec![
            vec![detail("sha256:a", &["main-aaaaaaa-1"], 100)],
            vec![
                detail("sha256:b", &["main-bbbbbbb-2", "latest"], 200),
                detail("sha256:c", &[], 300),
            ],
        ]);
        assert_eq!(scan.pages, 2);
        assert_eq!(scan.tag_count(), 3);
        assert_eq!(
            scan.tag_names(),
            vec!["latest", "main-bbbbbbb-2", "main-aaaaaaa-1"]
        );
        let tags = scan.tags();
        assert_eq!(tags[0].digest, "sha256:b");
        assert_eq!(
            tags[0].pushed_at,
            Some(Timestamp::from_second(200).unwrap())
        );
        assert_eq!(
            scan.image_for_tag("latest").map(|i| i.digest.as_str()),
            Some("sha256:b")
        );
        assert_eq!(
            scan.untagged()
                .map(|i| i.digest.as_str())
                .collect::<Vec<_>>(),
            vec!["sha256:c"]
        );
        assert_eq!(
            scan.images
                .iter()
                .find(|i| i.digest == "sha256:a")
                .and_then(|i| i.size_bytes),
            Some(1234)
        );
    }

    #[test]
    fn a_tag_that_moved_between_pages_stays_on_the_newest_image() {
        // Page 1 was read before `latest` moved to b; page 2 after.
        let scan = assemble(vec![
            vec![detail("sha256:a", &["v1", "latest"], 100)],
            vec![detail("sha256:b", &["v2", "latest"], 200)],
        ]);
        assert_eq!(
            scan.image_for_tag("latest").map(|i| i.digest.as_str()),
            Some("sha256:b")
        );
        assert_eq!(
            scan.images
                .iter()
                .find(|i| i.digest == "sha256:a")
                .map(|i| i.tags.clone()),
            Some(vec!["v1".to_string()])
        );
        // The other way round: the older claim arrives last and loses.
        let scan = assemble(vec![
            vec![detail("sha256:b", &["v2", "latest"], 200)],
            vec![detail("sha256:a", &["v1", "latest"], 100)],
        ]);
        assert_eq!(
            scan.image_for_tag("latest").map(|i| i.digest.as_str()),
            Some("sha256:b")
        );
        assert_eq!(scan.tag_count(), 3);
    }

    #[test]
    fn an_image_listed_twice_is_merged() {
        let scan = assemble(vec![
            vec![detail("sha256:a", &["v1"], 100)],
            vec![detail("sha256:a", &["v1", "stable"], 100)],
        ]);
        assert_eq!(scan.images.len(), 1);
        assert_eq!(scan.images[0].tags, vec!["v1", "stable"]);
    }

    #[test]
    fn entries_without_digest_are_skipped_and_missing_fields_stay_none() {
        let scan = assemble(vec![vec![
            SdkImageDetail::builder().image_tags("ghost").build(),
            SdkImageDetail::builder().image_digest("sha256:x").build(),
        ]]);
        assert_eq!(scan.images.len(), 1);
        assert_eq!(scan.images[0].pushed_at, None);
        assert_eq!(scan.images[0].size_bytes, None);
        assert!(scan.image_for_tag("ghost").is_none());
    }

    #[test]
    fn push_times_are_kept_to_the_millisecond() {
        let d = SdkImageDetail::builder()
            .image_digest("sha256:a")
            .image_tags("t")
            .image_pushed_at(DateTime::from_secs_f64(1_795_770_988.409))
            .build();
        let scan = assemble(vec![vec![d]]);
        assert_eq!(
            scan.images[0].pushed_at.map(|t| t.as_millisecond()),
            Some(1_795_770_988_409)
        );
    }
}
