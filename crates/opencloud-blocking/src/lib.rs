//! # opencloud-blocking
//!
//! A blocking client for the Roblox Open Cloud data stores APIs, standard and ordered, on the
//! sans-IO [`opencloud_core`]: for scripts, command-line tools and anything without an async
//! runtime. The types its users need are re-exported, so this is the one crate to depend on.
//!
//! ```no_run
//! use opencloud_blocking::Client;
//!
//! # fn demo() -> Result<(), opencloud_blocking::Error> {
//! // OPENCLOUD_API_KEY, OPENCLOUD_BASE_URL (e.g. the emulator) and OPENCLOUD_UNIVERSE_ID
//! let client = Client::from_env()?;
//! let inventory = client.data_store("Inventory");
//! inventory.entry("user_1").set(&serde_json::json!({"currency": 10}))?;
//! for entry in inventory.entries(|l| l.prefix("user_")) {
//!     println!("{}", entry?.id);
//! }
//! let board = client.ordered_data_store("PlayerScores", "global");
//! for e in board.entries(|l| l.order(opencloud_blocking::Order::Descending)).take(10) {
//!     let e = e?;
//!     println!("{} {}", e.id, e.value);
//! }
//! # Ok(()) }
//! ```
//!
//! Retries, the rate limiter and the transport trait work as in `opencloud-async`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod clock;
mod driver;
mod transport;

pub use clock::{Clock, SharedClock, SystemClock};
pub use driver::Blocking;
#[cfg(feature = "ureq")]
pub use transport::UreqClient;
pub use transport::{HttpClient, Transport};

/// The client. See [`opencloud_client::Client`] for every method.
pub type Client = opencloud_client::Client<Blocking>;
/// Builds a [`Client`].
pub type ClientBuilder = opencloud_client::ClientBuilder<Blocking>;
/// A standard data store.
pub type DataStoreHandle = opencloud_client::DataStoreHandle<Blocking>;
/// A named scope of a standard data store.
pub type ScopeHandle = opencloud_client::ScopeHandle<Blocking>;
/// One standard entry.
pub type EntryHandle = opencloud_client::EntryHandle<Blocking>;
/// A scope of an ordered data store.
pub type OrderedStoreHandle = opencloud_client::OrderedStoreHandle<Blocking>;
/// One ordered entry.
pub type OrderedEntryHandle = opencloud_client::OrderedEntryHandle<Blocking>;
/// A listing: `next_page()`, a resume token, and an `Iterator` of pages.
pub type Listing<O> = opencloud_client::Listing<Blocking, O>;
/// The items of a listing across pages, as an `Iterator`.
pub type Items<O> = opencloud_client::Items<Blocking, O>;

pub use opencloud_client::{ENV_API_KEY, ENV_BASE_URL, ENV_UNIVERSE_ID};
pub use opencloud_core::{
    AsOfTime, Attributes, CategoryLimit, Change, CreateEntry, CreateOrderedEntry, DataStore,
    DataStoreEntry, DataStoreName, DataStorePage, DecodeError, DeleteDataStore, DeleteEntry,
    DeleteOrderedEntry, EntryAddress, EntryKey, EntryPage, EntryWrite, Error, ErrorShape, GetEntry,
    GetOrderedEntry, GiveUp, IncrementEntry, IncrementOrderedEntry, InvalidInput, ListDataStores,
    ListEntries, ListEntryRevisions, ListOrderedEntries, ListScope, Operation, Order, OrderedEntry,
    OrderedEntryId, OrderedEntryPage, OrderedRange, OrderedStore, Page, PageToken, PagedOperation,
    RateLimits, RequestSummary, RetryAfter, RetryPolicy, RevisionId, RevisionSelector,
    RevisionTimeRange, Scope, ServiceError, SnapshotDataStores, SnapshotResult, State,
    ThrottleCategory, TransportError, TransportErrorKind, UndeleteDataStore, UniverseId,
    UpdateEntry, UpdateOrderedEntry, Updated, UserId, http, jiff, serde_json,
};
