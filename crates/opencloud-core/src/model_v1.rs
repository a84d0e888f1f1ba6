//! The resources of the legacy v1 APIs (`/datastores/v1`, `/ordered-data-stores/v1`).
//!
//! Where a v1 answer carries the same facts as a v2 resource, it is read into the v2 type, so a
//! program sees one model whichever API it used: a v1 entry is a [`DataStoreEntry`], a v1 data
//! store a [`DataStore`], a v1 ordered entry an [`OrderedEntry`]. Only what v2 has no type for
//! (an entry version with its content length) gets a v1 type here.
//!
//! The v1 answers do not always match their own schemas; these models read what the service
//! sends (see `docs/decisions.md`, "Legacy v1"):
//!
//! * list data stores answers `{"datastores": [...]}`, although the schema says `data` (both are
//!   read);
//! * list entries answers `{"keys": [{"scope", "key"}]}`, although the schema says strings (both
//!   are read);
//! * list versions answers `{"versions": [...], "nextPageCursor"}`, although the schema says a
//!   single version;
//! * ordered v1 values are int64, which some JSON encoders write as strings (both are read).

use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serialize};

use crate::model::{DataStore, DataStoreEntry, OrderedEntry, Page, State};
use crate::names::UniverseId;
use crate::route::encode_component;

fn empty_as_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()))
}

fn null_as_default<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(
    d: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// An integer written as a JSON number or as a decimal string (int64 in a JSON encoder that
/// keeps 64-bit precision). A fractional number is refused rather than rounded.
#[derive(Deserialize)]
#[serde(untagged)]
enum WireInt {
    Number(serde_json::Number),
    Text(String),
}

fn wire_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let n = match WireInt::deserialize(d)? {
        WireInt::Number(n) => n.as_i64().ok_or_else(|| n.to_string()),
        WireInt::Text(s) => s.trim().parse::<i64>().map_err(|_| format!("{s:?}")),
    };
    n.map_err(|v| serde::de::Error::custom(format!("{v} is not an int64")))
}

fn wire_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let n = match Option::<WireInt>::deserialize(d)? {
        None => Ok(0),
        Some(WireInt::Number(n)) => match (n.as_u64(), n.as_f64()) {
            (Some(u), _) => Ok(u),
            // A whole number written as a double (`12.0`) is still a byte count.
            (None, Some(f)) if f >= 0.0 && f.fract() == 0.0 && f < 1.8e19 => Ok(f as u64),
            _ => Err(n.to_string()),
        },
        Some(WireInt::Text(s)) => s.trim().parse::<u64>().map_err(|_| format!("{s:?}")),
    };
    n.map_err(|v| serde::de::Error::custom(format!("{v} is not a byte count")))
}

/// The canonical v2 resource path of an entry, `universes/{u}/data-stores/{d}[/scopes/{s}]/entries/{k}`
/// with every name percent-encoded and the `global` scope omitted, as v2 answers write it. v1
/// answers carry no path; this one lets [`DataStoreEntry::scope`] and friends work alike.
pub(crate) fn entry_path(
    universe: &UniverseId,
    data_store: &str,
    scope: &str,
    key: &str,
) -> String {
    let mut p = format!(
        "universes/{}/data-stores/{}",
        universe.as_str(),
        encode_component(data_store)
    );
    if scope != "global" {
        p.push_str("/scopes/");
        p.push_str(&encode_component(scope));
    }
    p.push_str("/entries/");
    p.push_str(&encode_component(key));
    p
}

/// One version of a legacy v1 entry, as Set Entry and List Entry Versions return it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct V1EntryVersion {
    /// The version id (`08D9E6A3F2188CFF.0000000001.08D9E6A3F2188CFF.01`); pass it to
    /// [`V1GetEntryVersion`](crate::V1GetEntryVersion) or as a `matchVersion`.
    pub version: String,
    /// Whether this version is a deletion tombstone.
    pub deleted: bool,
    /// The size of the value in bytes.
    #[serde(deserialize_with = "wire_u64")]
    pub content_length: u64,
    /// When this version was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_time: Option<Timestamp>,
    /// When the entry was first created (the spec's description says "the data store"; the
    /// service's answers carry the entry's creation time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_created_time: Option<Timestamp>,
}

/// One page of legacy v1 data stores. Each is a [`DataStore`] with `path`, `id` (the name) and
/// `create_time`; v1 says nothing of state, so `state` is [`State::StateUnspecified`].
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct V1DataStorePage {
    /// The data stores.
    pub data_stores: Vec<DataStore>,
    /// The cursor of the next page; `None` at the end (absent, null or empty on the wire).
    pub next_page_cursor: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireDataStore {
    name: String,
    #[serde(default)]
    created_time: Option<Timestamp>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireDataStorePage {
    /// The service's field; the schema's `data` is read too.
    #[serde(default, alias = "data", deserialize_with = "null_as_default")]
    datastores: Vec<WireDataStore>,
    #[serde(default, deserialize_with = "empty_as_none")]
    next_page_cursor: Option<String>,
}

impl WireDataStorePage {
    pub(crate) fn into_page(self, universe: &UniverseId) -> V1DataStorePage {
        V1DataStorePage {
            data_stores: self
                .datastores
                .into_iter()
                .map(|d| DataStore {
                    path: format!(
                        "universes/{}/data-stores/{}",
                        universe.as_str(),
                        encode_component(&d.name)
                    ),
                    id: d.name,
                    create_time: d.created_time,
                    expire_time: None,
                    state: State::StateUnspecified,
                })
                .collect(),
            next_page_cursor: self.next_page_cursor,
        }
    }
}

/// One page of legacy v1 entry keys. Each is a sparse [`DataStoreEntry`], as a v2 listing
/// gives: `id` is the key and `path` names the scope the service tagged it with (read it with
/// [`DataStoreEntry::scope_or_global`]). v1 lists entries marked deleted until they are purged,
/// and does not say which, so `state` is [`State::StateUnspecified`].
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct V1EntryKeyPage {
    /// The keys.
    pub keys: Vec<DataStoreEntry>,
    /// The cursor of the next page; `None` at the end.
    pub next_page_cursor: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum WireKey {
    Tagged {
        #[serde(default)]
        scope: Option<String>,
        key: String,
    },
    Bare(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireKeyPage {
    #[serde(default, deserialize_with = "null_as_default")]
    keys: Vec<WireKey>,
    #[serde(default, deserialize_with = "empty_as_none")]
    next_page_cursor: Option<String>,
}

impl WireKeyPage {
    /// `requested_scope` names keys the service did not tag with a scope. An untagged key of an
    /// all-scopes listing is read as `scope/key`, the form the engine documents for it.
    pub(crate) fn into_page(
        self,
        universe: &UniverseId,
        data_store: &str,
        requested_scope: &str,
        all_scopes: bool,
    ) -> V1EntryKeyPage {
        V1EntryKeyPage {
            keys: self
                .keys
                .into_iter()
                .map(|k| {
                    let (scope, key) = match k {
                        WireKey::Tagged { scope, key } => (scope, key),
                        WireKey::Bare(key) if all_scopes => match key.split_once('/') {
                            Some((s, k)) => (Some(s.to_string()), k.to_string()),
                            None => (None, key),
                        },
                        WireKey::Bare(key) => (None, key),
                    };
                    let scope = scope.filter(|s| !s.is_empty());
                    let scope = scope.as_deref().unwrap_or(requested_scope);
                    DataStoreEntry {
                        path: entry_path(universe, data_store, scope, &key),
                        id: key,
                        ..DataStoreEntry::default()
                    }
                })
                .collect(),
            next_page_cursor: self.next_page_cursor,
        }
    }
}

/// One page of a legacy v1 entry's versions.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct V1EntryVersionPage {
    /// The versions, in the requested order.
    #[serde(deserialize_with = "null_as_default")]
    pub versions: Vec<V1EntryVersion>,
    /// The cursor of the next page; `None` at the end.
    #[serde(
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub next_page_cursor: Option<String>,
}

/// A legacy v1 ordered entry on the wire: `value` is an int64.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireOrderedEntry {
    #[serde(default)]
    path: String,
    #[serde(default)]
    id: String,
    #[serde(deserialize_with = "wire_i64")]
    value: i64,
}

impl From<WireOrderedEntry> for OrderedEntry {
    fn from(e: WireOrderedEntry) -> Self {
        OrderedEntry {
            path: e.path,
            id: e.id,
            value: e.value,
        }
    }
}

/// One page of legacy v1 ordered entries, each an [`OrderedEntry`].
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct V1OrderedEntryPage {
    /// The entries, in the requested order.
    pub entries: Vec<OrderedEntry>,
    /// The token of the next page (sent back as `page_token`); `None` at the end.
    pub next_page_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireOrderedPage {
    #[serde(default, deserialize_with = "null_as_default")]
    entries: Vec<WireOrderedEntry>,
    #[serde(default, deserialize_with = "empty_as_none")]
    next_page_token: Option<String>,
}

impl From<WireOrderedPage> for V1OrderedEntryPage {
    fn from(p: WireOrderedPage) -> Self {
        V1OrderedEntryPage {
            entries: p.entries.into_iter().map(OrderedEntry::from).collect(),
            next_page_token: p.next_page_token,
        }
    }
}

macro_rules! v1_page {
    ($page:ty, $item:ty, $field:ident, $token:ident) => {
        impl Page for $page {
            type Item = $item;
            fn next_page_token(&self) -> Option<&str> {
                self.$token.as_deref()
            }
            fn items(&self) -> &[$item] {
                &self.$field
            }
            fn into_items(self) -> Vec<$item> {
                self.$field
            }
        }
    };
}
v1_page!(V1DataStorePage, DataStore, data_stores, next_page_cursor);
v1_page!(V1EntryKeyPage, DataStoreEntry, keys, next_page_cursor);
v1_page!(
    V1EntryVersionPage,
    V1EntryVersion,
    versions,
    next_page_cursor
);
v1_page!(V1OrderedEntryPage, OrderedEntry, entries, next_page_token);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_paths_encode_names_and_omit_global() {
        let u = UniverseId::from(1);
        assert_eq!(
            entry_path(&u, "d/x", "global", "a b"),
            "universes/1/data-stores/d%2Fx/entries/a%20b"
        );
        assert_eq!(
            entry_path(&u, "d", "s", "k"),
            "universes/1/data-stores/d/scopes/s/entries/k"
        );
    }

    #[test]
    fn ordered_values_read_numbers_and_strings_but_not_fractions() {
        let e: WireOrderedEntry =
            serde_json::from_str(r#"{"path":"p","id":"a","value":"9223372036854775807"}"#).unwrap();
        assert_eq!(e.value, i64::MAX);
        let e: WireOrderedEntry = serde_json::from_str(r#"{"id":"a","value":-5}"#).unwrap();
        assert_eq!(e.value, -5);
        for bad in [
            r#"{"value":1.5}"#,
            r#"{"value":"x"}"#,
            r#"{"value":9223372036854775808}"#,
            r#"{"id":"a"}"#,
        ] {
            assert!(
                serde_json::from_str::<WireOrderedEntry>(bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn versions_read_whole_doubles_as_byte_counts() {
        let v: V1EntryVersion =
            serde_json::from_str(r#"{"version":"v","contentLength":12.0}"#).unwrap();
        assert_eq!(v.content_length, 12);
        assert!(serde_json::from_str::<V1EntryVersion>(r#"{"contentLength":-1}"#).is_err());
        assert!(serde_json::from_str::<V1EntryVersion>(r#"{"contentLength":1.5}"#).is_err());
    }
}
