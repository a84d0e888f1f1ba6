//! A bulk job, blocking: write entries from 8 threads sharing one client (and its rate limiter).
//!
//! ```sh
//! OPENCLOUD_API_KEY=opencloud-emulator-dev-key OPENCLOUD_BASE_URL=http://127.0.0.1:7357 \
//! OPENCLOUD_UNIVERSE_ID=1 cargo run -p opencloud-blocking --example bulk_blocking
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};

use opencloud_blocking::{Client, RateLimits};
use serde_json::json;

fn main() -> Result<(), opencloud_blocking::Error> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    let client = Client::builder_from_env()
        .rate_limits(RateLimits::unlimited())
        .build()?;
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
        "wrote {n} entries in {:.2?} with {} failures; {listed} listed",
        started.elapsed(),
        failures.load(Ordering::Relaxed)
    );
    Ok(())
}
