//! Per-universe request and byte budgets over a sliding minute.
//!
//! The same budget throttles the clients (so a bulk job never trips 429) and the emulator (so it
//! answers 429 as the service does). Time comes in as an argument.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use jiff::Timestamp;

use crate::names::UniverseId;
use crate::route::ThrottleCategory;

/// The window every limit is counted over.
pub const WINDOW: Duration = Duration::from_secs(60);

/// One category's limits per minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CategoryLimit {
    /// Requests per minute.
    pub requests: u64,
    /// Bytes per minute (request bodies for writes, response bodies for reads).
    pub bytes: u64,
}

impl CategoryLimit {
    /// No limit.
    pub const UNLIMITED: CategoryLimit = CategoryLimit {
        requests: u64::MAX,
        bytes: u64::MAX,
    };
}

const MB: u64 = 1_048_576;

/// The limits of every category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits {
    limits: [CategoryLimit; 5],
}

impl RateLimits {
    /// The documented per-universe defaults for an experience with no players online: 300
    /// requests per minute for each of read, write, list and remove (`300 + concurrentUsers × N`),
    /// 60 snapshots per minute, 20 MB/minute of reads and 10 MB/minute of writes.
    pub fn documented_defaults() -> Self {
        Self::for_concurrent_users(0)
    }

    /// The documented limits for an experience with `users` players online:
    /// read `300 + 40n`, write `300 + 20n`, list `300 + 2n`, remove `300 + 40n` requests per minute.
    pub fn for_concurrent_users(users: u64) -> Self {
        let req = |per: u64| 300 + per * users;
        Self {
            limits: [
                CategoryLimit {
                    requests: req(40),
                    bytes: 20 * MB,
                },
                CategoryLimit {
                    requests: req(20),
                    bytes: 10 * MB,
                },
                CategoryLimit {
                    requests: req(2),
                    bytes: 20 * MB,
                },
                CategoryLimit {
                    requests: req(40),
                    bytes: u64::MAX,
                },
                CategoryLimit {
                    requests: 60,
                    bytes: u64::MAX,
                },
            ],
        }
    }

    /// No limits at all.
    pub fn unlimited() -> Self {
        Self {
            limits: [CategoryLimit::UNLIMITED; 5],
        }
    }

    /// The same limit for every category.
    pub fn uniform(limit: CategoryLimit) -> Self {
        Self { limits: [limit; 5] }
    }

    /// Replaces one category's limit.
    pub fn with(mut self, category: ThrottleCategory, limit: CategoryLimit) -> Self {
        self.limits[category as usize] = limit;
        self
    }

    /// One category's limit.
    pub fn get(&self, category: ThrottleCategory) -> CategoryLimit {
        self.limits[category as usize]
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        Self::documented_defaults()
    }
}

#[derive(Debug, Default, Clone)]
struct Window {
    events: VecDeque<(Timestamp, u64)>,
    bytes: u64,
}

impl Window {
    fn expire(&mut self, now: Timestamp) {
        let cutoff = now.as_millisecond() - WINDOW.as_millis() as i64;
        while let Some(&(t, b)) = self.events.front() {
            if t.as_millisecond() > cutoff {
                break;
            }
            self.events.pop_front();
            self.bytes -= b;
        }
    }

    /// How long until a request of `bytes` fits, or zero.
    fn wait(&self, limit: CategoryLimit, bytes: u64, now: Timestamp) -> Duration {
        let until = |t: Timestamp| {
            let ms = t.as_millisecond() + WINDOW.as_millis() as i64 - now.as_millisecond();
            Duration::from_millis(ms.max(1) as u64)
        };
        let mut wait = Duration::ZERO;
        if self.events.len() as u64 >= limit.requests {
            let idx = self.events.len() - limit.requests as usize;
            wait = wait.max(until(self.events[idx].0));
        }
        // A request larger than the whole byte budget goes alone into an empty window.
        let need = bytes.min(limit.bytes);
        if self.bytes.saturating_add(need) > limit.bytes {
            let mut freed = 0;
            for &(t, b) in &self.events {
                freed += b;
                if self.bytes - freed + need <= limit.bytes {
                    wait = wait.max(until(t));
                    break;
                }
            }
        }
        wait
    }
}

/// Budgets per universe and category.
#[derive(Debug, Clone, Default)]
pub struct RateBudget {
    limits: RateLimits,
    windows: HashMap<(UniverseId, ThrottleCategory), Window>,
}

impl RateBudget {
    /// A budget with these limits.
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            windows: HashMap::new(),
        }
    }

    /// The limits.
    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    /// Takes one request of `bytes` from the budget at `now`, or says how long to wait first.
    /// Nothing is taken when it says to wait.
    pub fn try_acquire(
        &mut self,
        universe: &UniverseId,
        category: ThrottleCategory,
        bytes: u64,
        now: Timestamp,
    ) -> Result<(), Duration> {
        let limit = self.limits.get(category);
        if limit == CategoryLimit::UNLIMITED {
            return Ok(());
        }
        let w = self
            .windows
            .entry((universe.clone(), category))
            .or_default();
        w.expire(now);
        let wait = w.wait(limit, bytes, now);
        if wait > Duration::ZERO {
            return Err(wait);
        }
        w.events.push_back((now, bytes));
        w.bytes += bytes;
        Ok(())
    }

    /// Adds bytes to the last request in the window (a response size known only afterwards).
    pub fn add_bytes(
        &mut self,
        universe: &UniverseId,
        category: ThrottleCategory,
        bytes: u64,
        now: Timestamp,
    ) {
        if self.limits.get(category) == CategoryLimit::UNLIMITED {
            return;
        }
        let w = self
            .windows
            .entry((universe.clone(), category))
            .or_default();
        w.expire(now);
        match w.events.back_mut() {
            Some(last) => last.1 += bytes,
            None => w.events.push_back((now, bytes)),
        }
        w.bytes += bytes;
    }

    /// Requests counted in the current window.
    pub fn used(
        &mut self,
        universe: &UniverseId,
        category: ThrottleCategory,
        now: Timestamp,
    ) -> (u64, u64) {
        let w = self
            .windows
            .entry((universe.clone(), category))
            .or_default();
        w.expire(now);
        (w.events.len() as u64, w.bytes)
    }
}
