//! Every call the CLI makes into the client, in a few small functions (so a change of the
//! client's surface touches this file only), and the transport wrapper that watches attempts.

use std::cell::Cell;
use std::time::{Duration, Instant};

use opencloud_blocking::http::{Request, Response};
use opencloud_blocking::{
    CategoryLimit, Client, CreateEntry, DataStoreEntry, DataStoreName, EntryAddress, EntryWrite,
    Error, GetEntry, HttpClient, ListDataStores, Listing, Operation, Page, PagedOperation,
    RateLimits, RetryAfter, RetryPolicy, Settle, Settled, ThrottleCategory, TransportError,
    UniverseId, UpdateEntry, UreqClient, WriteFingerprint,
};

use crate::ctx::{CliError, Ctx};
use crate::status;

thread_local! {
    /// Whether an attempt of the current call on this thread failed after its request may have
    /// reached the service (a 5xx, or a connection lost after sending).
    static AMBIGUOUS: Cell<bool> = const { Cell::new(false) };
}

/// The default transport, watched: `-v` prints each attempt, a 429 shows on the progress bar,
/// and attempts that may have been applied are remembered for [`guarded_write`].
struct Watched {
    inner: UreqClient,
    verbose: bool,
}

impl HttpClient for Watched {
    fn call(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        let (method, path) = (request.method().clone(), request.uri().path().to_string());
        let started = Instant::now();
        let result = self.inner.call(request);
        let ms = started.elapsed().as_millis();
        match &result {
            Ok(r) => {
                let s = r.status().as_u16();
                if s >= 500 {
                    AMBIGUOUS.set(true);
                }
                if s == 429 {
                    let wait = RetryAfter::from_headers(r.headers())
                        .map(|ra| ra.delay_from(jiff::Timestamp::now()));
                    status::waiting(
                        &match wait {
                            Some(d) => {
                                format!("throttled (429): Retry-After {:.1}s", d.as_secs_f64())
                            }
                            None => "throttled (429): backing off".to_string(),
                        },
                        wait.unwrap_or(Duration::from_secs(1)),
                    );
                }
                if self.verbose {
                    status::eprint(&format!(
                        "{method} {} -> {s} ({ms} ms)",
                        status::escape(&path)
                    ));
                }
            }
            Err(e) => {
                if !e.certainly_not_sent() {
                    AMBIGUOUS.set(true);
                }
                if self.verbose {
                    status::eprint(&format!(
                        "{method} {} -> {e} ({ms} ms)",
                        status::escape(&path)
                    ));
                }
            }
        }
        result
    }
}

/// What the client is built from.
pub struct ClientOptions {
    pub key: String,
    pub base_url: String,
    pub universe: UniverseId,
    pub allow_http: bool,
    pub timeout: Duration,
    pub retries: u32,
    pub limits: Option<RateLimits>,
    pub verbose: bool,
}

/// Builds the client.
pub fn build_client(o: ClientOptions) -> Result<Client, Error> {
    let mut b = Client::builder()
        .api_key(o.key)
        .universe(o.universe.as_str())
        .base_url(o.base_url)
        .retry_policy(RetryPolicy {
            max_attempts: o.retries.saturating_add(1),
            ..RetryPolicy::default()
        })
        .http_client(Watched {
            inner: UreqClient::new(o.timeout),
            verbose: o.verbose,
        });
    if o.allow_http {
        b = b.allow_insecure_http();
    }
    if let Some(l) = o.limits {
        b = b.rate_limits(l);
    }
    b.build()
}

/// The budget an emulator announces on its control plane (`GET /_emulator/throttle`, no key
/// sent): `Some(Some(limits))` when it enforces one, `Some(None)` when it does not throttle,
/// `None` when the target does not say (the real service, or anything else).
pub fn announced_budget(base_url: &str, allow_http: bool) -> Option<Option<RateLimits>> {
    let url = format!("{}/_emulator/throttle", base_url.trim_end_matches('/'));
    let uri: opencloud_blocking::http::Uri = url.parse().ok()?;
    let host = uri.host()?;
    let loopback = host == "localhost"
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if uri.scheme_str() == Some("http") && !loopback && !allow_http {
        return None;
    }
    let req = Request::get(uri).body(Vec::new()).ok()?;
    let resp = UreqClient::new(Duration::from_secs(3)).call(req).ok()?;
    if resp.status().as_u16() != 200 {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(resp.body()).ok()?;
    if !v.get("enforce")?.as_bool()? {
        return Some(None);
    }
    let mut limits = RateLimits::unlimited();
    for c in ThrottleCategory::ALL {
        let l = v.get("limits")?.get(c.as_str())?;
        limits = limits.with(
            c,
            CategoryLimit {
                requests: l.get("requests")?.as_u64()?,
                bytes: l.get("bytes")?.as_u64()?,
            },
        );
    }
    Some(Some(limits))
}

/// Sends any operation.
pub fn send<O>(ctx: &Ctx, op: &O) -> Result<O::Output, Error>
where
    O: Operation + Sync,
    O::Output: Send,
{
    ctx.client.send(op)
}

/// The pages of a listing.
pub fn pages<O>(ctx: &Ctx, op: O) -> Listing<O>
where
    O: PagedOperation + Send + Sync + 'static,
    O::Output: Page + Send,
{
    ctx.client.pages(op)
}

/// Reads an entry; `None` when it does not exist.
pub fn get_entry(ctx: &Ctx, address: EntryAddress) -> Result<Option<DataStoreEntry>, Error> {
    match ctx.client.send(&GetEntry::new(address)) {
        Ok(e) => Ok(Some(e)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether a data store exists (and is not scheduled for deletion).
pub fn store_exists(ctx: &Ctx, name: &DataStoreName) -> Result<bool, CliError> {
    let mut op = ListDataStores::new(ctx.universe.clone()).max_page_size(100);
    op.prefix = Some(name.as_str().to_string());
    for d in ctx.client.items(op.clone()) {
        let d = d.map_err(|e| CliError::api(e, ctx.describe(&op), None))?;
        if d.id == name.as_str() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// How a write ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome {
    /// It was applied.
    Written,
    /// A create found the entry already there.
    Exists,
    /// A guarded write found the entry changed (or gone) since it was read.
    Conflict,
    /// It may or may not have been applied.
    Unknown(String),
    /// It was not applied.
    Failed(String),
}

fn maybe_sent(e: &Error) -> bool {
    match e {
        Error::Transport(t) => !t.certainly_not_sent(),
        _ => e.status().is_some_and(|s| s.as_u16() >= 500),
    }
}

/// How many times a guarded write is sent again after the revision history showed that an
/// attempt whose answer was lost did not land.
const RESENDS_AFTER_NOT_LANDED: u32 = 3;

/// THE guarded write of `migrate`: an update carrying the etag of `base`, the revision that
/// was read and transformed.
///
/// The client retries an update after a 5xx or a lost connection. If such an attempt had in
/// fact landed, the retry finds a new etag and answers 409: that is not someone else's write,
/// and transforming again would apply the transform twice. So when an attempt may have been
/// applied, the outcome is settled from the entry's revision history (the core's `Settle`, the
/// rule `update_with` follows): the revision after `base` is ours (written), another writer's
/// (a conflict: read again and transform what is there), or there is none (send it again). Only
/// when the history cannot answer is the outcome `Unknown`.
pub fn guarded_write(ctx: &Ctx, op: &UpdateEntry, base: &DataStoreEntry) -> WriteOutcome {
    for _ in 0..=RESENDS_AFTER_NOT_LANDED {
        AMBIGUOUS.set(false);
        let result = ctx.client.send(op);
        let ambiguous = AMBIGUOUS.get();
        let lost = match result {
            Ok(_) => return WriteOutcome::Written,
            Err(e) if matches!(e.status().map(|s| s.as_u16()), Some(409 | 404)) => {
                if !ambiguous {
                    return WriteOutcome::Conflict;
                }
                e
            }
            Err(e) if maybe_sent(&e) => e,
            Err(e) => return WriteOutcome::Failed(e.to_string()),
        };
        let settle = Settle::new(
            ctx.client.context().clone(),
            op.address.clone(),
            Some(base.clone()),
            op.write.clone(),
        );
        match ctx.client.run(settle) {
            Ok(Settled::Landed(_)) => return WriteOutcome::Written,
            Ok(Settled::Superseded) => return WriteOutcome::Conflict,
            Ok(Settled::NotLanded) => continue,
            Ok(other) => {
                return WriteOutcome::Unknown(format!("{lost} (the history said {other:?})"));
            }
            Err(history) => {
                return WriteOutcome::Unknown(format!(
                    "{lost}; the revision history could not tell whether the write was applied: {history}"
                ));
            }
        }
    }
    WriteOutcome::Unknown(format!(
        "the write's answer was lost {} times in a row",
        RESENDS_AFTER_NOT_LANDED + 1
    ))
}

/// What became of a guarded write whose answer never came (the process was cut off), from the
/// revision history: `base` is the revision it was guarded by, `sent` the fingerprint of what it
/// sent. An error says the history could not tell.
pub fn settle_by_fingerprint(
    ctx: &Ctx,
    address: EntryAddress,
    base: DataStoreEntry,
    sent: WriteFingerprint,
) -> Result<Settled, String> {
    let settle = Settle::by_fingerprint(ctx.client.context().clone(), address, Some(base), sent);
    ctx.client
        .run(settle)
        .map_err(|e| format!("the revision history could not tell whether it was applied: {e}"))
}

/// An unguarded write: replaces the entry, or creates it.
pub fn overwrite(ctx: &Ctx, address: EntryAddress, write: EntryWrite) -> WriteOutcome {
    match ctx
        .client
        .send(&UpdateEntry::new(address, write).allow_missing(true))
    {
        Ok(_) => WriteOutcome::Written,
        // An update is idempotent: a failed one can be sent again as it is.
        Err(e) => WriteOutcome::Failed(e.to_string()),
    }
}

/// Creates an entry; `Exists` when it is already there.
pub fn create(ctx: &Ctx, address: EntryAddress, write: EntryWrite) -> WriteOutcome {
    match ctx.client.send(&CreateEntry::new(address.clone(), write)) {
        Ok(_) => WriteOutcome::Written,
        Err(e) if maybe_sent(&e) => WriteOutcome::Unknown(e.to_string()),
        Err(e) if e.status().is_some_and(|s| s.as_u16() == 400) => match get_entry(ctx, address) {
            Ok(Some(_)) => WriteOutcome::Exists,
            _ => WriteOutcome::Failed(e.to_string()),
        },
        Err(e) => WriteOutcome::Failed(e.to_string()),
    }
}
