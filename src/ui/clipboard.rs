//! `c` (and `y`, yank, where it confirms nothing): copies what the selected row names to
//! the clipboard over OSC 52, which works over SSH and, through its passthrough, in tmux.
//!
//! What is copied is what a user pastes next: a Kustomization's, source's or pod's name,
//! the image reference an ImagePolicy picked (`repo:tag`, `@digest` when reflected), a
//! commit's full SHA, a release's image reference. The sequence is written by the app
//! between frames, like the `--notify` ones ([`super::notify::passthrough`] wraps both for
//! tmux); it moves no cursor.

use base64::Engine as _;

use crate::model::image::ImageRef;
use crate::state::State;

use super::ui_state::{Mode, PaneId, UiState};

/// The longest value copied, in bytes: its base64 (4/3 as long) stays under the ~100 KB
/// many terminals accept in one OSC 52 sequence.
pub const MAX_BYTES: usize = 74_000;

/// The OSC 52 sequence that puts `text` on the clipboard (`ESC ] 52 ; c ; BASE64 BEL`),
/// wrapped for tmux's passthrough when `tmux`; `None` when `text` is longer than
/// [`MAX_BYTES`].
pub fn osc52(text: &str, tmux: bool) -> Option<String> {
    if text.len() > MAX_BYTES {
        return None;
    }
    let payload = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let sequence = format!("\x1b]52;c;{payload}{}", super::notify::BELL);
    Some(if tmux {
        super::notify::passthrough(&sequence)
    } else {
        sequence
    })
}

/// What `c` copies in the current mode and focus, or why nothing is copied.
pub fn selected_value(ui: &UiState, state: &State) -> Result<String, String> {
    if let Mode::Details { key, .. } = &ui.mode {
        return Ok(key.name.to_string());
    }
    let none = |what: &str| format!("nothing to copy: no {what} selected");
    match ui.focus {
        PaneId::Kustomizations => ui
            .kustomizations
            .selected()
            .map(|k| k.name.to_string())
            .ok_or_else(|| none("Kustomization")),
        PaneId::Sources => ui
            .sources
            .selected()
            .map(|k| k.name.to_string())
            .ok_or_else(|| none("source")),
        PaneId::Pods => ui
            .pods
            .selected()
            .map(|k| k.name.to_string())
            .ok_or_else(|| none("pod")),
        PaneId::Commits => ui.commits.selected().cloned().ok_or_else(|| none("commit")),
        PaneId::Images => {
            let key = ui.images.selected().ok_or_else(|| none("image policy"))?;
            let chain = state
                .image_chains()
                .iter()
                .find(|c| &c.anchor == key)
                .ok_or_else(|| none("image policy"))?;
            let repository = chain
                .repository
                .as_ref()
                .and_then(|k| state.image_repositories().get(k))
                .and_then(|r| r.image.clone());
            let latest = chain
                .policy
                .as_ref()
                .and_then(|k| state.image_policies().get(k))
                .and_then(|p| p.latest.clone());
            match (latest, repository) {
                (Some(latest), repository) => Ok(image_ref(latest, repository.as_deref())),
                (None, Some(image)) => Ok(image),
                (None, None) => Err(format!(
                    "nothing to copy: {} has picked no image yet",
                    key.name
                )),
            }
        }
        PaneId::Releases => {
            let key = ui.releases.selected().ok_or_else(|| none("release lane"))?;
            let lane = state.lanes().get(key).ok_or_else(|| none("release lane"))?;
            let release = lane
                .current()
                .ok_or_else(|| format!("nothing to copy: {} has no release yet", lane.app()))?;
            Ok(match &lane.image {
                Some(image) => format!("{image}:{}", release.tag),
                None => release.tag.clone(),
            })
        }
    }
}

/// `repo:tag[@digest]` of a policy's pick, the repository's image standing in for a name
/// the ImagePolicy left out.
fn image_ref(mut latest: ImageRef, repository: Option<&str>) -> String {
    if latest.name.is_empty() {
        match repository {
            Some(image) => latest.name = image.to_owned(),
            None => return latest.tag,
        }
    }
    latest.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(sequence: &str) -> String {
        let payload = sequence
            .strip_prefix("\x1b]52;c;")
            .and_then(|s| s.strip_suffix('\x07'))
            .unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(payload)
            .unwrap();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn osc52_carries_the_text_in_base64_and_tmux_gets_it_wrapped() {
        assert_eq!(osc52("hello", false).unwrap(), "\x1b]52;c;aGVsbG8=\x07");
        assert_eq!(
            osc52("hello", true).unwrap(),
            "\x1bPtmux;\x1b\x1b]52;c;aGVsbG8=\x07\x1b\\"
        );
        // Any byte survives: the payload is base64, so nothing in it ends the sequence.
        let odd = "front-end:main-1f49071-24\x07\x1b]0;x\u{e9}";
        assert_eq!(decode(&osc52(odd, false).unwrap()), odd);
    }

    #[test]
    fn osc52_refuses_what_terminals_would_drop() {
        let big = "x".repeat(MAX_BYTES);
        let sequence = osc52(&big, false).unwrap();
        assert!(sequence.len() < 100_000, "{}", sequence.len());
        assert_eq!(decode(&sequence), big);
        assert_eq!(osc52(&"x".repeat(MAX_BYTES + 1), false), None);
    }

    #[test]
    fn a_pick_without_a_name_borrows_the_repositorys_image() {
        let pick = ImageRef {
            name: String::new(),
            tag: "v2".into(),
            digest: Some("sha256:ab".into()),
        };
        assert_eq!(
            image_ref(pick.clone(), Some("ecr.example/web")),
            "ecr.example/web:v2@sha256:ab"
        );
        assert_eq!(image_ref(pick, None), "v2");
        let named = ImageRef::parse("ecr.example/web:v3");
        assert_eq!(image_ref(named, Some("other")), "ecr.example/web:v3");
    }
}
