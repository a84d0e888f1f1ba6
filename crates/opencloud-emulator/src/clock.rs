//! The emulator's clock: real time plus an offset, or frozen. Tests move it to drive
//! throttling windows, `@latest:<time>` reads and 30-day retention.
//!
//! All arithmetic is checked: a step that would leave the range of times is refused, never
//! wrapped.

use std::sync::Mutex;
use std::time::Duration;

use jiff::Timestamp;

use crate::lock;

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

/// A clock step that would leave the range of representable times.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the clock cannot move to a time outside -9999-01-01 to 9999-12-31")]
pub struct OutOfRange;

impl Clock {
    /// The current emulated time.
    pub fn now(&self) -> Timestamp {
        let s = *lock(&self.state);
        match s.frozen {
            Some(t) => t,
            None => Timestamp::now()
                .as_microsecond()
                .checked_add(s.offset_us)
                .and_then(|us| Timestamp::from_microsecond(us).ok())
                .unwrap_or(if s.offset_us < 0 {
                    Timestamp::MIN
                } else {
                    Timestamp::MAX
                }),
        }
    }

    /// Moves the clock forward; refused (and nothing changes) past the largest time.
    pub fn try_advance(&self, by: Duration) -> Result<Timestamp, OutOfRange> {
        let us = i64::try_from(by.as_micros()).map_err(|_| OutOfRange)?;
        let mut s = lock(&self.state);
        match &mut s.frozen {
            Some(t) => {
                *t = t
                    .as_microsecond()
                    .checked_add(us)
                    .and_then(|v| Timestamp::from_microsecond(v).ok())
                    .ok_or(OutOfRange)?;
            }
            None => {
                let offset = s.offset_us.checked_add(us).ok_or(OutOfRange)?;
                Timestamp::now()
                    .as_microsecond()
                    .checked_add(offset)
                    .and_then(|v| Timestamp::from_microsecond(v).ok())
                    .ok_or(OutOfRange)?;
                s.offset_us = offset;
            }
        }
        drop(s);
        Ok(self.now())
    }

    /// Moves the clock forward, stopping at the largest time.
    pub fn advance(&self, by: Duration) {
        if self.try_advance(by).is_err() {
            self.set(Timestamp::MAX);
        }
    }

    /// Sets the time; a frozen clock stays frozen at it, a running one runs on from it.
    pub fn set(&self, to: Timestamp) {
        let mut s = lock(&self.state);
        match &mut s.frozen {
            Some(t) => *t = to,
            None => {
                s.offset_us = to
                    .as_microsecond()
                    .saturating_sub(Timestamp::now().as_microsecond())
            }
        }
    }

    /// Stops the clock where it is.
    pub fn freeze(&self) {
        let now = self.now();
        lock(&self.state).frozen = Some(now);
    }

    /// Lets a frozen clock run again from where it stands.
    pub fn resume(&self) {
        let now = self.now();
        let mut s = lock(&self.state);
        s.frozen = None;
        s.offset_us = now
            .as_microsecond()
            .saturating_sub(Timestamp::now().as_microsecond());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_past_the_range_are_refused_not_wrapped() {
        let c = Clock::default();
        c.freeze();
        c.set("2024-01-01T00:00:00Z".parse().unwrap());
        assert_eq!(
            c.try_advance(Duration::from_secs(9_000_000_000_000)),
            Err(OutOfRange)
        );
        assert_eq!(c.now(), "2024-01-01T00:00:00Z".parse().unwrap());
        assert_eq!(c.try_advance(Duration::MAX), Err(OutOfRange));
        c.resume();
        assert_eq!(
            c.try_advance(Duration::from_secs(9_000_000_000_000)),
            Err(OutOfRange)
        );
        assert!(c.try_advance(Duration::from_secs(60)).is_ok());
        c.advance(Duration::MAX);
        assert!(c.now() > "9000-01-01T00:00:00Z".parse().unwrap());
    }
}
