//! Requests per second the emulator serves for get and update, in memory and on disk, on
//! loopback, at concurrency 1 and 32.
//!
//! `cargo bench -p opencloud-emulator --bench throughput`

use std::time::{Duration, Instant};

use opencloud_emulator::{DEV_API_KEY, Emulator, EmulatorConfig};

const ENTRIES: usize = 1000;

async fn run(
    base: &str,
    client: &reqwest::Client,
    op: &str,
    concurrency: usize,
    total: usize,
) -> f64 {
    let start = Instant::now();
    let per = total / concurrency;
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let (client, base, op) = (client.clone(), base.to_string(), op.to_string());
        tasks.push(tokio::spawn(async move {
            for i in 0..per {
                let key = (w * per + i) % ENTRIES;
                let url = format!("{base}/cloud/v2/universes/1/data-stores/Bench/entries/k{key}");
                let req = if op == "get" {
                    client.get(&url)
                } else {
                    client
                        .patch(&url)
                        .header("content-type", "application/json")
                        .body(format!("{{\"value\":{{\"n\":{i}}}}}"))
                };
                let resp = req
                    .header("x-api-key", DEV_API_KEY)
                    .send()
                    .await
                    .expect("request");
                assert_eq!(resp.status(), 200);
                resp.bytes().await.expect("body");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    total as f64 / start.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--test");
    let total = if quick { 64 } else { 20_000 };
    println!("| storage | operation | concurrency | requests/s |");
    println!("|---|---|---|---|");
    for disk in [false, true] {
        let dir = std::env::temp_dir().join(format!("oc-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let config = EmulatorConfig {
            data_dir: disk.then(|| dir.clone()),
            ..EmulatorConfig::unthrottled()
        };
        let em = Emulator::start(config).await.unwrap();
        let base = em.base_url();
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        for i in 0..ENTRIES {
            let url = format!("{base}/cloud/v2/universes/1/data-stores/Bench/entries?id=k{i}");
            client
                .post(&url)
                .header("x-api-key", DEV_API_KEY)
                .header("content-type", "application/json")
                .body("{\"value\":{\"n\":0}}")
                .send()
                .await
                .unwrap();
        }
        for op in ["get", "update"] {
            for c in [1, 32] {
                let rps = run(&base, &client, op, c, total).await;
                println!(
                    "| {} | {op} | {c} | {rps:.0} |",
                    if disk { "disk (WAL)" } else { "memory" }
                );
            }
        }
        em.shutdown().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
