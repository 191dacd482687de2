//! Commits of the config repository (filled by the git worker).

use jiff::Timestamp;

/// One commit as the commits pane shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Commit {
    /// The full hex SHA.
    pub sha: String,
    /// Author name.
    pub author: String,
    /// Author email.
    pub email: String,
    /// Author time.
    pub time: Timestamp,
    /// The first line of the message.
    pub subject: String,
    /// Whether an ImageUpdateAutomation made it (its author matches an automation's
    /// `spec.git.commit.author`), so the pane can tell robot commits from human ones.
    pub automation: bool,
    /// The image values an automation commit changed (empty for other commits).
    pub changes: Vec<ImageUpdate>,
}

/// One value an automation commit changed (a `$imagepolicy` setter's line).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImageUpdate {
    /// The setter, e.g. `sock-shop:sock-shop-front-end:tag`, when known.
    pub setter: Option<String>,
    /// The value before, when known.
    pub old: Option<String>,
    /// The value after.
    pub new: String,
}

impl ImageUpdate {
    /// `old → new`, or `→ new` when the old value is unknown.
    pub fn summary(&self) -> String {
        match &self.old {
            Some(old) => format!("{old} → {}", self.new),
            None => format!("→ {}", self.new),
        }
    }
}

/// Whether one commit is in what a Kustomization applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CommitMark {
    /// The applied commit or one of its ancestors.
    Applied,
    /// Newer than the applied commit: not in the cluster yet.
    Pending,
    /// The applied commit is not on this branch.
    Unknown,
}

/// How far a Kustomization is behind the branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BehindBy {
    /// Exactly this many commits (0: up to date).
    Commits(usize),
    /// At least this many (the applied commit is older than the loaded log).
    AtLeast(usize),
    /// The applied commit is not on the branch at all.
    NotOnBranch,
}

impl BehindBy {
    /// Words for headers: `up to date`, `behind by 3`, `behind by 200+`, `not on branch`.
    pub fn describe(self) -> String {
        match self {
            BehindBy::Commits(0) => "up to date".to_owned(),
            BehindBy::Commits(n) => format!("behind by {n}"),
            BehindBy::AtLeast(n) => format!("behind by {n}+"),
            BehindBy::NotOnBranch => "applied revision not on branch".to_owned(),
        }
    }
}

impl Commit {
    /// The first 7 hex digits, as `git log --oneline` prints them.
    pub fn short_sha(&self) -> &str {
        self.sha.get(..7).unwrap_or(&self.sha)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_sha_and_subject() {
        let c = Commit {
            sha: "9e2f5b8c1a4d".into(),
            author: "fluxcdbot".into(),
            email: "fluxcdbot@users.noreply.github.com".into(),
            time: Timestamp::UNIX_EPOCH,
            subject: "main-1f49071-24".into(),
            automation: true,
            changes: vec![ImageUpdate {
                setter: None,
                old: Some("a".into()),
                new: "b".into(),
            }],
        };
        assert_eq!(c.changes[0].summary(), "a → b");
        assert_eq!(c.short_sha(), "9e2f5b8");
        assert_eq!(c.subject, "main-1f49071-24");
        let short = Commit {
            sha: "abc".into(),
            ..c
        };
        assert_eq!(short.short_sha(), "abc");
    }

    #[test]
    fn behind_by_in_words() {
        assert_eq!(BehindBy::Commits(0).describe(), "up to date");
        assert_eq!(BehindBy::Commits(2).describe(), "behind by 2");
        assert_eq!(BehindBy::AtLeast(200).describe(), "behind by 200+");
        let unknown_old = ImageUpdate {
            setter: None,
            old: None,
            new: "v2".into(),
        };
        assert_eq!(unknown_old.summary(), "→ v2");
    }
}
