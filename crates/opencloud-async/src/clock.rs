//! Time for the client: when it is, and sleeping. Swappable so tests can run on virtual time.

use std::time::Duration;

use opencloud_core::jiff::Timestamp;

use crate::transport::BoxFuture;

/// The client's source of time.
pub trait Clock: Send + Sync + 'static {
    /// Now.
    fn now(&self) -> Timestamp;
    /// Sleeps for `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()>;
}

/// The clock a client runs on: any [`Clock`], shared. Made with `.into()` (the builder's
/// [`clock`](crate::ClientBuilder::clock) does it).
#[derive(Clone)]
pub struct SharedClock(pub(crate) std::sync::Arc<dyn Clock>);

impl std::fmt::Debug for SharedClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedClock")
    }
}

impl<C: Clock> From<C> for SharedClock {
    fn from(clock: C) -> Self {
        Self(std::sync::Arc::new(clock))
    }
}

/// The system clock and tokio's timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}
