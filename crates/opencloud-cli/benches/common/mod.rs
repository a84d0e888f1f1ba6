//! What the CLI's benches share: an emulator process, a client of it, the seeding and a pool of
//! threads.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use opencloud_blocking::{Client, DataStoreHandle};

/// The emulator's development key.
pub const KEY: &str = "opencloud-emulator-dev-key";
/// How many threads (and the export's `--concurrency`).
pub const THREADS: usize = 16;

/// Starts `opencloud emulator` (in memory, throttling off) on a free loopback port; the process
/// and its base URL.
pub fn start_emulator() -> (Child, String) {
    let mut emulator = Command::new(env!("CARGO_BIN_EXE_opencloud"))
        .args(["emulator", "--listen", "127.0.0.1:0", "--throttle", "off"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the emulator");
    let mut lines = std::io::BufReader::new(emulator.stdout.take().expect("piped")).lines();
    let base = loop {
        let line = lines
            .next()
            .expect("the emulator says where it listens")
            .expect("a line");
        if let Some(url) = line.strip_prefix("listening on ") {
            break url.to_string();
        }
    };
    (emulator, base)
}

/// A blocking client of the emulator at `base`, universe 1.
pub fn client(base: &str) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(base)
        .universe(1)
        .build()
        .expect("client")
}

/// Runs `f(i)` for every `i < n` on `THREADS` threads; panics on a failure.
pub fn on_threads(n: usize, f: impl Fn(usize) + Sync) {
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    f(i);
                }
            });
        }
    });
}

/// Writes `n` entries `user_0000000`… with a small JSON value.
pub fn seed(store: &DataStoreHandle, n: usize) {
    on_threads(n, |i| {
        store
            .entry(&format!("user_{i:07}"))
            .set(&serde_json::json!({"coins": i % 1000, "items": ["sword", "shield"], "level": i % 60}))
            .expect("seed write");
    });
}
