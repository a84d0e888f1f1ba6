//! # opencloud-core
//!
//! The sans-IO core of opencloud-rs: it builds an `http::Request` for every Roblox Open Cloud
//! data store operation and parses the `http::Response`, and holds the pure state machines
//! (pager, retry policy, rate budget) that the transports drive. It does no I/O, reads no clock
//! and draws no randomness: time and jitter are arguments.
//!
//! Most users want `opencloud-async` or `opencloud-blocking`. Use this crate directly to bring
//! your own HTTP stack:
//!
//! ```
//! use opencloud_core::{ApiKey, Config, DataStoreName, EntryAddress, EntryKey, GetEntry, Operation, UniverseId};
//!
//! let config = Config::new(ApiKey::new("my-key")?);
//! let op = GetEntry::new(EntryAddress::new(
//!     UniverseId::from(1234),
//!     DataStoreName::new("Inventory")?,
//!     EntryKey::new("user/1@home")?,
//! ));
//! let request = op.to_request(&config)?;
//! assert_eq!(
//!     request.uri(),
//!     "https://apis.roblox.com/cloud/v2/universes/1234/data-stores/Inventory/entries/user%2F1%40home@latest"
//! );
//! // ... send it with any HTTP client, then:
//! let response = http::Response::builder()
//!     .status(200)
//!     .body(br#"{"path":"universes/1234/data-stores/Inventory/entries/user%2F1%40home","id":"user/1@home","value":{"gold":5}}"#.to_vec())?;
//! let entry = op.parse(response)?;
//! assert_eq!(entry.value.unwrap()["gold"], 5);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod call;
mod config;
mod error;
mod filter;
mod machine;
mod model;
mod model_experience;
mod model_v1;
mod names;
mod names_experience;
mod ops;
mod pager;
mod rate;
mod resource;
mod retry;
mod route;
mod routes;
mod selector;

pub mod limits;
pub mod wire;

pub use http;
pub use jiff;
pub use serde_json;

pub use call::{Call, Step};
pub use config::{ApiKey, Config, DEFAULT_BASE_URL};
pub use error::{
    DecodeError, Error, ErrorShape, InvalidInput, RequestSummary, RetryAfter, ServiceError,
    TransportError, TransportErrorKind,
};
pub use filter::{OrderedRange, RevisionTimeRange};
pub use machine::{
    Action, Change, Context, Deferred, Event, Exchange, ExchangeStep, Machine, NextPage, Outgoing,
    Settle, Settled, Single, Then, Update, Updated, Wait, WriteFingerprint, contention_backoff,
    holds_write,
};
pub use model::{
    DataStore, DataStoreEntry, DataStorePage, EntryPage, OrderedEntry, OrderedEntryPage, Page,
    SnapshotResult, State,
};
pub use model_experience::{
    GameJoinRestriction, Moderator, RestrictionType, UserRestriction, UserRestrictionLog,
    UserRestrictionLogPage, UserRestrictionPage,
};
pub use model_v1::{
    V1DataStorePage, V1EntryKeyPage, V1EntryVersion, V1EntryVersionPage, V1OrderedEntryPage,
};
pub use names::{
    Attributes, DataStoreName, EntryKey, OrderedEntryId, PageToken, RevisionId, Scope, UniverseId,
    UserId,
};
pub use names_experience::{IdempotencyKey, PlaceId, RestrictionDuration, TopicName};
pub use ops::data_stores::{
    DeleteDataStore, ListDataStores, SnapshotDataStores, UndeleteDataStore,
};
pub use ops::entries::{
    CreateEntry, DeleteEntry, EntryAddress, EntryWrite, GetEntry, IncrementEntry, ListEntries,
    ListEntryRevisions, ListScope, UpdateEntry,
};
pub use ops::messaging::{PublishMessage, PublishMessageV1};
pub use ops::ordered::{
    CreateOrderedEntry, DeleteOrderedEntry, GetOrderedEntry, IncrementOrderedEntry,
    ListOrderedEntries, Order, OrderedStore, UpdateOrderedEntry,
};
pub use ops::user_restrictions::{
    GetUserRestriction, ListUserRestrictionLogs, ListUserRestrictions, RestrictionLogFilter,
    RestrictionWrite, UpdateUserRestriction, UserRestrictionAddress,
};
pub use ops::v1::ordered::{
    V1CreateOrderedEntry, V1DeleteOrderedEntry, V1GetOrderedEntry, V1IncrementOrderedEntry,
    V1ListOrderedEntries, V1UpdateOrderedEntry,
};
pub use ops::v1::standard::{
    V1DeleteEntry, V1GetEntry, V1GetEntryVersion, V1IncrementEntry, V1ListDataStores,
    V1ListEntries, V1ListEntryVersions, V1SetEntry,
};
pub use ops::{API_KEY_HEADER, Operation, PagedOperation, describe_request};
pub use pager::{Pager, PagerEnd};
pub use rate::{
    CategoryLimit, PENDING_POLL, PENDING_TIMEOUT, RateBudget, RateLimiter, RateLimits, Reservation,
    WINDOW,
};
pub use resource::ResourceName;
pub use retry::{
    Decision, GiveUp, JitterSource, MAX_RETRY_AFTER_WITHOUT_DEADLINE, Outcome, RetryPolicy,
    RetryState,
};
pub use route::{Family, RetryClass, Route, ThrottleCategory};
pub use routes::{ApiVersion, ROUTES, RouteId};
pub use selector::{AsOfTime, RevisionSelector};
