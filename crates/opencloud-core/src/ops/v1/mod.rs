//! The legacy v1 APIs: standard data stores (`/datastores/v1`, [`standard`]) and ordered data
//! stores (`/ordered-data-stores/v1`, [`ordered`]).
//!
//! The v1 standard API differs from v2 in shape, and these operations hide none of it:
//!
//! * the data store, scope and key travel in the **query** (`datastoreName`, `scope`,
//!   `entryKey`), so they need only query encoding; the path is fixed;
//! * an entry's value **is** the request or response body (raw JSON bytes), and its metadata
//!   travels in headers: `roblox-entry-version`, `-created-time`, `-version-created-time`,
//!   `-attributes` (a JSON object) and `-userids` (a JSON array of numbers);
//! * a write carries `content-md5`, the base64 of the MD5 of the exact body bytes, always; a read
//!   that carries one is checked against the bytes received, and a mismatch is a
//!   [`DecodeError`] whose `path` is `content-md5`;
//! * names are limited in **bytes** (50), not characters as in v2.
//!
//! This module holds what both families share: the header codecs (also for the emulator, which
//! must read and write the same headers) and the reading of an entry from a value response.
//!
//! ```
//! use opencloud_core::wire::content_md5;
//! use opencloud_core::{
//!     ApiKey, Config, DataStoreName, EntryAddress, EntryKey, EntryWrite, Operation, State,
//!     UniverseId, UserId, V1GetEntry, V1SetEntry,
//! };
//!
//! let config = Config::new(ApiKey::new("my-key")?);
//! let address = EntryAddress::new(
//!     UniverseId::from(1234),
//!     DataStoreName::new("Inventory")?,
//!     EntryKey::new("user/1")?,
//! );
//! let set = V1SetEntry::new(address.clone(), EntryWrite::new(serde_json::json!({"gold": 5})))
//!     .users([UserId(1)])
//!     .exclusive_create(true);
//! let request = set.to_request(&config)?;
//! assert_eq!(
//!     request.uri(),
//!     "https://apis.roblox.com/datastores/v1/universes/1234/standard-datastores/datastore/entries/entry?datastoreName=Inventory&entryKey=user%2F1&exclusiveCreate=true"
//! );
//! assert_eq!(request.headers()["content-md5"], content_md5(br#"{"gold":5}"#).as_str());
//! assert_eq!(request.headers()["roblox-entry-userids"], "[1]");
//!
//! // A read: the value is the body, the metadata is in headers.
//! let response = http::Response::builder()
//!     .status(200)
//!     .header("roblox-entry-version", "08D9E6A3F2188CFF.0000000001.08D9E6A3F2188CFF.01")
//!     .header("roblox-entry-userids", "[1]")
//!     .header("content-md5", content_md5(br#"{"gold":5}"#))
//!     .body(br#"{"gold":5}"#.to_vec())?;
//! let entry = V1GetEntry::new(address).parse(response)?;
//! assert_eq!(entry.value.unwrap()["gold"], 5);
//! assert_eq!(entry.users, vec![UserId(1)]);
//! assert_eq!(entry.state, State::Active);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::header::CONTENT_LENGTH;
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode};
use md5::{Digest, Md5};
use serde_json::{Map, Value};

use crate::error::{DecodeError, Error, InvalidInput};
use crate::model::{DataStoreEntry, State};
use crate::model_v1::entry_path;
use crate::names::{Attributes, EntryKey, Scope, UserId, check_users};
use crate::ops::check_status;
use crate::ops::entries::EntryAddress;
use crate::routes::RouteId;

pub mod ordered;
pub mod standard;

/// Maximum bytes in a v1 `datastoreName`, `scope` or `entryKey` ("Length must be 50 bytes or
/// less").
pub const MAX_V1_NAME_BYTES: usize = 50;
/// Maximum bytes in a v1 Set Entry body (the spec's `maxLength: 4194304`).
pub const MAX_V1_VALUE_BYTES: usize = 4_194_304;
/// Maximum bytes in the serialized `roblox-entry-attributes` header ("Length must be less than
/// 300 bytes").
pub const MAX_V1_ATTRIBUTES_BYTES: usize = 299;
/// Maximum characters in a v1 ordered entry id (the documented "Ordered data store key name
/// exceeds the 50 character limit"; v2 allows 63).
pub const MAX_V1_ORDERED_ID_CHARS: usize = 50;

/// The checksum header: base64 of the MD5 of the body bytes.
pub const CONTENT_MD5: &str = "content-md5";
/// The version of the entry a read returned.
pub const ENTRY_VERSION: &str = "roblox-entry-version";
/// When the entry was created.
pub const ENTRY_CREATED_TIME: &str = "roblox-entry-created-time";
/// When the returned version was written.
pub const ENTRY_VERSION_CREATED_TIME: &str = "roblox-entry-version-created-time";
/// The entry's attributes: a JSON object.
pub const ENTRY_ATTRIBUTES: &str = "roblox-entry-attributes";
/// The users tagged on the entry: a JSON array of numbers.
pub const ENTRY_USERIDS: &str = "roblox-entry-userids";

/// The `content-md5` value of a body: base64 of the MD5 of exactly these bytes (RFC 1864).
pub fn content_md5(body: &[u8]) -> String {
    BASE64.encode(Md5::digest(body))
}

/// Checks a `content-md5` value against a body. The value is compared as the 16 bytes it
/// encodes, so surrounding spaces do not matter.
pub fn check_content_md5(header: &str, body: &[u8]) -> Result<(), String> {
    let given = BASE64
        .decode(header.trim())
        .map_err(|_| format!("the content-md5 header {header:?} is not base64"))?;
    let actual = Md5::digest(body);
    if given.as_slice() == actual.as_slice() {
        Ok(())
    } else {
        Err(format!(
            "the content-md5 header {header:?} does not match the body, whose MD5 is {:?}: the value was corrupted in transit",
            BASE64.encode(actual)
        ))
    }
}

/// Renders users for `roblox-entry-userids`: a JSON array of bare numbers (`[1,2]`), the form
/// every example and answer uses, although one description says "comma-separated".
pub fn render_userids(users: &[UserId]) -> String {
    let ids: Vec<u64> = users.iter().map(|u| u.0).collect();
    serde_json::to_string(&ids).expect("numbers serialize")
}

/// Reads `roblox-entry-userids`: a JSON array of numbers (or of numeric strings), or a
/// comma-separated list of numbers, as the description says. Empty means no users.
pub fn parse_userids(header: &str) -> Result<Vec<UserId>, String> {
    let h = header.trim();
    if h.is_empty() {
        return Ok(Vec::new());
    }
    let parse_one = |s: &str| -> Result<UserId, String> {
        let s = s.trim().trim_matches('"');
        let s = s.strip_prefix("users/").unwrap_or(s);
        s.parse::<u64>()
            .map(UserId)
            .map_err(|_| format!("{s:?} in roblox-entry-userids is not a user id"))
    };
    let inner = match h.strip_prefix('[') {
        Some(rest) => rest
            .strip_suffix(']')
            .ok_or_else(|| format!("roblox-entry-userids {h:?} is not a JSON array"))?,
        None => h,
    };
    if inner.trim().is_empty() {
        return Ok(Vec::new());
    }
    inner.split(',').map(parse_one).collect()
}

/// Renders attributes for `roblox-entry-attributes`: compact JSON with every character outside
/// printable ASCII (non-ASCII, and DEL) written as a `\u` escape, so the header is a valid,
/// plain-ASCII header value and its length in bytes is what the service measures.
pub fn render_attributes(attributes: &Map<String, Value>) -> String {
    let json = Value::Object(attributes.clone()).to_string();
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if matches!(c, ' '..='~') {
            out.push(c);
        } else {
            // Only string contents can be outside printable ASCII here (serde_json escapes the
            // other control characters), so a \u escape keeps the document equal.
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// Reads `roblox-entry-attributes`: a JSON object.
pub fn parse_attributes(header: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(header.trim()) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(format!(
            "roblox-entry-attributes must be a JSON object, got {other}"
        )),
        Err(e) => Err(format!("roblox-entry-attributes is not JSON: {e}")),
    }
}

/// Checks a name against the v1 byte limit.
pub(crate) fn check_v1_bytes(field: &'static str, s: &str) -> Result<(), InvalidInput> {
    if s.is_empty() {
        return Err(InvalidInput::new(field, "must not be empty"));
    }
    if s.len() > MAX_V1_NAME_BYTES {
        return Err(InvalidInput::new(
            field,
            format!(
                "must be at most {MAX_V1_NAME_BYTES} bytes in the legacy v1 API, got {} bytes",
                s.len()
            ),
        ));
    }
    Ok(())
}

/// Checks a v1 page size (`limit`, an int32): at least 1; the service documents no maximum.
pub(crate) fn check_limit(limit: Option<u32>) -> Result<(), InvalidInput> {
    match limit {
        Some(0) => Err(InvalidInput::new(
            "limit",
            "must be at least 1 (omit it for the default)",
        )),
        Some(n) if n > i32::MAX as u32 => Err(InvalidInput::new(
            "limit",
            format!("must fit in an int32, got {n}"),
        )),
        _ => Ok(()),
    }
}

/// Checks a prefix against the v1 name limit: a longer prefix can match no name.
pub(crate) fn check_v1_prefix(prefix: &str) -> Result<(), InvalidInput> {
    if prefix.len() > MAX_V1_NAME_BYTES {
        return Err(InvalidInput::new(
            "prefix",
            format!(
                "must be at most {MAX_V1_NAME_BYTES} bytes (no legacy v1 name is longer), got {} bytes",
                prefix.len()
            ),
        ));
    }
    Ok(())
}

/// The v1 query pairs that name an entry (`datastoreName`, `entryKey`, and `scope` when one is
/// given; the service reads no scope as `global`), after checking the byte limits.
pub(crate) fn entry_query(a: &EntryAddress) -> Result<Vec<(&'static str, String)>, InvalidInput> {
    check_v1_bytes("data_store", a.data_store.as_str())?;
    check_v1_bytes(EntryKey::FIELD, a.key.as_str())?;
    let mut q = vec![
        ("datastoreName", a.data_store.as_str().to_string()),
        ("entryKey", a.key.as_str().to_string()),
    ];
    if let Some(s) = &a.scope {
        check_v1_bytes(Scope::FIELD, s.as_str())?;
        q.push(("scope", s.as_str().to_string()));
    }
    Ok(q)
}

/// The `roblox-entry-userids` and `roblox-entry-attributes` headers of a write, after checking
/// the limits. Users or attributes not sent are cleared by the service.
pub(crate) fn metadata_headers(
    users: &[UserId],
    attributes: Option<&Attributes>,
) -> Result<Vec<(HeaderName, HeaderValue)>, InvalidInput> {
    check_users(users)?;
    let mut out = Vec::new();
    if !users.is_empty() {
        let v = HeaderValue::from_str(&render_userids(users)).expect("digits and punctuation");
        out.push((HeaderName::from_static(ENTRY_USERIDS), v));
    }
    if let Some(a) = attributes {
        let text = render_attributes(a.as_map());
        if text.len() > MAX_V1_ATTRIBUTES_BYTES {
            return Err(InvalidInput::new(
                "attributes",
                format!(
                    "serialized attributes are {} bytes; the legacy v1 API takes fewer than 300",
                    text.len()
                ),
            ));
        }
        let v = HeaderValue::from_str(&text).map_err(|_| {
            InvalidInput::new("attributes", "do not serialize to a valid header value")
        })?;
        out.push((HeaderName::from_static(ENTRY_ATTRIBUTES), v));
    }
    Ok(out)
}

/// Adds headers to a built request.
pub(crate) fn with_headers(
    mut request: Request<Vec<u8>>,
    headers: Vec<(HeaderName, HeaderValue)>,
) -> Request<Vec<u8>> {
    for (k, v) in headers {
        request.headers_mut().insert(k, v);
    }
    request
}

/// A POST without a body still says so: the service answers 400 to a request without
/// `Content-Length`.
pub(crate) fn empty_body_length() -> (HeaderName, HeaderValue) {
    (CONTENT_LENGTH, HeaderValue::from_static("0"))
}

fn decode_error(
    route: RouteId,
    status: StatusCode,
    path: &str,
    message: String,
    body: &[u8],
) -> Error {
    DecodeError::new(route, status, path, message, body).into()
}

/// Checks the `content-md5` of an answer, if it carries one, against the body bytes.
pub(crate) fn verify_content_md5<B: AsRef<[u8]>>(
    route: RouteId,
    response: &Response<B>,
) -> Result<(), Error> {
    let Some(h) = response.headers().get(CONTENT_MD5) else {
        return Ok(());
    };
    let body = response.body().as_ref();
    let text = h.to_str().map_err(|_| {
        decode_error(
            route,
            response.status(),
            CONTENT_MD5,
            "the content-md5 header is not text".into(),
            body,
        )
    })?;
    check_content_md5(text, body)
        .map_err(|m| decode_error(route, response.status(), CONTENT_MD5, m, body))
}

/// Reads the entry metadata headers into `entry`.
fn read_metadata(
    route: RouteId,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    entry: &mut DataStoreEntry,
) -> Result<(), Error> {
    let text = |name: &'static str| -> Result<Option<&str>, Error> {
        match headers.get(name) {
            None => Ok(None),
            Some(v) => v.to_str().map(|s| Some(s.trim())).map_err(|_| {
                decode_error(route, status, name, "the header is not text".into(), body)
            }),
        }
    };
    let time = |name: &'static str| -> Result<Option<jiff::Timestamp>, Error> {
        match text(name)? {
            None | Some("") => Ok(None),
            Some(s) => s.parse().map(Some).map_err(|e| {
                decode_error(
                    route,
                    status,
                    name,
                    format!("{s:?} is not a time: {e}"),
                    body,
                )
            }),
        }
    };
    entry.revision_id = text(ENTRY_VERSION)?
        .filter(|s| !s.is_empty())
        .map(String::from);
    entry.create_time = time(ENTRY_CREATED_TIME)?;
    entry.revision_create_time = time(ENTRY_VERSION_CREATED_TIME)?;
    if let Some(s) = text(ENTRY_ATTRIBUTES)?.filter(|s| !s.is_empty()) {
        entry.attributes = Some(
            parse_attributes(s)
                .map_err(|m| decode_error(route, status, ENTRY_ATTRIBUTES, m, body))?,
        );
    }
    if let Some(s) = text(ENTRY_USERIDS)? {
        // More users than the documented limit are kept: that is what the entry holds.
        entry.users =
            parse_userids(s).map_err(|m| decode_error(route, status, ENTRY_USERIDS, m, body))?;
    }
    Ok(())
}

/// Reads a v1 value answer (get entry, get version, increment): the body is the value, the
/// headers its metadata. A 204 is the documented answer for an entry marked deleted: it reads as
/// an entry in state [`State::Deleted`] with no value.
pub(crate) fn read_entry<B: AsRef<[u8]>>(
    route: RouteId,
    address: &EntryAddress,
    response: Response<B>,
) -> Result<DataStoreEntry, Error> {
    check_status(route, &response)?;
    let status = response.status();
    let scope = address.scope.as_ref().map_or("global", Scope::as_str);
    let mut entry = DataStoreEntry {
        path: entry_path(
            &address.universe,
            address.data_store.as_str(),
            scope,
            address.key.as_str(),
        ),
        id: address.key.as_str().to_string(),
        ..DataStoreEntry::default()
    };
    let body = response.body().as_ref();
    if status == StatusCode::NO_CONTENT {
        entry.state = State::Deleted;
        read_metadata(route, status, response.headers(), body, &mut entry)?;
        return Ok(entry);
    }
    verify_content_md5(route, &response)?;
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        decode_error(
            route,
            status,
            "(body)",
            format!("the entry value is not JSON: {e}"),
            body,
        )
    })?;
    entry.value = Some(value);
    entry.state = State::Active;
    read_metadata(route, status, response.headers(), body, &mut entry)?;
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_is_over_the_exact_bytes() {
        // The documented example: `value` -> IGPBYI1uC6+AJJxC4r5YBA==, and `750` without newline.
        assert_eq!(content_md5(b"value"), "IGPBYI1uC6+AJJxC4r5YBA==");
        assert_eq!(content_md5(b"750"), "sTf90fedVsft8zZf6nUg8g==");
        assert!(check_content_md5(" sTf90fedVsft8zZf6nUg8g== ", b"750").is_ok());
        assert!(
            check_content_md5("sTf90fedVsft8zZf6nUg8g==", b"750\n")
                .unwrap_err()
                .contains("does not match")
        );
        assert!(
            check_content_md5("***", b"")
                .unwrap_err()
                .contains("not base64")
        );
    }

    #[test]
    fn userids_read_json_arrays_and_comma_lists() {
        assert_eq!(render_userids(&[UserId(1), UserId(22)]), "[1,22]");
        for (h, want) in [
            ("[1, 2, 3]", vec![1, 2, 3]),
            ("[269323]", vec![269323]),
            ("1,2", vec![1, 2]),
            ("[\"5\"]", vec![5]),
            ("[]", vec![]),
            ("", vec![]),
        ] {
            let got: Vec<u64> = parse_userids(h).unwrap().iter().map(|u| u.0).collect();
            assert_eq!(got, want, "{h}");
        }
        for bad in ["[1, x]", "[1", "1;2", "[-1]"] {
            assert!(parse_userids(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn attributes_render_as_ascii_json() {
        let map: Map<String, Value> =
            serde_json::from_str(r#"{"naïve":"日本😀\u007f","n":1}"#).unwrap();
        let text = render_attributes(&map);
        assert!(text.is_ascii(), "{text}");
        assert!(text.contains(r"\u007f"), "DEL is escaped: {text}");
        assert!(HeaderValue::from_str(&text).is_ok());
        assert_eq!(parse_attributes(&text).unwrap(), map);
        assert!(parse_attributes("[1]").is_err());
        assert!(parse_attributes("{").is_err());
    }
}
