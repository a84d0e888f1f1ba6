//! # opencloud-async
//!
//! An async (tokio) client for the Roblox Open Cloud data stores APIs, standard and ordered, on
//! the sans-IO [`opencloud_core`]. Every core type is re-exported, so this is the one crate to
//! depend on.
//!
//! ```no_run
//! use opencloud_async::Client;
//! use futures_util::TryStreamExt;
//!
//! # async fn demo() -> Result<(), opencloud_async::Error> {
//! // OPENCLOUD_API_KEY, OPENCLOUD_BASE_URL (e.g. the emulator) and OPENCLOUD_UNIVERSE_ID
//! let client = Client::from_env()?;
//! let inventory = client.data_store("Inventory");
//! inventory.entry("user_1").set(&serde_json::json!({"currency": 10})).await?;
//! let keys: Vec<_> = inventory.entries(|l| l.prefix("user_")).map_ok(|e| e.id).try_collect().await?;
//! inventory.entry("user_1").update_with(|v: Option<serde_json::Value>| {
//!     let mut v = v.unwrap_or_default();
//!     v["currency"] = (v["currency"].as_i64().unwrap_or(0) + 10).into();
//!     v
//! }).await?;
//! # Ok(()) }
//! ```
//!
//! Failed attempts are retried by the core's [`RetryPolicy`]: idempotent operations on 429, 5xx
//! and transport failures; increments and creates only when the service cannot have applied them.
//! An optional client-side rate limiter ([`ClientBuilder::rate_limits`]) keeps bulk jobs under the
//! per-universe budget. Bring your own HTTP stack with [`HttpClient`] (a closure will do).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod clock;
mod driver;
mod transport;

pub use clock::{Clock, SharedClock, SystemClock};
pub use driver::{Async, Pending};
#[cfg(feature = "reqwest")]
pub use transport::ReqwestClient;
pub use transport::{BoxFuture, HttpClient, Transport};

opencloud_client::name_surface!(
    Async,
    "A listing: `next_page().await`, a resume token, and a `Stream` of pages.",
    "The items of a listing across pages, as a `Stream`."
);

/// The README's examples, compiled and run as doc tests so they cannot go stale.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
