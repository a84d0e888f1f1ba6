//! The client and its builder, written once for every driver.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opencloud_core::{
    Config, Context, Error, InvalidInput, JitterSource, ListDataStores, Machine, Operation, Page,
    PagedOperation, Pager, RateLimiter, RateLimits, RetryPolicy, Single, SnapshotDataStores,
    SnapshotResult, UniverseId,
};

use crate::driver::{Driver, Runtime};
use crate::handles::{DataStoreHandle, OrderedStoreHandle};
use crate::listing::{Items, Listing};
use crate::settings::{ClientSettings, ENV_UNIVERSE_ID, Resolved};

/// Builds a [`Client`].
#[must_use = "a builder does nothing until `build` is called"]
pub struct ClientBuilder<D: Driver> {
    settings: ClientSettings,
    http: Option<D::Http>,
    clock: Option<D::Clock>,
}

impl<D: Driver> std::fmt::Debug for ClientBuilder<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.settings.base_url)
            .field("universe", &self.settings.universe)
            .finish_non_exhaustive()
    }
}

impl<D: Driver> Default for ClientBuilder<D> {
    fn default() -> Self {
        Self {
            settings: ClientSettings::default(),
            http: None,
            clock: None,
        }
    }
}

impl<D: Driver> ClientBuilder<D> {
    /// The API key (required).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.settings.api_key = Some(key.into());
        self
    }
    /// The base URL; `https://apis.roblox.com` by default. The key goes over plain `http` only to
    /// loopback hosts unless [`ClientBuilder::allow_insecure_http`] is set.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.settings.base_url = Some(url.into());
        self
    }
    /// Allows sending the key over plain `http` to hosts that are not loopback (an emulator in
    /// another container, for instance).
    pub fn allow_insecure_http(mut self) -> Self {
        self.settings.allow_insecure_http = true;
        self
    }
    /// The universe that handles use by default.
    pub fn universe(mut self, universe: impl ToString) -> Self {
        self.settings.universe = Some(universe.to_string());
        self
    }
    /// The timeout of one attempt (default 30 s; only for the built-in HTTP stack).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = timeout;
        self
    }
    /// How to retry (default: [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.settings.retry = policy;
        self
    }
    /// Limits requests and bytes per universe on the client side, so bulk jobs stay under the
    /// service's budget instead of tripping 429. Clones of the client share the limiter.
    pub fn rate_limits(mut self, limits: RateLimits) -> Self {
        self.settings.rate_limits = Some(limits);
        self
    }
    /// Sends requests through your own HTTP stack (any closure from request to response will do).
    pub fn http_client(mut self, http: impl Into<D::Http>) -> Self {
        self.http = Some(http.into());
        self
    }
    /// Replaces the clock (for virtual time in tests).
    pub fn clock(mut self, clock: impl Into<D::Clock>) -> Self {
        self.clock = Some(clock.into());
        self
    }
    /// How many read-modify-write rounds [`EntryHandle::update_with`](crate::EntryHandle::update_with)
    /// tries before giving up (default 100).
    pub fn update_attempts(mut self, attempts: u32) -> Self {
        self.settings.update_attempts = attempts.max(1);
        self
    }

    /// Builds the client: checks the key, the base URL and the universe.
    pub fn build(self) -> Result<Client<D>, Error> {
        let s = self.settings;
        let Resolved { config, universe } = s.resolve()?;
        let http = match self.http {
            Some(h) => h,
            None => D::default_http(s.timeout)?,
        };
        let clock = self.clock.unwrap_or_else(D::default_clock);
        // Jitter only has to differ between clients; the time and a process-wide counter do.
        static CLIENTS: AtomicU64 = AtomicU64::new(1);
        let seed = (D::now(&clock).as_nanosecond() as u64)
            ^ CLIENTS
                .fetch_add(1, Ordering::Relaxed)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let ctx = Context::new(config)
            .retry(s.retry)
            .limiter(s.rate_limits.map(RateLimiter::new))
            .update_attempts(s.update_attempts);
        Ok(Client {
            inner: Arc::new(Inner {
                ctx: Arc::new(ctx),
                universe,
                http,
                clock,
                jitter: Mutex::new(JitterSource::new(seed)),
            }),
        })
    }
}

struct Inner<D: Driver> {
    ctx: Arc<Context>,
    universe: Option<UniverseId>,
    http: D::Http,
    clock: D::Clock,
    jitter: Mutex<JitterSource>,
}

/// An Open Cloud client. Cheap to clone; clones share the connection pool and the rate limiter.
pub struct Client<D: Driver> {
    inner: Arc<Inner<D>>,
}

impl<D: Driver> Clone for Client<D> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<D: Driver> std::fmt::Debug for Client<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner.ctx.config)
            .field("universe", &self.inner.universe)
            .finish_non_exhaustive()
    }
}

impl<D: Driver> Client<D> {
    /// A builder.
    pub fn builder() -> ClientBuilder<D> {
        ClientBuilder::default()
    }

    /// A client from `OPENCLOUD_API_KEY`, `OPENCLOUD_BASE_URL` (optional) and
    /// `OPENCLOUD_UNIVERSE_ID` (optional).
    pub fn from_env() -> Result<Self, Error> {
        Self::builder_from_env().build()
    }

    /// A builder filled from the environment, to adjust before building.
    pub fn builder_from_env() -> ClientBuilder<D> {
        let mut b = ClientBuilder::default();
        b.settings = b.settings.with_env(|k| std::env::var(k).ok());
        b
    }

    /// The configuration requests are built with.
    pub fn config(&self) -> &Config {
        &self.inner.ctx.config
    }

    /// Everything calls run with: configuration, retry policy, rate limiter.
    pub fn context(&self) -> &Arc<Context> {
        &self.inner.ctx
    }

    /// The default universe, if one was set.
    pub fn default_universe(&self) -> Option<&UniverseId> {
        self.inner.universe.as_ref()
    }

    pub(crate) fn universe_or_err(&self) -> Result<UniverseId, InvalidInput> {
        self.inner.universe.clone().ok_or_else(|| {
            InvalidInput::new(
                "universe_id",
                format!("no universe given (set one on the builder or in {ENV_UNIVERSE_ID})"),
            )
        })
    }

    pub(crate) fn runtime(&self) -> Runtime<'_, D> {
        Runtime {
            http: &self.inner.http,
            clock: &self.inner.clock,
            jitter: &self.inner.jitter,
        }
    }

    /// Runs any core machine (a call, a page, a read-modify-write) on this client.
    pub fn run<'a, M>(&'a self, machine: M) -> D::Output<'a, M::Output>
    where
        M: Machine + Send + 'a,
        M::Output: Send + 'a,
    {
        D::run(self.runtime(), machine)
    }

    /// Sends any operation (by value or by reference): validation, rate limiting, retries,
    /// parsing.
    pub fn send<'a, O>(&'a self, op: O) -> D::Output<'a, O::Output>
    where
        O: Operation + Send + 'a,
        O::Output: Send + 'a,
    {
        self.run(Single::new(self.inner.ctx.clone(), op))
    }

    /// A standard data store in the default universe.
    pub fn data_store(&self, name: &str) -> DataStoreHandle<D> {
        DataStoreHandle::new(self.clone(), self.universe_or_err(), name)
    }

    /// An ordered data store scope in the default universe.
    pub fn ordered_data_store(&self, name: &str, scope: &str) -> OrderedStoreHandle<D> {
        OrderedStoreHandle::new(self.clone(), self.universe_or_err(), name, scope)
    }

    /// Every data store of the default universe. Configure the listing (prefix, deleted stores,
    /// page size) with the closure.
    pub fn data_stores(
        &self,
        configure: impl FnOnce(ListDataStores) -> ListDataStores,
    ) -> Items<D, ListDataStores> {
        Items::new(
            self.listing_of(
                self.universe_or_err()
                    .map(|u| configure(ListDataStores::new(u))),
            ),
        )
    }

    /// Takes a snapshot of the default universe's data stores.
    pub fn snapshot(&self) -> D::Output<'_, SnapshotResult> {
        match self.universe_or_err() {
            Ok(u) => self.send(SnapshotDataStores::new(u)),
            Err(e) => D::ready(Err(e.into())),
        }
    }

    /// A listing, page by page: [`Listing::next_page`], a resume token, and the pages as a
    /// stream or an iterator. Starts at the token `op` carries, so a saved token resumes it.
    pub fn listing<O>(&self, op: O) -> Listing<D, O>
    where
        O: PagedOperation + Send + Sync + 'static,
        O::Output: Page + Send,
    {
        Listing::new(self.clone(), Ok(Pager::new(op)))
    }

    pub(crate) fn listing_of<O>(&self, op: Result<O, InvalidInput>) -> Listing<D, O>
    where
        O: PagedOperation + Send + Sync + 'static,
        O::Output: Page + Send,
    {
        Listing::new(self.clone(), op.map(Pager::new).map_err(Error::from))
    }

    /// The pages of a list operation (same as [`Client::listing`]).
    pub fn pages<O>(&self, op: O) -> Listing<D, O>
    where
        O: PagedOperation + Send + Sync + 'static,
        O::Output: Page + Send,
    {
        self.listing(op)
    }

    /// The items of a list operation, across every page.
    pub fn items<O>(&self, op: O) -> Items<D, O>
    where
        O: PagedOperation + Send + Sync + 'static,
        O::Output: Page + Send,
    {
        Items::new(self.listing(op))
    }
}
