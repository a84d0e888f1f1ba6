//! Every call as a pure state machine, and the one loop that drives them.
//!
//! A [`Machine`] is told what happened ([`Event`]) and the time, and answers what to do next
//! ([`Action`]): send a request, sleep, or finish. A driver (the async and blocking clients, or
//! your own) runs this loop and nothing else:
//!
//! ```text
//! let mut event = Event::Start;
//! loop {
//!     match machine.step(event, clock.now(), jitter.next_sample()) {
//!         Action::Send(out) => event = Event::Response(http.call(out.request)),   // the I/O
//!         Action::Sleep(d, _) => { clock.sleep(d); event = Event::Woke }
//!         Action::Done(result) => return result,
//!     }
//! }
//! ```
//!
//! The machines:
//! * [`Exchange`]: one request across its attempts: waits for the client-side rate budget,
//!   retries by the operation's retry class, settles the budget when the answer arrives.
//! * [`Single`]: one operation: an exchange, then the operation's parser.
//! * [`NextPage`]: the next page of a [`Pager`].
//! * [`Update`]: a read-modify-write round of one entry, guarded by its etag, which finds out
//!   whether its own write landed when the answer was lost, instead of applying it twice.
//!
//! Machines read no clock and draw no randomness: both come in with each step.

use std::borrow::BorrowMut;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response, StatusCode};

use jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::call::{Call, Step};
use crate::config::Config;
use crate::error::{Error, InvalidInput, TransportError};
use crate::filter::RevisionTimeRange;
use crate::model::{DataStoreEntry, Page, State};
use crate::names::{Attributes, RevisionId};
use crate::ops::entries::{
    CreateEntry, EntryAddress, EntryWrite, GetEntry, ListEntryRevisions, UpdateEntry,
};
use crate::ops::{Operation, PagedOperation};
use crate::pager::{Pager, PagerEnd};
use crate::rate::{RateLimiter, Reservation};
use crate::retry::RetryPolicy;
use crate::routes::RouteId;
use crate::selector::RevisionSelector;

/// What a client runs its calls with: where and as whom (the [`Config`]), how to retry, the
/// client-side rate limiter, and how many read-modify-write rounds to try.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Context {
    /// Base URL and key.
    pub config: Config,
    /// How to retry failed attempts.
    pub retry: RetryPolicy,
    /// The client-side rate limiter, when on.
    pub limiter: Option<RateLimiter>,
    /// Read-modify-write rounds before [`Update`] gives up with [`Error::UpdateConflict`].
    pub update_attempts: u32,
}

impl Context {
    /// A context with the default retry policy, no limiter and 100 update rounds.
    pub fn new(config: Config) -> Self {
        Self {
            config,
            retry: RetryPolicy::default(),
            limiter: None,
            update_attempts: 100,
        }
    }
    /// Sets the retry policy.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }
    /// Sets (or removes) the client-side rate limiter.
    pub fn limiter(mut self, limiter: Option<RateLimiter>) -> Self {
        self.limiter = limiter;
        self
    }
    /// Sets the number of read-modify-write rounds (at least 1).
    pub fn update_attempts(mut self, attempts: u32) -> Self {
        self.update_attempts = attempts.max(1);
        self
    }
}

/// What happened since the last step.
#[derive(Debug)]
pub enum Event {
    /// Nothing yet: the first step.
    Start,
    /// The answer to the last [`Action::Send`]: a response with any status, or a transport
    /// failure.
    Response(Result<Response<Vec<u8>>, TransportError>),
    /// The last [`Action::Sleep`] is over.
    Woke,
}

/// Why a machine asks to sleep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Wait {
    /// The client-side rate budget has no room yet.
    RateLimit,
    /// Before retrying a failed attempt (backoff, or the service's `Retry-After`).
    Retry,
    /// Before another read-modify-write round, after losing a race to another writer.
    Contention,
}

/// A request to send, with what a log line or span wants to say about it.
#[derive(Debug)]
#[non_exhaustive]
pub struct Outgoing {
    /// The complete request.
    pub request: Request<Vec<u8>>,
    /// The route it calls.
    pub route: RouteId,
    /// Which attempt this is, from 1.
    pub attempt: u32,
}

/// What to do next.
#[derive(Debug)]
#[must_use = "a machine's action must be carried out"]
pub enum Action<T> {
    /// Send this request; report its answer with [`Event::Response`].
    Send(Outgoing),
    /// Sleep this long; report with [`Event::Woke`].
    Sleep(Duration, Wait),
    /// The call is over.
    Done(Result<T, Error>),
}

/// A call as a state machine. A driver runs it with one loop, and nothing else:
///
/// ```text
/// let mut event = Event::Start;
/// loop {
///     match machine.step(event, clock.now(), jitter.next_sample()) {
///         Action::Send(out) => event = Event::Response(http.call(out.request)),   // the I/O
///         Action::Sleep(d, _) => { clock.sleep(d); event = Event::Woke }
///         Action::Done(result) => return result,
///     }
/// }
/// ```
///
/// The machines: [`Exchange`] (one request across its attempts: rate budget, retries, settling),
/// [`Single`] (one operation), [`NextPage`] (the next page of a [`Pager`]), [`Deferred`] (an
/// operation built at the first step), [`Then`] (a result mapped), and [`Update`] (the
/// read-modify-write of `update_with`). They read no clock and draw no randomness.
///
/// After [`Action::Done`] the machine is spent; stepping it again is a logic error that
/// returns an error, never a panic.
pub trait Machine {
    /// What the call returns.
    type Output;
    /// Reports `event` at `now`, with a fresh `jitter` sample in `[0, 1)`, and returns what to
    /// do next.
    fn step(&mut self, event: Event, now: Timestamp, jitter: f64) -> Action<Self::Output>;
}

impl<M: Machine + ?Sized> Machine for &mut M {
    type Output = M::Output;
    fn step(&mut self, event: Event, now: Timestamp, jitter: f64) -> Action<M::Output> {
        (**self).step(event, now, jitter)
    }
}

fn spent<T>() -> Action<T> {
    Action::Done(Err(crate::error::InvalidInput::new(
        "machine",
        "was stepped after it finished",
    )
    .into()))
}

/// A machine whose result is passed through a function: `Then::new(machine, |r| ...)`.
pub struct Then<M, F> {
    machine: M,
    then: Option<F>,
}

impl<M, F> std::fmt::Debug for Then<M, F>
where
    M: std::fmt::Debug,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Then")
            .field("machine", &self.machine)
            .finish_non_exhaustive()
    }
}

impl<M, F> Then<M, F> {
    /// Runs `machine`, then `then` on its result.
    pub fn new(machine: M, then: F) -> Self {
        Self {
            machine,
            then: Some(then),
        }
    }
}

impl<M, F, U> Machine for Then<M, F>
where
    M: Machine,
    F: FnOnce(M::Output) -> Result<U, Error>,
{
    type Output = U;
    fn step(&mut self, event: Event, now: Timestamp, jitter: f64) -> Action<U> {
        match self.machine.step(event, now, jitter) {
            Action::Send(o) => Action::Send(o),
            Action::Sleep(d, w) => Action::Sleep(d, w),
            Action::Done(r) => match self.then.take() {
                Some(then) => Action::Done(r.and_then(then)),
                None => spent(),
            },
        }
    }
}

/// An operation built at the first step, from the time and a jitter sample: for requests that
/// carry a fresh idempotency key and the time it was first sent. Every retry resends the same
/// request, so the key and time never change within the call.
pub struct Deferred<O: Operation, F> {
    ctx: Arc<Context>,
    build: Option<F>,
    single: Option<Single<O>>,
}

impl<O: Operation + std::fmt::Debug, F> std::fmt::Debug for Deferred<O, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deferred")
            .field("single", &self.single)
            .finish_non_exhaustive()
    }
}

impl<O: Operation, F: FnOnce(Timestamp, f64) -> Result<O, Error>> Deferred<O, F> {
    /// A machine that builds its operation with `build(now, jitter)` at the first step.
    pub fn new(ctx: Arc<Context>, build: F) -> Self {
        Self {
            ctx,
            build: Some(build),
            single: None,
        }
    }
}

impl<O: Operation, F: FnOnce(Timestamp, f64) -> Result<O, Error>> Machine for Deferred<O, F> {
    type Output = O::Output;
    fn step(&mut self, event: Event, now: Timestamp, jitter: f64) -> Action<O::Output> {
        if self.single.is_none() {
            let Some(build) = self.build.take() else {
                return spent();
            };
            match build(now, jitter) {
                Ok(op) => self.single = Some(Single::new(self.ctx.clone(), op)),
                Err(e) => return Action::Done(Err(e)),
            }
        }
        match &mut self.single {
            Some(single) => single.step(event, now, jitter),
            None => spent(),
        }
    }
}

/// What an [`Exchange`] step asks for.
#[derive(Debug)]
pub enum ExchangeStep {
    /// Send this request.
    Send(Outgoing),
    /// Sleep.
    Sleep(Duration, Wait),
    /// Over: a response to parse (any status the retry policy did not retry), or the error.
    Finished(Result<Response<Vec<u8>>, Error>),
}

/// One request across its attempts: rate budget, retries, settling.
#[derive(Debug)]
pub struct Exchange {
    limiter: Option<RateLimiter>,
    call: Call,
    /// The slots of the attempt in flight: the universe's budget, and a subject's when the
    /// route has one.
    reservations: Vec<Reservation>,
    last_now: Timestamp,
}

impl Exchange {
    /// An exchange for a built call.
    pub fn new(call: Call, limiter: Option<RateLimiter>, now: Timestamp) -> Self {
        Self {
            limiter,
            call,
            reservations: Vec::new(),
            last_now: now,
        }
    }

    /// The call, with its attempts and retry state.
    pub fn call(&self) -> &Call {
        &self.call
    }

    fn attempt(&mut self, now: Timestamp) -> ExchangeStep {
        self.last_now = now;
        if let Some(limiter) = &self.limiter {
            let route = self.call.route();
            let universe = self.call.universe();
            let main =
                match limiter.try_reserve(universe, route.throttle, self.call.body_len(), now) {
                    Ok(r) => r,
                    Err(d) => return ExchangeStep::Sleep(d, Wait::RateLimit),
                };
            // A per-user budget too (two updates a minute of one user): both slots or neither.
            if let (Some(category), Some(subject)) = (
                route.throttle.subject_category(),
                self.call.throttle_subject(),
            ) {
                match limiter.try_reserve_for(universe, category, subject, now) {
                    Ok(r) => self.reservations.push(r),
                    Err(d) => {
                        limiter.cancel(&main);
                        return ExchangeStep::Sleep(d, Wait::RateLimit);
                    }
                }
            }
            self.reservations.push(main);
        }
        let request = self.call.request();
        ExchangeStep::Send(Outgoing {
            request,
            route: self.call.route().id,
            attempt: self.call.attempts(),
        })
    }

    fn settle(&mut self, bytes: u64, now: Timestamp) {
        if let Some(limiter) = &self.limiter {
            for r in self.reservations.drain(..) {
                limiter.settle(&r, bytes, now);
            }
        }
    }

    /// Reports an event and says what to do next.
    pub fn step(&mut self, event: Event, now: Timestamp, jitter: f64) -> ExchangeStep {
        match event {
            Event::Start | Event::Woke => self.attempt(now),
            Event::Response(result) => {
                let bytes = result.as_ref().map_or(0, |r| r.body().len() as u64);
                self.settle(bytes, now);
                self.last_now = now;
                match self.call.on_result(result, now, jitter) {
                    Step::Done(r) => ExchangeStep::Finished(r),
                    Step::Retry(d) => ExchangeStep::Sleep(d, Wait::Retry),
                }
            }
        }
    }
}

impl Drop for Exchange {
    /// An abandoned attempt (a cancelled future) gives its budget slot back, counted from the
    /// last time the exchange saw.
    fn drop(&mut self) {
        let now = self.last_now;
        self.settle(0, now);
    }
}

/// One operation: validated and built at the first step, sent by an [`Exchange`], parsed.
#[derive(Debug)]
pub struct Single<O: Operation> {
    ctx: Arc<Context>,
    op: O,
    exchange: Option<Exchange>,
    done: bool,
}

impl<O: Operation> Single<O> {
    /// A machine for `op`.
    pub fn new(ctx: Arc<Context>, op: O) -> Self {
        Self {
            ctx,
            op,
            exchange: None,
            done: false,
        }
    }

    /// The operation.
    pub fn op(&self) -> &O {
        &self.op
    }
}

impl<O: Operation> Machine for Single<O> {
    type Output = O::Output;

    fn step(&mut self, event: Event, now: Timestamp, jitter: f64) -> Action<O::Output> {
        if self.done {
            return spent();
        }
        let exchange = match &mut self.exchange {
            Some(e) => e,
            None => match Call::new(&self.op, &self.ctx.config, self.ctx.retry.clone(), now) {
                Ok(call) => {
                    self.exchange
                        .insert(Exchange::new(call, self.ctx.limiter.clone(), now))
                }
                Err(e) => {
                    self.done = true;
                    return Action::Done(Err(e));
                }
            },
        };
        match exchange.step(event, now, jitter) {
            ExchangeStep::Send(o) => Action::Send(o),
            ExchangeStep::Sleep(d, w) => Action::Sleep(d, w),
            ExchangeStep::Finished(result) => {
                self.done = true;
                Action::Done(finish(&self.op, exchange.call(), result))
            }
        }
    }
}

/// Parses the final answer of a call, attaching what was sent to any error.
fn finish<O: Operation>(
    op: &O,
    call: &Call,
    result: Result<Response<Vec<u8>>, Error>,
) -> Result<O::Output, Error> {
    let mut response = result?;
    if response.status() == StatusCode::NOT_FOUND
        && call.maybe_applied()
        && op.absent_after_retry_is_success()
    {
        // The first attempt's answer was lost, and the retry finds the resource gone: the
        // first attempt did it.
        response = Response::new(Vec::new());
    }
    op.parse(response)
        .map_err(|e| e.with_request(&call.summary()))
}

/// The next page of a [`Pager`]: `None` once the pager is done. The pager is updated with the
/// page (or the failure), so it can be saved and resumed.
#[derive(Debug)]
pub struct NextPage<P, O: PagedOperation>
where
    O::Output: Page,
{
    ctx: Arc<Context>,
    pager: P,
    single: Option<Single<O>>,
    done: bool,
}

impl<P: BorrowMut<Pager<O>>, O: PagedOperation> NextPage<P, O>
where
    O::Output: Page,
{
    /// Fetches the next page of `pager` (owned, or borrowed with `&mut`).
    pub fn new(ctx: Arc<Context>, pager: P) -> Self {
        Self {
            ctx,
            pager,
            single: None,
            done: false,
        }
    }

    /// The pager.
    pub fn pager(&self) -> &Pager<O> {
        self.pager.borrow()
    }

    /// The pager, back.
    pub fn into_pager(self) -> P {
        self.pager
    }
}

impl<P: BorrowMut<Pager<O>>, O: PagedOperation> Machine for NextPage<P, O>
where
    O::Output: Page,
{
    type Output = Option<O::Output>;

    fn step(&mut self, event: Event, now: Timestamp, jitter: f64) -> Action<Self::Output> {
        if self.done {
            return spent();
        }
        let single = match &mut self.single {
            Some(s) => s,
            None => match self.pager.borrow_mut().next_op() {
                Some(op) => self.single.insert(Single::new(self.ctx.clone(), op)),
                None => {
                    self.done = true;
                    return Action::Done(Ok(None));
                }
            },
        };
        match single.step(event, now, jitter) {
            Action::Send(o) => Action::Send(o),
            Action::Sleep(d, w) => Action::Sleep(d, w),
            Action::Done(result) => {
                self.done = true;
                let pager = self.pager.borrow_mut();
                Action::Done(match result {
                    Ok(page) => {
                        pager.on_page(&page);
                        Ok(Some(page))
                    }
                    Err(e) => {
                        pager.on_error();
                        Err(e)
                    }
                })
            }
        }
    }
}

/// What the change function of a read-modify-write decides.
#[derive(Debug)]
#[non_exhaustive]
pub enum Change<T> {
    /// Write this value (users and attributes are kept).
    Write(T),
    /// Keep the entry as it is: nothing is written, no revision is made.
    Keep,
    /// Stop with this error: nothing is written.
    Abort(Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl<T> Change<T> {
    /// Stops the update with `error`.
    pub fn abort(error: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        Change::Abort(error.into())
    }
}

/// The result of a read-modify-write.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Updated {
    /// The new value was written: the entry as written.
    Written(DataStoreEntry),
    /// The change kept the entry as it was: the entry as read (`None` if it did not exist).
    Kept(Option<DataStoreEntry>),
}

impl Updated {
    /// The entry after the call, written or as read.
    pub fn entry(&self) -> Option<&DataStoreEntry> {
        match self {
            Updated::Written(e) => Some(e),
            Updated::Kept(e) => e.as_ref(),
        }
    }
    /// Whether a revision was written.
    pub fn was_written(&self) -> bool {
        matches!(self, Updated::Written(_))
    }
}

/// The pause before read-modify-write round `round + 1`: up to 2^round ms, at most 50 ms,
/// scaled by `jitter` in `[0, 1)` so that contending writers spread out.
pub fn contention_backoff(round: u32, jitter: f64) -> Duration {
    let cap = Duration::from_millis(1u64 << round.min(6)).min(Duration::from_millis(50));
    cap.mul_f64(jitter.clamp(0.0, 1.0))
}

/// Whether a revision holds exactly what a write sent: value, users and attributes (no
/// attributes and empty attributes are the same).
pub fn holds_write(revision: &DataStoreEntry, sent: &EntryWrite) -> bool {
    let empty = serde_json::Map::new();
    revision.value.as_ref() == Some(&sent.value)
        && revision.users == sent.users
        && revision.attributes.as_ref().unwrap_or(&empty)
            == sent.attributes.as_ref().map_or(&empty, Attributes::as_map)
}

/// A short, stable digest of what a write sends (value, users, attributes; no attributes and
/// empty attributes are the same): what a job records before sending a write, so that after a
/// crash it can tell its own revision from another writer's without keeping the whole value.
/// Two writes have the same fingerprint exactly when [`holds_write`] would match one against a
/// revision holding the other (JSON objects compare without regard to key order).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WriteFingerprint(String);

impl WriteFingerprint {
    /// The fingerprint of what `write` sends.
    pub fn of_write(write: &EntryWrite) -> Self {
        Self::digest(
            &write.value,
            &write.users,
            write.attributes.as_ref().map(Attributes::as_map),
        )
    }

    /// The fingerprint of what a revision holds; `None` when it carries no value (a listing
    /// item, or a deleted revision).
    pub fn of_revision(revision: &DataStoreEntry) -> Option<Self> {
        Some(Self::digest(
            revision.value.as_ref()?,
            &revision.users,
            revision.attributes.as_ref(),
        ))
    }

    /// A fingerprint written earlier ([`as_str`](WriteFingerprint::as_str)): 32 lowercase hex
    /// digits.
    pub fn parse(s: &str) -> Result<Self, InvalidInput> {
        if s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(Self(s.to_string()))
        } else {
            Err(InvalidInput::new(
                "fingerprint",
                "must be 32 lowercase hexadecimal digits (an MD5 digest)",
            ))
        }
    }

    /// The digest, as 32 lowercase hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn digest(
        value: &serde_json::Value,
        users: &[crate::names::UserId],
        attributes: Option<&serde_json::Map<String, serde_json::Value>>,
    ) -> Self {
        use md5::Digest;
        let mut text = String::new();
        canonical_json(value, &mut text);
        text.push('\n');
        for u in users {
            text.push_str(&u.0.to_string());
            text.push(',');
        }
        text.push('\n');
        let empty = serde_json::Map::new();
        canonical_object(attributes.unwrap_or(&empty), &mut text);
        let digest = md5::Md5::digest(text.as_bytes());
        Self(digest.iter().map(|b| format!("{b:02x}")).collect())
    }
}

impl std::fmt::Display for WriteFingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// JSON text with every object's keys in sorted order, so equal values give equal text.
fn canonical_json(v: &serde_json::Value, out: &mut String) {
    match v {
        serde_json::Value::Object(m) => canonical_object(m, out),
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(item, out);
            }
            out.push(']');
        }
        // Scalars: serde_json's own text (strings escaped, numbers as parsed).
        other => out.push_str(&other.to_string()),
    }
}

fn canonical_object(m: &serde_json::Map<String, serde_json::Value>, out: &mut String) {
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort();
    out.push('{');
    for (i, k) in keys.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::Value::String(k.clone()).to_string());
        out.push(':');
        canonical_json(&m[k], out);
    }
    out.push('}');
}

/// The write of one round: an update guarded by the etag that was read, keeping the users and
/// attributes that were read (an update that omits them clears them); or a create.
fn write_for(
    address: &EntryAddress,
    current: Option<&DataStoreEntry>,
    mut write: EntryWrite,
) -> Write {
    match current {
        Some(e) => {
            write.users = e.users.clone();
            write.attributes = e.attributes.clone().map(Attributes::new_unvalidated);
            let mut op = UpdateEntry::new(address.clone(), write);
            op.etag = e.etag.clone();
            Write::Update(op)
        }
        None => Write::Create(CreateEntry::new(address.clone(), write)),
    }
}

#[derive(Debug, Clone)]
enum Write {
    Update(UpdateEntry),
    Create(CreateEntry),
}

#[derive(Debug)]
enum Writing {
    Update(Single<UpdateEntry>),
    Create(Single<CreateEntry>),
}

// One state at a time lives in the machine, which a driver keeps in one place for the whole
// call: boxing the larger states would only add allocations.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum UpdateState {
    /// Reading the entry. `refused` holds a create's refusal, returned if the entry is still
    /// missing (the refusal had another reason than a competing creator).
    Reading {
        get: Single<GetEntry>,
        refused: Option<Error>,
    },
    Writing {
        current: Option<DataStoreEntry>,
        write: Writing,
    },
    /// The write's answer was lost: finding out whether it landed.
    Settling {
        current: Option<DataStoreEntry>,
        cause: Error,
        settle: Settle,
    },
    Done,
}

/// A read-modify-write of one standard entry, as `UpdateAsync` does inside a game.
///
/// Each round reads the entry, applies the change function to its value (`None` when it does
/// not exist), and writes the result guarded by the etag it read (or creates the entry), so a
/// concurrent write is never lost: on a conflict it reads again and re-applies the change, up to
/// [`Context::update_attempts`] rounds. Users and attributes are kept.
///
/// **Lost answers.** When the write's answer is lost (a 5xx, a timeout, a dropped connection
/// after sending), the write may have landed, and running the change again would apply it twice.
/// The write was conditional on the base revision, so at most one guarded write can follow it:
/// the machine lists the revisions after the base, reads the first one, and compares it with what
/// it sent (value, users, attributes). Its own: the call succeeded. Another writer's: the round
/// runs again. No successor: the write did not land, and the change runs again on the same base.
/// If the history cannot answer, the call fails with [`Error::OutcomeUnknown`]. It cannot tell
/// its own write from another writer's byte-identical write on the same base.
pub struct Update<T, F> {
    ctx: Arc<Context>,
    address: EntryAddress,
    change: F,
    round: u32,
    state: UpdateState,
    _value: PhantomData<fn() -> T>,
}

impl<T, F> std::fmt::Debug for Update<T, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Update")
            .field("address", &self.address)
            .field("round", &self.round)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl<T, F> Update<T, F>
where
    T: Serialize + DeserializeOwned,
    F: FnMut(Option<T>) -> Change<T>,
{
    /// A read-modify-write of `address` with `change`.
    pub fn new(ctx: Arc<Context>, address: EntryAddress, change: F) -> Self {
        let get = Single::new(ctx.clone(), GetEntry::new(address.clone()));
        Self {
            ctx,
            address,
            change,
            round: 1,
            state: UpdateState::Reading { get, refused: None },
            _value: PhantomData,
        }
    }

    /// Another writer won: wait a little, then read again (or give up after the last round).
    fn next_round(&mut self, refused: Option<Error>, jitter: f64) -> Action<Updated> {
        if self.round >= self.ctx.update_attempts {
            self.state = UpdateState::Done;
            return Action::Done(Err(Error::UpdateConflict {
                attempts: self.round,
            }));
        }
        let pause = contention_backoff(self.round, jitter);
        self.round += 1;
        // The read starts when the pause is over (a first step on `Woke` sends).
        let get = Single::new(self.ctx.clone(), GetEntry::new(self.address.clone()));
        self.state = UpdateState::Reading { get, refused };
        Action::Sleep(pause, Wait::Contention)
    }

    /// Runs the change on what was read and starts the write.
    fn apply(
        &mut self,
        current: Option<DataStoreEntry>,
        now: Timestamp,
        jitter: f64,
    ) -> Action<Updated> {
        let value = match current
            .as_ref()
            .map(DataStoreEntry::value_as::<T>)
            .transpose()
        {
            Ok(v) => v,
            Err(e) => return self.finish(Err(e)),
        };
        let value = match (self.change)(value) {
            Change::Write(v) => v,
            Change::Keep => return self.finish(Ok(Updated::Kept(current))),
            Change::Abort(e) => return self.finish(Err(Error::Aborted(e))),
        };
        let write = match EntryWrite::from_serializable(&value) {
            Ok(w) => w,
            Err(e) => return self.finish(Err(e.into())),
        };
        let write = match write_for(&self.address, current.as_ref(), write) {
            Write::Update(op) => Writing::Update(Single::new(self.ctx.clone(), op)),
            Write::Create(op) => Writing::Create(Single::new(self.ctx.clone(), op)),
        };
        self.state = UpdateState::Writing { current, write };
        self.step(Event::Start, now, jitter)
    }

    fn finish(&mut self, result: Result<Updated, Error>) -> Action<Updated> {
        self.state = UpdateState::Done;
        Action::Done(result)
    }

    /// The write failed: decide between another round, finding out, and failing.
    fn after_write_failed(
        &mut self,
        current: Option<DataStoreEntry>,
        sent: EntryWrite,
        error: Error,
        now: Timestamp,
        jitter: f64,
    ) -> Action<Updated> {
        if error.is_outcome_unknown() {
            let settle = Settle::new(
                self.ctx.clone(),
                self.address.clone(),
                current.clone(),
                sent,
            );
            self.state = UpdateState::Settling {
                current,
                cause: error,
                settle,
            };
            return self.step(Event::Start, now, jitter);
        }
        let had_current = current.is_some();
        match error.status().map(|s| s.as_u16()) {
            // A stale etag, or the entry went away: another writer got there first.
            Some(409 | 412) => self.next_round(None, jitter),
            Some(404) if had_current => self.next_round(None, jitter),
            // A create refused: another creator won, unless the entry is still missing.
            Some(400) if !had_current => self.next_round(Some(error), jitter),
            _ => self.finish(Err(error)),
        }
    }

    fn unknown(&mut self, cause: Error) -> Action<Updated> {
        self.finish(Err(Error::OutcomeUnknown {
            cause: Box::new(cause),
        }))
    }

    /// What finding out told.
    fn after_settling(
        &mut self,
        current: Option<DataStoreEntry>,
        cause: Error,
        settled: Result<Settled, Error>,
        now: Timestamp,
        jitter: f64,
    ) -> Action<Updated> {
        match settled {
            Ok(Settled::Landed(revision)) => self.finish(Ok(Updated::Written(revision))),
            // Another writer's revision followed the base: a conflict like any other.
            Ok(Settled::Superseded) => self.next_round(None, jitter),
            // The write did not land: run the change again on the same base, without reading
            // it again.
            Ok(Settled::NotLanded) if self.round < self.ctx.update_attempts => {
                self.round += 1;
                self.apply(current, now, jitter)
            }
            Ok(Settled::NotLanded) | Err(_) => self.unknown(cause),
        }
    }
}

/// Relays a sub-machine's send or sleep after putting the state back, or hands its result on.
macro_rules! relay {
    ($self:ident, $action:expr, $keep:expr, |$r:ident| $done:expr) => {
        match $action {
            Action::Send(o) => {
                $self.state = $keep;
                Action::Send(o)
            }
            Action::Sleep(d, w) => {
                $self.state = $keep;
                Action::Sleep(d, w)
            }
            Action::Done($r) => $done,
        }
    };
}

impl<T, F> Machine for Update<T, F>
where
    T: Serialize + DeserializeOwned,
    F: FnMut(Option<T>) -> Change<T>,
{
    type Output = Updated;

    fn step(&mut self, event: Event, now: Timestamp, jitter: f64) -> Action<Updated> {
        match std::mem::replace(&mut self.state, UpdateState::Done) {
            UpdateState::Done => spent(),
            UpdateState::Reading { mut get, refused } => {
                let action = get.step(event, now, jitter);
                relay!(
                    self,
                    action,
                    UpdateState::Reading { get, refused },
                    |r| match r {
                        Ok(entry) => self.apply(Some(entry), now, jitter),
                        Err(e) if e.is_not_found() => match refused {
                            Some(original) => self.finish(Err(original)),
                            None => self.apply(None, now, jitter),
                        },
                        Err(e) => self.finish(Err(e)),
                    }
                )
            }
            UpdateState::Writing { current, mut write } => {
                let action = match &mut write {
                    Writing::Update(s) => s.step(event, now, jitter),
                    Writing::Create(s) => s.step(event, now, jitter),
                };
                relay!(
                    self,
                    action,
                    UpdateState::Writing { current, write },
                    |r| match r {
                        Ok(entry) => self.finish(Ok(Updated::Written(entry))),
                        Err(e) => {
                            let sent = match write {
                                Writing::Update(s) => s.op.write,
                                Writing::Create(s) => s.op.write,
                            };
                            self.after_write_failed(current, sent, e, now, jitter)
                        }
                    }
                )
            }
            UpdateState::Settling {
                current,
                cause,
                mut settle,
            } => {
                let action = settle.step(event, now, jitter);
                relay!(
                    self,
                    action,
                    UpdateState::Settling {
                        current,
                        cause,
                        settle
                    },
                    |r| self.after_settling(current, cause, r, now, jitter)
                )
            }
        }
    }
}

/// What a write whose answer was lost turned out to have done (see [`Settle`]).
// Returned once per call: boxing the revision would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Settled {
    /// It landed: the revision it made.
    Landed(DataStoreEntry),
    /// Another writer's revision followed the base: the write, conditional on the base, did not
    /// land after it.
    Superseded,
    /// Nothing followed the base (or, for a create, the entry does not exist): it did not land.
    NotLanded,
}

// One state at a time, kept in one place for the whole call (as `UpdateState`).
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum SettleState {
    Start,
    /// A create's outcome: does the entry exist now?
    Probing {
        get: Single<GetEntry>,
    },
    /// Listing the revisions from the base on.
    Listing {
        pager: Pager<ListEntryRevisions>,
        page: Single<ListEntryRevisions>,
        revisions: Vec<DataStoreEntry>,
    },
    /// Reading the candidate revisions and comparing them with what was sent.
    Checking {
        candidates: Vec<String>,
        get: Single<GetEntry>,
    },
    Done,
}

/// Finds out whether a write whose answer was lost (a 5xx, a timeout, a connection dropped after
/// sending) landed, from the entry's revision history: the unknown-outcome rule of
/// `docs/decisions.md`.
///
/// The write was an update guarded by the etag of `base`, or a create when `base` is `None`, so
/// at most one such write can follow the base. The machine lists the revisions from the base's
/// time on, reads the earliest one after the base (for a create, the one that began the entry's
/// current life), and compares it with `sent` (value, users, attributes):
/// [`Settled::Landed`] with that revision, [`Settled::Superseded`] when another writer's revision
/// came first, [`Settled::NotLanded`] when nothing followed the base. An error means the history
/// could not answer: the outcome stays unknown.
///
/// [`Update`] runs it after a lost answer; a tool that makes its own guarded writes (a
/// migration) can run it the same way with [`Machine`]-driving code such as a client's `run`.
/// It cannot tell its own write from another writer's byte-identical write on the same base.
pub struct Settle {
    ctx: Arc<Context>,
    address: EntryAddress,
    base: Option<DataStoreEntry>,
    sent: Sent,
    state: SettleState,
}

/// What a settled write sent: the write itself, or only its fingerprint.
#[derive(Debug)]
enum Sent {
    Write(EntryWrite),
    Fingerprint(WriteFingerprint),
}

impl Sent {
    fn held_by(&self, revision: &DataStoreEntry) -> bool {
        match self {
            Sent::Write(w) => holds_write(revision, w),
            Sent::Fingerprint(f) => WriteFingerprint::of_revision(revision).as_ref() == Some(f),
        }
    }
}

impl std::fmt::Debug for Settle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settle")
            .field("address", &self.address)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl Settle {
    /// Finds out what became of `sent`, written to `address` over `base` (the revision it was
    /// guarded by; `None` for a create).
    pub fn new(
        ctx: Arc<Context>,
        address: EntryAddress,
        base: Option<DataStoreEntry>,
        sent: EntryWrite,
    ) -> Self {
        Self {
            ctx,
            address,
            base,
            sent: Sent::Write(sent),
            state: SettleState::Start,
        }
    }

    /// As [`new`](Settle::new), knowing only the fingerprint of what was sent (what a job
    /// journaled before sending it): the revision that followed `base` is the write's when its
    /// fingerprint is the same.
    pub fn by_fingerprint(
        ctx: Arc<Context>,
        address: EntryAddress,
        base: Option<DataStoreEntry>,
        sent: WriteFingerprint,
    ) -> Self {
        Self {
            ctx,
            address,
            base,
            sent: Sent::Fingerprint(sent),
            state: SettleState::Start,
        }
    }

    fn finish(&mut self, result: Result<Settled, Error>) -> Action<Settled> {
        self.state = SettleState::Done;
        Action::Done(result)
    }

    fn list_from(
        &mut self,
        start: Option<Timestamp>,
        now: Timestamp,
        jitter: f64,
    ) -> Action<Settled> {
        let range = RevisionTimeRange { start, end: None };
        let mut pager = Pager::new(
            ListEntryRevisions::new(self.address.clone())
                .range(range)
                .max_page_size(100),
        );
        let Some(op) = pager.next_op() else {
            return self.finish(Ok(Settled::NotLanded));
        };
        let page = Single::new(self.ctx.clone(), op);
        self.state = SettleState::Listing {
            pager,
            page,
            revisions: Vec::new(),
        };
        self.step(Event::Start, now, jitter)
    }

    /// Every revision from the base on is listed: pick the candidates for "the write that
    /// followed the base", or learn that nothing followed it.
    fn after_listing(
        &mut self,
        mut revisions: Vec<DataStoreEntry>,
        now: Timestamp,
        jitter: f64,
    ) -> Action<Settled> {
        revisions.sort_by_key(|r| r.revision_create_time);
        let candidates: Vec<String> = match &self.base {
            Some(base) => {
                let base_id = base.revision_id.as_deref();
                let after: Vec<&DataStoreEntry> = revisions
                    .iter()
                    .filter(|r| r.revision_id.is_some() && r.revision_id.as_deref() != base_id)
                    .collect();
                let first = after.first().and_then(|r| r.revision_create_time);
                after
                    .iter()
                    .filter(|r| r.revision_create_time == first)
                    .filter_map(|r| r.revision_id.clone())
                    .collect()
            }
            None => {
                // The revision that began the entry's current life: the first one after the
                // last deletion.
                let start = revisions
                    .iter()
                    .rposition(|r| r.state == State::Deleted)
                    .map_or(0, |i| i + 1);
                revisions
                    .get(start)
                    .and_then(|r| r.revision_id.clone())
                    .into_iter()
                    .collect()
            }
        };
        if candidates.is_empty() {
            return self.finish(Ok(Settled::NotLanded));
        }
        self.check_next(candidates, now, jitter)
    }

    fn check_next(
        &mut self,
        mut candidates: Vec<String>,
        now: Timestamp,
        jitter: f64,
    ) -> Action<Settled> {
        let Some(id) = candidates.pop() else {
            return self.finish(Ok(Settled::Superseded));
        };
        let revision = match RevisionId::new(id) {
            Ok(r) => r,
            Err(e) => return self.finish(Err(e.into())),
        };
        let get = Single::new(
            self.ctx.clone(),
            GetEntry::new(self.address.clone()).at(RevisionSelector::Revision(revision)),
        );
        self.state = SettleState::Checking { candidates, get };
        self.step(Event::Start, now, jitter)
    }
}

impl Machine for Settle {
    type Output = Settled;

    fn step(&mut self, event: Event, now: Timestamp, jitter: f64) -> Action<Settled> {
        match std::mem::replace(&mut self.state, SettleState::Done) {
            SettleState::Done => spent(),
            SettleState::Start => match &self.base {
                Some(base) => {
                    let start = base.revision_create_time;
                    self.list_from(start, now, jitter)
                }
                None => {
                    let get = Single::new(self.ctx.clone(), GetEntry::new(self.address.clone()));
                    self.state = SettleState::Probing { get };
                    self.step(event, now, jitter)
                }
            },
            SettleState::Probing { mut get } => {
                let action = get.step(event, now, jitter);
                relay!(self, action, SettleState::Probing { get }, |r| match r {
                    // Still missing: the create did not land.
                    Err(e) if e.is_not_found() => self.finish(Ok(Settled::NotLanded)),
                    Ok(_) => self.list_from(None, now, jitter),
                    Err(e) => self.finish(Err(e)),
                })
            }
            SettleState::Listing {
                mut pager,
                mut page,
                mut revisions,
            } => {
                let action = page.step(event, now, jitter);
                let keep = |pager, page, revisions| SettleState::Listing {
                    pager,
                    page,
                    revisions,
                };
                relay!(self, action, keep(pager, page, revisions), |r| match r {
                    Err(e) => self.finish(Err(e)),
                    Ok(p) => {
                        pager.on_page(&p);
                        revisions.extend(p.into_items());
                        match pager.next_op() {
                            Some(op) => {
                                let page = Single::new(self.ctx.clone(), op);
                                self.state = keep(pager, page, revisions);
                                self.step(Event::Start, now, jitter)
                            }
                            None if pager.end() == Some(PagerEnd::Complete) => {
                                self.after_listing(revisions, now, jitter)
                            }
                            None => self.finish(Err(crate::error::DecodeError::new(
                                RouteId::ListEntryRevisions,
                                StatusCode::OK,
                                "nextPageToken",
                                "the revision history repeated a page token, so it could not be read to the end",
                                b"",
                            )
                            .into())),
                        }
                    }
                })
            }
            SettleState::Checking {
                candidates,
                mut get,
            } => {
                let action = get.step(event, now, jitter);
                relay!(
                    self,
                    action,
                    SettleState::Checking { candidates, get },
                    |r| match r {
                        Ok(revision) if self.sent.held_by(&revision) => {
                            self.finish(Ok(Settled::Landed(revision)))
                        }
                        Ok(_) => self.check_next(candidates, now, jitter),
                        Err(e) => self.finish(Err(e)),
                    }
                )
            }
        }
    }
}
