//! Walks a 100,000-entry store page by page over HTTP and prints the median time of a page in
//! the first and in the last tenth of the walk: a listing that seeks from its page token costs
//! the same at the end as at the start; one that scans from the first key grows with the
//! position.
//!
//! Each listing is walked `RUNS` times and each page's time is the median of its runs, so a
//! moment of noise on a shared machine does not land on one end of the walk.
//!
//! `cargo bench -p opencloud-emulator --bench list_walk` (`-- --test` for a quick 5,000)

use std::time::{Duration, Instant};

use opencloud_emulator::{DEV_API_KEY, Emulator, EmulatorConfig};
use serde_json::Value;

/// Sends `n` writes, 32 at a time; `path(i)` and `body(i)` make the i-th.
async fn seed(
    client: &reqwest::Client,
    n: usize,
    path: impl Fn(usize) -> String,
    body: impl Fn(usize) -> String,
) {
    let mut pending = futures_util::stream::FuturesUnordered::new();
    for i in 0..n {
        let req = client
            .post(path(i))
            .header("x-api-key", DEV_API_KEY)
            .header("content-type", "application/json")
            .body(body(i));
        pending.push(async move {
            let r = req.send().await.expect("request");
            assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
        });
        if pending.len() >= 32 {
            futures_util::StreamExt::next(&mut pending).await;
        }
    }
    while futures_util::StreamExt::next(&mut pending).await.is_some() {}
}

/// Follows `nextPageToken` from `first` to the end; the time of each page and the item count.
async fn walk(client: &reqwest::Client, first: &str, items: &str) -> (Vec<Duration>, usize) {
    let (mut times, mut count, mut token) = (Vec::new(), 0, None::<String>);
    loop {
        let url = match &token {
            Some(t) => format!("{first}&pageToken={t}"),
            None => first.to_string(),
        };
        let start = Instant::now();
        let r = client
            .get(&url)
            .header("x-api-key", DEV_API_KEY)
            .send()
            .await
            .expect("request");
        let body: Value = serde_json::from_slice(&r.bytes().await.expect("body")).expect("json");
        times.push(start.elapsed());
        count += body[items].as_array().map_or(0, Vec::len);
        match body["nextPageToken"].as_str().filter(|t| !t.is_empty()) {
            Some(t) => token = Some(t.to_string()),
            None => return (times, count),
        }
    }
}

/// How many times each listing is walked.
const RUNS: usize = 5;

/// Walks a listing `RUNS` times; each page's time is the median of its runs.
async fn walk_runs(client: &reqwest::Client, first: &str, items: &str) -> (Vec<Duration>, usize) {
    let mut runs = Vec::new();
    let mut count = 0;
    for _ in 0..RUNS {
        let (times, n) = walk(client, first, items).await;
        count = n;
        runs.push(times);
    }
    let pages = runs.iter().map(Vec::len).min().unwrap_or(0);
    let per_page = (0..pages)
        .map(|p| median(&runs.iter().map(|r| r[p]).collect::<Vec<_>>()))
        .collect();
    (per_page, count)
}

fn median(d: &[Duration]) -> Duration {
    let mut v = d.to_vec();
    v.sort();
    v[v.len() / 2]
}

fn report(what: &str, times: &[Duration], count: usize) {
    let tenth = (times.len() / 10).max(1);
    let first = median(&times[..tenth]);
    let last = median(&times[times.len() - tenth..]);
    println!(
        "| {what} | {count} | {} | {:.0} µs | {:.0} µs | {:.2} |",
        times.len(),
        first.as_secs_f64() * 1e6,
        last.as_secs_f64() * 1e6,
        last.as_secs_f64() / first.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--test");
    let n = if quick { 5_000 } else { 100_000 };
    let em = Emulator::start(EmulatorConfig::unthrottled())
        .await
        .unwrap();
    let base = em.base_url();
    let client = reqwest::Client::new();
    let v2 = format!("{base}/cloud/v2/universes/1");
    // Standard entries: in two scopes, every tenth one deleted.
    seed(
        &client,
        n,
        |i| {
            let scope = if i % 2 == 0 { "global" } else { "other" };
            format!("{v2}/data-stores/Walk/scopes/{scope}/entries?id=k{i:07}")
        },
        |i| format!("{{\"value\":{{\"n\":{i}}}}}"),
    )
    .await;
    for i in (0..n).step_by(10) {
        let scope = if i % 2 == 0 { "global" } else { "other" };
        let r = client
            .delete(format!(
                "{v2}/data-stores/Walk/scopes/{scope}/entries/k{i:07}"
            ))
            .header("x-api-key", DEV_API_KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    // Ordered entries.
    seed(
        &client,
        n,
        |i| format!("{v2}/ordered-data-stores/Walk/scopes/global/entries?id=p{i:07}"),
        |i| format!("{{\"value\":{}}}", (i * 7919) % n),
    )
    .await;

    println!(
        "| listing ({n} entries) | items | pages | first tenth: median page | last tenth: median page | last / first |"
    );
    println!("|---|---|---|---|---|---|");
    let entries = format!("{v2}/data-stores/Walk");
    for (what, url) in [
        (
            "entries, one scope (256 a page)",
            format!("{entries}/scopes/global/entries?maxPageSize=256"),
        ),
        (
            "entries, every scope (`-`)",
            format!("{entries}/scopes/-/entries?maxPageSize=256"),
        ),
        (
            "entries, every scope, showDeleted",
            format!("{entries}/scopes/-/entries?maxPageSize=256&showDeleted=true"),
        ),
        (
            "entries, prefix `k00`",
            format!("{entries}/scopes/-/entries?maxPageSize=256&filter=id.startsWith(%22k00%22)"),
        ),
    ] {
        let (times, count) = walk_runs(&client, &url, "dataStoreEntries").await;
        report(what, &times, count);
    }
    for (what, order) in [
        ("ordered, ascending (100 a page)", ""),
        ("ordered, descending", "&orderBy=value%20desc"),
    ] {
        let url =
            format!("{v2}/ordered-data-stores/Walk/scopes/global/entries?maxPageSize=100{order}");
        let (times, count) = walk_runs(&client, &url, "orderedDataStoreEntries").await;
        report(what, &times, count);
    }
    em.shutdown().await;
}
