//! The real binary in a pseudo-terminal on the sock-shop sandbox: `c` puts the selected
//! row's name or image reference on the clipboard with an OSC 52 sequence the terminal
//! reads from the program's output, wrapped in tmux's passthrough when $TMUX is set.

use crate::support::pty::{MEDIUM, Tui, WAIT, keys};
use crate::support::sandbox::BlockingSandbox;
use base64::Engine as _;
use fluxdeck::sandbox::crds::FluxVersion;

const OSC52: &[u8] = b"\x1b]52;c;";

/// Starts the TUI on `sb` with `env` and waits for the sock-shop Kustomization's row.
fn open(sb: &BlockingSandbox, env: &[(&str, &str)]) -> Tui {
    let kc = sb.kubeconfig_args();
    let args: Vec<&str> = kc.iter().map(String::as_str).collect();
    let mut tui = Tui::spawn_env(&args, MEDIUM, env);
    tui.wait_line("sock-shop", "git/sock-shop-tenant", WAIT)
        .unwrap();
    tui
}

/// The sequences the program wrote that start with `prefix`, each up to its BEL, the
/// payload base64-decoded.
fn copies(tui: &Tui, prefix: &[u8]) -> Vec<String> {
    let raw = tui.raw_output();
    let mut found = Vec::new();
    let mut rest = raw.as_slice();
    while let Some(at) = rest.windows(prefix.len()).position(|w| w == prefix) {
        rest = &rest[at + prefix.len()..];
        let end = rest
            .iter()
            .position(|b| *b == 0x07)
            .expect("BEL ends OSC 52");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&rest[..end])
            .unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(&rest[..end])));
        found.push(String::from_utf8(bytes).unwrap());
        rest = &rest[end..];
    }
    found
}

/// Narrows the Kustomizations pane to the sock-shop row, which is then selected.
fn select_sock_shop(tui: &mut Tui) {
    tui.send_keys("/sock-shop");
    tui.send_keys(keys::ENTER);
    tui.wait_line("›", "git/sock-shop-tenant", WAIT).unwrap();
}

/// The reference the sandbox's ImagePolicy selected.
fn latest_ref(sb: &BlockingSandbox) -> String {
    let list = sb.get_json("/apis/image.toolkit.fluxcd.io/v1/imagepolicies");
    let latest = &list["items"][0]["status"]["latestRef"];
    let (name, tag) = (latest["name"].as_str(), latest["tag"].as_str());
    format!("{}:{}", name.unwrap(), tag.unwrap())
}

#[test]
fn c_copies_the_selected_name_and_image_reference_over_osc52() {
    let sb = BlockingSandbox::sock_shop(FluxVersion::Current);
    let mut tui = open(&sb, &[]);
    select_sock_shop(&mut tui);
    tui.send_keys("c");
    tui.wait_text("copied sock-shop", WAIT).unwrap();
    tui.wait_written(OSC52, WAIT).unwrap();
    assert_eq!(copies(&tui, OSC52), ["sock-shop"]);

    // The image automation pane copies the reference the ImagePolicy picked.
    let reference = latest_ref(&sb);
    tui.send_keys(&keys::TAB.repeat(2));
    tui.wait_text(reference.rsplit(':').next().unwrap(), WAIT)
        .unwrap();
    tui.send_keys("c");
    tui.wait_text(&format!("copied {reference}"), WAIT).unwrap();
    let start = std::time::Instant::now();
    while copies(&tui, OSC52).len() < 2 && start.elapsed() < WAIT {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(copies(&tui, OSC52), ["sock-shop".to_owned(), reference]);
    tui.quit_and_wait().unwrap();
}

#[test]
fn inside_tmux_the_sequence_goes_through_its_passthrough() {
    let sb = BlockingSandbox::sock_shop(FluxVersion::Current);
    let mut tui = open(&sb, &[("TMUX", "/tmp/tmux-1000/default,1,0")]);
    select_sock_shop(&mut tui);
    tui.send_keys("c");
    tui.wait_text("copied sock-shop", WAIT).unwrap();
    // ESC P tmux; then the sequence with its ESC doubled, then ESC \.
    let wrapped = b"\x1bPtmux;\x1b\x1b]52;c;";
    tui.wait_written(wrapped, WAIT).unwrap();
    assert_eq!(copies(&tui, wrapped), ["sock-shop"]);
    let payload = base64::engine::general_purpose::STANDARD.encode("sock-shop");
    let whole = format!("\x1bPtmux;\x1b\x1b]52;c;{payload}\x07\x1b\\");
    assert_eq!(tui.written_count(whole.as_bytes()), 1);
    // The bare sequence appears once: inside the wrapping.
    assert_eq!(tui.written_count(OSC52), 1);
    tui.quit_and_wait().unwrap();
}
