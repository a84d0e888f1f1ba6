//! Standard entry operations, each in the unscoped (`global`) and the `/scopes/{scope}` form.

use http::{Request, Response};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::Config;
use crate::error::{Error, InvalidInput};
use crate::filter::{RevisionTimeRange, check_prefix, render_prefix_filter};
use crate::model::{DataStoreEntry, EntryPage};
use crate::names::{
    Attributes, DataStoreName, EntryKey, PageToken, Scope, UniverseId, UserId, check_safe_integer,
    check_users, check_value,
};
use crate::ops::data_stores::list_query;
use crate::ops::{Operation, build, page_params, paged, parse_empty, parse_json, refs};
use crate::route::{RetryClass, encode_component};
use crate::routes::RouteId;
use crate::selector::{RevisionSelector, render_entry_segment};

/// Where an entry lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EntryAddress {
    /// The universe.
    pub universe: UniverseId,
    /// The data store.
    pub data_store: DataStoreName,
    /// The scope; `None` uses the unscoped path, which the service reads as `global`.
    pub scope: Option<Scope>,
    /// The key.
    pub key: EntryKey,
}

impl EntryAddress {
    /// An entry in the default scope (the unscoped path).
    pub fn new(universe: UniverseId, data_store: DataStoreName, key: EntryKey) -> Self {
        Self {
            universe,
            data_store,
            scope: None,
            key,
        }
    }

    /// The same entry in a named scope.
    pub fn in_scope(mut self, scope: Scope) -> Self {
        self.scope = Some(scope);
        self
    }

    /// Picks the scoped or unscoped route and renders the path segments, the last one being
    /// `entry_segment` (already encoded).
    fn segments(
        &self,
        entry_segment: String,
        plain: RouteId,
        scoped: RouteId,
    ) -> (RouteId, Vec<String>) {
        let mut segs = vec![
            encode_component(self.universe.as_str()),
            encode_component(self.data_store.as_str()),
        ];
        let route = match &self.scope {
            Some(s) => {
                segs.push(encode_component(s.as_str()));
                scoped
            }
            None => plain,
        };
        segs.push(entry_segment);
        (route, segs)
    }

    /// The `{entry_id}` segment for operations that read a selector suffix (get, update without
    /// `allowMissing`, delete, list revisions): a key containing `@` gets `@latest`.
    fn selector_segment(&self) -> String {
        render_entry_segment(&self.key, &RevisionSelector::Latest)
    }

    /// The `{entry_id}` segment for operations that take the whole id as the key (increment,
    /// update with `allowMissing`).
    fn literal_segment(&self) -> String {
        encode_component(self.key.as_str())
    }
}

/// Which scopes a listing covers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ListScope {
    /// The unscoped path: the `global` scope.
    #[default]
    Default,
    /// One named scope.
    Scope(Scope),
    /// Every scope (the `-` wildcard).
    All,
}

/// Lists entry ids (`GET .../entries`). Only `path` and `id` are filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct ListEntries {
    /// The universe.
    pub universe: UniverseId,
    /// The data store.
    pub data_store: DataStoreName,
    /// Which scopes.
    pub scope: ListScope,
    /// Only keys starting with this.
    pub prefix: Option<String>,
    /// Include entries marked deleted.
    pub show_deleted: bool,
    /// Page size (default 10, the service clamps to 256).
    pub max_page_size: Option<u32>,
    /// The page to fetch.
    pub page_token: Option<PageToken>,
}

impl ListEntries {
    /// The first page of the default scope.
    pub fn new(universe: UniverseId, data_store: DataStoreName) -> Self {
        Self {
            universe,
            data_store,
            scope: ListScope::Default,
            prefix: None,
            show_deleted: false,
            max_page_size: None,
            page_token: None,
        }
    }
    /// Lists another scope, or all of them.
    pub fn scope(mut self, scope: ListScope) -> Self {
        self.scope = scope;
        self
    }
    /// Only keys starting with `prefix`.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }
    /// Include deleted entries.
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

impl Operation for ListEntries {
    type Output = EntryPage;
    fn route(&self) -> RouteId {
        match self.scope {
            ListScope::Default => RouteId::ListEntries,
            _ => RouteId::ListScopedEntries,
        }
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
        let mut segs = vec![
            encode_component(self.universe.as_str()),
            encode_component(self.data_store.as_str()),
        ];
        match &self.scope {
            ListScope::Default => {}
            ListScope::Scope(s) => segs.push(encode_component(s.as_str())),
            ListScope::All => segs.push("-".to_string()),
        }
        build(config, self.route(), &refs(&segs), &q, None)
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<EntryPage, Error> {
        parse_json(self.route(), response)
    }
}

/// The value, users and attributes of a write.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EntryWrite {
    /// The value: any JSON.
    pub value: Value,
    /// Users to tag (at most 4). Not sending them clears them.
    pub users: Vec<UserId>,
    /// Attributes. Not sending them clears them.
    pub attributes: Option<Attributes>,
}

impl EntryWrite {
    /// A write of a JSON value with no users or attributes.
    pub fn new(value: Value) -> Self {
        Self {
            value,
            users: Vec::new(),
            attributes: None,
        }
    }

    /// A write of any serializable value.
    pub fn from_serializable<T: Serialize + ?Sized>(value: &T) -> Result<Self, InvalidInput> {
        serde_json::to_value(value)
            .map(Self::new)
            .map_err(|e| InvalidInput::new("value", format!("does not serialize to JSON: {e}")))
    }

    /// Tags users.
    pub fn users(mut self, users: impl IntoIterator<Item = UserId>) -> Self {
        self.users = users.into_iter().collect();
        self
    }

    /// Sets attributes.
    pub fn attributes(mut self, attributes: Attributes) -> Self {
        self.attributes = Some(attributes);
        self
    }

    fn body(&self, etag: Option<&str>) -> Result<Vec<u8>, Error> {
        check_value(&self.value)?;
        check_users(&self.users)?;
        #[derive(Serialize)]
        struct Body<'a> {
            value: &'a Value,
            #[serde(skip_serializing_if = "<[UserId]>::is_empty")]
            users: &'a [UserId],
            #[serde(skip_serializing_if = "Option::is_none")]
            attributes: Option<&'a Map<String, Value>>,
            #[serde(skip_serializing_if = "Option::is_none")]
            etag: Option<&'a str>,
        }
        let body = Body {
            value: &self.value,
            users: &self.users,
            attributes: self.attributes.as_ref().map(Attributes::as_map),
            etag,
        };
        Ok(serde_json::to_vec(&body).expect("a JSON value always serializes"))
    }
}

/// Creates an entry; the service answers 400 if it exists (`POST .../entries?id=`).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateEntry {
    /// The entry.
    pub address: EntryAddress,
    /// What to write.
    pub write: EntryWrite,
}

impl CreateEntry {
    /// Creates `address` with `write`.
    pub fn new(address: EntryAddress, write: EntryWrite) -> Self {
        Self { address, write }
    }
}

impl Operation for CreateEntry {
    type Output = DataStoreEntry;
    fn route(&self) -> RouteId {
        if self.address.scope.is_some() {
            RouteId::CreateScopedEntry
        } else {
            RouteId::CreateEntry
        }
    }
    fn universe(&self) -> &UniverseId {
        &self.address.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        let body = self.write.body(None)?;
        let a = &self.address;
        let mut segs = vec![
            encode_component(a.universe.as_str()),
            encode_component(a.data_store.as_str()),
        ];
        if let Some(s) = &a.scope {
            segs.push(encode_component(s.as_str()));
        }
        build(
            config,
            self.route(),
            &refs(&segs),
            &[("id", a.key.as_str().to_string())],
            Some(body),
        )
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<DataStoreEntry, Error> {
        parse_json(self.route(), response)
    }
}

/// Reads an entry: the latest revision, a given one, or the one current at a time
/// (`GET .../entries/{key}[@selector]`).
#[derive(Debug, Clone, PartialEq)]
pub struct GetEntry {
    /// The entry.
    pub address: EntryAddress,
    /// Which revision.
    pub selector: RevisionSelector,
}

impl GetEntry {
    /// Reads the latest revision.
    pub fn new(address: EntryAddress) -> Self {
        Self {
            address,
            selector: RevisionSelector::Latest,
        }
    }
    /// Reads another revision.
    pub fn at(mut self, selector: RevisionSelector) -> Self {
        self.selector = selector;
        self
    }
}

impl Operation for GetEntry {
    type Output = DataStoreEntry;
    fn route(&self) -> RouteId {
        if self.address.scope.is_some() {
            RouteId::GetScopedEntry
        } else {
            RouteId::GetEntry
        }
    }
    fn universe(&self) -> &UniverseId {
        &self.address.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        let seg = render_entry_segment(&self.address.key, &self.selector);
        let (route, segs) = self
            .address
            .segments(seg, RouteId::GetEntry, RouteId::GetScopedEntry);
        build(config, route, &refs(&segs), &[], None)
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<DataStoreEntry, Error> {
        parse_json(self.route(), response)
    }
}

/// Replaces an entry's value, users and attributes (`PATCH .../entries/{key}`). Users and
/// attributes not sent are cleared. With an `etag`, the write is refused if the entry changed.
/// Updates never take a revision selector: the service does not update old revisions.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateEntry {
    /// The entry.
    pub address: EntryAddress,
    /// What to write.
    pub write: EntryWrite,
    /// Create the entry if it is missing.
    pub allow_missing: bool,
    /// Only write if the entry still has this etag.
    pub etag: Option<String>,
}

impl UpdateEntry {
    /// Updates an existing entry.
    pub fn new(address: EntryAddress, write: EntryWrite) -> Self {
        Self {
            address,
            write,
            allow_missing: false,
            etag: None,
        }
    }
    /// Creates the entry if it is missing (an upsert).
    pub fn allow_missing(mut self, yes: bool) -> Self {
        self.allow_missing = yes;
        self
    }
    /// Writes only if the entry's etag is still `etag`.
    pub fn if_etag(mut self, etag: impl Into<String>) -> Self {
        self.etag = Some(etag.into());
        self
    }
}

impl Operation for UpdateEntry {
    type Output = DataStoreEntry;
    fn route(&self) -> RouteId {
        if self.address.scope.is_some() {
            RouteId::UpdateScopedEntry
        } else {
            RouteId::UpdateEntry
        }
    }
    fn universe(&self) -> &UniverseId {
        &self.address.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        let body = self.write.body(self.etag.as_deref())?;
        // With allowMissing the service takes the whole id as the key; without it, it reads a
        // selector, so a key containing `@` needs `@latest`.
        let seg = if self.allow_missing {
            self.address.literal_segment()
        } else {
            self.address.selector_segment()
        };
        let (route, segs) =
            self.address
                .segments(seg, RouteId::UpdateEntry, RouteId::UpdateScopedEntry);
        let q = if self.allow_missing {
            vec![("allowMissing", "true".to_string())]
        } else {
            vec![]
        };
        build(config, route, &refs(&segs), &q, Some(body))
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<DataStoreEntry, Error> {
        parse_json(self.route(), response)
    }
    /// Guarded by an etag, a repeated update is refused once the first attempt landed (409),
    /// which would report a write that succeeded as a conflict: retried only when certainly not
    /// applied. Unguarded, repeating it leaves the same state.
    fn retry_class(&self) -> RetryClass {
        if self.etag.is_some() {
            RetryClass::UnappliedOnly
        } else {
            self.route().route().retry
        }
    }
}

/// Marks an entry deleted; it is purged 30 days later (`DELETE .../entries/{key}`).
#[derive(Debug, Clone, PartialEq)]
pub struct DeleteEntry {
    /// The entry.
    pub address: EntryAddress,
}

impl DeleteEntry {
    /// Deletes `address`.
    pub fn new(address: EntryAddress) -> Self {
        Self { address }
    }
}

impl Operation for DeleteEntry {
    type Output = ();
    fn route(&self) -> RouteId {
        if self.address.scope.is_some() {
            RouteId::DeleteScopedEntry
        } else {
            RouteId::DeleteEntry
        }
    }
    fn universe(&self) -> &UniverseId {
        &self.address.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        let (route, segs) = self.address.segments(
            self.address.selector_segment(),
            RouteId::DeleteEntry,
            RouteId::DeleteScopedEntry,
        );
        build(config, route, &refs(&segs), &[], None)
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<(), Error> {
        parse_empty(self.route(), response)
    }
    fn absent_after_retry_is_success(&self) -> bool {
        true
    }
}

/// Adds an integer to an entry's integer value, creating the entry with `amount` if it is
/// missing (`POST .../entries/{key}:increment`). Users and attributes not sent are cleared.
/// Not idempotent: retried only when the service cannot have applied it.
#[derive(Debug, Clone, PartialEq)]
pub struct IncrementEntry {
    /// The entry.
    pub address: EntryAddress,
    /// How much to add (at most 2^53 in magnitude).
    pub amount: i64,
    /// Users to tag.
    pub users: Vec<UserId>,
    /// Attributes.
    pub attributes: Option<Attributes>,
}

impl IncrementEntry {
    /// Adds `amount` to `address`.
    pub fn new(address: EntryAddress, amount: i64) -> Self {
        Self {
            address,
            amount,
            users: Vec::new(),
            attributes: None,
        }
    }
    /// Tags users.
    pub fn users(mut self, users: impl IntoIterator<Item = UserId>) -> Self {
        self.users = users.into_iter().collect();
        self
    }
    /// Sets attributes.
    pub fn attributes(mut self, attributes: Attributes) -> Self {
        self.attributes = Some(attributes);
        self
    }
}

impl Operation for IncrementEntry {
    type Output = DataStoreEntry;
    fn route(&self) -> RouteId {
        if self.address.scope.is_some() {
            RouteId::IncrementScopedEntry
        } else {
            RouteId::IncrementEntry
        }
    }
    fn universe(&self) -> &UniverseId {
        &self.address.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        check_safe_integer("amount", self.amount)?;
        check_users(&self.users)?;
        #[derive(Serialize)]
        struct Body<'a> {
            amount: i64,
            #[serde(skip_serializing_if = "<[UserId]>::is_empty")]
            users: &'a [UserId],
            #[serde(skip_serializing_if = "Option::is_none")]
            attributes: Option<&'a Map<String, Value>>,
        }
        let body = serde_json::to_vec(&Body {
            amount: self.amount,
            users: &self.users,
            attributes: self.attributes.as_ref().map(Attributes::as_map),
        })
        .expect("serializes");
        let (route, segs) = self.address.segments(
            self.address.literal_segment(),
            RouteId::IncrementEntry,
            RouteId::IncrementScopedEntry,
        );
        build(config, route, &refs(&segs), &[], Some(body))
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<DataStoreEntry, Error> {
        parse_json(self.route(), response)
    }
}

/// Lists an entry's revisions, newest first (`GET .../entries/{key}:listRevisions`). Only
/// `path`, `id`, `createTime`, `revisionCreateTime`, `revisionId`, `etag` and `state` are filled
/// in; `path` and `id` carry `@<revision>`.
#[derive(Debug, Clone, PartialEq)]
pub struct ListEntryRevisions {
    /// The entry.
    pub address: EntryAddress,
    /// Only revisions made in this range.
    pub range: RevisionTimeRange,
    /// Page size (default 10, the service clamps to 100).
    pub max_page_size: Option<u32>,
    /// The page to fetch.
    pub page_token: Option<PageToken>,
}

impl ListEntryRevisions {
    /// Every revision of `address`.
    pub fn new(address: EntryAddress) -> Self {
        Self {
            address,
            range: RevisionTimeRange::default(),
            max_page_size: None,
            page_token: None,
        }
    }
    /// Only revisions made in `range`.
    pub fn range(mut self, range: RevisionTimeRange) -> Self {
        self.range = range;
        self
    }
    /// Asks for pages of `n`.
    pub fn max_page_size(mut self, n: u32) -> Self {
        self.max_page_size = Some(n);
        self
    }
}

impl Operation for ListEntryRevisions {
    type Output = EntryPage;
    fn route(&self) -> RouteId {
        if self.address.scope.is_some() {
            RouteId::ListScopedEntryRevisions
        } else {
            RouteId::ListEntryRevisions
        }
    }
    fn universe(&self) -> &UniverseId {
        &self.address.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        let mut q = page_params(self.max_page_size, self.page_token.as_ref())?;
        if let Some(f) = self.range.render() {
            q.push(("filter", f));
        }
        let (route, segs) = self.address.segments(
            self.address.selector_segment(),
            RouteId::ListEntryRevisions,
            RouteId::ListScopedEntryRevisions,
        );
        build(config, route, &refs(&segs), &q, None)
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<EntryPage, Error> {
        parse_json(self.route(), response)
    }
}

paged!(ListEntries, ListEntryRevisions);
