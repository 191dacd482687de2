//! Live pipeline benchmark (not a test): the figures of `fluxdeck demo` and the live sandbox,
//! each process started as a user starts it.
//!
//! - `start`: `fluxdeck demo` in a pseudo-terminal, from spawn to the first frame with every
//!   pane filled (Kustomizations, image policies, commits, pods);
//! - `push`: `fluxdeck sandbox --scenario sock-shop-live --speed 10`: a CI build asked for,
//!   its push, and its pods running (push → every front-end pod Ready on the new tag);
//! - `idle`: the same sandbox with no builds, CPU over a quiet minute (% of one core) and RSS;
//! - `scale`: `fluxdeck sandbox --scenario scale:N --live` with B builds a second spread over
//!   the tenants: the controllers' queue and lag per window (a backlog grows; keeping up stays
//!   flat), builds pushed and the CPU of a fluxdeck TUI watching it all.
//!
//! `cargo bench --bench live` runs all of them; `FLUXDECK_BENCH_LIVE=start,push` picks some.
//! Knobs: `FLUXDECK_BENCH_RUNS` (3), `FLUXDECK_BENCH_IDLE_SECONDS` (60),
//! `FLUXDECK_BENCH_SCALE_N` (2000), `FLUXDECK_BENCH_SCALE_RATE` (10 builds/s),
//! `FLUXDECK_BENCH_SCALE_WINDOWS` (6 windows of 10 s). Medians are reported: the machines
//! are shared and noisy.

#[path = "support/mod.rs"]
mod support;

// The integration tests' helpers, of which this benchmark uses a part.
#[path = "../tests/integration/support/pty/mod.rs"]
#[allow(dead_code, unused_imports)]
mod pty_support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// CPU seconds (user + system) of a process so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let hz = 100.0;
    (ticks(11) + ticks(12)) / hz
}

fn rss_mb(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// A `fluxdeck sandbox` process and a client for it.
struct Server {
    process: support::SandboxProcess,
    http: reqwest::blocking::Client,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        Server {
            process: support::SandboxProcess::start(args),
            http: reqwest::blocking::Client::new(),
        }
    }

    fn pid(&self) -> u32 {
        self.process.child.id()
    }

    fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.process.url))
            .bearer_auth(&self.process.token)
            .send()
            .and_then(|r| r.json())
            .unwrap_or(Value::Null)
    }

    fn post(&self, path: &str, body: Value) -> Value {
        self.http
            .post(format!("{}{path}", self.process.url))
            .bearer_auth(&self.process.token)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .and_then(|r| r.json())
            .unwrap_or(Value::Null)
    }

    fn kubeconfig(&self) -> String {
        self.process.kubeconfig()
    }
}

fn wait<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(v) = f() {
            return Some(v);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn ready(p: &Value) -> bool {
    p["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

/// Every front-end pod runs `tag`, Ready, none terminating.
fn front_end_runs(s: &Server, tag: &str) -> bool {
    let pods = s.get("/api/v1/namespaces/sock-shop/pods?labelSelector=name%3Dfront-end");
    let items = pods["items"].as_array().cloned().unwrap_or_default();
    !items.is_empty()
        && items.iter().all(|p| {
            p["metadata"]["deletionTimestamp"].is_null()
                && p["spec"]["containers"][0]["image"]
                    .as_str()
                    .is_some_and(|i| i.ends_with(&format!(":{tag}")))
                && ready(p)
        })
}

fn start_figure(runs: u64) {
    let mut times = Vec::new();
    for run in 0..runs {
        let started = Instant::now();
        let mut tui =
            pty_support::Tui::spawn(&["demo", "--build-every", "off"], pty_support::LARGE);
        let filled = tui.wait_for("every pane filled", Duration::from_secs(60), |s| {
            // Kustomizations, image policy, the automation's commit and a front-end pod.
            s.contains("sock-shop-tenant")
                && s.contains("sock-shop-front")
                && s.contains("fluxcdbot")
                && s.contains("front-end-")
        });
        let took = started.elapsed().as_secs_f64() * 1000.0;
        match filled {
            Ok(_) => {
                println!("start run {run}: every pane filled after {took:.0} ms");
                times.push(took);
            }
            Err(e) => println!("start run {run}: not filled: {e}"),
        }
        let _ = tui.quit_and_wait();
    }
    println!(
        "start: demo spawn → every pane filled, median {:.0} ms over {} runs",
        median(&mut times),
        times.len()
    );
}

fn push_figure(runs: u64) {
    let s = Server::start(&[
        "--scenario",
        "sock-shop-live",
        "--speed",
        "10",
        "--build-every",
        "off",
    ]);
    let mut to_push = Vec::new();
    let mut to_pods = Vec::new();
    for run in 0..runs {
        let asked = Instant::now();
        let build = s.post("/sandbox/ci/build", json!({"kind": "ok"}));
        let number = build["number"].clone();
        let Some(tag) = wait(Duration::from_secs(60), || {
            let all = s.get("/sandbox/ci/builds");
            all["builds"].as_array()?.iter().find_map(|b| {
                (b["number"] == number && b["state"] == "SUCCEEDED")
                    .then(|| b["tag"].as_str().map(str::to_string))
                    .flatten()
            })
        }) else {
            println!("push run {run}: the build never pushed");
            continue;
        };
        let pushed = Instant::now();
        let ok = wait(Duration::from_secs(120), || {
            front_end_runs(&s, &tag).then_some(())
        });
        if ok.is_none() {
            println!("push run {run}: {tag} never ran");
            continue;
        }
        let a = (pushed - asked).as_secs_f64();
        let b = pushed.elapsed().as_secs_f64();
        println!("push run {run}: {tag}: asked → pushed {a:.1} s, pushed → pods running {b:.1} s");
        to_push.push(a);
        to_pods.push(b);
    }
    println!(
        "push (--speed 10): asked → pushed median {:.2} s; push → pods running median {:.2} s over {} builds",
        median(&mut to_push),
        median(&mut to_pods),
        to_pods.len()
    );
}

fn idle_figure(seconds: u64) {
    let s = Server::start(&["--scenario", "sock-shop-live", "--build-every", "off"]);
    // Let the first intervals pass, then measure a quiet stretch.
    std::thread::sleep(Duration::from_secs(5));
    let pid = s.pid();
    let before = cpu_seconds(pid);
    let t = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds));
    let cpu = cpu_seconds(pid) - before;
    let pct = 100.0 * cpu / t.elapsed().as_secs_f64();
    let (rss, hwm) = rss_mb(pid);
    println!(
        "idle: sandbox (sock-shop-live, no builds) CPU {pct:.2} % of a core over {seconds} s; RSS {rss:.1} MB (peak {hwm:.1} MB)"
    );
}

fn scale_figure(n: u64, rate: u64, windows: u64) {
    let every = format!("{}ms", (1000 / rate.max(1)).max(10));
    let started = Instant::now();
    let s = Server::start(&[
        "--scenario",
        &format!("scale:{n}"),
        "--live",
        "--build-every",
        &every,
    ]);
    println!(
        "scale: {n} tenants up in {:.1} s (serving; the controllers start from scratch)",
        started.elapsed().as_secs_f64()
    );
    // A TUI watching everything, as an operator would.
    let kc = s.kubeconfig();
    let mut tui = pty_support::Tui::spawn(
        &["--kubeconfig", &kc, "-A", "--app-namespace", "team-0001"],
        pty_support::LARGE,
    );
    let _ = tui.wait_text("app-00001", Duration::from_secs(120));
    let tui_pid = tui_pid(&tui);
    let sandbox = s.pid();
    println!("window  queued  running  max-lag-ms  builds-pushed  sandbox-cpu%  tui-cpu%");
    let mut last_cpu = (
        cpu_seconds(sandbox),
        tui_pid.map(cpu_seconds).unwrap_or(0.0),
    );
    let mut last_pushed = pushed(&s);
    let _ = s.get("/sandbox/stats?window=true");
    for w in 0..windows {
        let t = Instant::now();
        std::thread::sleep(Duration::from_secs(10));
        let stats = s.get("/sandbox/stats?window=true");
        let c = &stats["controllers"];
        let cpu = (
            cpu_seconds(sandbox),
            tui_pid.map(cpu_seconds).unwrap_or(0.0),
        );
        let secs = t.elapsed().as_secs_f64();
        let now_pushed = pushed(&s);
        println!(
            "{w:>6}  {:>6}  {:>7}  {:>10}  {:>13}  {:>12.1}  {:>8.1}",
            c["queued"],
            c["running"],
            c["maxLagMs"],
            now_pushed.saturating_sub(last_pushed),
            100.0 * (cpu.0 - last_cpu.0) / secs,
            100.0 * (cpu.1 - last_cpu.1) / secs,
        );
        last_cpu = cpu;
        last_pushed = now_pushed;
    }
    let (rss, hwm) = rss_mb(sandbox);
    println!("scale: sandbox RSS {rss:.0} MB (peak {hwm:.0} MB)");
    let _ = tui.quit_and_wait();
}

/// Builds the CI has pushed so far.
fn pushed(s: &Server) -> u64 {
    s.get("/sandbox/ci/builds")["pushed"].as_u64().unwrap_or(0)
}

/// The pid of the fluxdeck process the pty runs (the newest child process of ours named
/// fluxdeck).
fn tui_pid(_tui: &pty_support::Tui) -> Option<u32> {
    let me = std::process::id();
    let mut best = None;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let parent: u32 = rest
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        if parent == me && head.ends_with("(fluxdeck") {
            let cmdline =
                std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            if cmdline.contains("--app-namespace") {
                best = Some(pid);
            }
        }
    }
    best
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is read from the command line.
    let which =
        std::env::var("FLUXDECK_BENCH_LIVE").unwrap_or_else(|_| "start,push,idle,scale".into());
    let runs = env("FLUXDECK_BENCH_RUNS", 3);
    for part in which.split(',') {
        match part.trim() {
            "start" => start_figure(runs),
            "push" => push_figure(runs),
            "idle" => idle_figure(env("FLUXDECK_BENCH_IDLE_SECONDS", 60)),
            "scale" => scale_figure(
                env("FLUXDECK_BENCH_SCALE_N", 2000),
                env("FLUXDECK_BENCH_SCALE_RATE", 10),
                env("FLUXDECK_BENCH_SCALE_WINDOWS", 6),
            ),
            "" => {}
            other => eprintln!("unknown part {other}: use start, push, idle, scale"),
        }
    }
}
