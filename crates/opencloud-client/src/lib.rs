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
mod handles;
mod listing;
mod settings;

pub use client::{Client, ClientBuilder};
pub use handles::{
    DataStoreHandle, EntryHandle, OrderedEntryHandle, OrderedStoreHandle, ScopeHandle,
};
pub use listing::{Items, Listing};
pub use settings::{ENV_API_KEY, ENV_BASE_URL, ENV_UNIVERSE_ID};
