//! The data store APIs, split by concern.
//!
//! * [`pipeline`]: the one request pipeline (match, authenticate, validate the request line,
//!   throttle, faults, log, dispatch), and the only place that takes locks.
//! * [`reply`]: the answer type and the error body of each API family.
//! * [`identity`]: where an operation's data store, scope and key come from (path or query),
//!   for the handlers and for the key's data store restriction alike.
//! * One module per API family: [`v2_data_stores`], [`v2_entries`], [`v2_ordered`],
//!   [`v1_standard`] and [`v1_ordered`] (the legacy APIs, over the same storage as v2),
//!   [`messaging`] (with the in-memory record of published messages), [`user_restrictions`].
//!
//! Paths are matched with the core's route table (`opencloud_core::wire::match_route`), so the
//! clients and the emulator read one description of the API, and resource paths are rendered
//! with the core's [`ResourceName`](opencloud_core::ResourceName). Names, sizes and selectors are
//! checked with the core's own validators.

pub mod identity;
pub mod messaging;
pub mod pipeline;
pub mod reply;
pub mod user_restrictions;
pub mod v1_ordered;
pub mod v1_standard;
pub mod v2_data_stores;
pub mod v2_entries;
pub mod v2_ordered;

use std::collections::BTreeMap;

use axum::http::HeaderMap;
use base64::Engine;
use jiff::Timestamp;
use opencloud_core::wire::decode_component;
use opencloud_core::{Route, RouteId};
use serde_json::{Map, Value, json};

pub use messaging::{Messages, Published};
pub use pipeline::ApiRequest;
pub use reply::{ApiError, Body, ErrorFamily, Reply};

use crate::store::Storage;

/// The query parameters that carry a page token, one per API family.
const TOKEN_PARAMS: [&str; 3] = ["pageToken", "page_token", "cursor"];

/// How long deleted entries and data stores are kept.
pub const RETENTION: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

/// What a handler answers.
pub type ApiResult = Result<Reply, ApiError>;

/// One request, decoded and authenticated, as the handlers see it.
#[derive(Debug)]
pub struct Ctx<'a> {
    /// The matched route.
    pub route: &'static Route,
    /// The decoded path parameters, in the route's order.
    pub params: Vec<String>,
    /// The decoded query.
    pub query: BTreeMap<String, String>,
    /// The raw body.
    pub body: &'a [u8],
    /// The request headers (the legacy v1 API carries metadata in them).
    pub headers: &'a HeaderMap,
    /// Every scope the request's key has (`*` for all).
    pub granted: &'a [String],
    /// The emulated time of arrival.
    pub now: Timestamp,
    /// The raw path (page tokens are bound to it).
    pub path: &'a str,
    /// Strict mode: refuse what the live service tolerates.
    pub strict: bool,
}

impl Ctx<'_> {
    /// A path parameter by name; empty if the route has none of that name (then the name
    /// checks answer 400).
    pub fn param(&self, name: &str) -> &str {
        self.route
            .path_params
            .iter()
            .position(|p| *p == name)
            .and_then(|i| self.params.get(i))
            .map_or("", String::as_str)
    }

    /// Whether the request's key has `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        crate::keys::has_scope(self.granted, scope)
    }

    /// Whether the route has a path parameter.
    pub fn has_param(&self, name: &str) -> bool {
        self.route.path_params.contains(&name)
    }

    /// The universe id (`universeId` on the legacy messaging path).
    pub fn universe(&self) -> &str {
        if self.has_param("universe_id") {
            self.param("universe_id")
        } else {
            self.param("universeId")
        }
    }

    /// The body as a JSON object.
    pub fn json(&self) -> Result<Map<String, Value>, ApiError> {
        match serde_json::from_slice::<Value>(self.body) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err(ApiError::invalid("Request body must be a JSON object.")),
            Err(e) => Err(ApiError::invalid(format!(
                "Request body is not valid JSON: {e}"
            ))),
        }
    }

    /// The body of an operation whose body has no required field: an empty body is `{}`
    /// (outside strict mode, as the live service takes it).
    pub fn optional_json(&self) -> Result<Map<String, Value>, ApiError> {
        if self.body.is_empty() && !self.strict {
            return Ok(Map::new());
        }
        self.json()
    }

    /// A boolean query parameter: `true`/`false` in any case (only lowercase in strict mode).
    pub fn flag(&self, name: &str) -> Result<bool, ApiError> {
        let Some(v) = self.query.get(name) else {
            return Ok(false);
        };
        let lower = v.to_ascii_lowercase();
        match lower.as_str() {
            "true" | "false" if self.strict && lower != *v => Err(ApiError::invalid(format!(
                "Invalid value {v:?} for {name}: expected true or false in lowercase (strict mode)."
            ))),
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(ApiError::invalid(format!(
                "Invalid value {v:?} for {name}: expected true or false."
            ))),
        }
    }

    /// `maxPageSize`: 0 or absent is the default of 10, above `max` is clamped.
    pub fn page_size(&self, max: usize) -> Result<usize, ApiError> {
        self.page_size_of("maxPageSize", 10, max)
    }

    /// A page size parameter: 0 or absent is `default`, above `max` is clamped, negative or not
    /// a number is a 400 (with the v1 `InvalidLimit` detail).
    pub fn page_size_of(&self, name: &str, default: usize, max: usize) -> Result<usize, ApiError> {
        match self.query.get(name) {
            None => Ok(default),
            Some(v) => match v.trim().parse::<i64>() {
                Ok(n) if n < 0 => Err(ApiError::invalid(format!("{name} must not be negative."))
                    .v1_detail("InvalidLimit")),
                Ok(0) => Ok(default),
                Ok(n) => Ok(usize::try_from(n).unwrap_or(usize::MAX).min(max)),
                Err(_) => {
                    Err(ApiError::invalid(format!("Invalid {name} {v:?}."))
                        .v1_detail("InvalidLimit"))
                }
            },
        }
    }

    /// The query parameter that carries the page token on this route: `pageToken` (v2),
    /// `page_token` (ordered v1) or `cursor` (standard v1).
    fn token_param(&self) -> &'static str {
        TOKEN_PARAMS
            .into_iter()
            .find(|p| self.route.query.contains(p))
            .unwrap_or("pageToken")
    }

    /// The fingerprint of the path and every query parameter but the token, which a token is
    /// bound to.
    fn query_fingerprint(&self) -> String {
        use md5::Digest;
        let mut h = md5::Md5::new();
        h.update(self.path.as_bytes());
        for (k, v) in &self.query {
            // Standard v1 cursors are not bound to the page size (`limit`): its pages may be
            // short anyway, and nothing documents the binding there.
            let free = TOKEN_PARAMS.contains(&k.as_str())
                || (k == "limit" && self.token_param() == "cursor");
            if !free && self.route.query.contains(&k.as_str()) {
                h.update(k.as_bytes());
                h.update([0]);
                h.update(v.as_bytes());
                h.update([0]);
            }
        }
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&h.finalize()[..9])
    }

    /// A page token resuming after `cursor`.
    pub fn make_token(&self, cursor: Value) -> String {
        let payload = json!({ "q": self.query_fingerprint(), "c": cursor });
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload.to_string())
    }

    /// The cursor of the request's page token, if it has one.
    pub fn read_token(&self) -> Result<Option<Value>, ApiError> {
        let param = self.token_param();
        let Some(tok) = self.query.get(param).filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        let bad = || ApiError::invalid("Invalid cursor.").v1_detail("InvalidCursor");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(tok)
            .map_err(|_| bad())?;
        let v: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if v.get("q").and_then(Value::as_str) != Some(self.query_fingerprint().as_str()) {
            return Err(ApiError::invalid(format!(
                "Page token does not match the request: every parameter but {param} must be the same as in the call that returned it.",
            ))
            .v1_detail("InvalidCursor"));
        }
        Ok(v.get("c").cloned())
    }

    /// The cursor of the page token, decoded as `T`; a token whose cursor is not a `T` is
    /// invalid.
    pub fn token_cursor<T: serde::de::DeserializeOwned>(&self) -> Result<Option<T>, ApiError> {
        self.read_token()?
            .map(|v| {
                serde_json::from_value(v)
                    .map_err(|_| ApiError::invalid("Invalid cursor.").v1_detail("InvalidCursor"))
            })
            .transpose()
    }
}

/// A time as the service prints it: RFC 3339 with microseconds.
pub fn ts_json(t: Timestamp) -> String {
    let mut s = String::new();
    if jiff::fmt::temporal::DateTimePrinter::new()
        .precision(Some(6))
        .print_timestamp(&t, &mut s)
        .is_err()
    {
        s = t.to_string();
    }
    s
}

/// Decodes a query string. Keys given twice are refused.
pub fn parse_query(raw: &str) -> Result<BTreeMap<String, String>, ApiError> {
    let mut out = BTreeMap::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let dec = |s: &str| {
            decode_component(&s.replace('+', " "))
                .ok_or_else(|| ApiError::invalid("Query string is not valid UTF-8."))
        };
        let (k, v) = (dec(k)?, dec(v)?);
        if out.insert(k.clone(), v).is_some() {
            return Err(ApiError::invalid(format!(
                "Query parameter {k} is given twice."
            )));
        }
    }
    Ok(out)
}

/// Runs the handler of a route. New API families add their arms here.
pub fn dispatch(store: &mut dyn Storage, messages: &mut Messages, c: &Ctx<'_>) -> ApiResult {
    use RouteId::*;
    match c.route.id {
        PublishUniverseMessage | PublishTopicMessageV1 => messaging::publish(messages, c, c.now),
        ListUserRestrictions | ListPlaceUserRestrictions => user_restrictions::list(store, c),
        GetUserRestriction | GetPlaceUserRestriction => user_restrictions::get(store, c),
        UpdateUserRestriction | UpdatePlaceUserRestriction => user_restrictions::update(store, c),
        ListUserRestrictionLogs => user_restrictions::list_logs(store, c),
        ListDataStores => v2_data_stores::list(store, c),
        DeleteDataStore => v2_data_stores::delete(store, c),
        UndeleteDataStore => v2_data_stores::undelete(store, c),
        SnapshotDataStores => v2_data_stores::snapshot(store, c),
        ListEntries | ListScopedEntries => v2_entries::list(store, c),
        CreateEntry | CreateScopedEntry => v2_entries::create(store, c),
        GetEntry | GetScopedEntry => v2_entries::get(store, c),
        UpdateEntry | UpdateScopedEntry => v2_entries::update(store, c),
        DeleteEntry | DeleteScopedEntry => v2_entries::delete(store, c),
        IncrementEntry | IncrementScopedEntry => v2_entries::increment(store, c),
        ListEntryRevisions | ListScopedEntryRevisions => v2_entries::list_revisions(store, c),
        ListOrderedEntries => v2_ordered::list(store, c),
        CreateOrderedEntry => v2_ordered::create(store, c),
        GetOrderedEntry => v2_ordered::get(store, c),
        UpdateOrderedEntry => v2_ordered::update(store, c),
        DeleteOrderedEntry => v2_ordered::delete(store, c),
        IncrementOrderedEntry => v2_ordered::increment(store, c),
        V1ListDataStores => v1_standard::list_data_stores(store, c),
        V1ListEntries => v1_standard::list_entries(store, c),
        V1GetEntry => v1_standard::get(store, c),
        V1SetEntry => v1_standard::set(store, c),
        V1DeleteEntry => v1_standard::delete(store, c),
        V1IncrementEntry => v1_standard::increment(store, c),
        V1ListEntryVersions => v1_standard::list_versions(store, c),
        V1GetEntryVersion => v1_standard::get_version(store, c),
        V1ListOrderedEntries => v1_ordered::list(store, c),
        V1CreateOrderedEntry => v1_ordered::create(store, c),
        V1GetOrderedEntry => v1_ordered::get(store, c),
        V1UpdateOrderedEntry => v1_ordered::update(store, c),
        V1DeleteOrderedEntry => v1_ordered::delete(store, c),
        V1IncrementOrderedEntry => v1_ordered::increment(store, c),
        other => Err(ApiError::new(
            axum::http::StatusCode::NOT_IMPLEMENTED,
            "NOT_IMPLEMENTED",
            format!("{other:?} is not implemented by the emulator."),
        )),
    }
}

/// Pages: at most `size` rows and whether there are more, from `size + 1` fetched.
pub fn page<T>(mut rows: Vec<T>, size: usize) -> (Vec<T>, bool) {
    let more = rows.len() > size;
    rows.truncate(size);
    (rows, more)
}
