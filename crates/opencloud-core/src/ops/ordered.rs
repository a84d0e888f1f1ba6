//! Ordered data store entry operations (`/cloud/v2/.../ordered-data-stores/{d}/scopes/{s}/entries`).
//!
//! Values and amounts are integers. The wire type is a double, so this crate refuses magnitudes
//! above 2^53, which the service could not carry exactly.

use http::{Request, Response};
use serde_json::json;

use crate::config::Config;
use crate::error::Error;
use crate::filter::OrderedRange;
use crate::model::{OrderedEntry, OrderedEntryPage};
use crate::names::{
    DataStoreName, OrderedEntryId, PageToken, Scope, UniverseId, check_safe_integer,
};
use crate::ops::{Operation, build, page_params, paged, parse_empty, parse_json, refs};
use crate::route::encode_component;
use crate::routes::RouteId;

/// An ordered data store and scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrderedStore {
    /// The universe.
    pub universe: UniverseId,
    /// The ordered data store.
    pub data_store: DataStoreName,
    /// The scope (always in the path for ordered stores).
    pub scope: Scope,
}

impl OrderedStore {
    /// Addresses a scope of an ordered data store.
    pub fn new(universe: UniverseId, data_store: DataStoreName, scope: Scope) -> Self {
        Self {
            universe,
            data_store,
            scope,
        }
    }

    fn segments(&self) -> Vec<String> {
        vec![
            encode_component(self.universe.as_str()),
            encode_component(self.data_store.as_str()),
            encode_component(self.scope.as_str()),
        ]
    }

    fn item_segments(&self, id: &OrderedEntryId) -> Vec<String> {
        let mut s = self.segments();
        s.push(encode_component(id.as_str()));
        s
    }
}

/// The `{"value": n}` / `{"amount": n}` body of a write, checked to be a safe integer.
fn int_body(field: Option<(&'static str, i64)>) -> Result<Option<Vec<u8>>, Error> {
    let Some((name, n)) = field else {
        return Ok(None);
    };
    check_safe_integer(name, n)?;
    Ok(Some(json!({ name: n }).to_string().into_bytes()))
}

/// The order of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Lowest value first (the default).
    #[default]
    Ascending,
    /// Highest value first (`orderBy=value desc`).
    Descending,
}

/// Lists entries by value (`GET .../entries`).
#[derive(Debug, Clone, PartialEq)]
pub struct ListOrderedEntries {
    /// The store and scope.
    pub store: OrderedStore,
    /// The order.
    pub order: Order,
    /// The value range.
    pub range: OrderedRange,
    /// Page size (default 10, the service clamps to 100).
    pub max_page_size: Option<u32>,
    /// The page to fetch.
    pub page_token: Option<PageToken>,
}

impl ListOrderedEntries {
    /// Every entry, ascending.
    pub fn new(store: OrderedStore) -> Self {
        Self {
            store,
            order: Order::Ascending,
            range: OrderedRange::all(),
            max_page_size: None,
            page_token: None,
        }
    }
    /// Sets the order.
    pub fn order(mut self, order: Order) -> Self {
        self.order = order;
        self
    }
    /// Only values in `range`.
    pub fn range(mut self, range: OrderedRange) -> Self {
        self.range = range;
        self
    }
    /// Asks for pages of `n`.
    pub fn max_page_size(mut self, n: u32) -> Self {
        self.max_page_size = Some(n);
        self
    }
}

impl Operation for ListOrderedEntries {
    type Output = OrderedEntryPage;
    fn route(&self) -> RouteId {
        RouteId::ListOrderedEntries
    }
    fn universe(&self) -> &UniverseId {
        &self.store.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        let mut q = page_params(self.max_page_size, self.page_token.as_ref())?;
        if self.order == Order::Descending {
            q.push(("orderBy", "value desc".to_string()));
        }
        if let Some(f) = self.range.render() {
            q.push(("filter", f));
        }
        build(
            config,
            self.route(),
            &refs(&self.store.segments()),
            &q,
            None,
        )
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<OrderedEntryPage, Error> {
        parse_json(self.route(), response)
    }
}

macro_rules! ordered_item_op {
    ($(#[$doc:meta])* $name:ident, $route:ident, $out:ty, $parse:ident $(, $field:ident : $fty:ty, $json:literal)? $(; $flag:ident)?) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name {
            /// The store and scope.
            pub store: OrderedStore,
            /// The entry id.
            pub id: OrderedEntryId,
            $(
                #[doc = concat!("The `", $json, "` sent.")]
                pub $field: $fty,
            )?
            $(
                /// Create the entry if it is missing.
                pub $flag: bool,
            )?
        }

        impl $name {
            /// Addresses an entry.
            pub fn new(store: OrderedStore, id: OrderedEntryId $(, $field: $fty)?) -> Self {
                Self { store, id $(, $field)? $(, $flag: false)? }
            }
            $(
                /// Creates the entry if it is missing (an upsert).
                pub fn $flag(mut self, yes: bool) -> Self {
                    self.$flag = yes;
                    self
                }
            )?
        }

        impl Operation for $name {
            type Output = $out;
            fn route(&self) -> RouteId {
                RouteId::$route
            }
            fn universe(&self) -> &UniverseId {
                &self.store.universe
            }
            fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
                let body = int_body(None $(.or(Some(($json, self.$field))))?)?;
                let allow_missing = false $(|| self.$flag)?;
                let q: Vec<(&'static str, String)> =
                    if allow_missing { vec![("allowMissing", "true".to_string())] } else { Vec::new() };
                build(config, self.route(), &refs(&self.store.item_segments(&self.id)), &q, body)
            }
            fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<$out, Error> {
                $parse(self.route(), response)
            }
        }
    };
}

ordered_item_op!(
    /// Reads an ordered entry (`GET .../entries/{id}`).
    GetOrderedEntry, GetOrderedEntry, OrderedEntry, parse_json
);
ordered_item_op!(
    /// Deletes an ordered entry at once; the service answers 404 if it is missing
    /// (`DELETE .../entries/{id}`).
    DeleteOrderedEntry, DeleteOrderedEntry, (), parse_empty
);
ordered_item_op!(
    /// Sets an ordered entry's value (`PATCH .../entries/{id}`).
    UpdateOrderedEntry, UpdateOrderedEntry, OrderedEntry, parse_json, value: i64, "value"; allow_missing
);
ordered_item_op!(
    /// Adds to an ordered entry's value, creating it if missing (`POST .../entries/{id}:increment`).
    /// Not idempotent.
    IncrementOrderedEntry, IncrementOrderedEntry, OrderedEntry, parse_json, amount: i64, "amount"
);

/// Creates an ordered entry; the service answers 400 if it exists (`POST .../entries?id=`).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateOrderedEntry {
    /// The store and scope.
    pub store: OrderedStore,
    /// The entry id.
    pub id: OrderedEntryId,
    /// The value.
    pub value: i64,
}

impl CreateOrderedEntry {
    /// Creates `id` with `value`.
    pub fn new(store: OrderedStore, id: OrderedEntryId, value: i64) -> Self {
        Self { store, id, value }
    }
}

impl Operation for CreateOrderedEntry {
    type Output = OrderedEntry;
    fn route(&self) -> RouteId {
        RouteId::CreateOrderedEntry
    }
    fn universe(&self) -> &UniverseId {
        &self.store.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        let body = int_body(Some(("value", self.value)))?;
        build(
            config,
            self.route(),
            &refs(&self.store.segments()),
            &[("id", self.id.as_str().to_string())],
            body,
        )
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<OrderedEntry, Error> {
        parse_json(self.route(), response)
    }
}

paged!(ListOrderedEntries);
