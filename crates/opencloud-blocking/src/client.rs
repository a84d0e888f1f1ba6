//! The client: configuration, the send loop, paging iterators and the rate limiter.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use opencloud_core::http::Response;
use opencloud_core::{
    Call, ClientSettings, Config, Error, InvalidInput, JitterSource, ListDataStores, Operation,
    Page, PagedOperation, Pager, RateLimits, Resolved, RetryPolicy, Settle, SharedBudget,
    SnapshotDataStores, SnapshotResult, Step, ThrottleCategory, UniverseId,
};

use crate::clock::{Clock, SystemClock};
use crate::handles::{DataStoreHandle, OrderedStoreHandle};
use crate::transport::HttpClient;

pub use opencloud_core::{ENV_API_KEY, ENV_BASE_URL, ENV_UNIVERSE_ID};

/// Builds a [`Client`]. The settings themselves are the core's [`ClientSettings`], shared with
/// the other transport; this adds the HTTP stack and the clock.
pub struct ClientBuilder {
    settings: ClientSettings,
    http: Option<Arc<dyn HttpClient>>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.settings.base_url)
            .field("universe", &self.settings.universe)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            settings: ClientSettings::default(),
            http: None,
            clock: Arc::new(SystemClock),
        }
    }
}

impl ClientBuilder {
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
    /// Allows sending the key over plain `http` to hosts that are not loopback.
    pub fn allow_insecure_http(mut self) -> Self {
        self.settings.allow_insecure_http = true;
        self
    }
    /// The universe that handles use by default.
    pub fn universe(mut self, universe: impl ToString) -> Self {
        self.settings.universe = Some(universe.to_string());
        self
    }
    /// The timeout of one attempt (default 30 s; only for the built-in transport).
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
    /// Sends requests through your own HTTP stack.
    pub fn http_client(mut self, client: impl HttpClient) -> Self {
        self.http = Some(Arc::new(client));
        self
    }
    /// Replaces the clock (for virtual time in tests).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }
    /// How many read-modify-write rounds [`EntryHandle::update_with`](crate::EntryHandle::update_with)
    /// tries before giving up (default 100).
    pub fn update_attempts(mut self, attempts: u32) -> Self {
        self.settings.update_attempts = attempts.max(1);
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let s = self.settings;
        let Resolved { config, universe } = s.resolve()?;
        let http: Arc<dyn HttpClient> = match self.http {
            Some(h) => h,
            #[cfg(feature = "ureq")]
            None => Arc::new(crate::transport::UreqClient::new(s.timeout)),
            #[cfg(not(feature = "ureq"))]
            None => {
                return Err(InvalidInput::new(
                    "http_client",
                    "is required when the `ureq` feature is off",
                )
                .into());
            }
        };
        let seed =
            self.clock.now().as_nanosecond() as u64 ^ (Arc::as_ptr(&http) as *const () as u64);
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                universe,
                http,
                clock: self.clock,
                retry: s.retry,
                limiter: s.rate_limits.map(SharedBudget::new),
                jitter: Mutex::new(JitterSource::new(seed)),
                update_attempts: s.update_attempts,
            }),
        })
    }
}

pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) universe: Option<UniverseId>,
    http: Arc<dyn HttpClient>,
    pub(crate) clock: Arc<dyn Clock>,
    retry: RetryPolicy,
    limiter: Option<SharedBudget>,
    jitter: Mutex<JitterSource>,
    pub(crate) update_attempts: u32,
}

/// An Open Cloud data stores client. Cheap to clone; clones share the connection pool and the
/// rate limiter.
///
/// ```no_run
/// # fn demo() -> Result<(), opencloud_blocking::Error> {
/// let client = opencloud_blocking::Client::from_env()?;
/// let entry = client.data_store("Inventory").scope("global").entry("user_1").get()?;
/// println!("{:?}", entry.value);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner.config)
            .field("universe", &self.inner.universe)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client from `OPENCLOUD_API_KEY`, `OPENCLOUD_BASE_URL` (optional) and
    /// `OPENCLOUD_UNIVERSE_ID` (optional).
    pub fn from_env() -> Result<Client, Error> {
        Self::builder_from_env().build()
    }

    /// A builder filled from the environment, to adjust before building.
    pub fn builder_from_env() -> ClientBuilder {
        let mut b = ClientBuilder::default();
        b.settings = b.settings.with_env(|k| std::env::var(k).ok());
        b
    }

    /// The configuration requests are built with.
    pub fn config(&self) -> &Config {
        &self.inner.config
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

    /// A standard data store in the default universe.
    pub fn data_store(&self, name: &str) -> DataStoreHandle {
        DataStoreHandle::new(self.clone(), self.universe_or_err(), name)
    }

    /// An ordered data store scope in the default universe.
    pub fn ordered_data_store(&self, name: &str, scope: &str) -> OrderedStoreHandle {
        OrderedStoreHandle::new(self.clone(), self.universe_or_err(), name, scope)
    }

    /// Every data store of the default universe, as an iterator.
    pub fn data_stores(
        &self,
        op: impl FnOnce(ListDataStores) -> ListDataStores,
    ) -> Box<dyn Iterator<Item = Result<opencloud_core::DataStore, Error>> + Send> {
        match self.universe_or_err() {
            Ok(u) => Box::new(self.items(op(ListDataStores::new(u)))),
            Err(e) => Box::new(std::iter::once(Err(Error::from(e)))),
        }
    }

    /// Takes a snapshot of the default universe's data stores.
    pub fn snapshot(&self) -> Result<SnapshotResult, Error> {
        self.send(&SnapshotDataStores::new(self.universe_or_err()?))
    }

    /// Sends any operation: validation, rate limiting, retries, parsing.
    pub fn send<O: Operation>(&self, op: &O) -> Result<O::Output, Error> {
        let call = Call::new(
            op,
            &self.inner.config,
            self.inner.retry.clone(),
            self.inner.clock.now(),
        )?;
        let response = self.run(call)?;
        op.parse(response)
    }

    /// Waits until the client-side budget has room, and reserves it.
    fn acquire<'a>(
        &'a self,
        universe: &UniverseId,
        category: ThrottleCategory,
        bytes: u64,
        clock: &'a (dyn Fn() -> jiff::Timestamp + Sync),
    ) -> Option<Settle<'a>> {
        let limiter = self.inner.limiter.as_ref()?;
        loop {
            match limiter.try_reserve(universe, category, bytes, clock) {
                Ok(guard) => return Some(guard),
                Err(d) => {
                    tracing::debug!(
                        wait_ms = d.as_millis() as u64,
                        category = category.as_str(),
                        "waiting for the rate budget"
                    );
                    self.inner.clock.sleep(d)
                }
            }
        }
    }

    fn run(&self, mut call: Call) -> Result<Response<Vec<u8>>, Error> {
        let route = call.route();
        let now = || self.inner.clock.now();
        loop {
            // Settled when the response arrives, or when this attempt is abandoned (dropped).
            let reservation = self.acquire(call.universe(), route.throttle, call.body_len(), &now);
            let request = call.request();
            let span = tracing::debug_span!("opencloud.request", operation = ?route.id, attempt = call.attempts(), status = tracing::field::Empty);
            let result = span.in_scope(|| self.inner.http.call(request));
            match &result {
                Ok(r) => {
                    span.record("status", r.status().as_u16());
                }
                Err(e) => tracing::debug!(parent: &span, error = %e, "transport error"),
            }
            if let Some(guard) = reservation {
                guard.settle(result.as_ref().map_or(0, |r| r.body().len() as u64));
            }
            let jitter = self.inner.jitter.lock().expect("jitter lock").next_sample();
            match call.on_result(result, self.inner.clock.now(), jitter) {
                Step::Done(r) => return r,
                Step::Retry(d) => {
                    tracing::debug!(parent: &span, delay_ms = d.as_millis() as u64, "retrying");
                    self.inner.clock.sleep(d);
                }
            }
        }
    }

    /// The pages of a list operation, as an iterator. Starts at the token `op` carries, so a
    /// saved token resumes a listing. The query is frozen: only the token changes between pages.
    /// After an error the iterator ends.
    pub fn pages<O>(&self, op: O) -> PageIter<O>
    where
        O: PagedOperation,
        O::Output: Page,
    {
        PageIter {
            client: self.clone(),
            pager: Pager::new(op),
        }
    }

    /// The items of a list operation, as an iterator, across every page.
    pub fn items<O>(&self, op: O) -> ItemIter<O>
    where
        O: PagedOperation,
        O::Output: Page,
    {
        ItemIter {
            pages: self.pages(op),
            current: Vec::new().into_iter(),
            failed: false,
        }
    }
}

/// The pages of a listing. See [`Client::pages`].
pub struct PageIter<O: PagedOperation>
where
    O::Output: Page,
{
    client: Client,
    pager: Pager<O>,
}

impl<O: PagedOperation> PageIter<O>
where
    O::Output: Page,
{
    /// The token of the next page to fetch (or of the page that failed): save it to resume with
    /// [`Pager::resume`] or by setting it on the operation.
    pub fn resume_token(&self) -> Option<&opencloud_core::PageToken> {
        self.pager.resume_token()
    }
}

impl<O: PagedOperation> Iterator for PageIter<O>
where
    O::Output: Page,
{
    type Item = Result<O::Output, Error>;
    fn next(&mut self) -> Option<Self::Item> {
        let op = self.pager.next_op()?;
        match self.client.send(&op) {
            Ok(page) => {
                self.pager.on_page(&page);
                Some(Ok(page))
            }
            Err(e) => {
                self.pager.on_error();
                Some(Err(e))
            }
        }
    }
}

/// The items of a listing across pages. See [`Client::items`].
pub struct ItemIter<O: PagedOperation>
where
    O::Output: Page,
{
    pages: PageIter<O>,
    current: std::vec::IntoIter<<O::Output as Page>::Item>,
    failed: bool,
}

impl<O: PagedOperation> ItemIter<O>
where
    O::Output: Page,
{
    /// The token of the page after the items already returned, to resume later.
    pub fn resume_token(&self) -> Option<&opencloud_core::PageToken> {
        self.pages.resume_token()
    }
}

impl<O: PagedOperation> Iterator for ItemIter<O>
where
    O::Output: Page,
{
    type Item = Result<<O::Output as Page>::Item, Error>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.current.next() {
                return Some(Ok(item));
            }
            if self.failed {
                return None;
            }
            match self.pages.next()? {
                Ok(page) => self.current = page.into_items().into_iter(),
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
    }
}
