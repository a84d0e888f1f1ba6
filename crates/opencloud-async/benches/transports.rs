//! Operations per second of each transport against the in-memory emulator, at concurrency 1 and
//! 32, and the share of a throttle budget a rate-limited bulk job uses.
//!
//! `cargo bench -p opencloud-async --bench transports`
//!
//! The budget share runs on a discrete-event virtual clock ([`Sim`]): time moves only when every
//! worker is asleep (waiting on the limiter or a retry), never while a request is in flight, so
//! a response is settled at the virtual time it was sent in, as it would be if requests took
//! no time. The figure is then the limiter's, not the clock's.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use opencloud_emulator::{App, DEV_API_KEY, Emulator, EmulatorConfig};

const KEYS: usize = 1000;

async fn async_rate(
    c: &opencloud_async::Client,
    op: &str,
    concurrency: usize,
    total: usize,
) -> f64 {
    let store = c.data_store("Bench");
    let start = Instant::now();
    let failures = futures_util::stream::iter(0..total)
        .map(|i| {
            let e = store.entry(&format!("k{}", i % KEYS));
            let op = op.to_string();
            async move {
                if op == "get" {
                    e.get().await.map(|_| ())
                } else {
                    e.set(&serde_json::json!({"n": i})).await.map(|_| ())
                }
            }
        })
        .buffer_unordered(concurrency)
        .filter(|r| std::future::ready(r.is_err()))
        .count()
        .await;
    assert_eq!(failures, 0);
    total as f64 / start.elapsed().as_secs_f64()
}

fn blocking_rate(
    c: &opencloud_blocking::Client,
    op: &str,
    concurrency: usize,
    total: usize,
) -> f64 {
    let store = c.data_store("Bench");
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..concurrency {
            let store = store.clone();
            s.spawn(move || {
                for i in (t..total).step_by(concurrency) {
                    let e = store.entry(&format!("k{}", i % KEYS));
                    if op == "get" {
                        e.get().map(|_| ())
                    } else {
                        e.set(&serde_json::json!({"n": i})).map(|_| ())
                    }
                    .unwrap();
                }
            });
        }
    });
    total as f64 / start.elapsed().as_secs_f64()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let quick = std::env::args().any(|a| a == "--test");
    // `-- budget`: only the budget share.
    let budget_only = std::env::args().any(|a| a == "budget");
    let total = if quick { 64 } else { 20_000 };
    let em = Emulator::start(EmulatorConfig::unthrottled())
        .await
        .unwrap();
    let base = em.base_url();
    let ac = opencloud_async::Client::builder()
        .api_key(DEV_API_KEY)
        .base_url(&base)
        .universe(1)
        .build()
        .unwrap();
    let bc = opencloud_blocking::Client::builder()
        .api_key(DEV_API_KEY)
        .base_url(&base)
        .universe(1)
        .build()
        .unwrap();
    for i in 0..KEYS {
        ac.data_store("Bench")
            .entry(&format!("k{i}"))
            .set(&0)
            .await
            .unwrap();
    }
    println!("| transport | operation | concurrency | operations/s |");
    println!("|---|---|---|---|");
    for op in ["get", "set"].into_iter().filter(|_| !budget_only) {
        for c in [1, 32] {
            println!(
                "| async (reqwest) | {op} | {c} | {:.0} |",
                async_rate(&ac, op, c, total).await
            );
            let bc = bc.clone();
            let op2 = op.to_string();
            let rate = tokio::task::spawn_blocking(move || blocking_rate(&bc, &op2, c, total))
                .await
                .unwrap();
            println!("| blocking (ureq) | {op} | {c} | {rate:.0} |");
        }
    }
    em.shutdown().await;

    // Share of a throttle budget: 2,000 writes at 100 writes/minute on a discrete-event virtual
    // clock, with the client's limiter set to the same budget.
    let n = if quick { 200 } else { 2000 };
    let limits = opencloud_async::RateLimits::unlimited().with(
        opencloud_async::ThrottleCategory::Write,
        opencloud_async::CategoryLimit {
            requests: 100,
            bytes: u64::MAX,
        },
    );
    let t0: jiff::Timestamp = "2024-01-01T00:00:00Z".parse().unwrap();
    let em = Emulator::start(EmulatorConfig {
        throttle: true,
        limits: limits.clone(),
        frozen_at: Some(t0),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    for concurrency in [1, 16] {
        em.app().reset().unwrap();
        em.app().clock.set(t0);
        let sim = Arc::new(Sim::new(em.app().clone(), concurrency));
        let c = opencloud_async::Client::builder()
            .api_key(DEV_API_KEY)
            .base_url(em.base_url())
            .universe(1)
            .rate_limits(limits.clone())
            .clock(SimClock(sim.clone()))
            .build()
            .unwrap();
        let store = c.data_store("Budget");
        let next = std::sync::atomic::AtomicUsize::new(0);
        let failures = std::sync::atomic::AtomicUsize::new(0);
        let workers = (0..concurrency).map(|_| async {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    break;
                }
                if store.entry(&format!("k{i}")).set(&i).await.is_err() {
                    failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
            sim.leave();
        });
        futures_util::future::join_all(workers).await;
        let failures = failures.into_inner();
        let minutes = (em.app().clock.now().as_microsecond() - t0.as_microsecond()) as f64 / 60e6;
        let throttled = em
            .app()
            .requests()
            .iter()
            .filter(|r| r.status == 429)
            .count();
        // The first 100 go at once; the rest need (n - 100) / 100 minutes at full budget.
        let ideal = (n as f64 - 100.0) / 100.0;
        println!(
            "\nbudget share, concurrency {concurrency}: {n} writes at 100/min took {minutes:.2} virtual minutes (ideal {ideal:.2}): {:.1}% of the budget used, {throttled} throttled, {failures} failed",
            100.0 * ideal / minutes
        );
    }
}

/// A discrete-event clock over the emulator's: `workers` tasks run; a task that sleeps waits
/// until every task is asleep (or gone), then the clock jumps to the earliest deadline and wakes
/// the tasks due. Time never moves while a request is in flight.
struct Sim {
    app: Arc<App>,
    state: std::sync::Mutex<SimState>,
}

struct SimState {
    /// Tasks running (not asleep, not finished).
    active: usize,
    sleepers: Vec<(jiff::Timestamp, tokio::sync::oneshot::Sender<()>)>,
}

impl Sim {
    fn new(app: Arc<App>, workers: usize) -> Self {
        Self {
            app,
            state: std::sync::Mutex::new(SimState {
                active: workers,
                sleepers: Vec::new(),
            }),
        }
    }

    /// A worker is done.
    fn leave(&self) {
        let mut st = self.state.lock().unwrap();
        st.active -= 1;
        self.advance_if_idle(&mut st);
    }

    fn advance_if_idle(&self, st: &mut SimState) {
        if st.active > 0 || st.sleepers.is_empty() {
            return;
        }
        let earliest = st.sleepers.iter().map(|(t, _)| *t).min().unwrap();
        if self.app.clock.now() < earliest {
            self.app.clock.set(earliest);
        }
        let now = self.app.clock.now();
        let (due, later): (Vec<_>, Vec<_>) = st.sleepers.drain(..).partition(|(t, _)| *t <= now);
        st.sleepers = later;
        st.active += due.len();
        for (_, wake) in due {
            let _ = wake.send(());
        }
    }
}

struct SimClock(Arc<Sim>);

impl opencloud_async::Clock for SimClock {
    fn now(&self) -> jiff::Timestamp {
        self.0.app.clock.now()
    }
    fn sleep(&self, d: Duration) -> opencloud_async::BoxFuture<'_, ()> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        {
            let mut st = self.0.state.lock().unwrap();
            let target = jiff::Timestamp::from_microsecond(
                self.0.app.clock.now().as_microsecond() + d.as_micros() as i64,
            )
            .unwrap();
            st.sleepers.push((target, tx));
            st.active -= 1;
            self.0.advance_if_idle(&mut st);
        }
        Box::pin(async move {
            let _ = rx.await;
        })
    }
}
