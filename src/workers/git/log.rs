//! The branch log, a page at a time: newest first by commit date (as `git log`), walked
//! lazily so the first page of a 50,000-commit history costs what the page costs. Commits
//! whose author is one of the ImageUpdateAutomations' configured authors get the image
//! change they made, read from their diff.

use git2::{Commit, DiffOptions, Oid, Repository, Sort};
use jiff::Timestamp;
use serde_json::Value;

use super::diff::{against_first_parent, delta_path};
use super::image_change::{
    ChangedLine, ImageChange, MARKER, changes_from_lines, changes_from_message,
};

/// A commit author an automation writes as (`spec.git.commit.author`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Author {
    /// `spec.git.commit.author.name` (empty: any name with this email).
    pub name: String,
    /// `spec.git.commit.author.email` (compared without case).
    pub email: String,
}

impl Author {
    /// The author an ImageUpdateAutomation object commits as, if it names one.
    pub fn from_automation(obj: &Value) -> Option<Author> {
        let a = &obj["spec"]["git"]["commit"]["author"];
        let email = a["email"].as_str()?.trim();
        if email.is_empty() {
            return None;
        }
        Some(Author {
            name: a["name"].as_str().unwrap_or("").trim().to_string(),
            email: email.to_string(),
        })
    }

    /// Whether a commit's author is this one: same email, and same name when one is set.
    pub fn matches(&self, name: &str, email: &str) -> bool {
        self.email.eq_ignore_ascii_case(email.trim())
            && (self.name.is_empty() || self.name == name.trim())
    }
}

/// What an automation commit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutomationCommit {
    /// The configured author it matched.
    pub author: Author,
    /// The values it changed (empty when neither the diff nor the message shows one).
    pub changes: Vec<ImageChange>,
}

/// One commit of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    /// The full hex SHA.
    pub sha: String,
    /// The first 7 hex digits.
    pub short: String,
    /// The author's name.
    pub author_name: String,
    /// The author's email.
    pub author_email: String,
    /// The author time.
    pub time: Timestamp,
    /// The message's first line.
    pub subject: String,
    /// Parent SHAs, first parent first.
    pub parents: Vec<String>,
    /// Set when an automation's author made it.
    pub automation: Option<AutomationCommit>,
}

/// One page of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The commits, newest first.
    pub commits: Vec<CommitInfo>,
    /// Whether the walk reached the first commit (no more to load).
    pub complete: bool,
}

/// Reads `limit` commits after skipping `skip`, from `head` back.
pub(crate) fn read_page(
    repo: &Repository,
    head: Oid,
    skip: usize,
    limit: usize,
    authors: &[Author],
) -> Result<Page, git2::Error> {
    let mut walk = repo.revwalk()?;
    // libgit2 (1.9) walks the whole history before yielding anything once any sort mode is
    // set (the walk becomes "limited"). The unsorted walk stays lazy and still queues parents
    // by commit date, which is `git log`'s default order.
    walk.set_sorting(Sort::NONE)?;
    walk.push(head)?;
    let mut commits = Vec::with_capacity(limit.min(4096));
    let mut seen = 0usize;
    let mut complete = true;
    for oid in walk {
        let oid = oid?;
        seen += 1;
        if seen <= skip {
            continue;
        }
        if commits.len() == limit {
            complete = false;
            break;
        }
        let commit = repo.find_commit(oid)?;
        commits.push(commit_info(repo, &commit, authors)?);
    }
    Ok(Page { commits, complete })
}

fn commit_info(
    repo: &Repository,
    commit: &Commit<'_>,
    authors: &[Author],
) -> Result<CommitInfo, git2::Error> {
    let sha = commit.id().to_string();
    let sig = commit.author();
    let author_name = String::from_utf8_lossy(sig.name_bytes()).into_owned();
    let author_email = String::from_utf8_lossy(sig.email_bytes()).into_owned();
    let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
    let automation = match authors
        .iter()
        .find(|a| a.matches(&author_name, &author_email))
    {
        Some(author) => Some(AutomationCommit {
            author: author.clone(),
            changes: image_changes(repo, commit, &message)?,
        }),
        None => None,
    };
    Ok(CommitInfo {
        short: sha.chars().take(7).collect(),
        sha,
        author_name,
        author_email,
        time: Timestamp::from_second(sig.when().seconds()).unwrap_or(Timestamp::UNIX_EPOCH),
        subject: message.lines().next().unwrap_or("").trim().to_string(),
        parents: commit.parent_ids().map(|p| p.to_string()).collect(),
        automation,
    })
}

/// The image values a commit changed: marked lines of its diff against the first parent,
/// else its message lines.
fn image_changes(
    repo: &Repository,
    commit: &Commit<'_>,
    message: &str,
) -> Result<Vec<ImageChange>, git2::Error> {
    let mut opts = DiffOptions::new();
    opts.context_lines(0);
    let diff = against_first_parent(repo, commit, &mut opts)?;
    let mut owned: Vec<(String, bool, String)> = Vec::new();
    diff.foreach(
        &mut |_, _| true,
        None,
        None,
        Some(&mut |delta, _hunk, line| {
            let added = match line.origin() {
                '+' => true,
                '-' => false,
                _ => return true,
            };
            let text = String::from_utf8_lossy(line.content());
            if text.contains(MARKER) {
                owned.push((
                    delta_path(&delta),
                    added,
                    text.trim_end_matches(['\n', '\r']).to_string(),
                ));
            }
            true
        }),
    )?;
    let lines: Vec<ChangedLine<'_>> = owned
        .iter()
        .map(|(file, added, text)| ChangedLine {
            file,
            added: *added,
            text,
        })
        .collect();
    let changes = changes_from_lines(&lines);
    if changes.is_empty() {
        return Ok(changes_from_message(message));
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn authors_match_by_email_and_name_when_given() {
        let bot = Author {
            name: "fluxcdbot".into(),
            email: "fluxcdbot@users.noreply.github.com".into(),
        };
        assert!(bot.matches("fluxcdbot", "FluxCDBot@users.noreply.github.com"));
        assert!(!bot.matches("fluxcdbot", "someone@example.com"));
        assert!(!bot.matches("Maria", "fluxcdbot@users.noreply.github.com"));
        let any_name = Author {
            name: String::new(),
            email: "bot@x".into(),
        };
        assert!(any_name.matches("whoever", "bot@x"));
    }

    #[test]
    fn author_is_read_from_an_automation_object() {
        let obj = json!({"spec": {"git": {"commit": {"author": {"name": "release-bot", "email": "rb@corp.example"}}}}});
        assert_eq!(
            Author::from_automation(&obj),
            Some(Author {
                name: "release-bot".into(),
                email: "rb@corp.example".into()
            })
        );
        assert_eq!(Author::from_automation(&json!({"spec": {}})), None);
    }
}
