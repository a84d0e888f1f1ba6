//! The retry policy: plain data and one pure `decide` function.
//!
//! `decide` takes the time and a jitter sample from the caller, so a transcript of decisions is
//! the same on every run. The transports are short loops around it that sleep for real.

use std::time::Duration;

use http::StatusCode;
use jiff::Timestamp;

use crate::error::{Error, RetryAfter, TransportErrorKind, is_retryable_status};
use crate::route::RetryClass;

/// What happened to one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The service answered with this status (and maybe `Retry-After`).
    Status {
        /// The status.
        status: StatusCode,
        /// The `Retry-After` header.
        retry_after: Option<RetryAfter>,
    },
    /// The transport failed.
    Transport(TransportErrorKind),
}

impl Outcome {
    /// The outcome an error stands for; `None` for errors that no retry can fix (invalid input,
    /// an undecodable success body).
    pub fn of(error: &Error) -> Option<Outcome> {
        match error {
            Error::Service(e) => Some(Outcome::Status {
                status: e.status,
                retry_after: e.retry_after(),
            }),
            Error::Transport(e) => Some(Outcome::Transport(e.kind)),
            _ => None,
        }
    }

    /// Whether the service certainly did not apply the request: it throttled it, or the
    /// connection was never made.
    pub fn certainly_not_applied(&self) -> bool {
        match self {
            Outcome::Status { status, .. } => *status == StatusCode::TOO_MANY_REQUESTS,
            Outcome::Transport(kind) => *kind == TransportErrorKind::Connect,
        }
    }
}

/// Why no retry follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GiveUp {
    /// The failure is not one a retry can fix (a 4xx other than 408/429).
    NotRetryable,
    /// The operation is not idempotent and the service may have applied it.
    MayHaveApplied,
    /// The attempt limit was reached.
    AttemptsExhausted,
    /// The next attempt would start after the deadline.
    DeadlineExceeded,
    /// The service asked (`Retry-After`) for a wait longer than the whole retry budget.
    RetryAfterTooLong,
}

impl std::fmt::Display for GiveUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            GiveUp::NotRetryable => "not retried: a retry cannot fix this failure",
            GiveUp::MayHaveApplied => {
                "not retried: the service may have applied it, and repeating it could apply it twice"
            }
            GiveUp::AttemptsExhausted => "gave up: every attempt failed",
            GiveUp::DeadlineExceeded => "gave up: the retry deadline passed",
            GiveUp::RetryAfterTooLong => {
                "gave up: the service asked to wait past the retry deadline (Retry-After)"
            }
        })
    }
}

/// The decision for a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Sleep this long, then send the same request again.
    RetryAfter(Duration),
    /// Return the error.
    GiveUp(GiveUp),
}

/// With no deadline set, the longest `Retry-After` the client waits for: a day.
pub const MAX_RETRY_AFTER_WITHOUT_DEADLINE: Duration = Duration::from_secs(24 * 3600);

/// How often and how patiently to retry.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included (1 disables retries).
    pub max_attempts: u32,
    /// The delay before the first retry, before jitter.
    pub initial_backoff: Duration,
    /// The longest delay between attempts, before jitter.
    pub max_backoff: Duration,
    /// The factor between consecutive delays.
    pub multiplier: f64,
    /// No attempt starts later than this after the first one.
    pub max_elapsed: Option<Duration>,
}

impl Default for RetryPolicy {
    /// 8 attempts, 250 ms doubling to 32 s, within 5 minutes: enough to ride out a throttle window.
    fn default() -> Self {
        Self {
            max_attempts: 8,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(32),
            multiplier: 2.0,
            max_elapsed: Some(Duration::from_secs(300)),
        }
    }
}

/// The state of one call across its attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryState {
    /// Attempts made so far.
    pub attempts: u32,
    /// When the first attempt started.
    pub started: Timestamp,
}

impl RetryState {
    /// The state before the first attempt, which starts at `now`.
    pub fn new(now: Timestamp) -> Self {
        Self {
            attempts: 0,
            started: now,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Decides what to do after a failed attempt. The caller counts attempts with
    /// [`RetryPolicy::record_attempt`] before each one.
    ///
    /// `jitter` is a sample in `[0, 1)`; the delay is between half and all of the backoff
    /// ("equal jitter"). A `Retry-After` from the service is honoured as it is, never shortened.
    pub fn decide(
        &self,
        state: &RetryState,
        class: RetryClass,
        outcome: &Outcome,
        now: Timestamp,
        jitter: f64,
    ) -> Decision {
        let retryable = match outcome {
            Outcome::Status { status, .. } => is_retryable_status(*status),
            Outcome::Transport(_) => true,
        };
        if !retryable {
            return Decision::GiveUp(GiveUp::NotRetryable);
        }
        if class == RetryClass::UnappliedOnly && !outcome.certainly_not_applied() {
            return Decision::GiveUp(GiveUp::MayHaveApplied);
        }
        if state.attempts >= self.max_attempts {
            return Decision::GiveUp(GiveUp::AttemptsExhausted);
        }
        let exp = self.initial_backoff.as_secs_f64()
            * self
                .multiplier
                .powi(state.attempts.saturating_sub(1) as i32);
        let capped = exp.min(self.max_backoff.as_secs_f64());
        let jitter = jitter.clamp(0.0, 1.0);
        let mut delay =
            Duration::try_from_secs_f64(capped * (0.5 + 0.5 * jitter)).unwrap_or(self.max_backoff);
        let mut asked = false;
        if let Outcome::Status {
            retry_after: Some(ra),
            ..
        } = outcome
        {
            delay = ra.delay_from(now);
            asked = true;
        }
        if let Some(max) = self.max_elapsed {
            let elapsed_ms = u128::try_from(
                now.as_millisecond()
                    .saturating_sub(state.started.as_millisecond()),
            )
            .unwrap_or(0);
            if elapsed_ms.saturating_add(delay.as_millis()) > max.as_millis() {
                // A wait longer than the whole budget is the service's doing, not the clock's.
                return Decision::GiveUp(if asked && delay > max {
                    GiveUp::RetryAfterTooLong
                } else {
                    GiveUp::DeadlineExceeded
                });
            }
        } else if asked && delay > MAX_RETRY_AFTER_WITHOUT_DEADLINE {
            return Decision::GiveUp(GiveUp::RetryAfterTooLong);
        }
        Decision::RetryAfter(delay)
    }

    /// Counts an attempt about to be made.
    pub fn record_attempt(state: &mut RetryState) {
        state.attempts = state.attempts.saturating_add(1);
    }
}

/// A small deterministic generator of jitter samples (xorshift64*). The core never seeds it from
/// anything: the transport picks the seed (for example from the clock), tests pick a constant.
#[derive(Debug, Clone)]
pub struct JitterSource(u64);

impl JitterSource {
    /// A generator from a seed (0 is replaced by a fixed non-zero constant).
    pub fn new(seed: u64) -> Self {
        Self(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// The next sample in `[0, 1)`.
    pub fn next_sample(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}
