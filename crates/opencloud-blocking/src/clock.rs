//! Time for the client: when it is, and sleeping. Swappable so tests can run on virtual time.

use std::time::Duration;

use opencloud_core::jiff::Timestamp;

/// The client's source of time.
pub trait Clock: Send + Sync + 'static {
    /// Now.
    fn now(&self) -> Timestamp;
    /// Sleeps for `duration`.
    fn sleep(&self, duration: Duration);
}

/// The system clock and `std::thread::sleep`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration)
    }
}
