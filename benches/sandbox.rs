//! Sandbox benchmark (not a test): starts `fluxdeck sandbox --scenario scale:N` as its own
//! process and measures
//! - the time to list every pod (one unpaged request, and in pages of 500 as kube-rs does),
//! - watch fan-out: W watchers on pods while a writer patches P objects per second; the
//!   delivery latency of every event (write sent → event received), p50 and p99,
//! - the server's RSS (VmRSS and VmHWM) after seeding and after the run.
//!
//! `cargo bench --bench sandbox` (defaults: N=10000, W=10, 1000 changes/s for 5 s);
//! override with `FLUXDECK_BENCH_N`, `FLUXDECK_BENCH_WATCHERS`, `FLUXDECK_BENCH_RATE`,
//! `FLUXDECK_BENCH_SECONDS`, `FLUXDECK_BENCH_RUNS`.

#[path = "support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use serde_json::{Value, json};
use std::sync::Mutex;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

type Server = support::SandboxProcess;

fn start(n: u64) -> Server {
    Server::start(&["--scenario", &format!("scale:{n}")])
}

fn rss_kb(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i]
}

fn now_us() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0)
}

/// The page of a list the benchmark needs: the continue token and how many items.
#[derive(serde::Deserialize)]
struct ListPage {
    metadata: ListMeta,
    items: Vec<serde::de::IgnoredAny>,
}

#[derive(serde::Deserialize)]
struct ListMeta {
    #[serde(rename = "continue")]
    cont: Option<String>,
}

/// Lists every pod; returns the count, the time until the last byte arrived (the server's
/// share) and the time spent checking the JSON (the client's share, items skipped unparsed).
async fn list_pods(
    http: &reqwest::Client,
    s: &Server,
    page: Option<usize>,
) -> (usize, Duration, Duration) {
    let mut count = 0;
    let mut cont = String::new();
    let mut transfer = Duration::ZERO;
    let mut parse = Duration::ZERO;
    loop {
        let mut url = format!("{}/api/v1/pods", s.url);
        if let Some(p) = page {
            url.push_str(&format!("?limit={p}"));
            if !cont.is_empty() {
                url.push_str(&format!("&continue={cont}"));
            }
        }
        let t = Instant::now();
        let body = http
            .get(url)
            .bearer_auth(&s.token)
            .send()
            .await
            .expect("list")
            .bytes()
            .await
            .expect("body");
        transfer += t.elapsed();
        let t = Instant::now();
        let v: ListPage = serde_json::from_slice(&body).expect("json list");
        parse += t.elapsed();
        count += v.items.len();
        match v.metadata.cont {
            Some(c) if page.is_some() && !c.is_empty() => cont = c,
            _ => break,
        }
    }
    (count, transfer, parse)
}

async fn fan_out(s: &Server, watchers: usize, rate: u64, seconds: u64) -> (Vec<f64>, usize) {
    let http = reqwest::Client::new();
    // Watch the pods of the first namespace; the writer patches those pods.
    let list: Value = http
        .get(format!("{}/api/v1/namespaces/team-0001/pods", s.url))
        .bearer_auth(&s.token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or("0")
        .to_string();
    let names: Vec<String> = list["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p["metadata"]["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    assert!(!names.is_empty(), "team-0001 has pods");
    let latencies = Arc::new(Mutex::new(Vec::<f64>::new()));
    let mut tasks = Vec::new();
    for _ in 0..watchers {
        let url = format!(
            "{}/api/v1/namespaces/team-0001/pods?watch=true&resourceVersion={rv}&timeoutSeconds={}",
            s.url,
            seconds + 5
        );
        let token = s.token.clone();
        let lat = latencies.clone();
        let http = http.clone();
        tasks.push(tokio::spawn(async move {
            let resp = http
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("watch");
            let mut stream = resp.bytes_stream();
            let mut buf = Vec::new();
            while let Some(chunk) = stream.next().await {
                let Ok(chunk) = chunk else { break };
                let received = now_us();
                buf.extend_from_slice(&chunk);
                while let Some(i) = buf.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = buf.drain(..=i).collect();
                    if let Ok(ev) = serde_json::from_slice::<Value>(&line)
                        && let Some(sent) = ev["object"]["metadata"]["annotations"]["bench/sent-us"]
                            .as_str()
                            .and_then(|s| s.parse::<u128>().ok())
                        && let Ok(mut l) = lat.lock()
                    {
                        l.push((received.saturating_sub(sent)) as f64 / 1000.0);
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let total = (rate * seconds) as usize;
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let start = tokio::time::Instant::now();
    let mut sent = 0;
    let mut inflight = futures::stream::FuturesUnordered::new();
    for i in 0..total {
        tokio::time::sleep_until(start + interval * i as u32).await;
        let name = &names[i % names.len()];
        let body = json!({"metadata": {"annotations": {"bench/sent-us": now_us().to_string()}}});
        let req = http
            .patch(format!("{}/api/v1/namespaces/team-0001/pods/{name}", s.url))
            .bearer_auth(&s.token)
            .header("content-type", "application/merge-patch+json")
            .body(body.to_string())
            .send();
        inflight.push(req);
        sent += 1;
        while let std::task::Poll::Ready(Some(_)) = futures::poll!(inflight.next()) {}
    }
    while inflight.next().await.is_some() {}
    // Wait (bounded) until every watcher has seen every change, then stop them.
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline
        && latencies.lock().map(|l| l.len()).unwrap_or(0) < sent * watchers
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for t in &tasks {
        t.abort();
    }
    let v = latencies.lock().map(|l| l.clone()).unwrap_or_default();
    (v, sent)
}

fn main() {
    let n = env("FLUXDECK_BENCH_N", 10_000);
    let watchers = env("FLUXDECK_BENCH_WATCHERS", 10) as usize;
    let rate = env("FLUXDECK_BENCH_RATE", 1000);
    let seconds = env("FLUXDECK_BENCH_SECONDS", 5);
    let runs = env("FLUXDECK_BENCH_RUNS", 5) as usize;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let t = Instant::now();
    let server = start(n);
    let ready = t.elapsed();
    let pid = server.child.id();
    let (rss0, _) = rss_kb(pid);
    println!(
        "sandbox scale:{n}: ready (seeded, listening) in {:.0} ms, RSS {:.0} MB",
        ready.as_secs_f64() * 1e3,
        rss0 as f64 / 1024.0
    );
    rt.block_on(async {
        let http = reqwest::Client::new();
        let mut full = Vec::new();
        let mut full_parse = Vec::new();
        let mut paged = Vec::new();
        let mut count = 0;
        for _ in 0..runs {
            let (c, d, p) = list_pods(&http, &server, None).await;
            count = c;
            full.push(d.as_secs_f64() * 1e3);
            full_parse.push(p.as_secs_f64() * 1e3);
            let (c2, d2, _) = list_pods(&http, &server, Some(500)).await;
            assert_eq!(c, c2, "paged list sees every pod");
            paged.push(d2.as_secs_f64() * 1e3);
        }
        println!(
            "list all {count} pods: median {:.0} ms unpaged (min {:.0}), {:.0} ms in pages of 500 (min {:.0}), until the last byte; client JSON check {:.0} ms more; {runs} runs",
            median(&mut full.clone()),
            full.iter().cloned().fold(f64::MAX, f64::min),
            median(&mut paged.clone()),
            paged.iter().cloned().fold(f64::MAX, f64::min),
            median(&mut full_parse),
        );
        let (mut lat, sent) = fan_out(&server, watchers, rate, seconds).await;
        let expected = sent * watchers;
        println!(
            "watch fan-out: {sent} changes at {rate}/s to {watchers} watchers: {} of {expected} events delivered; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            lat.len(),
            percentile(&mut lat, 0.5),
            percentile(&mut lat, 0.99),
            lat.iter().cloned().fold(0.0, f64::max),
        );
    });
    let (rss, hwm) = rss_kb(pid);
    println!(
        "server RSS after the run: {:.0} MB (peak {:.0} MB)",
        rss as f64 / 1024.0,
        hwm as f64 / 1024.0
    );
}
