//! The Open Cloud v2 data store API: routing, authentication, throttling and every operation.
//!
//! Paths are matched with the core's route table (`opencloud_core::route::match_route`), so the
//! clients and the emulator read one description of the API. The custom verb is split off the
//! raw segment first, then the segment is decoded, then the `@` selector is read.

use std::collections::BTreeMap;

use axum::http::{HeaderMap, Method, StatusCode};
use base64::Engine;
use jiff::Timestamp;
use opencloud_core::RouteId;
use opencloud_core::filter::{OrderedRange, RevisionTimeRange, parse_prefix_filter};
use opencloud_core::names::{
    MAX_ATTRIBUTE_KEY_CHARS, MAX_ATTRIBUTE_VALUE_CHARS, MAX_ATTRIBUTES_CHARS, MAX_NAME_CHARS,
    MAX_ORDERED_ID_CHARS, MAX_SAFE_INTEGER, MAX_USERS, MAX_VALUE_CHARS,
};
use opencloud_core::route::{ThrottleCategory, decode_component, encode_component, match_route};
use opencloud_core::selector::{MAX_AS_OF_AHEAD, ParsedSelector, parse_entry_id};
use serde_json::{Map, Value, json};

use crate::App;
use crate::keys::Denied;
use crate::store::{EntryListing, EntryRef, NewRevision, OrderedListing, Revision, Storage};

/// How long deleted entries and data stores are kept.
pub const RETENTION: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

/// An error answer: status, code and message, in the v2 body shape.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// `code` field (`INVALID_ARGUMENT`...); `None` for the gateway's 401 shape.
    pub code: Option<&'static str>,
    /// Message.
    pub message: String,
    /// Seconds for `Retry-After`.
    pub retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: Some(code),
            message: message.into(),
            retry_after: None,
        }
    }
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", message)
    }
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }
    fn aborted(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "ABORTED", message)
    }
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", message)
    }
    /// The error the emulator answers for an injected status.
    pub fn for_status(status: StatusCode) -> Self {
        let code = match status.as_u16() {
            400 => "INVALID_ARGUMENT",
            403 => "PERMISSION_DENIED",
            404 => "NOT_FOUND",
            409 => "ABORTED",
            429 => "RESOURCE_EXHAUSTED",
            499 => "CANCELLED",
            501 => "NOT_IMPLEMENTED",
            503 => "UNAVAILABLE",
            _ => "INTERNAL",
        };
        Self::new(
            status,
            code,
            format!(
                "Injected fault: {}",
                status.canonical_reason().unwrap_or("error")
            ),
        )
    }
    /// The JSON body: `{"code", "message"}`, or the gateway's `{"errors": [...]}` for 401.
    pub fn body(&self) -> Value {
        match self.code {
            Some(code) => json!({ "code": code, "message": self.message }),
            None => json!({ "errors": [{ "code": 0, "message": self.message }] }),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::internal(e.to_string())
    }
}

/// A successful answer: a JSON body, or an empty one.
#[derive(Debug)]
pub enum Reply {
    /// 200 with this JSON.
    Json(Value),
    /// 200 with no body.
    Empty,
}

type ApiResult = Result<Reply, ApiError>;

/// What the handler learnt about a request, for the log.
#[derive(Debug, Default)]
pub struct Handled {
    /// The route, when one matched.
    pub route: Option<RouteId>,
}

struct Ctx<'a> {
    route: RouteId,
    params: Vec<String>,
    query: BTreeMap<String, String>,
    body: &'a [u8],
    now: Timestamp,
}

impl Ctx<'_> {
    fn param(&self, name: &str) -> &str {
        let idx = self
            .route
            .route()
            .path_params
            .iter()
            .position(|p| *p == name)
            .expect("route has the parameter");
        &self.params[idx]
    }
    fn has_param(&self, name: &str) -> bool {
        self.route.route().path_params.contains(&name)
    }
    fn universe(&self) -> &str {
        self.param("universe_id")
    }
    fn json(&self) -> Result<Map<String, Value>, ApiError> {
        match serde_json::from_slice::<Value>(self.body) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err(ApiError::invalid("Request body must be a JSON object.")),
            Err(e) => Err(ApiError::invalid(format!(
                "Request body is not valid JSON: {e}"
            ))),
        }
    }
    fn flag(&self, name: &str) -> Result<bool, ApiError> {
        match self.query.get(name).map(String::as_str) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(v) => Err(ApiError::invalid(format!(
                "Invalid value {v:?} for {name}: expected true or false."
            ))),
        }
    }
    fn page_size(&self, max: usize) -> Result<usize, ApiError> {
        match self.query.get("maxPageSize") {
            None => Ok(10),
            Some(v) => match v.parse::<i64>() {
                Ok(n) if n < 0 => Err(ApiError::invalid("maxPageSize must not be negative.")),
                Ok(0) => Ok(10),
                Ok(n) => Ok((n as usize).min(max)),
                Err(_) => Err(ApiError::invalid(format!("Invalid maxPageSize {v:?}."))),
            },
        }
    }
    /// The fingerprint of every query parameter but the token, which a token is bound to.
    fn query_fingerprint(&self, path: &str) -> String {
        use md5::Digest;
        let mut h = md5::Md5::new();
        h.update(path.as_bytes());
        for (k, v) in &self.query {
            if k != "pageToken" {
                h.update(k.as_bytes());
                h.update([0]);
                h.update(v.as_bytes());
                h.update([0]);
            }
        }
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&h.finalize()[..9])
    }
}

fn check_name(field: &str, s: &str, max: usize) -> Result<(), ApiError> {
    let n = s.chars().count();
    if n == 0 || n > max {
        return Err(ApiError::invalid(format!(
            "{field} must be 1 to {max} characters, got {n}."
        )));
    }
    Ok(())
}

fn ts_json(t: Timestamp) -> String {
    let mut s = String::new();
    jiff::fmt::temporal::DateTimePrinter::new()
        .precision(Some(6))
        .print_timestamp(&t, &mut s)
        .expect("printing to a string");
    s
}

fn parse_query(raw: &str) -> Result<BTreeMap<String, String>, ApiError> {
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

/// The data store a route's path names, for key restrictions.
fn data_store_param(route: RouteId, params: &[String]) -> Option<String> {
    let r = route.route();
    r.path_params
        .iter()
        .position(|p| *p == "data_store_id" || *p == "ordered_data_store_id")
        .map(|i| params[i].clone())
}

impl App {
    /// Answers one API request with its JSON body (`None` for an empty one). Runs synchronously
    /// under the storage lock.
    pub(crate) fn api(
        &self,
        method: &Method,
        path: &str,
        raw_query: &str,
        headers: &HeaderMap,
        body: &[u8],
        handled: &mut Handled,
    ) -> Result<Option<String>, ApiError> {
        let m = match match_route(method, path) {
            Ok(m) => m,
            Err(true) => {
                return Err(ApiError::new(
                    StatusCode::NOT_IMPLEMENTED,
                    "NOT_IMPLEMENTED",
                    format!("Method {method} is not implemented for {path}."),
                ));
            }
            Err(false) => return Err(ApiError::not_found(format!("No API at {path}."))),
        };
        let route = m.route.id;
        handled.route = Some(route);
        let mut params = Vec::with_capacity(m.segments.len());
        for (name, seg) in m.route.path_params.iter().zip(&m.segments) {
            let v = decode_component(seg)
                .ok_or_else(|| ApiError::invalid(format!("{name} is not valid UTF-8.")))?;
            params.push(v);
        }
        let query = parse_query(raw_query)?;
        for k in query.keys() {
            if !m.route.query.contains(&k.as_str()) {
                return Err(ApiError::invalid(format!(
                    "Unknown query parameter {k:?}; this operation accepts {:?}.",
                    m.route.query
                )));
            }
        }
        let now = self.clock.now();
        // Authentication and permissions come first, as at the service's gateway.
        let key = headers.get("x-api-key").and_then(|v| v.to_str().ok());
        let universe = &params[0];
        let data_store = data_store_param(route, &params);
        match self
            .keys
            .check(key, m.route.scopes, universe, data_store.as_deref(), now)
        {
            Ok(()) => {}
            Err(Denied::Unauthenticated(msg)) => {
                return Err(ApiError {
                    status: StatusCode::UNAUTHORIZED,
                    code: None,
                    message: msg,
                    retry_after: None,
                });
            }
            Err(Denied::Forbidden(msg)) => {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "PERMISSION_DENIED",
                    msg,
                ));
            }
        }
        if universe.is_empty()
            || universe.len() > 20
            || !universe.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(ApiError::invalid(format!(
                "Invalid universe ID {universe:?}."
            )));
        }
        if m.route.json_body {
            let ct = headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !ct.starts_with("application/json") {
                return Err(ApiError::invalid("Content-Type must be application/json."));
            }
        }
        self.throttle(universe, m.route.throttle, body.len() as u64, now)?;
        let ctx = Ctx {
            route,
            params,
            query,
            body,
            now,
        };
        let mut store = self
            .store
            .lock()
            .map_err(|_| ApiError::internal("storage lock poisoned"))?;
        self.maybe_purge(&mut **store, now)?;
        let reply = dispatch(&mut **store, &ctx, path);
        drop(store);
        // Serialized once: the same text is the response body and what the read budget counts.
        let body = match reply? {
            Reply::Json(v) => Some(v.to_string()),
            Reply::Empty => None,
        };
        if let Some(b) = &body
            && matches!(
                m.route.throttle,
                ThrottleCategory::Read | ThrottleCategory::List
            )
        {
            self.throttle_bytes(&ctx.params[0], m.route.throttle, b.len() as u64, now);
        }
        Ok(body)
    }

    fn throttle(
        &self,
        universe: &str,
        category: ThrottleCategory,
        bytes: u64,
        now: Timestamp,
    ) -> Result<(), ApiError> {
        let mut t = self
            .throttle
            .lock()
            .map_err(|_| ApiError::internal("throttle lock poisoned"))?;
        if !t.enforce {
            return Ok(());
        }
        let u = opencloud_core::UniverseId::new_unvalidated(universe);
        match t.budget.try_acquire(&u, category, bytes, now) {
            Ok(()) => Ok(()),
            Err(wait) => Err(ApiError {
                status: StatusCode::TOO_MANY_REQUESTS,
                code: Some("RESOURCE_EXHAUSTED"),
                message: format!(
                    "The request rate exceeds the allowed maximum for the universe ({} budget).",
                    category.as_str()
                ),
                retry_after: Some(wait.as_secs_f64().ceil().max(1.0) as u64),
            }),
        }
    }

    fn throttle_bytes(
        &self,
        universe: &str,
        category: ThrottleCategory,
        bytes: u64,
        now: Timestamp,
    ) {
        if let Ok(mut t) = self.throttle.lock()
            && t.enforce
        {
            t.budget.add_bytes(
                &opencloud_core::UniverseId::new_unvalidated(universe),
                category,
                bytes,
                now,
            );
        }
    }

    fn maybe_purge(&self, store: &mut dyn Storage, now: Timestamp) -> Result<(), ApiError> {
        let mut next = self
            .next_purge
            .lock()
            .map_err(|_| ApiError::internal("purge lock poisoned"))?;
        if now >= *next {
            let cutoff =
                Timestamp::from_microsecond(now.as_microsecond() - RETENTION.as_micros() as i64)
                    .unwrap_or(Timestamp::UNIX_EPOCH);
            store.purge(cutoff, now)?;
            *next = Timestamp::from_microsecond(now.as_microsecond() + 60_000_000).unwrap_or(now);
        }
        Ok(())
    }
}

fn dispatch(store: &mut dyn Storage, c: &Ctx<'_>, path: &str) -> ApiResult {
    use RouteId::*;
    match c.route {
        ListDataStores => list_data_stores(store, c, path),
        DeleteDataStore => delete_data_store(store, c),
        UndeleteDataStore => undelete_data_store(store, c),
        SnapshotDataStores => snapshot(store, c),
        ListEntries | ListScopedEntries => list_entries(store, c, path),
        CreateEntry | CreateScopedEntry => create_entry(store, c),
        GetEntry | GetScopedEntry => get_entry(store, c),
        UpdateEntry | UpdateScopedEntry => update_entry(store, c),
        DeleteEntry | DeleteScopedEntry => delete_entry(store, c),
        IncrementEntry | IncrementScopedEntry => increment_entry(store, c),
        ListEntryRevisions | ListScopedEntryRevisions => list_revisions(store, c, path),
        ListOrderedEntries => ordered_list(store, c, path),
        CreateOrderedEntry => ordered_create(store, c),
        GetOrderedEntry => ordered_get(store, c),
        UpdateOrderedEntry => ordered_update(store, c),
        DeleteOrderedEntry => ordered_delete(store, c),
        IncrementOrderedEntry => ordered_increment(store, c),
        other => Err(ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "NOT_IMPLEMENTED",
            format!("{other:?} is not implemented."),
        )),
    }
}

// ---------- page tokens ----------

fn make_token(c: &Ctx<'_>, path: &str, cursor: Value) -> String {
    let payload = json!({ "q": c.query_fingerprint(path), "c": cursor });
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload.to_string())
}

fn read_token(c: &Ctx<'_>, path: &str) -> Result<Option<Value>, ApiError> {
    let Some(tok) = c.query.get("pageToken").filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let bad = || ApiError::invalid("Invalid page token.");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(tok)
        .map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if v.get("q").and_then(Value::as_str) != Some(c.query_fingerprint(path).as_str()) {
        return Err(ApiError::invalid(
            "Page token does not match the request: every parameter but pageToken must be the same as in the call that returned it.",
        ));
    }
    Ok(v.get("c").cloned())
}

// ---------- data stores ----------

fn data_store_path(u: &str, ds: &str) -> String {
    format!("universes/{u}/data-stores/{}", encode_component(ds))
}

fn data_store_json(u: &str, row: &crate::store::DataStoreRow) -> Value {
    let mut v = json!({
        "path": data_store_path(u, &row.name),
        "createTime": ts_json(row.create_time),
        "state": if row.expire_time.is_some() { "DELETED" } else { "ACTIVE" },
        "id": row.name,
    });
    if let Some(e) = row.expire_time {
        v["expireTime"] = json!(ts_json(e));
    }
    v
}

fn prefix_filter(c: &Ctx<'_>) -> Result<String, ApiError> {
    match c.query.get("filter") {
        None => Ok(String::new()),
        Some(f) => parse_prefix_filter(f)
            .map(|p| p.unwrap_or_default())
            .map_err(ApiError::invalid),
    }
}

fn list_data_stores(store: &mut dyn Storage, c: &Ctx<'_>, path: &str) -> ApiResult {
    let size = c.page_size(100)?;
    let prefix = prefix_filter(c)?;
    let show_deleted = c.flag("showDeleted")?;
    let after = read_token(c, path)?.and_then(|v| v.as_str().map(String::from));
    let mut rows = store.list_data_stores(
        c.universe(),
        &prefix,
        show_deleted,
        after.as_deref(),
        size + 1,
    )?;
    let more = rows.len() > size;
    rows.truncate(size);
    let mut out = json!({ "dataStores": rows.iter().map(|r| data_store_json(c.universe(), r)).collect::<Vec<_>>() });
    if more && let Some(last) = rows.last() {
        out["nextPageToken"] = json!(make_token(c, path, json!(last.name)));
    }
    Ok(Reply::Json(out))
}

fn existing_store(
    store: &mut dyn Storage,
    c: &Ctx<'_>,
) -> Result<crate::store::DataStoreRow, ApiError> {
    let name = c.param("data_store_id");
    check_name("Data store name", name, MAX_NAME_CHARS)?;
    store
        .data_store(c.universe(), name)?
        .ok_or_else(|| ApiError::not_found(format!("Data store {name} not found.")))
}

fn delete_data_store(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let mut row = existing_store(store, c)?;
    if row.expire_time.is_none() {
        let expire =
            Timestamp::from_microsecond(c.now.as_microsecond() + RETENTION.as_micros() as i64)
                .unwrap_or(c.now);
        store.set_data_store_expiry(c.universe(), &row.name, Some(expire))?;
        row.expire_time = Some(expire);
    }
    Ok(Reply::Json(data_store_json(c.universe(), &row)))
}

fn undelete_data_store(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    c.json()?;
    let mut row = existing_store(store, c)?;
    if row.expire_time.is_none() {
        return Err(ApiError::invalid(format!(
            "Data store {} is not scheduled for deletion.",
            row.name
        )));
    }
    store.set_data_store_expiry(c.universe(), &row.name, None)?;
    row.expire_time = None;
    Ok(Reply::Json(data_store_json(c.universe(), &row)))
}

fn snapshot(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    c.json()?;
    let day = |t: Timestamp| t.as_second().div_euclid(86_400);
    let last = store.last_snapshot(c.universe())?;
    let (taken, time) = match last {
        Some(t) if day(t) == day(c.now) => (false, t),
        _ => {
            store.set_snapshot(c.universe(), c.now)?;
            (true, c.now)
        }
    };
    Ok(Reply::Json(
        json!({ "newSnapshotTaken": taken, "latestSnapshotTime": ts_json(time) }),
    ))
}

// ---------- standard entries ----------

fn entry_path(u: &str, ds: &str, scope: &str, key: &str) -> String {
    if scope == "global" {
        format!(
            "{}/entries/{}",
            data_store_path(u, ds),
            encode_component(key)
        )
    } else {
        format!(
            "{}/scopes/{}/entries/{}",
            data_store_path(u, ds),
            encode_component(scope),
            encode_component(key)
        )
    }
}

fn entry_json(e: &EntryRef, rev: &Revision) -> Value {
    let mut v = json!({
        "path": entry_path(&e.universe, &e.data_store, &e.scope, &e.key),
        "createTime": ts_json(rev.create_time),
        "revisionId": rev.revision_id,
        "revisionCreateTime": ts_json(rev.revision_time),
        "state": if rev.deleted { "DELETED" } else { "ACTIVE" },
        "etag": rev.etag,
        "value": rev.value,
        "id": e.key,
        "users": rev.users,
        "attributes": rev.attributes.clone().unwrap_or_default(),
    });
    if rev.deleted {
        v.as_object_mut().expect("object").remove("value");
    }
    v
}

/// The scope a path addresses: the `scope_id` segment, or `global` for the unscoped form.
fn scope_of(c: &Ctx<'_>) -> Result<String, ApiError> {
    if !c.has_param("scope_id") {
        return Ok("global".into());
    }
    let s = c.param("scope_id");
    check_name("Scope", s, MAX_NAME_CHARS)?;
    Ok(s.to_string())
}

/// The data store for an entry operation: it must not be deleted; writes may create it.
fn live_store(store: &mut dyn Storage, c: &Ctx<'_>, must_exist: bool) -> Result<(), ApiError> {
    let name = c.param("data_store_id");
    check_name("Data store name", name, MAX_NAME_CHARS)?;
    match store.data_store(c.universe(), name)? {
        Some(row) if row.expire_time.is_some() => Err(ApiError::not_found(format!(
            "The data store {name} is deleted."
        ))),
        None if must_exist => Err(ApiError::not_found(format!("Data store {name} not found."))),
        _ => Ok(()),
    }
}

fn entry_ref(c: &Ctx<'_>, key: &str) -> Result<EntryRef, ApiError> {
    check_name("Entry key", key, MAX_NAME_CHARS)?;
    Ok(EntryRef {
        universe: c.universe().into(),
        data_store: c.param("data_store_id").into(),
        scope: scope_of(c)?,
        key: key.into(),
    })
}

/// Reads the `{entry_id}` segment of an operation that parses a selector and accepts only the
/// latest revision.
fn latest_only_key(c: &Ctx<'_>, what: &str) -> Result<String, ApiError> {
    let (key, sel) = parse_entry_id(c.param("entry_id"));
    match sel {
        ParsedSelector::Latest => Ok(key.to_string()),
        _ => Err(ApiError::invalid(format!(
            "{what} of a specific revision is unsupported."
        ))),
    }
}

struct WriteBody {
    value: Value,
    users: Vec<String>,
    attributes: Option<Map<String, Value>>,
    etag: Option<String>,
}

impl From<WriteBody> for NewRevision {
    fn from(b: WriteBody) -> Self {
        NewRevision {
            deleted: false,
            value: b.value,
            users: b.users,
            attributes: b.attributes,
        }
    }
}

fn check_users(body: &Map<String, Value>) -> Result<Vec<String>, ApiError> {
    let users = match body.get("users") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err(ApiError::invalid(
                "users must be an array of user resource paths.",
            ));
        }
    };
    if users.len() > MAX_USERS {
        return Err(ApiError::invalid(format!(
            "No more than {MAX_USERS} user IDs may be tagged on an entry, got {}.",
            users.len()
        )));
    }
    users
        .iter()
        .map(
            |u| match u.as_str().and_then(|s| s.strip_prefix("users/")) {
                Some(d) if !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()) => {
                    Ok(format!("users/{d}"))
                }
                _ => Err(ApiError::invalid(format!(
                    "Invalid user {u}: expected \"users/<id>\", not a bare user ID."
                ))),
            },
        )
        .collect()
}

fn check_attributes(body: &Map<String, Value>) -> Result<Option<Map<String, Value>>, ApiError> {
    let attrs = match body.get("attributes") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(m)) => m,
        Some(_) => return Err(ApiError::invalid("attributes must be a JSON object.")),
    };
    for (k, v) in attrs {
        if k.is_empty() || k.chars().count() > MAX_ATTRIBUTE_KEY_CHARS {
            return Err(ApiError::invalid(format!(
                "Attribute name {k:?} must be 1 to {MAX_ATTRIBUTE_KEY_CHARS} characters."
            )));
        }
        if v.to_string().chars().count() > MAX_ATTRIBUTE_VALUE_CHARS {
            return Err(ApiError::invalid(format!(
                "Attribute {k:?} exceeds {MAX_ATTRIBUTE_VALUE_CHARS} characters."
            )));
        }
    }
    if Value::Object(attrs.clone()).to_string().chars().count() > MAX_ATTRIBUTES_CHARS {
        return Err(ApiError::invalid(format!(
            "Attributes exceed {MAX_ATTRIBUTES_CHARS} characters."
        )));
    }
    Ok(Some(attrs.clone()))
}

fn write_body(c: &Ctx<'_>) -> Result<WriteBody, ApiError> {
    let body = c.json()?;
    let value = body
        .get("value")
        .cloned()
        .ok_or_else(|| ApiError::invalid("value must be provided."))?;
    let s = value.to_string();
    if s.len() > MAX_VALUE_CHARS && s.chars().count() > MAX_VALUE_CHARS {
        return Err(ApiError::invalid(format!(
            "value exceeds {MAX_VALUE_CHARS} characters."
        )));
    }
    let etag = match body.get("etag") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(ApiError::invalid("etag must be a string.")),
    };
    Ok(WriteBody {
        value,
        users: check_users(&body)?,
        attributes: check_attributes(&body)?,
        etag,
    })
}

fn list_entries(store: &mut dyn Storage, c: &Ctx<'_>, path: &str) -> ApiResult {
    let size = c.page_size(256)?;
    let prefix = prefix_filter(c)?;
    let show_deleted = c.flag("showDeleted")?;
    let all = c.has_param("scope_id") && c.param("scope_id") == "-";
    let scope = if all { None } else { Some(scope_of(c)?) };
    live_store(store, c, false)?;
    let after: Option<(String, String)> =
        read_token(c, path)?.and_then(|v| serde_json::from_value(v).ok());
    let ds = c.param("data_store_id");
    let mut rows = store.list_entries(&EntryListing {
        universe: c.universe(),
        data_store: ds,
        scope: scope.as_deref(),
        prefix: &prefix,
        show_deleted,
        after: after.as_ref(),
        limit: size + 1,
    })?;
    let more = rows.len() > size;
    rows.truncate(size);
    let entries: Vec<Value> = rows
        .iter()
        .map(|((s, k), _)| json!({ "path": entry_path(c.universe(), ds, s, k), "id": k }))
        .collect();
    let mut out = json!({ "dataStoreEntries": entries });
    if more && let Some((cursor, _)) = rows.last() {
        out["nextPageToken"] = json!(make_token(c, path, json!(cursor)));
    }
    Ok(Reply::Json(out))
}

fn create_entry(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let key = c
        .query
        .get("id")
        .ok_or_else(|| ApiError::invalid("id must be provided."))?;
    let e = entry_ref(c, key)?;
    let body = write_body(c)?;
    live_store(store, c, false)?;
    if store.latest(&e)?.is_some_and(|r| !r.deleted) {
        return Err(ApiError::invalid(format!("Entry {key} already exists.")));
    }
    let rev = store.write(&e, body.into(), c.now)?;
    Ok(Reply::Json(entry_json(&e, &rev)))
}

fn get_entry(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let (key, sel) = parse_entry_id(c.param("entry_id"));
    let e = entry_ref(c, key)?;
    live_store(store, c, true)?;
    let rev = match sel {
        ParsedSelector::Latest => store.latest(&e)?,
        ParsedSelector::Revision(r) => store.revision(&e, &r)?,
        ParsedSelector::AsOf(t) => {
            if t <= Timestamp::UNIX_EPOCH {
                return Err(ApiError::invalid("Timestamp must be after the Unix epoch."));
            }
            if t.as_microsecond() > c.now.as_microsecond() + MAX_AS_OF_AHEAD.as_micros() as i64 {
                return Err(ApiError::invalid(
                    "Timestamp must be positive and not more than ten minutes in the future.",
                ));
            }
            store.revision_as_of(&e, t)?
        }
        ParsedSelector::BadTime(t) => {
            return Err(ApiError::invalid(format!(
                "Invalid timestamp {t:?}: expected RFC 3339."
            )));
        }
    };
    match rev {
        Some(r) if !r.deleted => Ok(Reply::Json(entry_json(&e, &r))),
        _ => Err(ApiError::not_found(format!("Entry {key} not found."))),
    }
}

fn update_entry(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let allow_missing = c.flag("allowMissing")?;
    // With allowMissing the whole id is the key; without it a selector is read (and only
    // `@latest` is accepted).
    let key = if allow_missing {
        c.param("entry_id").to_string()
    } else {
        latest_only_key(c, "Updating")?
    };
    let e = entry_ref(c, &key)?;
    let body = write_body(c)?;
    live_store(store, c, false)?;
    let current = store.latest(&e)?.filter(|r| !r.deleted);
    if let Some(etag) = &body.etag
        && current.as_ref().is_none_or(|r| &r.etag != etag)
    {
        return Err(ApiError::aborted(format!(
            "The etag does not match the current revision of {key}."
        )));
    }
    if current.is_none() && !allow_missing {
        return Err(ApiError::not_found(format!("Entry {key} not found.")));
    }
    let rev = store.write(&e, body.into(), c.now)?;
    Ok(Reply::Json(entry_json(&e, &rev)))
}

fn delete_entry(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let key = latest_only_key(c, "Deleting")?;
    let e = entry_ref(c, &key)?;
    live_store(store, c, true)?;
    match store.latest(&e)? {
        Some(r) if !r.deleted => {
            store.write(
                &e,
                NewRevision {
                    deleted: true,
                    value: Value::Null,
                    users: Vec::new(),
                    attributes: None,
                },
                c.now,
            )?;
            Ok(Reply::Empty)
        }
        _ => Err(ApiError::not_found(format!("Entry {key} not found."))),
    }
}

fn integer_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() <= MAX_SAFE_INTEGER as f64)
                .map(|f| f as i64)
        }),
        _ => None,
    }
}

fn increment_entry(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    // The increment never reads a selector: the whole id is the key.
    let key = c.param("entry_id").to_string();
    let e = entry_ref(c, &key)?;
    let body = c.json()?;
    let amount = body
        .get("amount")
        .ok_or_else(|| ApiError::invalid("amount must be provided."))?;
    let amount = integer_of(amount).ok_or_else(|| {
        ApiError::invalid(format!("The increment amount {amount} is not an integer."))
    })?;
    let users = check_users(&body)?;
    let attributes = check_attributes(&body)?;
    live_store(store, c, false)?;
    let base = match store.latest(&e)? {
        Some(r) if !r.deleted => integer_of(&r.value).ok_or_else(|| {
            ApiError::invalid(format!("The existing value of {key} is not an integer."))
        })?,
        _ => 0,
    };
    let next = base
        .checked_add(amount)
        .ok_or_else(|| ApiError::invalid("The incremented value is out of range."))?;
    let rev = store.write(
        &e,
        NewRevision {
            deleted: false,
            value: json!(next),
            users,
            attributes,
        },
        c.now,
    )?;
    Ok(Reply::Json(entry_json(&e, &rev)))
}

fn list_revisions(store: &mut dyn Storage, c: &Ctx<'_>, path: &str) -> ApiResult {
    let key = latest_only_key(c, "Listing revisions")?;
    let e = entry_ref(c, &key)?;
    let size = c.page_size(100)?;
    let range = match c.query.get("filter") {
        None => RevisionTimeRange::default(),
        Some(f) => RevisionTimeRange::parse(f).map_err(ApiError::invalid)?,
    };
    live_store(store, c, true)?;
    if store.latest(&e)?.is_none() {
        return Err(ApiError::not_found(format!("Entry {key} not found.")));
    }
    let after = read_token(c, path)?.and_then(|v| v.as_i64());
    let mut revs = store.list_revisions(&e, range.start, range.end, after, size + 1)?;
    let more = revs.len() > size;
    revs.truncate(size);
    let entries: Vec<Value> = revs
        .iter()
        .map(|r| {
            json!({
                "path": format!("{}@{}", entry_path(&e.universe, &e.data_store, &e.scope, &e.key), r.revision_id),
                "createTime": ts_json(r.create_time),
                "revisionId": r.revision_id,
                "revisionCreateTime": ts_json(r.revision_time),
                "state": if r.deleted { "DELETED" } else { "ACTIVE" },
                "etag": r.etag,
                "id": format!("{}@{}", e.key, r.revision_id),
            })
        })
        .collect();
    let mut out = json!({ "dataStoreEntries": entries });
    if more && let Some(last) = revs.last() {
        out["nextPageToken"] = json!(make_token(c, path, json!(last.seq)));
    }
    Ok(Reply::Json(out))
}

// ---------- ordered entries ----------

fn ordered_ref(c: &Ctx<'_>, id: &str) -> Result<EntryRef, ApiError> {
    check_name("Entry id", id, MAX_ORDERED_ID_CHARS)?;
    let ds = c.param("ordered_data_store_id");
    check_name("Data store name", ds, MAX_NAME_CHARS)?;
    let scope = c.param("scope_id");
    check_name("Scope", scope, MAX_NAME_CHARS)?;
    Ok(EntryRef {
        universe: c.universe().into(),
        data_store: ds.into(),
        scope: scope.into(),
        key: id.into(),
    })
}

fn ordered_json(e: &EntryRef, value: i64) -> Value {
    json!({
        "path": format!(
            "universes/{}/ordered-data-stores/{}/scopes/{}/entries/{}",
            e.universe,
            encode_component(&e.data_store),
            encode_component(&e.scope),
            encode_component(&e.key)
        ),
        "value": value,
        "id": e.key,
    })
}

fn ordered_number(body: &Map<String, Value>, field: &str) -> Result<i64, ApiError> {
    let v = body
        .get(field)
        .ok_or_else(|| ApiError::invalid(format!("{field} must be provided.")))?;
    let n = integer_of(v)
        .ok_or_else(|| ApiError::invalid(format!("{field} {v} is not an integer.")))?;
    if n.unsigned_abs() > MAX_SAFE_INTEGER as u64 {
        return Err(ApiError::invalid(format!("{field} {n} is out of range.")));
    }
    Ok(n)
}

fn ordered_list(store: &mut dyn Storage, c: &Ctx<'_>, path: &str) -> ApiResult {
    let size = c.page_size(100)?;
    let descending = match c.query.get("orderBy").map(|s| s.trim()) {
        None | Some("") | Some("value") | Some("value asc") => false,
        Some("value desc") => true,
        Some(o) => {
            return Err(ApiError::invalid(format!(
                "Invalid orderBy {o:?}: only \"value\" or \"value desc\" is supported."
            )));
        }
    };
    let range = match c.query.get("filter") {
        None => OrderedRange::default(),
        Some(f) => OrderedRange::parse(f).map_err(ApiError::invalid)?,
    };
    let e = ordered_ref(c, "-")?;
    let after: Option<(i64, String)> =
        read_token(c, path)?.and_then(|v| serde_json::from_value(v).ok());
    let mut rows = store.ordered_list(&OrderedListing {
        universe: &e.universe,
        data_store: &e.data_store,
        scope: &e.scope,
        descending,
        min: range.min,
        max: range.max,
        after: after.as_ref(),
        limit: size + 1,
    })?;
    let more = rows.len() > size;
    rows.truncate(size);
    let entries: Vec<Value> = rows
        .iter()
        .map(|(id, v)| {
            ordered_json(
                &EntryRef {
                    key: id.clone(),
                    ..e.clone()
                },
                *v,
            )
        })
        .collect();
    let mut out = json!({ "orderedDataStoreEntries": entries });
    if more && let Some((id, v)) = rows.last() {
        out["nextPageToken"] = json!(make_token(c, path, json!([v, id])));
    }
    Ok(Reply::Json(out))
}

fn ordered_create(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let id = c
        .query
        .get("id")
        .ok_or_else(|| ApiError::invalid("id must be provided."))?;
    let e = ordered_ref(c, id)?;
    let value = ordered_number(&c.json()?, "value")?;
    if store.ordered_get(&e)?.is_some() {
        return Err(ApiError::invalid(format!("Entry {id} already exists.")));
    }
    store.ordered_put(&e, value)?;
    Ok(Reply::Json(ordered_json(&e, value)))
}

fn ordered_get(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let e = ordered_ref(c, c.param("entry_id"))?;
    let v = store
        .ordered_get(&e)?
        .ok_or_else(|| ApiError::not_found(format!("Entry {} not found.", e.key)))?;
    Ok(Reply::Json(ordered_json(&e, v)))
}

fn ordered_update(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let e = ordered_ref(c, c.param("entry_id"))?;
    let allow_missing = c.flag("allowMissing")?;
    let value = ordered_number(&c.json()?, "value")?;
    if store.ordered_get(&e)?.is_none() && !allow_missing {
        return Err(ApiError::not_found(format!("Entry {} not found.", e.key)));
    }
    store.ordered_put(&e, value)?;
    Ok(Reply::Json(ordered_json(&e, value)))
}

fn ordered_delete(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let e = ordered_ref(c, c.param("entry_id"))?;
    if store.ordered_delete(&e)? {
        Ok(Reply::Empty)
    } else {
        Err(ApiError::not_found(format!("Entry {} not found.", e.key)))
    }
}

fn ordered_increment(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let e = ordered_ref(c, c.param("entry_id"))?;
    let amount = ordered_number(&c.json()?, "amount")?;
    let base = store.ordered_get(&e)?.unwrap_or(0);
    // The service clamps the returned value to the valid range; so does the emulator.
    let next = base
        .saturating_add(amount)
        .clamp(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER);
    store.ordered_put(&e, next)?;
    Ok(Reply::Json(ordered_json(&e, next)))
}
