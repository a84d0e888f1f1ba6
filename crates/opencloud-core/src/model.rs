//! The resources the API returns, as typed values.

use jiff::Timestamp;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, InvalidInput};
use crate::names::UserId;
use crate::resource::ResourceName;

/// The lifecycle state of a data store or an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum State {
    /// Not given.
    #[default]
    StateUnspecified,
    /// Live.
    Active,
    /// Marked for deletion.
    Deleted,
    /// A state this crate does not know yet.
    #[serde(other)]
    Unknown,
}

fn empty_as_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()))
}

fn present_value<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

fn null_as_default<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(
    d: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A standard data store (`universes/{u}/data-stores/{id}`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct DataStore {
    /// `universes/{universe_id}/data-stores/{data_store_id}`.
    pub path: String,
    /// The data store name.
    pub id: String,
    /// When it was created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_time: Option<Timestamp>,
    /// When a deleted data store will be removed for good.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expire_time: Option<Timestamp>,
    /// `ACTIVE` or `DELETED`.
    pub state: State,
}

/// A standard data store entry. Lists fill only some fields: `path` and `id` for entries,
/// also the revision fields for revisions.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct DataStoreEntry {
    /// `universes/{u}/data-stores/{d}[/scopes/{s}]/entries/{id}`; `global` entries omit the scope.
    pub path: String,
    /// The key (with `@<revision>` in revision listings).
    pub id: String,
    /// When the entry was first created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_time: Option<Timestamp>,
    /// The revision this view shows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision_id: Option<String>,
    /// When that revision was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision_create_time: Option<Timestamp>,
    /// `ACTIVE` or `DELETED`.
    #[serde(skip_serializing_if = "is_unspecified")]
    pub state: State,
    /// Changes with every revision; send it back on update to refuse lost updates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// The value: any JSON. `None` when the response did not carry it (lists); `Some(Null)` for a
    /// stored `null`.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present_value"
    )]
    pub value: Option<Value>,
    /// Users tagged on the entry.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub users: Vec<UserId>,
    /// Attributes of the entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Map<String, Value>>,
}

fn is_unspecified(s: &State) -> bool {
    *s == State::StateUnspecified
}

impl DataStoreEntry {
    /// The value decoded as `T`.
    pub fn value_as<T: DeserializeOwned>(&self) -> Result<T, Error> {
        let v = self
            .value
            .clone()
            .ok_or_else(|| InvalidInput::new("value", "the response carried no value"))?;
        serde_json::from_value(v).map_err(|e| {
            InvalidInput::new(
                "value",
                format!("does not decode as the requested type: {e}"),
            )
            .into()
        })
    }

    /// The entry's resource name, parsed from `path` (scope and key decoded, the revision of a
    /// revision listing split off).
    pub fn resource(&self) -> Result<ResourceName, InvalidInput> {
        ResourceName::parse(&self.path)
    }

    /// The scope segment of the resource path as written there (percent-encoded), `None` when
    /// the path has none (the `global` scope). [`resource`](Self::resource) gives it decoded.
    pub fn scope(&self) -> Option<&str> {
        crate::resource::raw_scope_segment(&self.path)
    }

    /// The scope, defaulting to `global` for the canonical global path.
    pub fn scope_or_global(&self) -> &str {
        self.scope().unwrap_or("global")
    }

    /// The key without a `@<revision>` suffix (revision listings carry one).
    pub fn key(&self) -> &str {
        self.revision_id
            .as_deref()
            .and_then(|r| self.id.strip_suffix(r)?.strip_suffix('@'))
            .unwrap_or(&self.id)
    }
}

/// One page of data stores.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct DataStorePage {
    /// The data stores.
    #[serde(deserialize_with = "null_as_default")]
    pub data_stores: Vec<DataStore>,
    /// The token for the next page; `None` at the end (absent or empty on the wire).
    #[serde(
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub next_page_token: Option<String>,
}

/// One page of entries or of revisions.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct EntryPage {
    /// The entries (sparse: see [`DataStoreEntry`]).
    #[serde(deserialize_with = "null_as_default")]
    pub data_store_entries: Vec<DataStoreEntry>,
    /// The token for the next page; `None` at the end.
    #[serde(
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub next_page_token: Option<String>,
}

/// The result of a snapshot request.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct SnapshotResult {
    /// Whether this call took a new snapshot (at most one per UTC day).
    pub new_snapshot_taken: bool,
    /// The time of the latest snapshot, UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_snapshot_time: Option<Timestamp>,
}

fn integer_value<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let n = serde_json::Number::deserialize(d)?;
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    match n.as_f64() {
        Some(f) if f.is_finite() && f.abs() < 9.3e18 => Ok(f.round() as i64),
        _ => Err(serde::de::Error::custom(format!(
            "{n} is not an integer in range"
        ))),
    }
}

/// An ordered data store entry. Values are integers (the wire type is a double, "always rounded
/// to the nearest integer").
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct OrderedEntry {
    /// `universes/{u}/ordered-data-stores/{d}/scopes/{s}/entries/{id}`.
    pub path: String,
    /// The entry id.
    pub id: String,
    /// The value.
    #[serde(deserialize_with = "integer_value")]
    pub value: i64,
}

/// One page of ordered entries.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct OrderedEntryPage {
    /// The entries, in the requested order.
    #[serde(deserialize_with = "null_as_default")]
    pub ordered_data_store_entries: Vec<OrderedEntry>,
    /// The token for the next page; `None` at the end.
    #[serde(
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub next_page_token: Option<String>,
}

/// A page of a list operation.
pub trait Page {
    /// What the page holds.
    type Item;
    /// The token for the next page, if any.
    fn next_page_token(&self) -> Option<&str>;
    /// The items.
    fn items(&self) -> &[Self::Item];
    /// Takes the items out.
    fn into_items(self) -> Vec<Self::Item>;
}

macro_rules! page {
    ($page:ty, $item:ty, $field:ident) => {
        impl Page for $page {
            type Item = $item;
            fn next_page_token(&self) -> Option<&str> {
                self.next_page_token.as_deref()
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
page!(DataStorePage, DataStore, data_stores);
page!(EntryPage, DataStoreEntry, data_store_entries);
page!(OrderedEntryPage, OrderedEntry, ordered_data_store_entries);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_keep_null_values_and_read_scopes() {
        let e: DataStoreEntry = serde_json::from_str(
            r#"{"path":"universes/1/data-stores/d/scopes/s/entries/k","id":"k","value":null}"#,
        )
        .unwrap();
        assert_eq!(e.value, Some(Value::Null));
        assert_eq!(e.scope(), Some("s"));
        let g: DataStoreEntry =
            serde_json::from_str(r#"{"path":"universes/1/data-stores/d/entries/k","id":"k"}"#)
                .unwrap();
        assert_eq!(g.value, None);
        assert_eq!(g.scope_or_global(), "global");
        let r: DataStoreEntry = serde_json::from_str(r#"{"id":"k@r1","revisionId":"r1"}"#).unwrap();
        assert_eq!(r.key(), "k");
        let enc: DataStoreEntry = serde_json::from_str(
            r#"{"path":"universes/1/data-stores/d/scopes/a%2Fb/entries/k%40x@r1","id":"k@x@r1","revisionId":"r1"}"#,
        )
        .unwrap();
        let name = enc.resource().unwrap();
        assert_eq!(
            (name.scope(), name.key(), name.revision()),
            (Some("a/b"), Some("k@x"), Some("r1"))
        );
        assert_eq!(enc.scope(), Some("a%2Fb"));
        assert_eq!(enc.key(), "k@x");
    }

    #[test]
    fn empty_token_is_the_end_and_ordered_values_round() {
        let p: EntryPage =
            serde_json::from_str(r#"{"dataStoreEntries":[],"nextPageToken":""}"#).unwrap();
        assert_eq!(p.next_page_token, None);
        let o: OrderedEntry =
            serde_json::from_str(r#"{"path":"p","id":"a","value":41.6}"#).unwrap();
        assert_eq!(o.value, 42);
        assert!(serde_json::from_str::<OrderedEntry>(r#"{"value":"x"}"#).is_err());
    }
}
