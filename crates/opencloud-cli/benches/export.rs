//! How `opencloud export` scales, and what it costs over the reads it cannot avoid.
//!
//! Starts an emulator in its own process (`opencloud emulator`, in memory, throttling off),
//! seeds a 10,000-entry and a 100,000-entry data store, then runs, interleaved, `RUNS` times:
//! the release `opencloud export --concurrency 16` of each store, and the same number of bare
//! GETs of the same entries through the blocking client on 16 threads (what any export must do
//! at the least). Prints the median seconds of each and the two ratios the work is held to:
//! export 100k / export 10k (at most 11), and export / bare GETs (at most 1.5).
//!
//! `cargo bench -p opencloud-cli --bench export` (`-- --test` for a quick run with 1,000 and
//! 10,000 entries)

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{KEY, THREADS, client, on_threads, seed, start_emulator};
use opencloud_blocking::DataStoreHandle;

const RUNS: usize = 5;

fn bare_gets(store: &DataStoreHandle, n: usize) -> Duration {
    let start = Instant::now();
    on_threads(n, |i| {
        store.entry(&format!("user_{i:07}")).get().expect("get");
    });
    start.elapsed()
}

fn export(base: &str, store: &str, out: &std::path::Path) -> Duration {
    let start = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_opencloud"))
        .args([
            "--base-url",
            base,
            "--api-key",
            KEY,
            "--universe",
            "1",
            "-q",
        ])
        .args(["--rate-limit", "off", "export", "--data-store", store])
        .args(["--concurrency", &THREADS.to_string(), "-f"])
        .arg(out)
        .status()
        .expect("run opencloud export");
    assert!(status.success(), "export failed");
    start.elapsed()
}

fn median(v: &mut [Duration]) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64()
}

fn main() {
    let quick = std::env::args().any(|a| a == "--test");
    let sizes = if quick {
        [1_000, 10_000]
    } else {
        [10_000, 100_000]
    };
    let (mut emulator, base) = start_emulator();
    let client = client(&base);
    let dir = std::env::temp_dir().join(format!("oc-export-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for n in sizes {
        let start = Instant::now();
        seed(&client.data_store(&format!("Bench{n}")), n);
        eprintln!(
            "seeded {n} entries in {:.1} s",
            start.elapsed().as_secs_f64()
        );
    }
    let mut exports = [Vec::new(), Vec::new()];
    let mut gets = [Vec::new(), Vec::new()];
    for _ in 0..RUNS {
        for (k, n) in sizes.into_iter().enumerate() {
            let store = format!("Bench{n}");
            let out = dir.join(format!("{store}.jsonl"));
            exports[k].push(export(&base, &store, &out));
            let lines = std::fs::read_to_string(&out).unwrap().lines().count();
            assert_eq!(lines, n + 1, "every entry and the trailer");
            gets[k].push(bare_gets(&client.data_store(&store), n));
        }
    }
    let _ = emulator.kill();
    let _ = emulator.wait();
    let _ = std::fs::remove_dir_all(&dir);
    println!("| entries | export: median s | bare GETs: median s | export / bare GETs |");
    println!("|---|---|---|---|");
    let mut e = [0.0; 2];
    for k in 0..2 {
        e[k] = median(&mut exports[k]);
        let g = median(&mut gets[k]);
        println!(
            "| {} | {:.2} | {:.2} | {:.2} |",
            sizes[k],
            e[k],
            g,
            e[k] / g
        );
    }
    println!(
        "\nexport {} / export {}: {:.2} (for {}x the entries)",
        sizes[1],
        sizes[0],
        e[1] / e[0],
        sizes[1] / sizes[0]
    );
}
