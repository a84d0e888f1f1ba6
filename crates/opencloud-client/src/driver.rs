//! The contract between the client surface and a driver. Applications never need this module:
//! it is for the crates that move the bytes (`opencloud-async`, `opencloud-blocking`).
//!
//! A driver says what an operation returns ([`Driver::Output`]: a future to await, or the
//! result itself), brings a default HTTP stack and clock, and runs a core
//! `opencloud_core::Machine` with the one loop of the `Machine` trait's documentation.

use std::sync::Mutex;
use std::time::Duration;

use jiff::Timestamp;
use opencloud_core::{Error, JitterSource, Machine, Outgoing, Wait};

/// A way to run calls: async or blocking.
pub trait Driver: Sized + Send + Sync + 'static {
    /// What an operation returns: a future of `Result<T, Error>` (async), or the result itself
    /// (blocking).
    type Output<'a, T: Send + 'a>;
    /// The HTTP stack the client sends with.
    type Http: Send + Sync + 'static;
    /// The clock the client reads and sleeps with.
    type Clock: Send + Sync + 'static;

    /// The HTTP stack used when the builder was given none, with a per-attempt timeout.
    fn default_http(timeout: Duration) -> Result<Self::Http, Error>;
    /// The clock used when the builder was given none.
    fn default_clock() -> Self::Clock;
    /// The time on `clock`.
    fn now(clock: &Self::Clock) -> Timestamp;
    /// Runs `machine` to its end.
    fn run<'a, M>(rt: Runtime<'a, Self>, machine: M) -> Self::Output<'a, M::Output>
    where
        M: Machine + Send + 'a,
        M::Output: Send + 'a;
    /// An output that is already known (an input that failed validation, for instance).
    fn ready<'a, T: Send + 'a>(result: Result<T, Error>) -> Self::Output<'a, T>;
}

/// A driver whose outputs are futures.
pub trait AsyncDriver: Driver {
    /// The output as a boxed future.
    fn into_future<'a, T: Send + 'a>(
        output: Self::Output<'a, T>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, Error>> + Send + 'a>>;
}

/// A driver whose outputs are the results themselves.
pub trait BlockingDriver: Driver {
    /// The output as a result.
    fn into_result<'a, T: Send + 'a>(output: Self::Output<'a, T>) -> Result<T, Error>;
}

/// What a driver runs a machine with: the client's HTTP stack, clock and jitter source.
pub struct Runtime<'a, D: Driver> {
    /// The HTTP stack.
    pub http: &'a D::Http,
    /// The clock.
    pub clock: &'a D::Clock,
    pub(crate) jitter: &'a Mutex<JitterSource>,
}

impl<D: Driver> Clone for Runtime<'_, D> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<D: Driver> Copy for Runtime<'_, D> {}

impl<D: Driver> std::fmt::Debug for Runtime<'_, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").finish_non_exhaustive()
    }
}

impl<D: Driver> Runtime<'_, D> {
    /// Now, on the client's clock.
    pub fn now(&self) -> Timestamp {
        D::now(self.clock)
    }
    /// A jitter sample in `[0, 1)` from the client's own source.
    pub fn jitter(&self) -> f64 {
        self.jitter
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .next_sample()
    }
}

/// The span a driver sends one attempt in: the operation and attempt, and the status once it is
/// recorded with [`record_status`]. Never the key.
pub fn attempt_span(out: &Outgoing) -> tracing::Span {
    tracing::debug_span!(
        "opencloud.request",
        operation = ?out.route,
        attempt = out.attempt,
        status = tracing::field::Empty
    )
}

/// Records an attempt's answer on its span.
pub fn record_status(
    span: &tracing::Span,
    result: &Result<opencloud_core::http::Response<Vec<u8>>, opencloud_core::TransportError>,
) {
    match result {
        Ok(r) => {
            span.record("status", r.status().as_u16());
        }
        Err(e) => tracing::debug!(parent: span, error = %e, "transport error"),
    }
}

/// Logs a sleep a machine asked for.
pub fn note_wait(duration: Duration, why: Wait) {
    let ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    match why {
        Wait::Retry => tracing::debug!(delay_ms = ms, "retrying"),
        Wait::RateLimit => tracing::debug!(wait_ms = ms, "waiting for the rate budget"),
        _ => tracing::debug!(
            wait_ms = ms,
            "waiting before another read-modify-write round"
        ),
    }
}
