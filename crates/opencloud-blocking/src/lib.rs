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
//!
//! **Logs and the key.** The client's own spans never carry the API key, and the key header is
//! marked sensitive. The default transport (ureq) writes the raw request bytes, key included, to
//! the `log` facade at TRACE level under the `ureq` and `ureq_proto` targets: if you turn on
//! TRACE, filter those targets out (`RUST_LOG=trace,ureq=off,ureq_proto=off`), as the
//! `opencloud` command does.

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

opencloud_client::name_surface!(
    Blocking,
    "A listing: `next_page()`, a resume token, and an `Iterator` of pages.",
    "The items of a listing across pages, as an `Iterator`."
);
