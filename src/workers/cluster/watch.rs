//! One kube-runtime watcher per kind, with backoff, turned into `Update`s one to one
//! (see `state::update`). Connection state goes to the state like any other update: a
//! failing watcher reports `Retrying` (or `Forbidden` for a 403), and a probe with the same
//! backoff notices when the API answers again, so the header clears even on an idle cluster
//! where the resumed watch brings no event.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::StreamExt;
use jiff::Timestamp;
use kube::api::{Api, ApiResource, GroupVersionKind, ListParams};
use kube::core::{DynamicResourceScope, Resource};
use kube::runtime::{WatchStreamExt, watcher};
use tokio::sync::mpsc;

use crate::model::key::{Kind, ObjectKey};
use crate::model::object::Object;
use crate::state::{Update, WatchState};

use super::raw::{READING, RawObject};

/// What one watcher watches.
#[derive(Debug, Clone)]
pub struct WatchSpec {
    /// The kind.
    pub kind: Kind,
    /// The served version to read.
    pub version: String,
    /// The namespace; `None` for all namespaces.
    pub namespace: Option<String>,
    /// This watcher covers only part of its kind's rows (one of several namespaces whose
    /// pods are watched): its relists must not replace the others' rows, so it sends them
    /// as `Applied`, then `Deleted` for what its relist no longer holds.
    pub partial: bool,
}

impl WatchSpec {
    /// The dynamic API for this spec, reading objects as `K`.
    pub fn api<K>(&self, client: &kube::Client) -> Api<K>
    where
        K: Resource<DynamicType = ApiResource, Scope = DynamicResourceScope>,
    {
        let gvk = GroupVersionKind::gvk(self.kind.group(), &self.version, self.kind.name());
        let ar = ApiResource::from_gvk_with_plural(&gvk, self.kind.plural());
        match &self.namespace {
            Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
            None => Api::all_with(client.clone(), &ar),
        }
    }

    fn scope(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("in namespace {ns}"),
            None => "in all namespaces".to_string(),
        }
    }
}

/// Reads a watched object into the state's row type; `None` when it cannot be read at all.
fn row(kind: Kind, obj: &RawObject) -> Option<Object> {
    match obj.object() {
        Ok(o) => Some(o),
        Err(e) => {
            tracing::warn!("skipping a {kind} that cannot be read: {e}");
            None
        }
    }
}

fn key_of(kind: Kind, obj: &RawObject) -> ObjectKey {
    ObjectKey {
        namespace: obj.meta().namespace.as_deref().unwrap_or_default().into(),
        name: obj.meta().name.as_deref().unwrap_or_default().into(),
        kind,
    }
}

/// The API error inside a watcher error, if there is one.
fn api_status(e: &watcher::Error) -> Option<(u16, String)> {
    let inner = match e {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => e,
        watcher::Error::WatchError(s) => return Some((s.code, s.message.clone())),
        _ => return None,
    };
    match inner {
        kube::Error::Api(s) => Some((s.code, s.message.clone())),
        _ => None,
    }
}

fn describe(e: &watcher::Error) -> String {
    match api_status(e) {
        Some((code, msg)) => format!("API answered {code}: {msg}"),
        None => match e {
            watcher::Error::InitialListFailed(e)
            | watcher::Error::WatchStartFailed(e)
            | watcher::Error::WatchFailed(e) => e.to_string(),
            other => other.to_string(),
        },
    }
}

/// Objects per page of a list (client-go's and kube's default is 500). Each page is a round
/// trip, and a server may pay for each page in proportion to the whole list: the peer
/// harness's fake server takes 3.4 s to send 20,000 Kustomizations in pages of 500, and
/// fluxdeck's ready time there is ~7 s with pages of 500, 2.0 s with 2,000, 1.0 s with 5,000
/// and 0.7 s unpaged. Rows are read as a page decodes (see `RawObject`), so the page size
/// does not change the idle RSS (55 MB at 20,000), only the peak while listing: 57 MB with
/// pages of 2,000, 75 MB with 5,000, 125 MB unpaged. 2,000 keeps the peak within 2× of
/// N=2,000 (issue 6). Lists stay paged and consistent: not `resourceVersion=0`, which API
/// servers answer from their watch cache, where the limit has long been ignored (kubernetes
/// PR 70735), so the whole list comes in one piece.
pub const LIST_PAGE: u32 = 2000;

/// Runs the watcher for `spec` until the receiver of `out` is gone.
pub async fn run(client: kube::Client, spec: WatchSpec, out: mpsc::Sender<Update>) {
    // Objects are read into rows as the watcher decodes them (see `RawObject`).
    READING.scope(spec.kind, watch(client, spec, out)).await
}

async fn watch(client: kube::Client, spec: WatchSpec, out: mpsc::Sender<Update>) {
    let kind = spec.kind;
    let api = spec.api::<RawObject>(&client);
    let send = |u: Update| {
        let out = out.clone();
        async move { out.send(u).await.is_ok() }
    };
    if !send(Update::Watch {
        kind,
        state: WatchState::Connecting,
    })
    .await
    {
        return;
    }
    let config = watcher::Config::default().page_size(LIST_PAGE);
    let backoff = InteractiveBackoff::new();
    let last_wait = backoff.last.clone();
    let stream = watcher::watcher(api.clone(), config).backoff(backoff);
    futures::pin_mut!(stream);
    let mut failing_since: Option<Timestamp> = None;
    let mut probe: Option<tokio::task::JoinHandle<()>> = None;
    // A partial watcher's rows, and those its relist in progress has seen.
    let mut known: HashSet<ObjectKey> = HashSet::new();
    let mut seen: HashSet<ObjectKey> = HashSet::new();
    while let Some(ev) = stream.next().await {
        let ev = match ev {
            Ok(ev) if spec.partial => {
                match &ev {
                    watcher::Event::Init => seen.clear(),
                    watcher::Event::InitApply(o) => {
                        seen.insert(key_of(kind, o));
                    }
                    watcher::Event::Apply(o) => {
                        known.insert(key_of(kind, o));
                    }
                    watcher::Event::Delete(o) => {
                        known.remove(&key_of(kind, o));
                    }
                    watcher::Event::InitDone => {
                        for gone in known.difference(&seen) {
                            if !send(Update::Deleted(gone.clone())).await {
                                return;
                            }
                        }
                        known = std::mem::take(&mut seen);
                    }
                }
                Ok(ev)
            }
            other => other,
        };
        let update = match ev {
            Ok(ev) => {
                if failing_since.take().is_some() {
                    if let Some(p) = probe.take() {
                        p.abort();
                    }
                    if !send(Update::Watch {
                        kind,
                        state: WatchState::Connected,
                    })
                    .await
                    {
                        return;
                    }
                }
                match ev {
                    watcher::Event::Init if spec.partial => None,
                    watcher::Event::InitApply(o) if spec.partial => {
                        row(kind, &o).map(Update::Applied)
                    }
                    watcher::Event::InitDone if spec.partial => Some(Update::Watch {
                        kind,
                        state: WatchState::Connected,
                    }),
                    watcher::Event::Init => Some(Update::RelistStarted(kind)),
                    watcher::Event::InitApply(o) => row(kind, &o).map(Update::Relisted),
                    watcher::Event::InitDone => Some(Update::RelistDone(kind)),
                    watcher::Event::Apply(o) => row(kind, &o).map(Update::Applied),
                    watcher::Event::Delete(o) => Some(Update::Deleted(key_of(kind, &o))),
                }
            }
            Err(e) => {
                let state = match api_status(&e) {
                    Some((403, _)) => WatchState::Forbidden {
                        permission: format!("list and watch {} {}", kind.resource(), spec.scope()),
                    },
                    _ => WatchState::Retrying {
                        since: *failing_since.get_or_insert_with(Timestamp::now),
                        reason: describe(&e),
                        // The stream chose this wait before it passed the error on.
                        retry_in: Duration::from_millis(last_wait.load(Ordering::Relaxed)),
                    },
                };
                failing_since.get_or_insert_with(Timestamp::now);
                if probe.as_ref().is_none_or(|p| p.is_finished()) {
                    probe = Some(tokio::spawn(probe_until_ok(api.clone(), kind, out.clone())));
                }
                Some(Update::Watch { kind, state })
            }
        };
        if let Some(u) = update
            && !send(u).await
        {
            break;
        }
    }
    if let Some(p) = probe {
        p.abort();
    }
}

/// While a watcher fails, asks the API for one object with the same backoff; on the first
/// answer reports the watcher connected again (the watch resumes on its own).
async fn probe_until_ok(api: Api<RawObject>, kind: Kind, out: mpsc::Sender<Update>) {
    let mut backoff = InteractiveBackoff::new();
    loop {
        tokio::time::sleep(backoff.next().unwrap_or(MAX_RETRY)).await;
        if api
            .list_metadata(&ListParams::default().limit(1))
            .await
            .is_ok()
        {
            let _ = out
                .send(Update::Watch {
                    kind,
                    state: WatchState::Connected,
                })
                .await;
            return;
        }
    }
}

/// The longest wait between two attempts: an interactive client is live again within this
/// of the API answering (kube-runtime's default backoff grows to 30 s, which after a long
/// outage kept the panes stale ~10 s after the API was back).
pub const MAX_RETRY: Duration = Duration::from_secs(2);

/// The first wait after an error.
const FIRST_RETRY: Duration = Duration::from_millis(250);

/// Exponential backoff for an interactive client: 250 ms doubling up to [`MAX_RETRY`],
/// each wait jittered down to half of it (so the watchers of every kind, which fail
/// together, do not retry in lockstep). Keeps its last wait for the UI's "retrying in N s".
pub struct InteractiveBackoff {
    step: Duration,
    /// The last wait handed out, in milliseconds.
    pub last: Arc<AtomicU64>,
}

impl InteractiveBackoff {
    /// A backoff at its first step.
    pub fn new() -> InteractiveBackoff {
        InteractiveBackoff {
            step: FIRST_RETRY,
            last: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl Default for InteractiveBackoff {
    fn default() -> Self {
        InteractiveBackoff::new()
    }
}

impl Iterator for InteractiveBackoff {
    type Item = Duration;
    fn next(&mut self) -> Option<Duration> {
        let step = u64::try_from(self.step.as_millis()).unwrap_or(u64::MAX);
        self.step = (self.step * 2).min(MAX_RETRY);
        let wait = rand::random_range(step / 2..=step);
        self.last.store(wait, Ordering::Relaxed);
        Some(Duration::from_millis(wait))
    }
}

impl kube::runtime::utils::Backoff for InteractiveBackoff {
    fn reset(&mut self) {
        self.step = FIRST_RETRY;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::runtime::utils::Backoff;

    #[test]
    fn the_backoff_doubles_to_2_s_with_jitter_and_resets() {
        let mut b = InteractiveBackoff::new();
        let waits: Vec<Duration> = (&mut b).take(12).collect();
        assert!(
            waits[0] >= FIRST_RETRY / 2 && waits[0] <= FIRST_RETRY,
            "{waits:?}"
        );
        assert!(waits.iter().all(|w| *w <= MAX_RETRY), "{waits:?}");
        assert!(waits[6..].iter().all(|w| *w >= MAX_RETRY / 2), "{waits:?}");
        assert_eq!(
            Duration::from_millis(b.last.load(Ordering::Relaxed)),
            waits[11]
        );
        // Jittered: a dozen capped waits are not all the same.
        let capped: Vec<Duration> = (&mut b).take(12).collect();
        assert!(capped.windows(2).any(|w| w[0] != w[1]), "{capped:?}");
        b.reset();
        assert!(b.next().is_some_and(|w| w <= FIRST_RETRY));
    }
}
