//! # opencloud-client
//!
//! The client surface of opencloud-rs (the builder, the client, the domain handles and the
//! listings), written once over a [`Driver`](driver::Driver). Applications depend on
//! `opencloud-async` or `opencloud-blocking`, which name these types for their driver
//! (`opencloud_async::EntryHandle` is `EntryHandle<Async>`), so `entry.get().await?` and
//! `entry.get()?` run the same code.
//!
//! Every multi-request flow is a pure state machine of `opencloud-core`
//! ([`Machine`](opencloud_core::Machine)); a driver runs it with one short loop.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
pub mod driver;
mod experience;
mod handles;
mod listing;
mod settings;
mod v1;

pub use client::{Client, ClientBuilder};
pub use experience::{MessagingHandle, PlaceHandle, UserRestrictionsHandle};
pub use handles::{
    DataStoreHandle, EntryHandle, OrderedEntryHandle, OrderedStoreHandle, ScopeHandle,
};
pub use listing::{Items, Listing};
pub use settings::{ENV_API_KEY, ENV_BASE_URL, ENV_UNIVERSE_ID};
pub use v1::{V1DataStoreHandle, V1EntryHandle, V1Handle, V1OrderedStoreHandle};

#[doc(hidden)]
pub use opencloud_core as __core;

/// Names the client surface for one driver: `Client`, `ClientBuilder`, every handle, `Listing`
/// and `Items` as type aliases, and the core types users need, re-exported. Each client crate
/// calls it once, so a handle added here reaches both clients without another line.
#[doc(hidden)]
#[macro_export]
macro_rules! name_surface {
    ($driver:ty, $listing_doc:literal, $items_doc:literal) => {
        /// The client. Every method is documented on [`opencloud_client::Client`].
        pub type Client = $crate::Client<$driver>;
        /// Builds a [`Client`].
        pub type ClientBuilder = $crate::ClientBuilder<$driver>;
        /// A standard data store.
        pub type DataStoreHandle = $crate::DataStoreHandle<$driver>;
        /// A named scope of a standard data store.
        pub type ScopeHandle = $crate::ScopeHandle<$driver>;
        /// One standard entry.
        pub type EntryHandle = $crate::EntryHandle<$driver>;
        /// A scope of an ordered data store.
        pub type OrderedStoreHandle = $crate::OrderedStoreHandle<$driver>;
        /// One ordered entry.
        pub type OrderedEntryHandle = $crate::OrderedEntryHandle<$driver>;
        /// Publishing messages to live servers.
        pub type MessagingHandle = $crate::MessagingHandle<$driver>;
        /// A place, for place-level user restrictions.
        pub type PlaceHandle = $crate::PlaceHandle<$driver>;
        /// The user restrictions (bans) of a universe or a place.
        pub type UserRestrictionsHandle = $crate::UserRestrictionsHandle<$driver>;
        /// The legacy v1 data store APIs.
        pub type V1Handle = $crate::V1Handle<$driver>;
        /// A standard data store through v1.
        pub type V1DataStoreHandle = $crate::V1DataStoreHandle<$driver>;
        /// One standard entry through v1.
        pub type V1EntryHandle = $crate::V1EntryHandle<$driver>;
        /// A scope of an ordered data store through v1.
        pub type V1OrderedStoreHandle = $crate::V1OrderedStoreHandle<$driver>;
        #[doc = $listing_doc]
        pub type Listing<O> = $crate::Listing<$driver, O>;
        #[doc = $items_doc]
        pub type Items<O> = $crate::Items<$driver, O>;

        pub use $crate::__core::{
            AsOfTime, Attributes, CategoryLimit, Change, CreateEntry, CreateOrderedEntry,
            DataStore, DataStoreEntry, DataStoreName, DataStorePage, DecodeError, DeleteDataStore,
            DeleteEntry, DeleteOrderedEntry, EntryAddress, EntryKey, EntryPage, EntryWrite, Error,
            ErrorShape, GameJoinRestriction, GetEntry, GetOrderedEntry, GetUserRestriction, GiveUp,
            IdempotencyKey, IncrementEntry, IncrementOrderedEntry, InvalidInput, ListDataStores,
            ListEntries, ListEntryRevisions, ListOrderedEntries, ListScope,
            ListUserRestrictionLogs, ListUserRestrictions, Moderator, Operation, Order,
            OrderedEntry, OrderedEntryId, OrderedEntryPage, OrderedRange, OrderedStore, Page,
            PageToken, PagedOperation, PlaceId, PublishMessage, PublishMessageV1, RateLimits,
            RequestSummary, RestrictionDuration, RestrictionLogFilter, RestrictionType,
            RestrictionWrite, RetryAfter, RetryPolicy, RevisionId, RevisionSelector,
            RevisionTimeRange, Scope, ServiceError, Settle, Settled, SnapshotDataStores,
            SnapshotResult, State, ThrottleCategory, TopicName, TransportError, TransportErrorKind,
            UndeleteDataStore, UniverseId, UpdateEntry, UpdateOrderedEntry, UpdateUserRestriction,
            Updated, UserId, UserRestriction, UserRestrictionAddress, UserRestrictionLog,
            UserRestrictionLogPage, UserRestrictionPage, V1CreateOrderedEntry, V1DataStorePage,
            V1DeleteEntry, V1DeleteOrderedEntry, V1EntryKeyPage, V1EntryVersion,
            V1EntryVersionPage, V1GetEntry, V1GetEntryVersion, V1GetOrderedEntry, V1IncrementEntry,
            V1IncrementOrderedEntry, V1ListDataStores, V1ListEntries, V1ListEntryVersions,
            V1ListOrderedEntries, V1OrderedEntryPage, V1SetEntry, V1UpdateOrderedEntry,
            WriteFingerprint, http, jiff, serde_json,
        };
        pub use $crate::{ENV_API_KEY, ENV_BASE_URL, ENV_UNIVERSE_ID};
    };
}
