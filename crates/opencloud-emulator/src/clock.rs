//! The emulator's clock: real time plus an offset, or frozen. Tests move it to drive
//! throttling windows, `@latest:<time>` reads and 30-day retention.

use std::sync::Mutex;
use std::time::Duration;

use jiff::Timestamp;

/// A controllable clock.
#[derive(Debug, Default)]
pub struct Clock {
    state: Mutex<ClockState>,
}

#[derive(Debug, Default, Clone, Copy)]
struct ClockState {
    offset_us: i64,
    frozen: Option<Timestamp>,
}

impl Clock {
    /// The current emulated time.
    pub fn now(&self) -> Timestamp {
        let s = *self.state.lock().expect("clock lock");
        match s.frozen {
            Some(t) => t,
            None => Timestamp::from_microsecond(Timestamp::now().as_microsecond() + s.offset_us)
                .unwrap_or(Timestamp::MAX),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut s = self.state.lock().expect("clock lock");
        let us = by.as_micros() as i64;
        match &mut s.frozen {
            Some(t) => {
                *t = Timestamp::from_microsecond(t.as_microsecond() + us).unwrap_or(Timestamp::MAX)
            }
            None => s.offset_us += us,
        }
    }

    /// Sets the time; a frozen clock stays frozen at it, a running one runs on from it.
    pub fn set(&self, to: Timestamp) {
        let mut s = self.state.lock().expect("clock lock");
        match &mut s.frozen {
            Some(t) => *t = to,
            None => s.offset_us = to.as_microsecond() - Timestamp::now().as_microsecond(),
        }
    }

    /// Stops the clock where it is.
    pub fn freeze(&self) {
        let now = self.now();
        self.state.lock().expect("clock lock").frozen = Some(now);
    }

    /// Lets a frozen clock run again from where it stands.
    pub fn resume(&self) {
        let now = self.now();
        let mut s = self.state.lock().expect("clock lock");
        s.frozen = None;
        s.offset_us = now.as_microsecond() - Timestamp::now().as_microsecond();
    }
}
