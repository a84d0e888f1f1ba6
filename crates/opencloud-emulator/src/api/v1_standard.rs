//! Legacy v1 standard data stores (`/datastores/v1`): list data stores, list keys, get, set,
//! delete, increment, list versions, get a version.
//!
//! They run over the same storage as v2, as the service does: an entry set here is read through
//! v2 with the same value, users, attributes and revision, and a v1 version **is** a v2
//! revision. What differs is only the shape:
//!
//! * the data store, scope and key come from the query (`datastoreName`, `scope`, `entryKey`),
//!   limited to 50 **bytes** each, on top of the core's v2 rules;
//! * the value is the raw body and its metadata travels in the `roblox-entry-*` headers;
//!   `content-md5`, when sent, is checked against the body bytes (400 `ChecksumMismatch`), and
//!   every value answer carries one;
//! * errors have the v1 body with a `datastoreErrorCode` (see [`ErrorFamily::V1Standard`]).
//!
//! The choices where the documents are silent or contradict each other are in
//! `docs/emulator.md` ("Legacy v1").
//!
//! [`ErrorFamily::V1Standard`]: super::ErrorFamily::V1Standard

use axum::http::{HeaderName, HeaderValue, StatusCode};
use jiff::Timestamp;
use jiff::fmt::temporal::DateTimePrinter;
use opencloud_core::limits::{MAX_V1_ATTRIBUTES_BYTES, MAX_V1_NAME_BYTES, MAX_V1_VALUE_BYTES};
use opencloud_core::limits::{check_users, check_value};
use opencloud_core::wire::{
    CONTENT_MD5, ENTRY_ATTRIBUTES, ENTRY_CREATED_TIME, ENTRY_USERIDS, ENTRY_VERSION,
    ENTRY_VERSION_CREATED_TIME, check_content_md5, content_md5, parse_attributes, parse_userids,
    render_attributes, render_userids,
};
use opencloud_core::{Attributes, DataStoreName, EntryKey, InvalidInput, Scope, UserId};
use serde_json::{Map, Value, json};

use super::v2_entries::{integer_of, is_revision_id};
use super::{ApiError, ApiResult, Body, Ctx, Reply, page};
use crate::store::{
    DataStoreListing, EntryListing, EntryRef, NewRevision, Revision, RevisionListing, Storage,
};

/// Page size caps. v1 documents none ("each call only reads one partition, so it can return
/// fewer than the given value"); the emulator answers at most these, v2's caps.
const MAX_DATA_STORES_PAGE: usize = 100;
const MAX_KEYS_PAGE: usize = 256;
const MAX_VERSIONS_PAGE: usize = 100;

/// A time as v1 JSON bodies print it: seven fractional digits and `Z`
/// (`2022-02-18T22:38:59.9244932Z`).
pub(crate) fn v1_time_json(t: Timestamp) -> String {
    let mut s = String::new();
    if DateTimePrinter::new()
        .precision(Some(7))
        .print_timestamp(&t, &mut s)
        .is_err()
    {
        s = t.to_string();
    }
    s
}

/// A time as the v1 `roblox-entry-*` headers print it: seven fractional digits and `+00:00`
/// (`2022-02-02T23:30:06.5388799+00:00`).
pub(crate) fn v1_time_header(t: Timestamp) -> String {
    let mut s = String::new();
    if DateTimePrinter::new()
        .precision(Some(7))
        .print_timestamp_with_offset(&t, jiff::tz::Offset::UTC, &mut s)
        .is_err()
    {
        s = t.to_string();
    }
    s
}

/// A v1 query name: present, not empty, at most 50 bytes, and valid by the core's rule for it.
fn v1_name<T>(
    c: &Ctx<'_>,
    param: &'static str,
    detail: &'static str,
    check: impl FnOnce(&str) -> Result<T, InvalidInput>,
) -> Result<String, ApiError> {
    let v = c.query.get(param).map_or("", String::as_str);
    if v.is_empty() {
        return Err(
            ApiError::invalid(format!("{param} must be provided and not empty.")).v1_detail(detail),
        );
    }
    if v.len() > MAX_V1_NAME_BYTES {
        return Err(ApiError::invalid(format!(
            "{param} is {} bytes; it must be {MAX_V1_NAME_BYTES} bytes or less.",
            v.len()
        ))
        .v1_detail(detail));
    }
    check(v).map_err(|e| ApiError::invalid(format!("Invalid {param}: {e}")).v1_detail(detail))?;
    Ok(v.to_string())
}

/// The `scope` query parameter: `global` when absent (or empty, outside strict mode).
fn v1_scope(c: &Ctx<'_>) -> Result<String, ApiError> {
    match c.query.get("scope") {
        None => Ok("global".into()),
        Some(s) if s.is_empty() && !c.strict => Ok("global".into()),
        Some(_) => v1_name(c, "scope", "InvalidDataStoreScope", |s| Scope::new(s)),
    }
}

fn v1_data_store(c: &Ctx<'_>) -> Result<String, ApiError> {
    v1_name(c, "datastoreName", "InvalidDataStoreName", |s| {
        DataStoreName::new(s)
    })
}

/// The entry a request names in its query.
fn v1_entry(c: &Ctx<'_>) -> Result<EntryRef, ApiError> {
    let data_store = v1_data_store(c)?;
    let scope = v1_scope(c)?;
    let key = v1_name(c, "entryKey", "InvalidEntryKey", |s| EntryKey::new(s))?;
    Ok(EntryRef {
        universe: c.universe().into(),
        data_store,
        scope,
        key,
    })
}

/// The data store must not be deleted; reads also need it to exist.
fn require_store(
    store: &mut dyn Storage,
    c: &Ctx<'_>,
    name: &str,
    must_exist: bool,
) -> Result<(), ApiError> {
    match store.data_store(c.universe(), name)? {
        Some(row) if row.expire_time.is_some() => Err(ApiError::not_found(format!(
            "The data store {name} is deleted."
        ))
        .v1_detail("DatastoreNotFound")),
        None if must_exist => Err(ApiError::not_found(format!("Data store {name} not found."))
            .v1_detail("DatastoreNotFound")),
        _ => Ok(()),
    }
}

/// The scopes a v1 write needs once the data is known: `objects:update` over an entry,
/// `objects:create` for a new one, and `control:create` too for a new data store.
fn check_write_scopes(
    store: &mut dyn Storage,
    c: &Ctx<'_>,
    e: &EntryRef,
    entry_exists: bool,
) -> Result<(), ApiError> {
    let mut needed = vec![if entry_exists {
        "universe-datastores.objects:update"
    } else {
        "universe-datastores.objects:create"
    }];
    if store.data_store(c.universe(), &e.data_store)?.is_none() {
        needed.push("universe-datastores.control:create");
    }
    match needed.into_iter().find(|s| !c.has_scope(s)) {
        None => Ok(()),
        Some(missing) => Err(ApiError::forbidden(format!(
            "The API key lacks the scope {missing}, which this write of {} needs.",
            e.key
        ))
        .v1_detail("InsufficientScope")),
    }
}

fn entry_not_found(e: &EntryRef) -> ApiError {
    ApiError::not_found(format!("Entry {} not found.", e.key)).v1_detail("EntryNotFound")
}

fn header(name: &'static str, value: &str) -> Option<(HeaderName, HeaderValue)> {
    HeaderValue::from_str(value)
        .ok()
        .map(|v| (HeaderName::from_static(name), v))
}

/// The users of a revision (`users/N` strings) as the header's bare ids.
fn users_of(rev: &Revision) -> Vec<UserId> {
    rev.users.iter().filter_map(|u| u.parse().ok()).collect()
}

/// The `roblox-entry-*` headers of a revision.
fn metadata_headers(rev: &Revision) -> Vec<(HeaderName, HeaderValue)> {
    let attributes = render_attributes(&rev.attributes.clone().unwrap_or_default());
    [
        header(ENTRY_VERSION, &rev.revision_id),
        header(ENTRY_CREATED_TIME, &v1_time_header(rev.create_time)),
        header(
            ENTRY_VERSION_CREATED_TIME,
            &v1_time_header(rev.revision_time),
        ),
        header(ENTRY_ATTRIBUTES, &attributes),
        header(ENTRY_USERIDS, &render_userids(&users_of(rev))),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// A value answer: the value as the body (compact JSON), its `content-md5`, and the metadata
/// headers. A tombstone answers 204 with the metadata and no body.
fn value_reply(rev: &Revision) -> Reply {
    let mut headers = metadata_headers(rev);
    if rev.deleted {
        return Reply {
            status: StatusCode::NO_CONTENT,
            headers,
            body: Body::Empty,
            drop_connection: false,
        };
    }
    let bytes = rev.raw.clone().into_bytes();
    headers.extend(header(CONTENT_MD5, &content_md5(&bytes)));
    Reply {
        status: StatusCode::OK,
        headers,
        body: Body::Bytes {
            content_type: "application/json",
            bytes,
        },
        drop_connection: false,
    }
}

/// An `EntryVersion` object.
fn version_json(rev: &Revision) -> Value {
    let length = if rev.deleted { 0 } else { rev.raw.len() };
    json!({
        "version": rev.revision_id,
        "deleted": rev.deleted,
        "contentLength": length,
        "createdTime": v1_time_json(rev.revision_time),
        "objectCreatedTime": v1_time_json(rev.create_time),
    })
}

/// A header's text, if sent; a header that is not text is a 400 with `detail`.
fn header_text<'c>(
    c: &'c Ctx<'_>,
    name: &'static str,
    detail: &'static str,
) -> Result<Option<&'c str>, ApiError> {
    match c.headers.get(name) {
        None => Ok(None),
        Some(v) => v.to_str().map(|s| Some(s.trim())).map_err(|_| {
            ApiError::invalid(format!("The {name} header is not text.")).v1_detail(detail)
        }),
    }
}

/// `roblox-entry-userids`: a JSON array of numbers (or a comma-separated list), at most the
/// documented number. Not sent: no users (the service clears them).
fn users_header(c: &Ctx<'_>) -> Result<Vec<String>, ApiError> {
    let Some(text) = header_text(c, ENTRY_USERIDS, "InvalidUserIds")? else {
        return Ok(Vec::new());
    };
    let bad = |m: String| ApiError::invalid(m).v1_detail("InvalidUserIds");
    let users = parse_userids(text).map_err(bad)?;
    check_users(&users).map_err(|e| bad(e.to_string()))?;
    Ok(users.iter().map(ToString::to_string).collect())
}

/// `roblox-entry-attributes`: a JSON object of fewer than 300 bytes, within the v2 limits. Not
/// sent: no attributes (the service clears them).
fn attributes_header(c: &Ctx<'_>) -> Result<Option<Map<String, Value>>, ApiError> {
    let Some(text) = header_text(c, ENTRY_ATTRIBUTES, "InvalidAttributes")? else {
        return Ok(None);
    };
    let bad = |m: String| ApiError::invalid(m).v1_detail("InvalidAttributes");
    if text.len() > MAX_V1_ATTRIBUTES_BYTES {
        return Err(bad(format!(
            "roblox-entry-attributes is {} bytes; it must be less than 300.",
            text.len()
        )));
    }
    if text.is_empty() {
        return Ok(None);
    }
    let map = parse_attributes(text).map_err(bad)?;
    let checked = Attributes::from_value(Value::Object(map)).map_err(|e| bad(e.to_string()))?;
    Ok(Some(checked.into_map()))
}

/// `GET .../standard-datastores?prefix=&limit=&cursor=`: data stores not deleted, by name.
pub fn list_data_stores(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let size = c.page_size_of("limit", 1, MAX_DATA_STORES_PAGE)?;
    let prefix = c.query.get("prefix").map_or("", String::as_str);
    let after: Option<String> = c.token_cursor()?;
    let rows = store.list_data_stores(&DataStoreListing {
        universe: c.universe(),
        prefix,
        show_deleted: false,
        after: after.as_deref(),
        limit: size + 1,
    })?;
    let (rows, more) = page(rows, size);
    let stores: Vec<Value> = rows
        .iter()
        .map(|r| json!({ "name": r.name, "createdTime": v1_time_json(r.create_time) }))
        .collect();
    let cursor = match rows.last() {
        Some(last) if more => json!(c.make_token(json!(last.name))),
        _ => Value::Null,
    };
    Ok(Reply::json(
        &json!({ "datastores": stores, "nextPageCursor": cursor }),
    ))
}

/// `GET .../datastore/entries?datastoreName=&scope=|allScopes=true&prefix=&limit=&cursor=`:
/// keys as `{scope, key}`, entries marked deleted included until purged.
pub fn list_entries(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let data_store = v1_data_store(c)?;
    let all = c.flag("allScopes")?;
    let scope_given = c.query.get("scope").is_some_and(|s| !s.is_empty());
    if all && scope_given {
        return Err(ApiError::invalid(
            "scope and allScopes cannot both be given: list one scope, or all of them.",
        )
        .v1_detail("InvalidDataStoreScope"));
    }
    let scope = if all { None } else { Some(v1_scope(c)?) };
    let size = c.page_size_of("limit", 16, MAX_KEYS_PAGE)?;
    let prefix = c.query.get("prefix").map_or("", String::as_str);
    require_store(store, c, &data_store, false)?;
    let after: Option<(String, String)> = c.token_cursor()?;
    let rows = store.list_entries(&EntryListing {
        universe: c.universe(),
        data_store: &data_store,
        scope: scope.as_deref(),
        prefix,
        show_deleted: true,
        after: after.as_ref(),
        limit: size + 1,
    })?;
    let (rows, more) = page(rows, size);
    let keys: Vec<Value> = rows
        .iter()
        .map(|((s, k), _)| json!({ "scope": s, "key": k }))
        .collect();
    let cursor = match rows.last() {
        Some((last, _)) if more => json!(c.make_token(json!(last))),
        _ => Value::Null,
    };
    Ok(Reply::json(
        &json!({ "keys": keys, "nextPageCursor": cursor }),
    ))
}

/// `GET .../datastore/entries/entry`: the value as the body, metadata in headers. An entry
/// marked deleted is a 404, as the operation's prose says (the schema also lists a 204).
pub fn get(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let e = v1_entry(c)?;
    require_store(store, c, &e.data_store, true)?;
    match store.latest(&e)? {
        Some(r) if !r.deleted => Ok(value_reply(&r)),
        _ => Err(entry_not_found(&e)),
    }
}

/// `POST .../datastore/entries/entry[?matchVersion=|exclusiveCreate=true]`: the body is the
/// value; users and attributes come from the headers (cleared when not sent).
pub fn set(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let e = v1_entry(c)?;
    let exclusive = c.flag("exclusiveCreate")?;
    let match_version = c.query.get("matchVersion").filter(|v| !v.is_empty());
    if exclusive && match_version.is_some() {
        return Err(
            ApiError::invalid("exclusiveCreate and matchVersion cannot both be set.")
                .v1_detail("ExclusiveCreateAndMatchVersionCannotBeSet"),
        );
    }
    if let Some(v) = match_version
        && !is_revision_id(v)
    {
        return Err(ApiError::invalid("Invalid version id.").v1_detail("InvalidVersionId"));
    }
    if c.body.len() > MAX_V1_VALUE_BYTES {
        return Err(ApiError::invalid(format!(
            "The content is {} bytes; at most {MAX_V1_VALUE_BYTES} are allowed.",
            c.body.len()
        ))
        .v1_detail("ContentTooBig"));
    }
    match header_text(c, CONTENT_MD5, "ChecksumMismatch")? {
        Some(sum) => check_content_md5(sum, c.body)
            .map_err(|m| ApiError::invalid(m).v1_detail("ChecksumMismatch"))?,
        // The service takes a write without a checksum; strict mode asks for one, so a user
        // can check that their client sends it.
        None if c.strict => {
            return Err(ApiError::invalid(
                "content-md5 is required (strict mode): send the base64 MD5 of the body bytes.",
            )
            .v1_detail("ContentMd5Required"));
        }
        None => {}
    }
    let value: Value = serde_json::from_slice(c.body).map_err(|err| {
        ApiError::invalid(format!("The content is not JSON: {err}")).v1_detail("ContentNotJson")
    })?;
    // Valid JSON is valid UTF-8: the bytes are kept as they came.
    let text = String::from_utf8_lossy(c.body).into_owned();
    check_value(&value)
        .map_err(|err| ApiError::invalid(err.to_string()).v1_detail("ContentTooBig"))?;
    let users = users_header(c)?;
    let attributes = attributes_header(c)?;
    require_store(store, c, &e.data_store, false)?;
    let current = store.latest(&e)?.filter(|r| !r.deleted);
    check_write_scopes(store, c, &e, current.is_some())?;
    let failed = if exclusive && current.is_some() {
        Some(format!("Entry {} already exists (exclusiveCreate).", e.key))
    } else {
        match_version
            .filter(|v| current.as_ref().is_none_or(|r| &r.revision_id != *v))
            .map(|v| {
                format!(
                    "The current version of {} is not {v} (matchVersion).",
                    e.key
                )
            })
    };
    if let Some(message) = failed {
        // 412 with the current entry's metadata headers, which clients read to report what
        // is there instead.
        let mut err = ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "FAILED_PRECONDITION",
            message,
        );
        err.headers = current.as_ref().map(metadata_headers).unwrap_or_default();
        return Err(err);
    }
    let rev = store.write(
        &e,
        NewRevision::live(value, users, attributes).with_raw(text),
        c.now,
    )?;
    Ok(Reply::json(&version_json(&rev)))
}

/// `DELETE .../datastore/entries/entry`: a tombstone version; 204.
pub fn delete(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let e = v1_entry(c)?;
    require_store(store, c, &e.data_store, true)?;
    match store.latest(&e)? {
        Some(r) if !r.deleted => {
            store.write(&e, NewRevision::tombstone(), c.now)?;
            Ok(Reply {
                status: StatusCode::NO_CONTENT,
                ..Reply::empty()
            })
        }
        _ => Err(entry_not_found(&e)),
    }
}

/// `POST .../datastore/entries/entry/increment?incrementBy=`: no body; the new value as the
/// answer's body, with the metadata headers.
pub fn increment(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let e = v1_entry(c)?;
    let by = match c.query.get("incrementBy").map(|s| s.trim()) {
        None | Some("") => 1,
        Some(s) => s
            .parse::<i64>()
            .map_err(|_| ApiError::invalid(format!("incrementBy {s:?} is not an int64.")))?,
    };
    if c.strict && !c.headers.contains_key("content-length") {
        return Err(
            ApiError::invalid("Content-Length is required (strict mode).")
                .v1_detail("ContentLengthRequired"),
        );
    }
    let users = users_header(c)?;
    let attributes = attributes_header(c)?;
    require_store(store, c, &e.data_store, false)?;
    let latest = store.latest(&e)?;
    check_write_scopes(store, c, &e, latest.as_ref().is_some_and(|r| !r.deleted))?;
    let base = match latest {
        Some(r) if !r.deleted => integer_of(&r.value).ok_or_else(|| {
            ApiError::invalid(format!("The existing value of {} is not a number.", e.key))
                .v1_detail("ExistingValueNotNumeric")
        })?,
        _ => 0,
    };
    let next = base.checked_add(by).ok_or_else(|| {
        let detail = if by > 0 {
            "IncrementValueTooLarge"
        } else {
            "IncrementValueTooSmall"
        };
        ApiError::invalid("The incremented value is out of the int64 range.").v1_detail(detail)
    })?;
    let rev = store.write(&e, NewRevision::live(json!(next), users, attributes), c.now)?;
    Ok(value_reply(&rev))
}

fn v1_time_param(
    c: &Ctx<'_>,
    name: &'static str,
    detail: &'static str,
) -> Result<Option<Timestamp>, ApiError> {
    match c.query.get(name).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s.parse::<Timestamp>().map(Some).map_err(|err| {
            ApiError::invalid(format!("Invalid {name} {s:?}: {err}")).v1_detail(detail)
        }),
    }
}

/// `GET .../entries/entry/versions?startTime=&endTime=&sortOrder=&limit=&cursor=`.
pub fn list_versions(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let e = v1_entry(c)?;
    let start = v1_time_param(c, "startTime", "InvalidStartTime")?;
    let end = v1_time_param(c, "endTime", "InvalidEndTime")?;
    let descending = match c.query.get("sortOrder").map(String::as_str) {
        None | Some("") | Some("Ascending") => false,
        Some("Descending") => true,
        Some(o) if !c.strict && o.eq_ignore_ascii_case("ascending") => false,
        Some(o) if !c.strict && o.eq_ignore_ascii_case("descending") => true,
        Some(o) => {
            return Err(ApiError::invalid(format!(
                "Invalid sortOrder {o:?}: expected Ascending or Descending."
            ))
            .v1_detail("InvalidSortOrder"));
        }
    };
    let size = c.page_size_of("limit", 16, MAX_VERSIONS_PAGE)?;
    require_store(store, c, &e.data_store, true)?;
    if store.latest(&e)?.is_none() {
        return Err(entry_not_found(&e));
    }
    let after_seq: Option<i64> = c.token_cursor()?;
    let revs = store.list_revisions(&RevisionListing {
        entry: &e,
        start,
        end,
        after_seq,
        descending,
        limit: size + 1,
    })?;
    let (revs, more) = page(revs, size);
    let cursor = match revs.last() {
        Some(last) if more => json!(c.make_token(json!(last.seq))),
        _ => Value::Null,
    };
    let versions: Vec<Value> = revs.iter().map(version_json).collect();
    Ok(Reply::json(
        &json!({ "versions": versions, "nextPageCursor": cursor }),
    ))
}

/// `GET .../entries/entry/versions/version?versionId=`: the value at a version, as Get Entry
/// answers; a tombstone version answers 204 with its metadata.
pub fn get_version(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let e = v1_entry(c)?;
    let version = c.query.get("versionId").map_or("", String::as_str);
    if !is_revision_id(version) {
        return Err(ApiError::invalid("Invalid version id.").v1_detail("InvalidVersionId"));
    }
    require_store(store, c, &e.data_store, true)?;
    let rev = store.revision(&e, version)?.ok_or_else(|| {
        ApiError::not_found(format!("Version {version} of {} not found.", e.key))
            .v1_detail("VersionNotFound")
    })?;
    Ok(value_reply(&rev))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_times_have_seven_digits_and_the_documented_offsets() {
        let t: Timestamp = "2022-02-02T23:30:06.538879Z".parse().unwrap();
        assert_eq!(v1_time_header(t), "2022-02-02T23:30:06.5388790+00:00");
        assert_eq!(v1_time_json(t), "2022-02-02T23:30:06.5388790Z");
        // Both read back as the same instant.
        assert_eq!(v1_time_header(t).parse::<Timestamp>().unwrap(), t);
    }
}
