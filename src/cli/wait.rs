//! `fluxdeck wait`: blocks until a release has rolled out, for scripts and CI. It runs the
//! same workers and state as the TUI, follows the release lane of the image or commit
//! asked for, writes each stage to stderr as it is reached, and exits 0 once every pod
//! runs the release, or 1 at the timeout naming the stage it waits at and why.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::bail;
use clap::Args;
use jiff::Timestamp;

use crate::model::image::ImageRef;
use crate::state::{Lane, Release, Stage, State};

use super::global::GlobalArgs;
use super::status::{Format, Headless, parse_duration, release_report};
use super::tui::SourceArgs;

/// `fluxdeck wait`.
#[derive(Debug, Args)]
#[command(
    about = "Wait until a release (an image tag or an automation commit) has rolled out",
    long_about = "Wait until a release has rolled out: every pod of the app runs it and is \
                  Ready.\n\nName the release by its image (`--image NAME:TAG`, NAME as in the \
                  ImageRepository's spec.image, or its last path segments) or by the \
                  automation commit that wrote it (`--commit SHA`, 7 characters or more). \
                  Stages go to stderr as they are reached (pushed, scanned, selected, \
                  committed, fetched, applied, rolled-out). Exit 0 once rolled out; exit 1 \
                  at --timeout naming the stage it waits at and why (a suspended \
                  Kustomization, pods in CrashLoopBackOff, ...), or at once when it can \
                  never roll out (the policy filters the tag out, or a newer release \
                  replaced it).",
    after_help = "Examples:\n  fluxdeck wait --image front-end:main-1f49071-24 --timeout 10m\n  \
                  fluxdeck wait --commit 3f2a9c1 -o json"
)]
pub struct WaitArgs {
    /// The image release, `NAME:TAG`.
    #[arg(
        long,
        value_name = "NAME:TAG",
        conflicts_with = "commit",
        required_unless_present = "commit"
    )]
    pub image: Option<String>,
    /// The automation commit (full or abbreviated SHA).
    #[arg(long, value_name = "SHA")]
    pub commit: Option<String>,
    /// Only the lane of this ImagePolicy (`NAME` or `NAMESPACE/NAME`).
    #[arg(long, value_name = "POLICY")]
    pub app: Option<String>,
    /// How long to wait (e.g. `90s`, `10m`).
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Output on stdout at the end: `table` (one line) or `json` (the lane item of
    /// schema/status.schema.json).
    #[arg(short = 'o', long, value_name = "FORMAT", default_value = "table")]
    pub output: Format,
    /// Which pods the release lanes read: a namespace, `all`, or `auto` (the default: the
    /// namespaces of the Kustomizations' workloads, or all namespaces with -A).
    #[arg(long, value_name = "NS")]
    pub app_namespace: Option<String>,
    /// Where commits and image tags come from, as for the TUI.
    #[command(flatten)]
    pub sources: SourceArgs,
}

/// What is waited for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// An image name (or its tail) and tag.
    Image {
        /// The name as given.
        name: String,
        /// The tag.
        tag: String,
    },
    /// An automation commit.
    Commit(String),
}

impl Target {
    /// Reads the flags.
    pub fn from_args(image: Option<&str>, commit: Option<&str>) -> anyhow::Result<Target> {
        match (image, commit) {
            (Some(image), _) => {
                let r = ImageRef::parse(image);
                if r.tag.is_empty() || r.name.is_empty() {
                    bail!("--image {image}: write it as NAME:TAG, e.g. front-end:main-1f49071-24");
                }
                Ok(Target::Image {
                    name: r.name,
                    tag: r.tag,
                })
            }
            (None, Some(sha)) => {
                let sha = sha.trim().to_ascii_lowercase();
                if sha.len() < 7 || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
                    bail!("--commit {sha}: give at least 7 hex digits of the commit SHA");
                }
                Ok(Target::Commit(sha))
            }
            (None, None) => bail!("give --image NAME:TAG or --commit SHA"),
        }
    }

    fn describe(&self) -> String {
        match self {
            Target::Image { name, tag } => format!("{name}:{tag}"),
            Target::Commit(sha) => format!("commit {sha}"),
        }
    }
}

/// Where the release stands now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No lane knows it yet.
    Unseen(String),
    /// On its way (or stuck) at a stage.
    Moving {
        /// `namespace/name` of its lane.
        app: String,
        /// The last stage reached.
        reached: Option<Stage>,
    },
    /// Every pod runs it.
    RolledOut {
        /// Its lane.
        app: String,
    },
    /// It can never roll out.
    Never {
        /// Its lane.
        app: String,
        /// Why.
        reason: String,
    },
}

fn app_matches(lane: &Lane, app: Option<&str>) -> bool {
    match app {
        None => true,
        Some(a) if a.contains('/') => lane.app() == a,
        Some(a) => lane.policy.name == a,
    }
}

/// Whether `lane`'s image is `name`: the whole repository path, or its last segments.
fn image_matches(lane: &Lane, name: &str) -> bool {
    lane.image.as_deref().is_some_and(|image| {
        let image = ImageRef::parse(image).name;
        image == name || image.ends_with(&format!("/{name}"))
    })
}

/// The lane and release `target` names.
pub fn find<'a>(
    state: &'a State,
    target: &Target,
    app: Option<&str>,
) -> Option<(&'a Lane, &'a Release)> {
    state
        .lanes()
        .iter()
        .filter(|l| app_matches(l, app))
        .find_map(|lane| {
            let release = match target {
                Target::Image { name, tag } => image_matches(lane, name)
                    .then(|| lane.release(tag))
                    .flatten(),
                Target::Commit(sha) => lane.release_by_commit(sha),
            }?;
            Some((lane, release))
        })
}

/// Where `target` stands in `state`.
pub fn verdict(state: &State, target: &Target, app: Option<&str>) -> Verdict {
    let Some((lane, release)) = find(state, target, app) else {
        // A tag the policy filters out never gets a release: say so at once.
        if let Target::Image { name, tag } = target
            && let Some((lane, f)) = state
                .lanes()
                .iter()
                .filter(|l| app_matches(l, app) && image_matches(l, name))
                .find_map(|l| l.filtered().find(|f| f.tag == *tag).map(|f| (l, f)))
        {
            return Verdict::Never {
                app: lane.app(),
                reason: format!("tag {tag} is filtered out: {}", f.reason),
            };
        }
        let lanes = state.lanes().iter().filter(|l| app_matches(l, app)).count();
        return Verdict::Unseen(match (target, lanes) {
            (_, 0) => "no release lane yet: no ImagePolicy is watched (check -n / -A and --app)"
                .to_owned(),
            (Target::Image { .. }, _) => format!(
                "{} is not in any registry scan, image policy or commit yet",
                target.describe()
            ),
            (Target::Commit(_), _) => format!(
                "{} is not an automation commit of any lane yet",
                target.describe()
            ),
        });
    };
    if release.rolled_out() {
        return Verdict::RolledOut { app: lane.app() };
    }
    if let Some(newer) = &release.superseded_by
        && lane
            .current()
            .is_some_and(|c| c.tag == *newer && c.rolled_out())
    {
        return Verdict::Never {
            app: lane.app(),
            reason: format!("superseded by {newer}, which rolled out instead"),
        };
    }
    Verdict::Moving {
        app: lane.app(),
        reached: release.last_reached(),
    }
}

/// The line for a stage newly reached, with its time and duration when known.
fn stage_line(release: &Release, stage: Stage) -> String {
    let mut line = format!("✔ {}", stage.name());
    if let Some(at) = release.mark(stage).at() {
        line.push_str(&format!(" at {}", at.strftime("%H:%M:%S")));
    }
    if let Some(d) = release.duration(stage) {
        line.push_str(&format!(" (+{:.0}s)", d.as_secs_f64().max(0.0)));
    }
    line
}

/// Runs `fluxdeck wait`.
pub fn run(global: &GlobalArgs, args: WaitArgs) -> anyhow::Result<ExitCode> {
    super::logging::init_logging(global);
    let target = Target::from_args(args.image.as_deref(), args.commit.as_deref())?;
    let headless = Headless::new(global, args.app_namespace.as_deref(), &args.sources)?;
    let app = args.app.clone();
    let outcome = headless.run(async |channels, pods| {
        let mut state = State::new(pods);
        let deadline = tokio::time::Instant::now() + args.timeout;
        let mut printed: Option<Stage> = None;
        let mut err = std::io::stderr();
        let _ = writeln!(err, "◎ waiting for {} to roll out", target.describe());
        let result = loop {
            let v = verdict(&state, &target, app.as_deref());
            if let Some((_, release)) = find(&state, &target, app.as_deref()) {
                for stage in Stage::ALL {
                    if release.mark(stage).reached() && printed.is_none_or(|p| stage > p) {
                        let _ = writeln!(err, "{}", stage_line(release, stage));
                        printed = Some(stage);
                    }
                }
            }
            match v {
                Verdict::RolledOut { .. } | Verdict::Never { .. } => break (v, false),
                _ => {}
            }
            // Wake at least every second: stuck reasons and intervals move with the clock.
            let tick = tokio::time::Instant::now() + Duration::from_secs(1);
            match tokio::time::timeout_at(deadline.min(tick), channels.updates.recv()).await {
                Ok(Some(update)) => {
                    state.apply(update);
                    while let Ok(update) = channels.updates.try_recv() {
                        state.apply(update);
                    }
                    state.show_staged();
                }
                Ok(None) => bail!("the cluster worker stopped; see the log file"),
                Err(_) if tokio::time::Instant::now() >= deadline => {
                    break (verdict(&state, &target, app.as_deref()), true);
                }
                Err(_) => {}
            }
        };
        let (verdict, timed_out) = result;
        let now = Timestamp::now();
        let found = find(&state, &target, app.as_deref());
        let report = found.map(|(lane, release)| release_report(&state, lane, Some(release), now));
        let stuck = found.and_then(|(lane, release)| state.stuck(lane, release, now));
        Ok((verdict, timed_out, report, stuck))
    })?;
    let (verdict, timed_out, report, stuck) = outcome;
    let mut err = std::io::stderr();
    let (code, line) = match &verdict {
        Verdict::RolledOut { app } => (
            ExitCode::SUCCESS,
            format!("✔ {} rolled out ({app})", target.describe()),
        ),
        Verdict::Never { app, reason } => (
            ExitCode::FAILURE,
            format!(
                "✗ {} will not roll out ({app}): {reason}",
                target.describe()
            ),
        ),
        Verdict::Unseen(why) => (ExitCode::FAILURE, format!("✗ timed out: {why}")),
        Verdict::Moving { app, reached } => {
            let at = stuck.as_ref().map(|s| s.stage).or(*reached);
            let why = stuck
                .as_ref()
                .map(|s| s.reason.clone())
                .unwrap_or_else(|| "no reason known".to_owned());
            (
                ExitCode::FAILURE,
                format!(
                    "✗ timed out after {}: {} ({app}) waits at {}: {why}",
                    super::status::humanize(args.timeout),
                    target.describe(),
                    at.map_or("pushed", Stage::name)
                ),
            )
        }
    };
    debug_assert!(timed_out || !matches!(verdict, Verdict::Moving { .. } | Verdict::Unseen(_)));
    let _ = writeln!(err, "{line}");
    let mut out = std::io::stdout().lock();
    match args.output {
        Format::Json => {
            let doc = serde_json::json!({
                "target": target.describe(),
                "rolledOut": matches!(verdict, Verdict::RolledOut { .. }),
                "lane": report,
                "message": line,
            });
            let _ = writeln!(out, "{}", serde_json::to_string_pretty(&doc)?);
        }
        Format::Table | Format::Yaml => {
            if let Some(r) = &report {
                let stage = r.stuck.as_ref().map(|s| s.stage).unwrap_or(r.stage);
                let _ = writeln!(
                    out,
                    "{}\t{}\t{}",
                    r.app,
                    r.tag.as_deref().unwrap_or("-"),
                    stage.name()
                );
            }
        }
    }
    Ok(code)
}
