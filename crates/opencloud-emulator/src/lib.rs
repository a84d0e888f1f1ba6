//! # opencloud-emulator
//!
//! A local Roblox Open Cloud data stores server on SQLite, for offline development, CI, and
//! the end-to-end tests of opencloud-rs. It serves the v2 standard and ordered data store APIs
//! with the documented semantics, checks API keys and their scopes, throttles per universe, and
//! has a control plane (`/_emulator/...`) to move its clock, inject faults and read a request
//! log. `docs/emulator.md` lists where it differs from the real service.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use opencloud_emulator::{Emulator, EmulatorConfig};
//! let emulator = Emulator::start(EmulatorConfig::default()).await?;
//! println!("point the client at {}", emulator.base_url());
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
pub mod clock;
pub mod control;
pub mod keys;
pub mod serve;
pub mod store;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use jiff::Timestamp;
use opencloud_core::{RateBudget, RateLimits};

pub use api::ApiError;
pub use clock::Clock;
pub use control::{Fault, FaultTiming, LoggedRequest};
pub use keys::{DEV_API_KEY, KeyConfig};
pub use serve::{BackgroundEmulator, Emulator, ServeArgs};
use store::{SqliteStorage, Storage};

/// How an emulator is set up.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Where to listen; port 0 picks a free one.
    pub listen: SocketAddr,
    /// Where the SQLite database lives; in memory when `None`.
    pub data_dir: Option<PathBuf>,
    /// Accepted keys; with none, [`DEV_API_KEY`].
    pub keys: Vec<KeyConfig>,
    /// Whether to enforce the per-universe budgets.
    pub throttle: bool,
    /// The budgets.
    pub limits: RateLimits,
    /// Freeze the clock at this time (tests); the clock runs from the real time when `None`.
    pub frozen_at: Option<Timestamp>,
}

impl Default for EmulatorConfig {
    /// In memory on `127.0.0.1:0` with the development key and the documented budgets enforced.
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: None,
            keys: Vec::new(),
            throttle: true,
            limits: RateLimits::documented_defaults(),
            frozen_at: None,
        }
    }
}

impl EmulatorConfig {
    /// The default configuration with throttling off: for tests that are not about throttling.
    pub fn unthrottled() -> Self {
        Self {
            throttle: false,
            ..Self::default()
        }
    }
}

/// The shared state of a running emulator.
pub struct App {
    pub(crate) store: Mutex<Box<dyn Storage>>,
    pub(crate) keys: keys::KeyStore,
    /// The emulator's clock.
    pub clock: Clock,
    pub(crate) throttle: Mutex<control::Throttle>,
    pub(crate) faults: Mutex<Vec<Fault>>,
    pub(crate) log: Mutex<VecDeque<LoggedRequest>>,
    pub(crate) next_purge: Mutex<Timestamp>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").finish_non_exhaustive()
    }
}

impl App {
    /// Opens storage and builds the state.
    pub fn new(config: &EmulatorConfig) -> Result<Self, String> {
        let store: Box<dyn Storage> = match &config.data_dir {
            Some(dir) => Box::new(SqliteStorage::open(dir).map_err(|e| e.to_string())?),
            None => Box::new(SqliteStorage::in_memory().map_err(|e| e.to_string())?),
        };
        let clock = Clock::default();
        if let Some(t) = config.frozen_at {
            clock.freeze();
            clock.set(t);
        }
        Ok(Self {
            store: Mutex::new(store),
            keys: keys::KeyStore::new(config.keys.clone()),
            clock,
            throttle: Mutex::new(control::Throttle {
                enforce: config.throttle,
                budget: RateBudget::new(config.limits.clone()),
            }),
            faults: Mutex::new(Vec::new()),
            log: Mutex::new(VecDeque::new()),
            next_purge: Mutex::new(Timestamp::UNIX_EPOCH),
        })
    }

    /// Whether only the development key is accepted.
    pub fn dev_key_only(&self) -> bool {
        self.keys.is_dev_only()
    }

    /// Deletes every data store, entry, fault, log line and throttle count.
    pub fn reset(&self) -> Result<(), String> {
        self.store
            .lock()
            .map_err(|e| e.to_string())?
            .reset()
            .map_err(|e| e.to_string())?;
        self.faults.lock().map_err(|e| e.to_string())?.clear();
        self.log.lock().map_err(|e| e.to_string())?.clear();
        let mut t = self.throttle.lock().map_err(|e| e.to_string())?;
        t.budget = RateBudget::new(t.budget.limits().clone());
        Ok(())
    }

    /// Adds a fault.
    pub fn inject(&self, fault: Fault) {
        self.faults.lock().expect("faults lock").push(fault);
    }

    /// Turns throttling on or off and replaces the limits (and the counts).
    pub fn set_throttle(&self, enforce: Option<bool>, limits: Option<RateLimits>) {
        let mut t = self.throttle.lock().expect("throttle lock");
        if let Some(e) = enforce {
            t.enforce = e;
        }
        if let Some(l) = limits {
            t.budget = RateBudget::new(l);
        }
    }

    /// The request log, oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.log.lock().expect("log lock").iter().cloned().collect()
    }

    fn take_fault(&self, method: &Method, path: &str, when: FaultTiming) -> Option<Fault> {
        let mut faults = self.faults.lock().expect("faults lock");
        let i = faults
            .iter()
            .position(|f| f.when == when && f.count > 0 && f.matches(method, path))?;
        let f = faults[i].clone();
        faults[i].count -= 1;
        if faults[i].count == 0 {
            faults.remove(i);
        }
        Some(f)
    }

    fn record(&self, entry: LoggedRequest) {
        let mut log = self.log.lock().expect("log lock");
        if log.len() == control::LOG_CAPACITY {
            log.pop_front();
        }
        log.push_back(entry);
    }
}

fn error_response(e: &ApiError) -> Response {
    let body = e.body().to_string();
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = e.status;
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    if let Some(s) = e.retry_after {
        r.headers_mut().insert("retry-after", HeaderValue::from(s));
    }
    r
}

/// A response whose body fails at once: the client sees the connection drop.
fn dropped() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, _>(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "injected: connection dropped",
        ))
    });
    Response::new(Body::from_stream(stream))
}

async fn apply_fault(f: &Fault) -> Option<Response> {
    if f.delay_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(f.delay_ms)).await;
    }
    if f.drop_connection {
        return Some(dropped());
    }
    f.status.map(|s| {
        error_response(&ApiError::for_status(
            StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        ))
    })
}

async fn api_handler(
    State(app): State<Arc<App>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or("").to_string();
    let arrived = app.clock.now();
    let mut log = LoggedRequest {
        time: arrived,
        method: method.to_string(),
        path: path.clone(),
        query: query.clone(),
        route: None,
        status: 0,
        fault: false,
    };
    let before = app.take_fault(&method, &path, FaultTiming::Before);
    let after = app.take_fault(&method, &path, FaultTiming::After);
    if let Some(f) = &before
        && let Some(resp) = apply_fault(f).await
    {
        log.fault = true;
        log.status = if f.drop_connection {
            0
        } else {
            resp.status().as_u16()
        };
        app.record(log);
        return resp;
    }
    let mut handled = api::Handled::default();
    let result = app.api(&method, &path, &query, &headers, &body, &mut handled);
    log.route = handled.route.map(|r| format!("{r:?}"));
    let mut resp = match result {
        Ok(Some(body)) => {
            let mut r = Response::new(Body::from(body));
            r.headers_mut()
                .insert("content-type", HeaderValue::from_static("application/json"));
            r
        }
        Ok(None) => Response::new(Body::empty()),
        Err(e) => error_response(&e),
    };
    if let Some(f) = &after
        && let Some(r) = apply_fault(f).await
    {
        log.fault = true;
        resp = r;
        if f.drop_connection {
            log.status = 0;
            app.record(log);
            return resp;
        }
    }
    log.status = resp.status().as_u16();
    app.record(log);
    resp
}

/// The largest request body accepted (a 4,194,304-character value can be 16 MiB of UTF-8).
pub const MAX_BODY_BYTES: usize = 20 * 1024 * 1024;

/// The router: the control plane under `/_emulator/`, the API everywhere else.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/_emulator/health", get(control::health))
        .route("/_emulator/reset", post(control::reset))
        .route(
            "/_emulator/clock",
            get(control::clock_get).post(control::clock_post),
        )
        .route(
            "/_emulator/faults",
            get(control::faults_get)
                .post(control::faults_post)
                .delete(control::faults_delete),
        )
        .route("/_emulator/requests", get(control::requests_get))
        .route(
            "/_emulator/throttle",
            get(control::throttle_get).post(control::throttle_post),
        )
        .fallback(api_handler)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(app)
}
