//! Pod logs in the real binary, in a pseudo-terminal, against the sock-shop sandbox: `l`
//! on the front-end pod opens its log, which follows the lines the container keeps writing;
//! `/` finds and pauses, `w` wraps, `p` asks for the previous instance and shows the API's
//! refusal, and Esc closes the view (and the stream: the sandbox sees it end).

use crate::support::pty::{MEDIUM, Tui, WAIT, keys};
use crate::support::sandbox::BlockingSandbox;
use fluxdeck::sandbox::crds::FluxVersion;

/// The last line of the log view's body (the row above its bottom border).
fn last_log_line(screen: &str) -> String {
    let rows: Vec<&str> = screen.lines().collect();
    let bottom = rows
        .iter()
        .rposition(|l| l.starts_with('╰'))
        .expect("the view's bottom border");
    rows[bottom - 1]
        .trim_matches(|c| c == '│' || c == ' ')
        .to_owned()
}

#[test]
fn l_follows_a_pods_log_and_searches_wraps_and_asks_for_the_previous_instance() {
    let sb = BlockingSandbox::sock_shop(FluxVersion::Current);
    let kc = sb.kubeconfig_args();
    let args: Vec<&str> = kc.iter().map(String::as_str).collect();
    let mut tui = Tui::spawn(&args, MEDIUM);
    tui.wait_for("the pods", WAIT, |s| {
        s.contains("Pods · all namespaces (") && s.contains("carts-")
    })
    .unwrap();

    // Focus the pods pane, narrow it to the front-end, open its log.
    tui.send_keys(&keys::TAB.repeat(4));
    tui.send_keys("/front-end");
    tui.send_keys(keys::ENTER);
    tui.wait_line("›", "front-en", WAIT).unwrap();
    tui.send_keys("l");
    let screen = tui
        .wait_for("the front-end's log, following", WAIT, |s| {
            s.contains("Logs sock-shop/front-end-")
                && s.contains("· front-end · following")
                && s.contains("GET /")
        })
        .unwrap();
    assert!(screen.contains(" ms - "), "{screen}");
    let first = last_log_line(&screen);
    assert!(first.starts_with("GET /"), "{screen}");

    // The container writes a request line every few seconds: it arrives at the bottom.
    let screen = tui
        .wait_for("a new log line", WAIT, |s| {
            let last = last_log_line(s);
            last.starts_with("GET /") && last != first
        })
        .unwrap();
    assert!(screen.contains("following"), "{screen}");

    // The start of the log is there too.
    tui.send_keys("g");
    tui.wait_for("the top of the log, paused", WAIT, |s| {
        s.contains("App now running in production mode on port 8079") && s.contains("· paused")
    })
    .unwrap();

    // Search: matches counted in the title, paused on one.
    tui.send_keys("/catalogue");
    tui.send_keys(keys::ENTER);
    let screen = tui
        .wait_for("the search", WAIT, |s| s.contains("/catalogue ("))
        .unwrap();
    assert!(screen.contains("matches)"), "{screen}");
    assert!(screen.contains("· paused"), "{screen}");
    let line = screen
        .lines()
        .nth(2)
        .unwrap()
        .trim_matches(|c| c == '│' || c == ' ');
    assert!(
        line.contains("catalogue"),
        "the first row is a match:\n{screen}"
    );

    // Wrap on, and back to following.
    tui.send_keys("w");
    tui.wait_text("· wrap", WAIT).unwrap();
    tui.send_keys("G");
    tui.wait_text("· following · wrap", WAIT).unwrap();

    // The previous instance: none ran before, and the view says so in the API's words.
    tui.send_keys("p");
    let screen = tui
        .wait_for("the previous instance's refusal", WAIT, |s| {
            s.contains("· previous") && s.contains("✗ previous terminated container \"front-end\"")
        })
        .unwrap();
    assert!(screen.contains("not found"), "{screen}");
    tui.send_keys("p");
    tui.wait_for("the current instance again", WAIT, |s| {
        !s.contains("· previous") && s.contains("GET /")
    })
    .unwrap();

    // Esc closes the view; the panes are back.
    tui.send_keys(keys::ESC);
    tui.wait_for("the panes", WAIT, |s| {
        !s.contains("Logs sock-shop/") && s.contains("Kustomizations")
    })
    .unwrap();

    // The sandbox saw the log asked for the way kubectl asks: following one container.
    let asked: Vec<String> = sb
        .requests()
        .iter()
        .filter_map(|r| {
            r["path"]
                .as_str()
                .map(str::to_owned)
                .zip(r["query"].as_str().map(str::to_owned))
        })
        .filter(|(p, _)| p.ends_with("/log"))
        .map(|(p, q)| format!("{p}?{q}"))
        .collect();
    assert!(
        asked
            .iter()
            .any(|r| r.contains("container=front-end") && r.contains("follow=true")),
        "{asked:?}"
    );
    assert!(
        asked.iter().any(|r| r.contains("previous=true")),
        "{asked:?}"
    );
    tui.quit_and_wait().unwrap();
}
