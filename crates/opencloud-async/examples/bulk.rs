//! A bulk job: write 600 entries (or the number given) as fast as the per-universe budget allows,
//! with the client's rate limiter keeping it under the budget so nothing is throttled or lost.
//! Set `OPENCLOUD_PLAYERS_ONLINE` to the experience's concurrent players for its larger budget.
//!
//! ```sh
//! OPENCLOUD_API_KEY=opencloud-emulator-dev-key OPENCLOUD_BASE_URL=http://127.0.0.1:7357 \
//! OPENCLOUD_UNIVERSE_ID=1 cargo run -p opencloud-async --example bulk
//! ```

use futures_util::{StreamExt, TryStreamExt};
use opencloud_async::{Client, RateLimits, ThrottleCategory};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), opencloud_async::Error> {
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
    let started = std::time::Instant::now();
    let failures = futures_util::stream::iter(0..n)
        .map(|i| {
            let e = store.entry(&format!("item_{i:06}"));
            async move { e.set(&json!({"n": i})).await }
        })
        .buffer_unordered(32)
        .filter(|r| std::future::ready(r.is_err()))
        .count()
        .await;
    let listed = store
        .entries(|l| l.max_page_size(256))
        .try_fold(0usize, |n, _| async move { Ok(n + 1) })
        .await?;
    println!(
        "wrote {n} entries in {:.2?} with {failures} failures ({:.0} writes/min, budget {per_minute}); {listed} listed",
        started.elapsed(),
        n as f64 * 60.0 / started.elapsed().as_secs_f64().max(1e-9)
    );
    Ok(())
}
