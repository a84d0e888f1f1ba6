//! The scenario suite over HTTP against the in-process emulator, through the async client.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use opencloud_async::*;
use opencloud_emulator::{App, DEV_API_KEY, Emulator, EmulatorConfig};

/// The emulator's clock as the client's: sleeping moves virtual time to the sleeper's deadline.
struct EmuClock(Arc<App>);

impl Clock for EmuClock {
    fn now(&self) -> jiff::Timestamp {
        self.0.clock.now()
    }
    fn sleep(&self, d: Duration) -> BoxFuture<'_, ()> {
        let target = jiff::Timestamp::from_microsecond(
            self.0.clock.now().as_microsecond() + d.as_micros() as i64,
        )
        .unwrap();
        if self.0.clock.now() < target {
            self.0.clock.set(target);
        }
        Box::pin(tokio::task::yield_now())
    }
}

struct Env {
    em: Emulator,
}

impl Env {
    async fn new(config: EmulatorConfig) -> Self {
        Self {
            em: Emulator::start(config).await.unwrap(),
        }
    }
    fn app(&self) -> &Arc<App> {
        self.em.app()
    }
    fn client(&self, configure: impl FnOnce(ClientBuilder) -> ClientBuilder) -> Client {
        let b = Client::builder()
            .api_key(DEV_API_KEY)
            .base_url(self.em.base_url())
            .universe(1)
            .clock(EmuClock(self.app().clone()));
        configure(b).build().unwrap()
    }
}

macro_rules! run {
    ($e:expr) => {
        $e.await
    };
}
macro_rules! collect {
    ($e:expr) => {
        $e.try_collect::<Vec<_>>().await
    };
}
macro_rules! scenario {
    ($name:ident, |$env:ident| $body:block) => {
        scenario!($name, EmulatorConfig::unthrottled(), |$env| $body);
    };
    ($name:ident, $config:expr, |$env:ident| $body:block) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let $env = Env::new($config).await;
            $body
        }
    };
}

include!("../../../tests/scenario_suite.rs");
include!("../../../tests/fault_suite.rs");
include!("../../../tests/v1_suite.rs");

/// Runs `n` writes, `concurrency` at a time; returns the failures.
async fn bulk_set(store: &DataStoreHandle, n: usize, concurrency: usize) -> usize {
    futures_util::stream::iter(0..n)
        .map(|i| {
            let e = store.entry(&format!("k{i}"));
            async move { e.set(&serde_json::json!(i)).await }
        })
        .buffer_unordered(concurrency)
        .filter(|r| std::future::ready(r.is_err()))
        .count()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_update_with_loses_no_update() {
    let env = Env::new(EmulatorConfig::unthrottled()).await;
    let c = env.client(|b| b.clock(SystemClock));
    let e = c.data_store("Counters").entry("shared");
    let writers: Vec<_> = (0..16)
        .map(|_| {
            let e = e.clone();
            tokio::spawn(async move {
                for _ in 0..50 {
                    e.update_with(|v: Option<i64>| v.unwrap_or(0) + 1)
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.await.unwrap();
    }
    assert_eq!(e.get_json::<i64>().await.unwrap(), 800);
    let conflicts = env
        .app()
        .requests()
        .iter()
        .filter(|r| r.status == 409 || r.status == 400)
        .count();
    println!("update_with: 800 updates, {conflicts} conflicts retried");
}

#[tokio::test]
async fn update_with_gives_up_with_a_clear_error() {
    let env = Env::new(EmulatorConfig::unthrottled()).await;
    let c = env.client(|b| b.update_attempts(3));
    let e = c.data_store("D").entry("k");
    e.set(&1).await.unwrap();
    env.app()
        .inject(opencloud_emulator::Fault::status(Some("PATCH"), "*", 409).times(3));
    let err = e
        .update_with(|v: Option<i64>| v.unwrap_or(0) + 1)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::UpdateConflict { attempts: 3 }),
        "{err:?}"
    );
    assert!(err.to_string().contains("gave up after 3 attempts"));
}

#[tokio::test]
async fn configuration_errors_are_clear() {
    let err = Client::builder().build().unwrap_err();
    assert!(err.to_string().contains("api_key"), "{err}");
    let err = Client::builder()
        .api_key("k")
        .base_url("http://example.com")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("clear text"), "{err}");
    let c = Client::builder().api_key("k").build().unwrap();
    let err = c.data_store("D").entry("k").get().await.unwrap_err();
    assert!(err.to_string().contains("universe"), "{err}");
    assert!(
        !format!("{c:?}").contains("\"k\""),
        "the key is not in Debug output"
    );
}

#[tokio::test]
async fn a_closure_is_a_transport() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let c = Client::builder()
        .api_key("k")
        .universe(9)
        .http_client(move |req: http::Request<Vec<u8>>| {
            log.lock().unwrap().push(req.uri().to_string());
            async move {
                Ok(http::Response::builder()
                    .status(200)
                    .body(br#"{"path":"p","id":"x","value":3}"#.to_vec())
                    .unwrap())
            }
        })
        .build()
        .unwrap();
    let e = c.data_store("D").entry("x").get().await.unwrap();
    assert_eq!(e.value, Some(serde_json::json!(3)));
    assert_eq!(
        seen.lock().unwrap()[0],
        "https://apis.roblox.com/cloud/v2/universes/9/data-stores/D/entries/x"
    );
}

#[tokio::test]
async fn a_stream_stops_after_an_error() {
    let env = Env::new(EmulatorConfig::unthrottled()).await;
    let c = env.client(|b| b);
    let store = c.data_store("Stops");
    for i in 0..5 {
        store.entry(&format!("k{i}")).set(&i).await.unwrap();
    }
    let mut pages = Box::pin(c.pages(store.list().unwrap().max_page_size(2)));
    let first = pages.next().await.unwrap().unwrap();
    assert_eq!(first.data_store_entries.len(), 2);
    env.app().inject(opencloud_emulator::Fault::status(
        Some("GET"),
        "*/entries",
        403,
    ));
    assert_eq!(
        pages
            .next()
            .await
            .unwrap()
            .unwrap_err()
            .status()
            .unwrap()
            .as_u16(),
        403
    );
    assert!(pages.next().await.is_none(), "no request after an error");
    // Resume from the token of the failed page.
    let mut op = store.list().unwrap().max_page_size(2);
    op.page_token = Some(PageToken::new(first.next_page_token.unwrap()).unwrap());
    let rest: Vec<String> = c.items(op).map_ok(|e| e.id).try_collect().await.unwrap();
    assert_eq!(rest, ["k2", "k3", "k4"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_request_does_not_leak_its_rate_budget_slot() {
    let t0: jiff::Timestamp = "2024-01-01T00:00:00Z".parse().unwrap();
    let env = Env::new(EmulatorConfig {
        frozen_at: Some(t0),
        ..EmulatorConfig::unthrottled()
    })
    .await;
    let c = env.client(|b| b.rate_limits(write_budget(2)));
    let store = c.data_store("Cancel");
    // The first write hangs in the emulator (real time) and the caller gives up on it.
    env.app().inject(opencloud_emulator::Fault {
        delay_ms: 2_000,
        ..opencloud_emulator::Fault::status(Some("PATCH"), "*", 200)
    });
    let cancelled =
        tokio::time::timeout(Duration::from_millis(100), store.entry("slow").set(&1)).await;
    assert!(cancelled.is_err(), "the request was cancelled");
    // Two more writes: one fits the budget at once, the other waits for the cancelled one's
    // slot, which was settled when it was dropped: about a minute, not the 10-minute safety net.
    store.entry("a").set(&1).await.unwrap();
    store.entry("b").set(&2).await.unwrap();
    let waited = env.app().clock.now().as_second() - t0.as_second();
    assert!(
        (59..=120).contains(&waited),
        "waited {waited} virtual seconds"
    );
}
