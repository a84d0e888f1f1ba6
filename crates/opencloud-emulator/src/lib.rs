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
pub mod conn;
pub mod control;
pub mod error;
pub mod keys;
pub mod serve;
pub mod store;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use jiff::Timestamp;
use opencloud_core::{RateBudget, RateLimits};

pub use api::{ApiError, ApiRequest, ErrorFamily, Reply};
pub use clock::Clock;
pub use control::{Fault, FaultTiming, LoggedRequest};
pub use error::EmulatorError;
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
    /// Strict mode: refuse with 400 what the live service tolerates (unknown query
    /// parameters, booleans not in lowercase, a missing body or content type).
    pub strict: bool,
    /// A connection must send a request's headers within this time of its first byte.
    pub header_read_timeout: Duration,
    /// A connection that sends nothing for this long (between or within requests) is closed.
    pub idle_timeout: Duration,
}

/// The default [`EmulatorConfig::header_read_timeout`].
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The default [`EmulatorConfig::idle_timeout`].
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

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
            strict: false,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
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

/// Locks a mutex, recovering it if a panic poisoned it. Every lock of the emulator is taken
/// through this one function: no lock is held across code that leaves shared state half
/// changed (storage calls are transactions), so the state behind a poisoned lock is consistent.
pub(crate) fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The shared state of a running emulator.
pub struct App {
    pub(crate) store: Mutex<Box<dyn Storage>>,
    pub(crate) keys: keys::KeyStore,
    /// The emulator's clock.
    pub clock: Clock,
    pub(crate) throttle: Mutex<control::Throttle>,
    pub(crate) faults: Mutex<Vec<Fault>>,
    pub(crate) log: Mutex<control::RequestLog>,
    pub(crate) messages: Mutex<api::Messages>,
    pub(crate) next_purge: Mutex<Timestamp>,
    pub(crate) strict: bool,
    pub(crate) journal_mode: String,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").finish_non_exhaustive()
    }
}

impl App {
    /// Opens storage and builds the state.
    pub fn new(config: &EmulatorConfig) -> Result<Self, EmulatorError> {
        let sqlite = match &config.data_dir {
            Some(dir) => SqliteStorage::open(dir)?,
            None => SqliteStorage::in_memory()?,
        };
        let journal_mode = sqlite.journal_mode()?;
        let clock = Clock::default();
        if let Some(t) = config.frozen_at {
            clock.freeze();
            clock.set(t);
        }
        Ok(Self {
            store: Mutex::new(Box::new(sqlite)),
            keys: keys::KeyStore::new(config.keys.clone()),
            clock,
            throttle: Mutex::new(control::Throttle {
                enforce: config.throttle,
                budget: RateBudget::new(config.limits.clone()),
            }),
            faults: Mutex::new(Vec::new()),
            log: Mutex::new(control::RequestLog::default()),
            messages: Mutex::new(api::Messages::default()),
            next_purge: Mutex::new(Timestamp::UNIX_EPOCH),
            strict: config.strict,
            journal_mode,
        })
    }

    /// Whether only the development key is accepted.
    pub fn dev_key_only(&self) -> bool {
        self.keys.is_dev_only()
    }

    /// The SQLite journal mode in effect, as SQLite reports it (`wal` on disk).
    pub fn journal_mode(&self) -> &str {
        &self.journal_mode
    }

    /// Deletes every data store, entry, restriction, published message, fault, log line and
    /// throttle count.
    pub fn reset(&self) -> Result<(), EmulatorError> {
        lock(&self.store).reset()?;
        lock(&self.messages).clear();
        lock(&self.faults).clear();
        lock(&self.log).clear();
        let mut t = lock(&self.throttle);
        t.budget = RateBudget::new(t.budget.limits().clone());
        Ok(())
    }

    /// Adds a fault.
    pub fn inject(&self, fault: Fault) {
        lock(&self.faults).push(fault);
    }

    /// Turns throttling on or off and replaces the limits (and the counts).
    pub fn set_throttle(&self, enforce: Option<bool>, limits: Option<RateLimits>) {
        let mut t = lock(&self.throttle);
        if let Some(e) = enforce {
            t.enforce = e;
        }
        if let Some(l) = limits {
            t.budget = RateBudget::new(l);
        }
    }

    /// The request log, oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.log).entries().cloned().collect()
    }

    /// Takes (and consumes one use of) the first fault of this timing matching the request.
    fn take_fault(&self, method: &Method, path: &str, when: FaultTiming) -> Option<Fault> {
        let mut faults = lock(&self.faults);
        let i = faults
            .iter()
            .position(|f| f.when == when && f.count > 0 && f.matches(method, path))?;
        let f = faults[i].clone();
        faults[i].count = faults[i].count.saturating_sub(1);
        if faults[i].count == 0 {
            faults.remove(i);
        }
        Some(f)
    }

    /// The messages published on a topic, oldest first; of every universe when `universe` is
    /// `None`.
    pub fn published(&self, universe: Option<&str>, topic: &str) -> Vec<api::Published> {
        lock(&self.messages).on_topic(universe, topic)
    }

    fn record(&self, entry: LoggedRequest) {
        lock(&self.log).push(entry);
    }
}

async fn api_handler(
    State(app): State<Arc<App>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let req = ApiRequest {
        method,
        path: uri.path().to_string(),
        query: uri.query().unwrap_or("").to_string(),
        headers,
        body,
    };
    app.handle(req).await.into_response()
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
        .route("/_emulator/messages", get(control::messages_get))
        .route("/_emulator/messages/stream", get(control::messages_stream))
        .route(
            "/_emulator/throttle",
            get(control::throttle_get).post(control::throttle_post),
        )
        .fallback(api_handler)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(app)
}
