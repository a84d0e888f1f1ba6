//! v2 standard entries: list, create, get, update, delete, increment, list revisions.

use jiff::Timestamp;
use opencloud_core::RevisionTimeRange;
use opencloud_core::limits::MAX_AS_OF_AHEAD;
use opencloud_core::limits::{MAX_SAFE_INTEGER, check_users, check_value};
use opencloud_core::wire::{ParsedSelector, parse_entry_id};
use opencloud_core::{Attributes, UserId};
use opencloud_core::{DataStoreName, ResourceName, Scope};
use serde_json::{Map, Value, json};

use super::v2_data_stores::prefix_filter;
use super::{ApiError, ApiResult, Ctx, Reply, identity, page, ts_json};
use crate::store::{EntryListing, EntryRef, NewRevision, Revision, RevisionListing, Storage};

/// The canonical resource name of an entry (`global` left out of the path).
fn name_of(e: &EntryRef) -> ResourceName {
    ResourceName::entry(
        e.universe.as_str(),
        e.data_store.as_str(),
        &e.scope,
        e.key.as_str(),
    )
}

fn entry_json(e: &EntryRef, rev: &Revision) -> Value {
    let mut v = json!({
        "path": name_of(e).to_string(),
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
    if rev.deleted
        && let Some(o) = v.as_object_mut()
    {
        o.remove("value");
    }
    v
}

/// The data store for an entry operation: it must not be deleted; writes may create it.
fn live_store(store: &mut dyn Storage, c: &Ctx<'_>, must_exist: bool) -> Result<(), ApiError> {
    let name = identity::data_store(c);
    DataStoreName::new(name)?;
    match store.data_store(c.universe(), name)? {
        Some(row) if row.expire_time.is_some() => Err(ApiError::not_found(format!(
            "The data store {name} is deleted."
        ))),
        None if must_exist => Err(ApiError::not_found(format!("Data store {name} not found."))),
        _ => Ok(()),
    }
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
            raw: None,
            users: b.users,
            attributes: b.attributes,
        }
    }
}

/// `users`: `users/<id>` strings (a bare id is refused), at most the core's limit.
fn users_of(body: &Map<String, Value>) -> Result<Vec<String>, ApiError> {
    let users = match body.get("users") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err(ApiError::invalid(
                "users must be an array of user resource paths.",
            ));
        }
    };
    let parsed: Vec<UserId> = users
        .iter()
        .map(|u| match u.as_str() {
            Some(s) if s.starts_with("users/") => s.parse::<UserId>().map_err(ApiError::from),
            _ => Err(ApiError::invalid(format!(
                "Invalid user {u}: expected \"users/<id>\", not a bare user ID."
            ))),
        })
        .collect::<Result<_, _>>()?;
    check_users(&parsed)?;
    Ok(parsed.iter().map(ToString::to_string).collect())
}

/// `attributes`: a JSON object within the core's limits.
fn attributes_of(body: &Map<String, Value>) -> Result<Option<Map<String, Value>>, ApiError> {
    match body.get("attributes") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => Ok(Some(Attributes::from_value(v.clone())?.into_map())),
    }
}

fn write_body(c: &Ctx<'_>) -> Result<WriteBody, ApiError> {
    let body = c.json()?;
    let value = body
        .get("value")
        .cloned()
        .ok_or_else(|| ApiError::invalid("value must be provided."))?;
    check_value(&value)?;
    let etag = match body.get("etag") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(ApiError::invalid("etag must be a string.")),
    };
    Ok(WriteBody {
        value,
        users: users_of(&body)?,
        attributes: attributes_of(&body)?,
        etag,
    })
}

/// `GET .../entries`, scoped, unscoped (the `global` scope) or every scope (`-`).
pub fn list(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let size = c.page_size(256)?;
    let prefix = prefix_filter(c)?;
    let show_deleted = c.flag("showDeleted")?;
    let all = c.has_param("scope_id") && c.param("scope_id") == "-";
    let scope = if all {
        None
    } else {
        let s = identity::scope(c);
        Scope::new(s)?;
        Some(s)
    };
    live_store(store, c, false)?;
    let after: Option<(String, String)> = c.token_cursor()?;
    let ds = identity::data_store(c);
    // Listed through a scope's URL, named or the `-` wildcard, paths name the scope, `global`
    // included (`.../scopes/global/entries/k`): clients read an entry's scope from its path.
    // The unscoped listing uses the canonical form.
    let explicit_scope = c.has_param("scope_id");
    let rows = store.list_entries(&EntryListing {
        universe: c.universe(),
        data_store: ds,
        scope,
        prefix: &prefix,
        show_deleted,
        after: after.as_ref(),
        limit: size + 1,
    })?;
    let (rows, more) = page(rows, size);
    let entries: Vec<Value> = rows
        .iter()
        .map(|((s, k), _)| {
            let name = if explicit_scope {
                ResourceName::scoped_entry(c.universe(), ds, s.as_str(), k.as_str())
            } else {
                ResourceName::entry(c.universe(), ds, s, k.as_str())
            };
            json!({ "path": name.to_string(), "id": k })
        })
        .collect();
    let mut out = json!({ "dataStoreEntries": entries });
    if more && let Some((cursor, _)) = rows.last() {
        out["nextPageToken"] = json!(c.make_token(json!(cursor)));
    }
    Ok(Reply::json(&out))
}

/// `POST .../entries?id=`: create-only.
pub fn create(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let key = c
        .query
        .get("id")
        .ok_or_else(|| ApiError::invalid("id must be provided."))?;
    let e = identity::entry(c, key)?;
    let body = write_body(c)?;
    live_store(store, c, false)?;
    if store.latest(&e)?.is_some_and(|r| !r.deleted) {
        return Err(ApiError::invalid("Entry already exists."));
    }
    let rev = store.write(&e, body.into(), c.now)?;
    Ok(Reply::json(&entry_json(&e, &rev)))
}

/// `GET .../entries/{id}[@revision|@latest[:time]]`.
pub fn get(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let (key, sel) = parse_entry_id(c.param("entry_id"));
    let e = identity::entry(c, key)?;
    live_store(store, c, true)?;
    let rev = match sel {
        ParsedSelector::Latest => store.latest(&e)?,
        ParsedSelector::Revision(r) => {
            if !is_revision_id(&r) {
                return Err(ApiError::invalid("Invalid version id.").v1_detail("InvalidVersionId"));
            }
            store.revision(&e, &r)?
        }
        ParsedSelector::AsOf(t) => {
            if t <= Timestamp::UNIX_EPOCH {
                return Err(ApiError::invalid("Timestamp must be after the Unix epoch."));
            }
            let ahead = i64::try_from(MAX_AS_OF_AHEAD.as_micros()).unwrap_or(i64::MAX);
            if t.as_microsecond() > c.now.as_microsecond().saturating_add(ahead) {
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
        Some(r) if !r.deleted => Ok(Reply::json(&entry_json(&e, &r))),
        _ => Err(ApiError::not_found(format!("Entry {key} not found."))),
    }
}

/// `PATCH .../entries/{id}[?allowMissing=true]`.
pub fn update(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let allow_missing = c.flag("allowMissing")?;
    // With allowMissing the whole id is the key; without it a selector is read (and only
    // `@latest` is accepted).
    let key = if allow_missing {
        c.param("entry_id").to_string()
    } else {
        latest_only_key(c, "Updating")?
    };
    let e = identity::entry(c, &key)?;
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
    Ok(Reply::json(&entry_json(&e, &rev)))
}

/// `DELETE .../entries/{id}`: a tombstone revision.
pub fn delete(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let key = latest_only_key(c, "Deleting")?;
    let e = identity::entry(c, &key)?;
    live_store(store, c, true)?;
    match store.latest(&e)? {
        Some(r) if !r.deleted => {
            store.write(&e, NewRevision::tombstone(), c.now)?;
            Ok(Reply::json(&json!({})))
        }
        _ => Err(ApiError::not_found(format!("Entry {key} not found."))),
    }
}

/// Whether `s` has the shape of the revision ids the emulator makes (and the service
/// documents): `{16 hex}.{10 digits}.{16 hex}.{2 digits}`.
pub(crate) fn is_revision_id(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    let hex16 = |p: &str| p.len() == 16 && p.bytes().all(|b| b.is_ascii_hexdigit());
    let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    matches!(parts.as_slice(), [a, b, c, d] if hex16(a) && digits(b, 10) && hex16(c) && digits(d, 2))
}

/// An integer JSON number (an integral double within ±2^53 counts).
pub(crate) fn integer_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() <= MAX_SAFE_INTEGER as f64)
                .map(|f| f as i64)
        }),
        _ => None,
    }
}

/// `POST .../entries/{id}:increment`.
pub fn increment(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    // The increment never reads a selector: the whole id is the key.
    let key = c.param("entry_id").to_string();
    let e = identity::entry(c, &key)?;
    let body = c.json()?;
    let amount = body
        .get("amount")
        .ok_or_else(|| ApiError::invalid("amount must be provided."))?;
    let amount = integer_of(amount).ok_or_else(|| {
        ApiError::invalid(format!("The increment amount {amount} is not an integer."))
    })?;
    let users = users_of(&body)?;
    let attributes = attributes_of(&body)?;
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
    let rev = store.write(&e, NewRevision::live(json!(next), users, attributes), c.now)?;
    Ok(Reply::json(&entry_json(&e, &rev)))
}

/// `GET .../entries/{id}:listRevisions`, oldest first.
pub fn list_revisions(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let key = latest_only_key(c, "Listing revisions")?;
    let e = identity::entry(c, &key)?;
    let size = c.page_size(100)?;
    let range = match c.query.get("filter") {
        None => RevisionTimeRange::default(),
        Some(f) => RevisionTimeRange::parse(f).map_err(ApiError::invalid)?,
    };
    live_store(store, c, true)?;
    if store.latest(&e)?.is_none() {
        return Err(ApiError::not_found(format!("Entry {key} not found.")));
    }
    let after_seq: Option<i64> = c.token_cursor()?;
    let revs = store.list_revisions(&RevisionListing {
        entry: &e,
        start: range.start,
        end: range.end,
        after_seq,
        descending: false,
        limit: size + 1,
    })?;
    let (revs, more) = page(revs, size);
    let entries: Vec<Value> = revs
        .iter()
        .map(|r| {
            json!({
                "path": name_of(&e).at_revision(r.revision_id.as_str()).to_string(),
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
        out["nextPageToken"] = json!(c.make_token(json!(last.seq)));
    }
    Ok(Reply::json(&out))
}
