//! Legacy v1 ordered data store operations
//! (`/ordered-data-stores/v1/universes/{u}/orderedDataStores/{d}/scopes/{s}/entries`).
//!
//! The store and scope are addressed by the same [`OrderedStore`] as in v2, and entries read as
//! the v2 [`OrderedEntry`]. Unlike v2, values and amounts are int64 on the wire, so the whole
//! `i64` range is sent exactly; parameters are snake_case (`max_page_size`, `page_token`,
//! `order_by`, `allow_missing`).

use http::{Request, Response};
use serde_json::json;

use crate::config::Config;
use crate::error::{Error, InvalidInput};
use crate::filter::OrderedRange;
use crate::model::OrderedEntry;
use crate::model_v1::{V1OrderedEntryPage, WireOrderedEntry, WireOrderedPage};
use crate::names::{OrderedEntryId, PageToken, UniverseId};
use crate::ops::ordered::{Order, OrderedStore};
use crate::ops::v1::MAX_V1_ORDERED_ID_CHARS;
use crate::ops::{Operation, build, check_page_size, paged, parse_empty, parse_json, refs};
use crate::route::encode_component;
use crate::routes::RouteId;

/// The path segments of a store and scope.
fn store_segments(store: &OrderedStore) -> Vec<String> {
    vec![
        encode_component(store.universe.as_str()),
        encode_component(store.data_store.as_str()),
        encode_component(store.scope.as_str()),
    ]
}

/// Checks an entry id against the v1 limit and returns the item path segments.
fn item_segments(store: &OrderedStore, id: &OrderedEntryId) -> Result<Vec<String>, InvalidInput> {
    let n = id.as_str().chars().count();
    if n > MAX_V1_ORDERED_ID_CHARS {
        return Err(InvalidInput::new(
            OrderedEntryId::FIELD,
            format!(
                "must be at most {MAX_V1_ORDERED_ID_CHARS} characters in the legacy v1 API, got {n}"
            ),
        ));
    }
    let mut s = store_segments(store);
    s.push(encode_component(id.as_str()));
    Ok(s)
}

fn parse_entry<B: AsRef<[u8]>>(
    route: RouteId,
    response: Response<B>,
) -> Result<OrderedEntry, Error> {
    let wire: WireOrderedEntry = parse_json(route, response)?;
    Ok(wire.into())
}

/// Lists entries by value (`GET .../entries`), ascending unless [`Order::Descending`]
/// (`order_by=desc`), optionally within a value range (`filter`, the same grammar as v2:
/// `entry >= 10 && entry <= 50`).
#[derive(Debug, Clone, PartialEq)]
pub struct V1ListOrderedEntries {
    /// The store and scope.
    pub store: OrderedStore,
    /// The order.
    pub order: Order,
    /// The value range.
    pub range: OrderedRange,
    /// Page size (`max_page_size`: default 10, the service clamps to 100).
    pub max_page_size: Option<u32>,
    /// The page to fetch (`page_token`).
    pub page_token: Option<PageToken>,
}

impl V1ListOrderedEntries {
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

impl Operation for V1ListOrderedEntries {
    type Output = V1OrderedEntryPage;
    fn route(&self) -> RouteId {
        RouteId::V1ListOrderedEntries
    }
    fn universe(&self) -> &UniverseId {
        &self.store.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        check_page_size(self.max_page_size)?;
        if let (Some(a), Some(b)) = (self.range.min, self.range.max)
            && a > b
        {
            return Err(InvalidInput::new("filter", format!("min {a} is above max {b}")).into());
        }
        let mut q = Vec::new();
        if let Some(n) = self.max_page_size {
            q.push(("max_page_size", n.to_string()));
        }
        if let Some(t) = &self.page_token {
            q.push(("page_token", t.as_str().to_string()));
        }
        if self.order == Order::Descending {
            q.push(("order_by", "desc".to_string()));
        }
        if let Some(f) = self.range.render() {
            q.push(("filter", f));
        }
        build(
            config,
            self.route(),
            &refs(&store_segments(&self.store)),
            &q,
            None,
        )
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<V1OrderedEntryPage, Error> {
        let wire: WireOrderedPage = parse_json(self.route(), response)?;
        Ok(wire.into())
    }
}

/// Creates an ordered entry (`POST .../entries?id=`, body `{"value": n}`).
#[derive(Debug, Clone, PartialEq)]
pub struct V1CreateOrderedEntry {
    /// The store and scope.
    pub store: OrderedStore,
    /// The entry id (at most 50 characters in v1).
    pub id: OrderedEntryId,
    /// The value.
    pub value: i64,
}

impl V1CreateOrderedEntry {
    /// Creates `id` with `value`.
    pub fn new(store: OrderedStore, id: OrderedEntryId, value: i64) -> Self {
        Self { store, id, value }
    }
}

impl Operation for V1CreateOrderedEntry {
    type Output = OrderedEntry;
    fn route(&self) -> RouteId {
        RouteId::V1CreateOrderedEntry
    }
    fn universe(&self) -> &UniverseId {
        &self.store.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        // The id goes to the query, but the limit is the same.
        item_segments(&self.store, &self.id)?;
        build(
            config,
            self.route(),
            &refs(&store_segments(&self.store)),
            &[("id", self.id.as_str().to_string())],
            Some(json!({ "value": self.value }).to_string().into_bytes()),
        )
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<OrderedEntry, Error> {
        parse_entry(self.route(), response)
    }
}

/// Reads an ordered entry (`GET .../entries/{id}`).
#[derive(Debug, Clone, PartialEq)]
pub struct V1GetOrderedEntry {
    /// The store and scope.
    pub store: OrderedStore,
    /// The entry id.
    pub id: OrderedEntryId,
}

impl V1GetOrderedEntry {
    /// Reads `id`.
    pub fn new(store: OrderedStore, id: OrderedEntryId) -> Self {
        Self { store, id }
    }
}

impl Operation for V1GetOrderedEntry {
    type Output = OrderedEntry;
    fn route(&self) -> RouteId {
        RouteId::V1GetOrderedEntry
    }
    fn universe(&self) -> &UniverseId {
        &self.store.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        let segs = item_segments(&self.store, &self.id)?;
        build(config, self.route(), &refs(&segs), &[], None)
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<OrderedEntry, Error> {
        parse_entry(self.route(), response)
    }
}

/// Sets an ordered entry's value (`PATCH .../entries/{id}`, body `{"value": n}`); with
/// `allow_missing` it creates a missing entry. The service documents 409 "Aborted." for a
/// conflicting write.
#[derive(Debug, Clone, PartialEq)]
pub struct V1UpdateOrderedEntry {
    /// The store and scope.
    pub store: OrderedStore,
    /// The entry id.
    pub id: OrderedEntryId,
    /// The new value.
    pub value: i64,
    /// Create the entry if it is missing (`allow_missing=true`).
    pub allow_missing: bool,
}

impl V1UpdateOrderedEntry {
    /// Sets `id` to `value`.
    pub fn new(store: OrderedStore, id: OrderedEntryId, value: i64) -> Self {
        Self {
            store,
            id,
            value,
            allow_missing: false,
        }
    }
    /// Creates the entry if it is missing (an upsert).
    pub fn allow_missing(mut self, yes: bool) -> Self {
        self.allow_missing = yes;
        self
    }
}

impl Operation for V1UpdateOrderedEntry {
    type Output = OrderedEntry;
    fn route(&self) -> RouteId {
        RouteId::V1UpdateOrderedEntry
    }
    fn universe(&self) -> &UniverseId {
        &self.store.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        let segs = item_segments(&self.store, &self.id)?;
        let q: Vec<(&'static str, String)> = if self.allow_missing {
            vec![("allow_missing", "true".to_string())]
        } else {
            Vec::new()
        };
        build(
            config,
            self.route(),
            &refs(&segs),
            &q,
            Some(json!({ "value": self.value }).to_string().into_bytes()),
        )
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<OrderedEntry, Error> {
        parse_entry(self.route(), response)
    }
}

/// Adds to an ordered entry's value (`POST .../entries/{id}:increment`, body `{"amount": n}`).
/// The service clamps the value it answers to the int64 range. Not idempotent.
#[derive(Debug, Clone, PartialEq)]
pub struct V1IncrementOrderedEntry {
    /// The store and scope.
    pub store: OrderedStore,
    /// The entry id.
    pub id: OrderedEntryId,
    /// How much to add.
    pub amount: i64,
}

impl V1IncrementOrderedEntry {
    /// Adds `amount` to `id`.
    pub fn new(store: OrderedStore, id: OrderedEntryId, amount: i64) -> Self {
        Self { store, id, amount }
    }
}

impl Operation for V1IncrementOrderedEntry {
    type Output = OrderedEntry;
    fn route(&self) -> RouteId {
        RouteId::V1IncrementOrderedEntry
    }
    fn universe(&self) -> &UniverseId {
        &self.store.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        let segs = item_segments(&self.store, &self.id)?;
        build(
            config,
            self.route(),
            &refs(&segs),
            &[],
            Some(json!({ "amount": self.amount }).to_string().into_bytes()),
        )
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<OrderedEntry, Error> {
        parse_entry(self.route(), response)
    }
}

/// Deletes an ordered entry at once (`DELETE .../entries/{id}`); the service answers 200 even
/// when it did not exist.
#[derive(Debug, Clone, PartialEq)]
pub struct V1DeleteOrderedEntry {
    /// The store and scope.
    pub store: OrderedStore,
    /// The entry id.
    pub id: OrderedEntryId,
}

impl V1DeleteOrderedEntry {
    /// Deletes `id`.
    pub fn new(store: OrderedStore, id: OrderedEntryId) -> Self {
        Self { store, id }
    }
}

impl Operation for V1DeleteOrderedEntry {
    type Output = ();
    fn route(&self) -> RouteId {
        RouteId::V1DeleteOrderedEntry
    }
    fn universe(&self) -> &UniverseId {
        &self.store.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        let segs = item_segments(&self.store, &self.id)?;
        build(config, self.route(), &refs(&segs), &[], None)
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<(), Error> {
        parse_empty(self.route(), response)
    }
}

paged!(V1ListOrderedEntries);
