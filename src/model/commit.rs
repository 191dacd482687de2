//! Commits of the config repository (filled by the git worker).

use jiff::Timestamp;

/// One commit as the commits pane shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
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
}

impl Commit {
    /// The first 7 hex digits, as `git log --oneline` prints them.
    pub fn short_sha(&self) -> &str {
        self.sha.get(..7).unwrap_or(&self.sha)
    }

    /// The subject of a full commit message: its first line, trimmed.
    pub fn subject_of(message: &str) -> String {
        message.lines().next().unwrap_or("").trim().to_owned()
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
            subject: Commit::subject_of("main-1f49071-24\n\nbody"),
            automation: true,
        };
        assert_eq!(c.short_sha(), "9e2f5b8");
        assert_eq!(c.subject, "main-1f49071-24");
        let short = Commit {
            sha: "abc".into(),
            ..c
        };
        assert_eq!(short.short_sha(), "abc");
        assert_eq!(Commit::subject_of(""), "");
    }
}
