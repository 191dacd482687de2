//! The git worker's and the registry scanner's events, turned into the state's `Update`s:
//! the workers' types stay theirs, the state gets plain rows.

use crate::model::commit::{BehindBy, Commit, CommitMark, ImageUpdate};
use crate::state::commits::SetterMarker;
use crate::state::{
    AppliedColumn, AppliedMarks, CommitDiff, CommitLog, RegistryScan, ScanResult, Update,
};
use crate::workers::ecr::RegistryEvent;
use crate::workers::git::{Behind, CommitInfo, GitEvent, Mark, RepoLog};

/// The update for a git event; `None` for events the state does not show. `repository`
/// names the repository for messages (its redacted location).
pub fn git_update(event: GitEvent, repository: &str) -> Option<Update> {
    match event {
        GitEvent::Log { key, log } => Some(Update::Commits(commit_log(key, repository, log))),
        GitEvent::Error { key, error } => Some(Update::CommitsFailed {
            key,
            repository: repository.to_owned(),
            error: error.to_string(),
        }),
        GitEvent::Diff { key, diff } => Some(Update::CommitDiff(CommitDiff {
            key,
            sha: diff.sha,
            header: diff.header,
            files: diff.files.into_iter().map(|f| (f.status, f.path)).collect(),
            patch: diff.patch,
            truncated: diff.truncated,
        })),
        GitEvent::Fetched { .. } => None,
    }
}

/// A repository's log as the commits pane reads it.
pub fn commit_log(key: String, repository: &str, log: RepoLog) -> CommitLog {
    let branch = log
        .reference
        .strip_prefix("refs/heads/")
        .unwrap_or(&log.reference)
        .to_owned();
    CommitLog {
        key,
        repository: repository.to_owned(),
        branch,
        commits: log.commits.into_iter().map(commit).collect(),
        complete: log.complete,
        markers: log
            .markers
            .into_iter()
            .map(|m| SetterMarker {
                file: m.file,
                line: m.line,
                setter: m.setter,
            })
            .collect(),
        applied: log
            .applied
            .into_iter()
            .map(|a| AppliedColumn {
                kustomization: a.kustomization,
                revision: a.revision,
                marks: a
                    .marks
                    .map(|m| AppliedMarks {
                        marks: m.marks.into_iter().map(mark).collect(),
                        behind: behind(m.behind),
                    })
                    .map_err(|e| e.to_string()),
            })
            .collect(),
        note: log.note,
        error: None,
    }
}

fn commit(c: CommitInfo) -> Commit {
    let changes = c.automation.as_ref().map_or_else(Vec::new, |a| {
        a.changes
            .iter()
            .map(|ch| ImageUpdate {
                setter: ch.setter.clone(),
                old: ch.old.clone(),
                new: ch.new.clone(),
            })
            .collect()
    });
    Commit {
        automation: c.automation.is_some(),
        sha: c.sha,
        author: c.author_name,
        email: c.author_email,
        time: c.time,
        subject: c.subject,
        changes,
    }
}

fn mark(m: Mark) -> CommitMark {
    match m {
        Mark::Applied => CommitMark::Applied,
        Mark::Pending => CommitMark::Pending,
        Mark::Unknown => CommitMark::Unknown,
    }
}

fn behind(b: Behind) -> BehindBy {
    match b {
        Behind::By(n) => BehindBy::Commits(n),
        Behind::AtLeast(n) => BehindBy::AtLeast(n),
        Behind::NotOnBranch => BehindBy::NotOnBranch,
    }
}

/// The update for a scanner event; `None` for "scan started". `image` gives the
/// ImageRepository's `spec.image` for events that do not carry it.
pub fn registry_update(event: RegistryEvent, image: impl Fn(&str) -> String) -> Option<Update> {
    let (repository, image, result) = match event {
        RegistryEvent::Scanning { .. } => return None,
        RegistryEvent::Scanned { id, scan } => {
            let tags = scan
                .tags()
                .into_iter()
                .map(|t| (t.tag.to_owned(), t.pushed_at))
                .collect();
            let result = ScanResult::Tags {
                scanned_at: scan.scanned_at,
                tags,
            };
            (id, scan.repo.image(), result)
        }
        RegistryEvent::Failed {
            id,
            repo,
            error,
            failures,
            retry_in,
        } => {
            let text = format!(
                "{error} (failure {failures}; next attempt in {}s)",
                retry_in.as_secs()
            );
            (id, repo.image(), ScanResult::Failed(text))
        }
        RegistryEvent::Unavailable { id, reason } => {
            let image = image(&id);
            (id, image, ScanResult::Unavailable(reason.to_string()))
        }
        RegistryEvent::Removed { id } => {
            let image = image(&id);
            (id, image, ScanResult::Removed)
        }
    };
    Some(Update::RegistryScan(RegistryScan {
        repository,
        image,
        result,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workers::ecr::{NotEcr, ScanError, parse_ecr_image};
    use std::time::Duration;

    #[test]
    fn scanner_failures_and_unavailable_registries_become_scan_results() {
        let repo =
            parse_ecr_image("123456789012.dkr.ecr.us-west-2.amazonaws.com/team/app").unwrap();
        let failed = registry_update(
            RegistryEvent::Failed {
                id: "ns/app".into(),
                repo: repo.clone(),
                error: ScanError::Throttled {
                    repository: "team/app".into(),
                    message: "Rate exceeded".into(),
                },
                failures: 2,
                retry_in: Duration::from_secs(10),
            },
            |_| String::new(),
        );
        let Some(Update::RegistryScan(scan)) = failed else {
            panic!("{failed:?}");
        };
        assert_eq!(scan.image, repo.image());
        let ScanResult::Failed(text) = scan.result else {
            panic!("{:?}", scan.result);
        };
        assert!(text.contains("throttled"), "{text}");
        assert!(text.ends_with("(failure 2; next attempt in 10s)"), "{text}");

        let unavailable = registry_update(
            RegistryEvent::Unavailable {
                id: "ns/gh".into(),
                reason: NotEcr::Unsupported {
                    host: "ghcr.io".into(),
                },
            },
            |id| format!("image of {id}"),
        );
        assert_eq!(
            unavailable,
            Some(Update::RegistryScan(RegistryScan {
                repository: "ns/gh".into(),
                image: "image of ns/gh".into(),
                result: ScanResult::Unavailable("registry scan not available for ghcr.io".into()),
            }))
        );
        assert_eq!(
            registry_update(
                RegistryEvent::Scanning {
                    id: "ns/app".into(),
                    repo
                },
                |_| String::new()
            ),
            None
        );
    }

    #[test]
    fn marks_and_behind_keep_their_meaning() {
        assert_eq!(mark(Mark::Applied), CommitMark::Applied);
        assert_eq!(mark(Mark::Pending), CommitMark::Pending);
        assert_eq!(mark(Mark::Unknown), CommitMark::Unknown);
        assert_eq!(behind(Behind::By(3)), BehindBy::Commits(3));
        assert_eq!(behind(Behind::AtLeast(200)), BehindBy::AtLeast(200));
        assert_eq!(behind(Behind::NotOnBranch), BehindBy::NotOnBranch);
    }
}
