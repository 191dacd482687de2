//! `fluxdeck policy`: evaluate an ImagePolicy over tags (see `crate::policy`).

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use clap::{ArgGroup, Args};

use super::global::GlobalArgs;
use crate::policy::{self, FilterTags, Order, PolicyChoice, PolicyError, PolicySpec};

/// The manual, shown by `--help` before the options (the one-line summary comes from the
/// subcommand list in `cli/mod.rs`).
const MANUAL: &str = "\
Prints the tag an ImagePolicy would select, exactly as Flux's image-reflector-controller
selects it.

Tags come from the TAG arguments or, when there are none, from standard input, one per
line (surrounding whitespace is trimmed and empty lines are ignored; input must be UTF-8).

The tags go through the same steps as in the cluster:
  1. the ImageRepository exclusion list: every tag that an --exclude pattern matches
     anywhere is dropped; with no --exclude, the default '^.*\\.sig$' applies (cosign
     signature tags), unless --no-default-exclude is given;
  2. the order Flux stores tags in: descending byte order (this decides ties: semver
     keeps the first of equal versions, so 'v1.0.0' beats '1.0.0'; numerical keeps the
     last of equal numbers);
  3. filterTags: --pattern (Go RE2 syntax, unanchored) keeps matching tags, and
     --extract (Go Regexp.Expand syntax: $name, ${name}, $1, $$) turns each into the value
     the policy compares; the original tag is printed;
  4. the policy: exactly one of --semver, --alphabetical, --numerical. The ORDER of the
     last two is optional (asc); when TAG arguments follow, write it, or put -- before
     the tags, so that the first tag is not read as the order.

Where Flux is random (two tags whose extracted values tie), fluxdeck is deterministic: the
value that appeared first wins, reported with the last tag that produced it.

Exit status: 0 with the selected tag on stdout; 1 when the policy cannot select a tag (invalid
pattern or range, no tag left, a tag that is not a number for --numerical), with Flux's
message on stderr; 2 on a usage error.";

const EXAMPLES: &str = "\
Examples:
  # The Sock Shop pipeline: highest CI build number among main-<sha>-<n> tags
  fluxdeck policy --numerical asc \\
      --pattern '^main-[a-fA-F0-9]+-(?P<buidnumber>.*)' --extract '$buidnumber' \\
      latest main-1f49071-24 main-9c2e8aa-25 main-0b7d2f1-9
  # -> main-9c2e8aa-25

  # Latest 1.x release, prereleases excluded unless the range names one
  fluxdeck policy --semver '>=1.0.0 <2.0.0' 1.2.0 1.3.0-rc.1 v1.2.5 2.0.0
  # -> v1.2.5

  # Latest release candidate
  fluxdeck policy --semver '^1.x-0' --pattern '.*-rc.*' 1.3.0-rc.1 1.3.0-rc.2 1.2.0

  # Tags from a registry listing, RFC 3339 timestamps in the tag
  crane ls ghcr.io/org/app | fluxdeck policy --alphabetical \\
      --pattern '^main-[a-f0-9]+-(?P<ts>[0-9]+)' --extract '$ts'";

/// Arguments of `fluxdeck policy`.
#[derive(Debug, Args)]
#[command(before_long_help = MANUAL, after_long_help = EXAMPLES)]
#[command(group(ArgGroup::new("policy").required(true).args(["semver", "alphabetical", "numerical"])))]
pub struct PolicyArgs {
    /// semver policy: the highest version satisfying RANGE (Masterminds/semver v3 syntax,
    /// e.g. '>=1.0.0 <2.0.0', '^1.2', '~1.2.3', '1.2.x', '1.0 - 2.0', '<1.0 || >=3.0').
    #[arg(long, value_name = "RANGE")]
    pub semver: Option<String>,
    /// alphabetical policy: byte-wise order; asc (default) picks the greatest tag.
    #[arg(long, value_name = "ORDER", num_args = 0..=1, default_missing_value = "asc", value_parser = parse_order)]
    pub alphabetical: Option<Order>,
    /// numerical policy: values parsed as Go float64; asc (default) picks the greatest. One
    /// candidate that is not a number fails the policy: filter with --pattern first.
    #[arg(long, value_name = "ORDER", num_args = 0..=1, default_missing_value = "asc", value_parser = parse_order)]
    pub numerical: Option<Order>,
    /// filterTags.pattern: keep tags this Go RE2 regex matches (unanchored; use ^ and $).
    #[arg(long, value_name = "REGEX", allow_hyphen_values = true)]
    pub pattern: Option<String>,
    /// filterTags.extract: compare the expansion of this template instead of the tag
    /// ($name, ${name}, $1; a missing group expands to nothing; $$ is a dollar).
    #[arg(long, value_name = "TEMPLATE", allow_hyphen_values = true)]
    pub extract: Option<String>,
    /// ImageRepository exclusionList entry (Go RE2, unanchored); repeat for more. Replaces
    /// the default '^.*\.sig$'.
    #[arg(long, value_name = "REGEX", allow_hyphen_values = true)]
    pub exclude: Vec<String>,
    /// Do not apply the default exclusion '^.*\.sig$' (Flux always applies it when the
    /// exclusion list is empty).
    #[arg(long, conflicts_with = "exclude")]
    pub no_default_exclude: bool,
    /// Tags to choose from (default: read from stdin, one per line).
    pub tags: Vec<String>,
}

fn parse_order(s: &str) -> Result<Order, String> {
    Order::parse(s).map_err(|e| e.to_string())
}

impl PolicyArgs {
    fn spec(&self) -> PolicySpec {
        let choice = match (&self.semver, self.alphabetical, self.numerical) {
            (Some(range), _, _) => PolicyChoice::Semver {
                range: range.clone(),
            },
            (None, Some(order), _) => PolicyChoice::Alphabetical { order },
            (None, None, order) => PolicyChoice::Numerical {
                order: order.unwrap_or_default(),
            },
        };
        let filter = (self.pattern.is_some() || self.extract.is_some()).then(|| FilterTags {
            pattern: self.pattern.clone().unwrap_or_default(),
            extract: self.extract.clone().unwrap_or_default(),
        });
        PolicySpec { choice, filter }
    }
}

/// What to do about an error, in the user's terms (flag and fix), after Flux's message.
fn hint(err: &PolicyError) -> &'static str {
    match err {
        PolicyError::InvalidPattern { .. } => {
            "fix --pattern: it must be Go RE2 syntax (Flux's spec.filterTags.pattern)"
        }
        PolicyError::InvalidExclusion { .. } => "fix --exclude: it must be Go RE2 syntax",
        PolicyError::InvalidRange { .. } => {
            "fix --semver: use a Masterminds range such as '>=1.0.0', '^1.2' or '1.2.x'"
        }
        PolicyError::InvalidOrder { .. } => "use asc or desc",
        PolicyError::NoChoice | PolicyError::InvalidSpec { .. } => {
            "give exactly one of --semver, --alphabetical, --numerical"
        }
        PolicyError::EmptyList => {
            "no tag left to choose from: check the tags given, --exclude and --pattern"
        }
        PolicyError::NoMatchingVersion => {
            "no tag is a version (major.minor.patch) inside --semver; prereleases count only if the range has one"
        }
        PolicyError::InvalidNumber { .. } => {
            "every candidate must be a number for --numerical: narrow them with --pattern/--extract"
        }
    }
}

/// Tags from stdin, one per line; `Err` carries the message for the user.
fn read_stdin() -> Result<Vec<String>, String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read tags from stdin: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "stdin is not UTF-8 text (invalid byte at offset {}): pipe one tag per line, or pass tags as arguments",
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
}

fn select(args: &PolicyArgs, tags: &[String]) -> Result<String, PolicyError> {
    let compiled = args.spec().compile()?;
    let mut kept = if args.no_default_exclude {
        tags.to_vec()
    } else {
        policy::exclude(tags, &args.exclude)?
    };
    policy::repository_order(&mut kept);
    compiled.latest(&kept)
}

/// Runs `fluxdeck policy`.
pub fn run(_global: &GlobalArgs, args: PolicyArgs) -> anyhow::Result<ExitCode> {
    let tags = if !args.tags.is_empty() {
        args.tags.clone()
    } else if std::io::stdin().is_terminal() {
        eprintln!(
            "error: no tags given: pass TAG arguments or pipe tags on stdin, one per line (see fluxdeck policy --help)"
        );
        return Ok(ExitCode::from(2));
    } else {
        match read_stdin() {
            Ok(tags) => tags,
            Err(message) => {
                eprintln!("error: {message}");
                return Ok(ExitCode::from(1));
            }
        }
    };
    match select(&args, &tags) {
        Ok(tag) => {
            println!("{tag}");
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            eprintln!("error: {err}");
            eprintln!("hint: {}", hint(&err));
            Ok(ExitCode::from(1))
        }
    }
}
