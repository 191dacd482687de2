//! Where the log view is: the stream it shows, its container, whether it follows, its
//! scroll position, wrap and search. The lines themselves are the state's
//! ([`crate::state::LogBuffer`]).

use crate::model::key::ObjectKey;
use crate::state::{LogSession, LogTarget};

/// Where the log view is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogView {
    /// The stream shown.
    pub session: LogSession,
    /// What it reads.
    pub target: LogTarget,
    /// The pod's containers, then its init containers (the choice for Tab).
    pub containers: Vec<String>,
    /// The Kustomization whose workloads' pod is shown (`l` on its row): when that pod goes
    /// (a rollout replaced it), the view moves to the pod picked now.
    pub workloads_of: Option<ObjectKey>,
    /// How the pod was chosen, when not by its own row
    /// (`Deployment/front-end of` the Kustomization `apps/front-end`).
    pub via: Option<String>,
    /// Whether the view keeps to the newest line.
    pub follow: bool,
    /// The first line shown while paused, numbered from the stream's start.
    pub top: usize,
    /// Whether long lines wrap (else they are cut at the edge).
    pub wrap: bool,
    /// The search (case-insensitive); empty for none.
    pub search: String,
    /// Whether the search is being typed.
    pub typing: bool,
}

impl LogView {
    /// The title's description of the stream: pod, container, instance.
    pub fn describe(&self) -> String {
        let mut text = format!("{}/{}", self.target.pod.namespace, self.target.pod.name);
        if let Some(c) = &self.target.container {
            text.push_str(&format!(" · {c}"));
            if self.containers.len() > 1 {
                let at = self.containers.iter().position(|x| x == c).unwrap_or(0);
                text.push_str(&format!(" ({}/{})", at + 1, self.containers.len()));
            }
        }
        if self.target.previous {
            text.push_str(" · previous");
        }
        text
    }
}
