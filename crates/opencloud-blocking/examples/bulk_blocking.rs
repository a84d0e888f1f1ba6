//! A bulk job, blocking: write 600 entries (or the number given) from 8 threads sharing one
//! client and its rate limiter, which keeps them under the per-universe budget (set
//! `OPENCLOUD_PLAYERS_ONLINE` to the experience's concurrent players for its larger budget).
//!
//! ```sh
//! OPENCLOUD_API_KEY=opencloud-emulator-dev-key OPENCLOUD_BASE_URL=http://127.0.0.1:7357 \
//! OPENCLOUD_UNIVERSE_ID=1 cargo run -p opencloud-blocking --example bulk_blocking
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};

use opencloud_blocking::{Client, RateLimits, ThrottleCategory};
use serde_json::json;

fn main() -> Result<(), opencloud_blocking::Error> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(600);
    // The documented per-universe budget for the experience's players online (0 by default:
    // 300 writes a minute). The limiter keeps the job under it, so nothing is throttled.
    let players: u64 = std::env::var("OPENCLOUD_PLAYERS_ONLINE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let limits = RateLimits::for_concurrent_users(players);
    let per_minute = limits.get(ThrottleCategory::Write).requests;
    let client = Client::builder_from_env().rate_limits(limits).build()?;
    let store = client.data_store("BulkExample");
    let failures = AtomicUsize::new(0);
    let started = std::time::Instant::now();
    std::thread::scope(|s| {
        for t in 0..8 {
            let (store, failures) = (store.clone(), &failures);
            s.spawn(move || {
                for i in (t..n).step_by(8) {
                    if let Err(e) = store.entry(&format!("item_{i:06}")).set(&json!({"n": i})) {
                        eprintln!("item_{i:06}: {e}");
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let listed = store.entries(|l| l.max_page_size(256)).count();
    println!(
        "wrote {n} entries in {:.2?} with {} failures ({:.0} writes/min, budget {per_minute}); {listed} listed",
        started.elapsed(),
        failures.load(Ordering::Relaxed),
        n as f64 * 60.0 / started.elapsed().as_secs_f64().max(1e-9)
    );
    Ok(())
}
