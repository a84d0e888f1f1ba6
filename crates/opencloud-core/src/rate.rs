//! Per-universe request and byte budgets over a sliding window (a minute, or a second for the
//! categories the service limits per second: see [`ThrottleCategory::window`]).
//!
//! The same budget throttles the clients (so a bulk job never trips 429) and the emulator (so it
//! answers 429 as the service does). Time comes in as an argument.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use jiff::Timestamp;

use crate::names::UniverseId;
use crate::route::ThrottleCategory;

/// The window of the data store and messaging budgets (the user restriction ones are counted
/// per second: [`ThrottleCategory::window`]).
pub const WINDOW: Duration = Duration::from_secs(60);

/// One category's limits per window of the category ([`ThrottleCategory::window`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CategoryLimit {
    /// Requests per window.
    pub requests: u64,
    /// Bytes per window (request bodies for writes, response bodies for reads).
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
    limits: [CategoryLimit; ThrottleCategory::ALL.len()],
}

impl RateLimits {
    /// The documented per-universe defaults for an experience with no players online: 300
    /// requests per minute for each of read, write, list and remove (`300 + concurrentUsers × N`),
    /// 60 snapshots per minute, 20 MB/minute of reads and 10 MB/minute of writes; 50 message
    /// publishes per minute; 50 user restriction reads (get, list, logs) and 10 updates per
    /// second, and 2 updates a minute of one user.
    pub fn documented_defaults() -> Self {
        Self::for_concurrent_users(0)
    }

    /// The documented limits for an experience with `users` players online:
    /// read `300 + 40n`, write `300 + 20n`, list `300 + 2n`, remove `300 + 40n` requests per
    /// minute, publish `50 + 5n` per minute (the messaging guide); the user restriction limits
    /// (50 reads and 10 updates per second) do not depend on players.
    pub fn for_concurrent_users(users: u64) -> Self {
        let req = |per: u64| per.saturating_mul(users).saturating_add(300);
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
                CategoryLimit {
                    requests: users.saturating_mul(5).saturating_add(50),
                    bytes: u64::MAX,
                },
                CategoryLimit {
                    requests: 50,
                    bytes: u64::MAX,
                },
                CategoryLimit {
                    requests: 10,
                    bytes: u64::MAX,
                },
                CategoryLimit {
                    requests: 2,
                    bytes: u64::MAX,
                },
            ],
        }
    }

    /// No limits at all.
    pub fn unlimited() -> Self {
        Self {
            limits: [CategoryLimit::UNLIMITED; ThrottleCategory::ALL.len()],
        }
    }

    /// The same limit, per minute, for every universe budget counted per minute (data stores and
    /// messaging); the categories counted per second, and the per-user one, keep their
    /// documented limits.
    pub fn uniform(limit: CategoryLimit) -> Self {
        let mut limits = Self::documented_defaults();
        for c in ThrottleCategory::ALL {
            if c.window() == WINDOW && !c.per_subject() {
                limits = limits.with(c, limit);
            }
        }
        limits
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

/// How long a caller waits before asking again when the slot it needs belongs to a request
/// still in flight (its response will settle it).
pub const PENDING_POLL: Duration = Duration::from_millis(10);

/// A reservation not settled after this long (its caller went away) counts as settled then, so a
/// lost response cannot hold a slot forever. Far longer than any attempt's timeout.
pub const PENDING_TIMEOUT: Duration = Duration::from_secs(600);

/// Windows are pruned (the empty ones forgotten) once there are at least this many.
const PRUNE_AT_LEAST: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Event {
    time: Timestamp,
    bytes: u64,
    id: u64,
    /// Reserved by a client and not yet settled: it holds its slot until it is.
    pending: bool,
}

#[derive(Debug, Default, Clone)]
struct Window {
    /// Sorted by time.
    events: VecDeque<Event>,
    bytes: u64,
}

/// A request taken from a budget, to [`RateBudget::settle`] when its response arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    universe: UniverseId,
    category: ThrottleCategory,
    subject: Option<u64>,
    id: u64,
}

impl Window {
    fn expire(&mut self, now: Timestamp, window: Duration) {
        let timeout = PENDING_TIMEOUT.as_millis() as i64;
        let mut abandoned = false;
        for e in self
            .events
            .iter_mut()
            .filter(|e| e.pending && e.time.as_millisecond() + timeout <= now.as_millisecond())
        {
            e.pending = false;
            e.time = Timestamp::from_millisecond(e.time.as_millisecond() + timeout).unwrap_or(now);
            abandoned = true;
        }
        if abandoned {
            self.events.make_contiguous().sort_by_key(|e| e.time);
        }
        let cutoff = now.as_millisecond() - window.as_millis() as i64;
        while let Some(e) = self.events.front() {
            if e.pending || e.time.as_millisecond() > cutoff {
                break;
            }
            self.bytes -= e.bytes;
            self.events.pop_front();
        }
    }

    /// How long until a request of `bytes` fits, or zero.
    fn wait(&self, limit: CategoryLimit, bytes: u64, now: Timestamp, window: Duration) -> Duration {
        let until = |e: &Event| {
            if e.pending {
                return PENDING_POLL;
            }
            let ms = e.time.as_millisecond() + window.as_millis() as i64 - now.as_millisecond();
            Duration::from_millis(ms.max(1) as u64)
        };
        if limit.requests == 0 {
            // Nothing ever fits: a budget of no requests throttles every one.
            return window;
        }
        let mut wait = Duration::ZERO;
        if self.events.len() as u64 >= limit.requests {
            let idx = self.events.len() - limit.requests as usize;
            // Every event up to `idx` must leave the window; a pending one leaves when settled.
            let blocker = self
                .events
                .iter()
                .take(idx + 1)
                .find(|e| e.pending)
                .unwrap_or(&self.events[idx]);
            wait = wait.max(until(blocker));
        }
        // A request larger than the whole byte budget goes alone into an empty window.
        let need = bytes.min(limit.bytes);
        if self.bytes.saturating_add(need) > limit.bytes {
            let mut freed = 0;
            for e in &self.events {
                freed += e.bytes;
                if e.pending || self.bytes - freed + need <= limit.bytes {
                    wait = wait.max(until(e));
                    break;
                }
            }
        }
        wait
    }
}

/// Budgets per universe and category (and per subject for the per-user categories).
#[derive(Debug, Clone)]
pub struct RateBudget {
    limits: RateLimits,
    /// By universe, category and subject (`None` for the universe's own budgets).
    windows: HashMap<(UniverseId, ThrottleCategory, Option<u64>), Window>,
    next_id: u64,
    prune_at: usize,
}

impl Default for RateBudget {
    fn default() -> Self {
        Self::new(RateLimits::default())
    }
}

impl RateBudget {
    /// A budget with these limits.
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            windows: HashMap::new(),
            next_id: 1,
            prune_at: PRUNE_AT_LEAST,
        }
    }

    /// The limits.
    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    #[allow(clippy::too_many_arguments)]
    fn take(
        &mut self,
        universe: &UniverseId,
        category: ThrottleCategory,
        subject: Option<u64>,
        bytes: u64,
        now: Timestamp,
        pending: bool,
    ) -> Result<u64, Duration> {
        let limit = self.limits.get(category);
        if limit == CategoryLimit::UNLIMITED {
            return Ok(0);
        }
        self.prune(now);
        let w = self
            .windows
            .entry((universe.clone(), category, subject))
            .or_default();
        w.expire(now, category.window());
        let wait = w.wait(limit, bytes, now, category.window());
        if wait > Duration::ZERO {
            return Err(wait);
        }
        let id = self.next_id;
        self.next_id += 1;
        let idx = w.events.partition_point(|e| e.time <= now);
        w.events.insert(
            idx,
            Event {
                time: now,
                bytes,
                id,
                pending,
            },
        );
        w.bytes += bytes;
        Ok(id)
    }

    /// Forgets the windows with nothing left in them once there are many (a per-user budget
    /// makes one window per user), so memory follows the recent traffic, not every user ever.
    fn prune(&mut self, now: Timestamp) {
        if self.windows.len() < self.prune_at {
            return;
        }
        self.windows.retain(|(_, c, _), w| {
            w.expire(now, c.window());
            !w.events.is_empty()
        });
        self.prune_at = (self.windows.len() * 2).max(PRUNE_AT_LEAST);
    }

    /// Takes one request of `bytes` from the budget at `now`, for good (what a server does when
    /// a request arrives), or says how long to wait first. Nothing is taken when it says to wait.
    pub fn try_acquire(
        &mut self,
        universe: &UniverseId,
        category: ThrottleCategory,
        bytes: u64,
        now: Timestamp,
    ) -> Result<(), Duration> {
        self.take(universe, category, None, bytes, now, false)
            .map(|_| ())
    }

    /// [`try_acquire`](RateBudget::try_acquire) from the budget of one subject (a user) of a
    /// per-subject category.
    pub fn try_acquire_for(
        &mut self,
        universe: &UniverseId,
        category: ThrottleCategory,
        subject: u64,
        now: Timestamp,
    ) -> Result<(), Duration> {
        self.take(universe, category, Some(subject), 0, now, false)
            .map(|_| ())
    }

    /// Reserves one request of `bytes` at `now` for a client that is about to send it, or says
    /// how long to wait first. The reservation holds its slot until it is
    /// [`settle`](RateBudget::settle)d with the time its response arrived: the server counted the
    /// request on arrival, possibly later than `now`, and a client whose window freed the slot
    /// earlier would trip a 429.
    pub fn try_reserve(
        &mut self,
        universe: &UniverseId,
        category: ThrottleCategory,
        bytes: u64,
        now: Timestamp,
    ) -> Result<Reservation, Duration> {
        let id = self.take(universe, category, None, bytes, now, true)?;
        Ok(Reservation {
            universe: universe.clone(),
            category,
            subject: None,
            id,
        })
    }

    /// [`try_reserve`](RateBudget::try_reserve) from the budget of one subject (a user) of a
    /// per-subject category.
    pub fn try_reserve_for(
        &mut self,
        universe: &UniverseId,
        category: ThrottleCategory,
        subject: u64,
        now: Timestamp,
    ) -> Result<Reservation, Duration> {
        let id = self.take(universe, category, Some(subject), 0, now, true)?;
        Ok(Reservation {
            universe: universe.clone(),
            category,
            subject: Some(subject),
            id,
        })
    }

    /// Takes a reservation's event out of its window (its bytes with it): the window and the
    /// event, or `None` when there is nothing to take (a reservation of an unlimited budget, or
    /// one settled already).
    fn remove_event(&mut self, reservation: &Reservation) -> Option<(&mut Window, Event)> {
        if reservation.id == 0 {
            return None;
        }
        let w = self.windows.get_mut(&(
            reservation.universe.clone(),
            reservation.category,
            reservation.subject,
        ))?;
        let pos = w.events.iter().rposition(|e| e.id == reservation.id)?;
        let e = w.events.remove(pos)?;
        w.bytes -= e.bytes;
        Some((w, e))
    }

    /// Gives a reservation's slot back unused: the request was never sent (another budget it
    /// also needed said to wait).
    pub fn cancel(&mut self, reservation: &Reservation) {
        let _ = self.remove_event(reservation);
    }

    /// Records that a reserved request's response arrived at `now`, carrying `response_bytes`
    /// (counted for read and list budgets). From then on it leaves the window one window (a
    /// minute, or a second) after `now`.
    pub fn settle(&mut self, reservation: &Reservation, response_bytes: u64, now: Timestamp) {
        let Some((w, mut e)) = self.remove_event(reservation) else {
            return;
        };
        e.time = e.time.max(now);
        e.pending = false;
        if reservation.category.counts_response_bytes() {
            e.bytes += response_bytes;
        }
        w.bytes += e.bytes;
        let idx = w.events.partition_point(|x| x.time <= e.time);
        w.events.insert(idx, e);
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
            .entry((universe.clone(), category, None))
            .or_default();
        w.expire(now, category.window());
        match w.events.back_mut() {
            Some(last) => last.bytes += bytes,
            None => w.events.push_back(Event {
                time: now,
                bytes,
                id: 0,
                pending: false,
            }),
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
        self.used_by(universe, category, None, now)
    }

    /// Requests (and bytes) counted in the current window of one subject's budget, or of the
    /// universe's (`None`).
    pub fn used_by(
        &mut self,
        universe: &UniverseId,
        category: ThrottleCategory,
        subject: Option<u64>,
        now: Timestamp,
    ) -> (u64, u64) {
        match self.windows.get_mut(&(universe.clone(), category, subject)) {
            Some(w) => {
                w.expire(now, category.window());
                (w.events.len() as u64, w.bytes)
            }
            None => (0, 0),
        }
    }

    /// How many windows are kept (for tests of the pruning).
    pub fn windows_kept(&self) -> usize {
        self.windows.len()
    }
}

/// A [`RateBudget`] shared by the clones of a client: cheap to clone, every clone draws on the
/// same windows. Reservations are plain values, settled with [`RateLimiter::settle`] when the
/// response arrives (the [`Exchange`](crate::Exchange) machine does this, and settles an
/// abandoned attempt when it is dropped).
#[derive(Debug, Clone)]
pub struct RateLimiter(std::sync::Arc<Mutex<RateBudget>>);

impl RateLimiter {
    /// A limiter with these limits.
    pub fn new(limits: RateLimits) -> Self {
        Self(std::sync::Arc::new(Mutex::new(RateBudget::new(limits))))
    }

    /// The limits.
    pub fn limits(&self) -> RateLimits {
        self.lock().limits().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RateBudget> {
        // The budget is plain data updated in single steps: a panic elsewhere cannot leave it
        // half-written, so a poisoned lock is still consistent.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reserves one request at `now`, or says how long to wait.
    pub fn try_reserve(
        &self,
        universe: &UniverseId,
        category: ThrottleCategory,
        bytes: u64,
        now: Timestamp,
    ) -> Result<Reservation, Duration> {
        self.lock().try_reserve(universe, category, bytes, now)
    }

    /// Reserves one request at `now` from one subject's budget, or says how long to wait.
    pub fn try_reserve_for(
        &self,
        universe: &UniverseId,
        category: ThrottleCategory,
        subject: u64,
        now: Timestamp,
    ) -> Result<Reservation, Duration> {
        self.lock()
            .try_reserve_for(universe, category, subject, now)
    }

    /// Gives an unused reservation back.
    pub fn cancel(&self, reservation: &Reservation) {
        self.lock().cancel(reservation)
    }

    /// Settles a reservation: the response arrived at `now` with `response_bytes` of body.
    pub fn settle(&self, reservation: &Reservation, response_bytes: u64, now: Timestamp) {
        self.lock().settle(reservation, response_bytes, now)
    }
}
