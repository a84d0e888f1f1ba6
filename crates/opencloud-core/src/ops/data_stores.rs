//! Data store operations: list, delete, undelete, snapshot.

use http::{Request, Response};

use crate::config::Config;
use crate::error::Error;
use crate::filter::{check_prefix, render_prefix_filter};
use crate::model::{DataStore, DataStorePage, SnapshotResult};
use crate::names::{DataStoreName, PageToken, UniverseId};
use crate::ops::{Operation, build, page_params, paged, parse_json};
use crate::route::encode_component;
use crate::routes::RouteId;

/// Lists the data stores of a universe (`GET .../data-stores`).
#[derive(Debug, Clone, PartialEq)]
pub struct ListDataStores {
    /// The universe.
    pub universe: UniverseId,
    /// Only names starting with this.
    pub prefix: Option<String>,
    /// Include data stores scheduled for deletion.
    pub show_deleted: bool,
    /// Page size (default 10, the service clamps to 100).
    pub max_page_size: Option<u32>,
    /// The page to fetch.
    pub page_token: Option<PageToken>,
}

impl ListDataStores {
    /// The first page of every data store.
    pub fn new(universe: UniverseId) -> Self {
        Self {
            universe,
            prefix: None,
            show_deleted: false,
            max_page_size: None,
            page_token: None,
        }
    }
    /// Only names starting with `prefix`.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }
    /// Include data stores scheduled for deletion.
    pub fn show_deleted(mut self, yes: bool) -> Self {
        self.show_deleted = yes;
        self
    }
    /// Asks for pages of `n`.
    pub fn max_page_size(mut self, n: u32) -> Self {
        self.max_page_size = Some(n);
        self
    }
}

/// The query of the list operations that share `maxPageSize`, `pageToken`, `filter`, `showDeleted`.
pub(crate) fn list_query(
    max_page_size: Option<u32>,
    page_token: Option<&PageToken>,
    filter: Option<String>,
    show_deleted: bool,
) -> Result<Vec<(&'static str, String)>, Error> {
    let mut q = page_params(max_page_size, page_token)?;
    if let Some(f) = filter {
        q.push(("filter", f));
    }
    if show_deleted {
        q.push(("showDeleted", "true".to_string()));
    }
    Ok(q)
}

impl Operation for ListDataStores {
    type Output = DataStorePage;
    fn route(&self) -> RouteId {
        RouteId::ListDataStores
    }
    fn universe(&self) -> &UniverseId {
        &self.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        if let Some(p) = &self.prefix {
            check_prefix("prefix", p)?;
        }
        let filter = self
            .prefix
            .as_deref()
            .filter(|p| !p.is_empty())
            .map(render_prefix_filter);
        let q = list_query(
            self.max_page_size,
            self.page_token.as_ref(),
            filter,
            self.show_deleted,
        )?;
        build(
            config,
            self.route(),
            &[&encode_component(self.universe.as_str())],
            &q,
            None,
        )
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<DataStorePage, Error> {
        parse_json(self.route(), response)
    }
}

macro_rules! data_store_op {
    ($(#[$doc:meta])* $name:ident, $route:ident, $body:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name {
            /// The universe.
            pub universe: UniverseId,
            /// The data store.
            pub data_store: DataStoreName,
        }

        impl $name {
            /// Addresses a data store.
            pub fn new(universe: UniverseId, data_store: DataStoreName) -> Self {
                Self { universe, data_store }
            }
        }

        impl Operation for $name {
            type Output = DataStore;
            fn route(&self) -> RouteId {
                RouteId::$route
            }
            fn universe(&self) -> &UniverseId {
                &self.universe
            }
            fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
                let segs = [encode_component(self.universe.as_str()), encode_component(self.data_store.as_str())];
                build(config, self.route(), &[&segs[0], &segs[1]], &[], $body)
            }
            fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<DataStore, Error> {
                parse_json(self.route(), response)
            }
        }
    };
}

data_store_op!(
    /// Schedules a data store for permanent deletion in 30 days (`DELETE .../data-stores/{id}`).
    /// Deleting a deleted store is a no-op that returns it as it is.
    DeleteDataStore, DeleteDataStore, None
);
data_store_op!(
    /// Restores a data store scheduled for deletion (`POST .../data-stores/{id}:undelete`, body `{}`).
    UndeleteDataStore, UndeleteDataStore, Some(b"{}".to_vec())
);

/// Takes a snapshot of every data store of a universe, at most once per UTC day
/// (`POST .../data-stores:snapshot`, body `{}`).
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotDataStores {
    /// The universe.
    pub universe: UniverseId,
}

impl SnapshotDataStores {
    /// Addresses a universe.
    pub fn new(universe: UniverseId) -> Self {
        Self { universe }
    }
}

impl Operation for SnapshotDataStores {
    type Output = SnapshotResult;
    fn route(&self) -> RouteId {
        RouteId::SnapshotDataStores
    }
    fn universe(&self) -> &UniverseId {
        &self.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        build(
            config,
            self.route(),
            &[&encode_component(self.universe.as_str())],
            &[],
            Some(b"{}".to_vec()),
        )
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<SnapshotResult, Error> {
        parse_json(self.route(), response)
    }
}

paged!(ListDataStores);
