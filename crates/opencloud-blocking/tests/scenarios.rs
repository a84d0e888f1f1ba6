//! The scenario suite over HTTP against the in-process emulator, through the blocking client.

use std::sync::Arc;
use std::time::Duration;

use opencloud_blocking::*;
use opencloud_emulator::{App, BackgroundEmulator, DEV_API_KEY, EmulatorConfig};

/// The emulator's clock as the client's: sleeping moves virtual time to the sleeper's deadline.
struct EmuClock(Arc<App>);

impl Clock for EmuClock {
    fn now(&self) -> jiff::Timestamp {
        self.0.clock.now()
    }
    fn sleep(&self, d: Duration) {
        let target = jiff::Timestamp::from_microsecond(
            self.0.clock.now().as_microsecond() + d.as_micros() as i64,
        )
        .unwrap();
        if self.0.clock.now() < target {
            self.0.clock.set(target);
        }
        std::thread::yield_now();
    }
}

struct Env {
    em: BackgroundEmulator,
}

impl Env {
    fn new(config: EmulatorConfig) -> Self {
        Self {
            em: BackgroundEmulator::start(config).unwrap(),
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
        $e
    };
}
macro_rules! collect {
    ($e:expr) => {
        $e.collect::<Result<Vec<_>, _>>()
    };
}
macro_rules! scenario {
    ($name:ident, |$env:ident| $body:block) => {
        scenario!($name, EmulatorConfig::unthrottled(), |$env| $body);
    };
    ($name:ident, $config:expr, |$env:ident| $body:block) => {
        #[test]
        fn $name() {
            let $env = Env::new($config);
            $body
        }
    };
}

include!("../../../tests/scenario_suite.rs");
include!("../../../tests/fault_suite.rs");
include!("../../../tests/v1_suite.rs");

/// Runs `n` writes on `threads` threads; returns the failures.
fn bulk_set(store: &DataStoreHandle, n: usize, threads: usize) -> usize {
    let failures = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for t in 0..threads {
            let (store, failures) = (store.clone(), &failures);
            s.spawn(move || {
                for i in (t..n).step_by(threads) {
                    if store
                        .entry(&format!("k{i}"))
                        .set(&serde_json::json!(i))
                        .is_err()
                    {
                        failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            });
        }
    });
    failures.into_inner()
}

#[test]
fn concurrent_update_with_loses_no_update() {
    let env = Env::new(EmulatorConfig::unthrottled());
    let c = env.client(|b| b.clock(SystemClock));
    let e = c.data_store("Counters").entry("shared");
    std::thread::scope(|s| {
        for _ in 0..16 {
            let e = e.clone();
            s.spawn(move || {
                for _ in 0..50 {
                    e.update_with(|v: Option<i64>| v.unwrap_or(0) + 1).unwrap();
                }
            });
        }
    });
    assert_eq!(e.get_json::<i64>().unwrap(), 800);
}

#[test]
fn iterators_resume_from_a_saved_token() {
    let env = Env::new(EmulatorConfig::unthrottled());
    let c = env.client(|b| b);
    let store = c.data_store("Resume");
    for i in 0..25 {
        store.entry(&format!("k{i:02}")).set(&i).unwrap();
    }
    let mut items = c.items(store.list().unwrap().max_page_size(10));
    let first: Vec<String> = items.by_ref().take(10).map(|e| e.unwrap().id).collect();
    let token = items.resume_token().cloned().unwrap();
    drop(items);
    let rest: Vec<String> = c
        .items(store.list().unwrap().max_page_size(10).resume_at(token))
        .map(|e| e.unwrap().id)
        .collect();
    assert_eq!(first.len() + rest.len(), 25);
    assert_eq!(rest[0], "k10");
}

#[test]
fn a_closure_is_a_transport() {
    let c = Client::builder()
        .api_key("k")
        .universe(9)
        .http_client(|req: http::Request<Vec<u8>>| -> Result<http::Response<Vec<u8>>, TransportError> {
            assert_eq!(req.uri(), "https://apis.roblox.com/cloud/v2/universes/9/ordered-data-stores/S/scopes/global/entries/x");
            Ok(http::Response::builder().status(200).body(br#"{"path":"p","id":"x","value":3}"#.to_vec()).unwrap())
        })
        .build()
        .unwrap();
    assert_eq!(
        c.ordered_data_store("S", "global")
            .entry("x")
            .get()
            .unwrap()
            .value,
        3
    );
}

#[test]
fn a_listing_stops_after_an_error_and_resumes_from_its_token() {
    let env = Env::new(EmulatorConfig::unthrottled());
    let c = env.client(|b| b);
    let store = c.data_store("Stops");
    for i in 0..5 {
        store.entry(&format!("k{i}")).set(&i).unwrap();
    }
    let mut items = c.items(store.list().unwrap().max_page_size(2));
    assert_eq!(items.next().unwrap().unwrap().id, "k0");
    assert_eq!(items.next().unwrap().unwrap().id, "k1");
    env.app().inject(opencloud_emulator::Fault::status(
        Some("GET"),
        "*/entries",
        403,
    ));
    assert_eq!(
        items
            .next()
            .unwrap()
            .unwrap_err()
            .status()
            .unwrap()
            .as_u16(),
        403
    );
    assert!(items.next().is_none(), "no request after an error");
    let token = items
        .resume_token()
        .cloned()
        .expect("the failed page can be resumed");
    let rest: Vec<String> = c
        .items(store.list().unwrap().max_page_size(2).resume_at(token))
        .map(|e| e.unwrap().id)
        .collect();
    assert_eq!(rest, ["k2", "k3", "k4"]);
}
