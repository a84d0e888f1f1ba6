//! Legacy v1 standard data store operations (`/datastores/v1/universes/{u}/standard-datastores`).
//!
//! An entry is addressed by the same [`EntryAddress`] as in v2; here its data store, scope and
//! key go to the query. Reads return the v2 [`DataStoreEntry`], filled from the body and the
//! `roblox-entry-*` headers.

use http::{HeaderName, HeaderValue, Request, Response};
use jiff::Timestamp;

use crate::config::Config;
use crate::error::{Error, InvalidInput};
use crate::model::DataStoreEntry;
use crate::model_v1::{
    V1DataStorePage, V1EntryKeyPage, V1EntryVersion, V1EntryVersionPage, WireDataStorePage,
    WireKeyPage,
};
use crate::names::{Attributes, DataStoreName, PageToken, RevisionId, Scope, UniverseId, UserId};
use crate::ops::entries::{EntryAddress, EntryWrite};
use crate::ops::ordered::Order;
use crate::ops::v1::{
    CONTENT_MD5, MAX_V1_VALUE_BYTES, check_limit, check_v1_bytes, check_v1_prefix, content_md5,
    empty_body_length, entry_query, metadata_headers, read_entry, with_headers,
};
use crate::ops::{Operation, PagedOperation, build, parse_empty, parse_json};
use crate::route::encode_component;
use crate::routes::RouteId;

/// Implements [`PagedOperation`] for a v1 standard list, whose page token is its `cursor`.
macro_rules! paged_by_cursor {
    ($($op:ty),+) => {$(
        impl PagedOperation for $op {
            fn page_token(&self) -> Option<&PageToken> {
                self.cursor.as_ref()
            }
            fn set_page_token(&mut self, token: Option<PageToken>) {
                self.cursor = token;
            }
        }
    )+};
}

/// Appends the paging parameters of a v1 standard list: `cursor` in, `nextPageCursor` out.
fn push_paging(
    q: &mut Vec<(&'static str, String)>,
    cursor: Option<&PageToken>,
    limit: Option<u32>,
) -> Result<(), InvalidInput> {
    check_limit(limit)?;
    if let Some(c) = cursor {
        q.push(("cursor", c.as_str().to_string()));
    }
    if let Some(n) = limit {
        q.push(("limit", n.to_string()));
    }
    Ok(())
}

/// Lists the data stores of a universe (`GET .../standard-datastores`). The service answers one
/// data store per page unless `limit` asks for more, and pages may be short.
#[derive(Debug, Clone, PartialEq)]
pub struct V1ListDataStores {
    /// The universe.
    pub universe: UniverseId,
    /// Only names starting with this.
    pub prefix: Option<String>,
    /// Page size (the service's default is 1; it documents no maximum).
    pub limit: Option<u32>,
    /// The page to fetch (`cursor`).
    pub cursor: Option<PageToken>,
}

impl V1ListDataStores {
    /// The first page of every data store.
    pub fn new(universe: UniverseId) -> Self {
        Self {
            universe,
            prefix: None,
            limit: None,
            cursor: None,
        }
    }
    /// Only names starting with `prefix`.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }
    /// Asks for pages of `n`.
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }
}

impl Operation for V1ListDataStores {
    type Output = V1DataStorePage;
    fn route(&self) -> RouteId {
        RouteId::V1ListDataStores
    }
    fn universe(&self) -> &UniverseId {
        &self.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        let mut q = Vec::new();
        push_paging(&mut q, self.cursor.as_ref(), self.limit)?;
        if let Some(p) = self.prefix.as_deref().filter(|p| !p.is_empty()) {
            check_v1_prefix(p)?;
            q.push(("prefix", p.to_string()));
        }
        build(
            config,
            self.route(),
            &[&encode_component(self.universe.as_str())],
            &q,
            None,
        )
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<V1DataStorePage, Error> {
        let wire: WireDataStorePage = parse_json(self.route(), response)?;
        Ok(wire.into_page(&self.universe))
    }
}

/// Lists entry keys (`GET .../datastore/entries`): in the default scope, in one scope, or in
/// every scope (`allScopes`). Entries marked deleted are listed until they are purged.
#[derive(Debug, Clone, PartialEq)]
pub struct V1ListEntries {
    /// The universe.
    pub universe: UniverseId,
    /// The data store.
    pub data_store: DataStoreName,
    /// One scope (`None`: the service's default, `global`). Never together with `all_scopes`.
    pub scope: Option<Scope>,
    /// List every scope (`allScopes=true`). Never together with `scope`.
    pub all_scopes: bool,
    /// Only keys starting with this.
    pub prefix: Option<String>,
    /// Page size (the service's default is 16; it documents no maximum).
    pub limit: Option<u32>,
    /// The page to fetch (`cursor`).
    pub cursor: Option<PageToken>,
}

impl V1ListEntries {
    /// The first page of the default scope.
    pub fn new(universe: UniverseId, data_store: DataStoreName) -> Self {
        Self {
            universe,
            data_store,
            scope: None,
            all_scopes: false,
            prefix: None,
            limit: None,
            cursor: None,
        }
    }
    /// Lists one scope.
    pub fn scope(mut self, scope: Scope) -> Self {
        self.scope = Some(scope);
        self
    }
    /// Lists every scope; each key comes back tagged with its scope.
    pub fn all_scopes(mut self, yes: bool) -> Self {
        self.all_scopes = yes;
        self
    }
    /// Only keys starting with `prefix`.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }
    /// Asks for pages of `n`.
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }
}

impl Operation for V1ListEntries {
    type Output = V1EntryKeyPage;
    fn route(&self) -> RouteId {
        RouteId::V1ListEntries
    }
    fn universe(&self) -> &UniverseId {
        &self.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        check_v1_bytes("data_store", self.data_store.as_str())?;
        let mut q = vec![("datastoreName", self.data_store.as_str().to_string())];
        match (&self.scope, self.all_scopes) {
            (Some(_), true) => {
                return Err(InvalidInput::new(
                    "all_scopes",
                    "cannot be combined with a scope: the service refuses `scope` and `allScopes` on the same request",
                )
                .into());
            }
            (Some(s), false) => {
                check_v1_bytes(Scope::FIELD, s.as_str())?;
                q.push(("scope", s.as_str().to_string()));
            }
            (None, true) => q.push(("allScopes", "true".to_string())),
            (None, false) => {}
        }
        if let Some(p) = self.prefix.as_deref().filter(|p| !p.is_empty()) {
            check_v1_prefix(p)?;
            q.push(("prefix", p.to_string()));
        }
        push_paging(&mut q, self.cursor.as_ref(), self.limit)?;
        build(
            config,
            self.route(),
            &[&encode_component(self.universe.as_str())],
            &q,
            None,
        )
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<V1EntryKeyPage, Error> {
        let wire: WireKeyPage = parse_json(self.route(), response)?;
        let scope = self.scope.as_ref().map_or("global", Scope::as_str);
        Ok(wire.into_page(
            &self.universe,
            self.data_store.as_str(),
            scope,
            self.all_scopes,
        ))
    }
}

/// Reads an entry (`GET .../datastore/entries/entry`): the value from the body, the version,
/// times, users and attributes from the headers. A `content-md5` in the answer is checked against
/// the body. An entry marked deleted reads as [`State::Deleted`](crate::State::Deleted) if the
/// service answers 204, or as a 404 error.
#[derive(Debug, Clone, PartialEq)]
pub struct V1GetEntry {
    /// The entry.
    pub address: EntryAddress,
}

impl V1GetEntry {
    /// Reads `address`.
    pub fn new(address: EntryAddress) -> Self {
        Self { address }
    }
}

impl Operation for V1GetEntry {
    type Output = DataStoreEntry;
    fn route(&self) -> RouteId {
        RouteId::V1GetEntry
    }
    fn universe(&self) -> &UniverseId {
        &self.address.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        let q = entry_query(&self.address)?;
        build(
            config,
            self.route(),
            &[&encode_component(self.address.universe.as_str())],
            &q,
            None,
        )
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<DataStoreEntry, Error> {
        read_entry(self.route(), &self.address, response)
    }
}

/// Sets an entry's value, users and attributes (`POST .../datastore/entries/entry`). The body is
/// the value's JSON bytes, sent exactly as given, with `content-md5` computed over them. Users
/// and attributes not sent are cleared. Without conditions it is an upsert; `exclusive_create`
/// writes only a new entry, `match_version` only over that version (never both).
#[derive(Debug, Clone, PartialEq)]
pub struct V1SetEntry {
    /// The entry.
    pub address: EntryAddress,
    /// The value: a JSON document, as the exact bytes to send.
    pub body: Vec<u8>,
    /// Users to tag (at most 4).
    pub users: Vec<UserId>,
    /// Attributes (fewer than 300 bytes serialized).
    pub attributes: Option<Attributes>,
    /// Write only if the entry's current version is this one (`matchVersion`).
    pub match_version: Option<RevisionId>,
    /// Write only if the entry does not exist (`exclusiveCreate`).
    pub exclusive_create: bool,
}

impl V1SetEntry {
    /// Sets `address` to `write`'s value, users and attributes. The value is serialized as
    /// compact JSON.
    pub fn new(address: EntryAddress, write: EntryWrite) -> Self {
        let body = serde_json::to_vec(&write.value).expect("a JSON value always serializes");
        Self {
            address,
            body,
            users: write.users,
            attributes: write.attributes,
            match_version: None,
            exclusive_create: false,
        }
    }

    /// Sets `address` to a JSON document given as bytes, sent as they are (the checksum is over
    /// these bytes). [`Operation::to_request`] refuses bytes that are not JSON.
    pub fn from_json_bytes(address: EntryAddress, body: impl Into<Vec<u8>>) -> Self {
        Self {
            address,
            body: body.into(),
            users: Vec::new(),
            attributes: None,
            match_version: None,
            exclusive_create: false,
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
    /// Writes only if the entry is still at `version`.
    pub fn match_version(mut self, version: RevisionId) -> Self {
        self.match_version = Some(version);
        self
    }
    /// Writes only if the entry does not exist yet.
    pub fn exclusive_create(mut self, yes: bool) -> Self {
        self.exclusive_create = yes;
        self
    }
}

impl Operation for V1SetEntry {
    type Output = V1EntryVersion;
    fn route(&self) -> RouteId {
        RouteId::V1SetEntry
    }
    fn universe(&self) -> &UniverseId {
        &self.address.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        let mut q = entry_query(&self.address)?;
        if self.match_version.is_some() && self.exclusive_create {
            return Err(InvalidInput::new(
                "exclusive_create",
                "cannot be combined with match_version: an entry cannot be both new and at a version",
            )
            .into());
        }
        if let Some(v) = &self.match_version {
            q.push(("matchVersion", v.as_str().to_string()));
        }
        if self.exclusive_create {
            q.push(("exclusiveCreate", "true".to_string()));
        }
        if self.body.len() > MAX_V1_VALUE_BYTES {
            return Err(InvalidInput::new(
                "value",
                format!(
                    "is {} bytes; the legacy v1 API takes at most {MAX_V1_VALUE_BYTES}",
                    self.body.len()
                ),
            )
            .into());
        }
        if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&self.body) {
            return Err(InvalidInput::new("value", format!("is not a JSON document: {e}")).into());
        }
        let mut headers = metadata_headers(&self.users, self.attributes.as_ref())?;
        headers.push((
            HeaderName::from_static(CONTENT_MD5),
            HeaderValue::from_str(&content_md5(&self.body)).expect("base64 is a header value"),
        ));
        let req = build(
            config,
            self.route(),
            &[&encode_component(self.address.universe.as_str())],
            &q,
            Some(self.body.clone()),
        )?;
        Ok(with_headers(req, headers))
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<V1EntryVersion, Error> {
        parse_json(self.route(), response)
    }
}

/// Adds an integer to an entry's value, creating the entry with it if missing
/// (`POST .../datastore/entries/entry/increment?incrementBy=`). The request has no body. The
/// answer is the entry with its new value. Users and attributes not sent are cleared. Not
/// idempotent: retried only when the service cannot have applied it.
#[derive(Debug, Clone, PartialEq)]
pub struct V1IncrementEntry {
    /// The entry.
    pub address: EntryAddress,
    /// How much to add (`incrementBy`, an int64).
    pub increment_by: i64,
    /// Users to tag (at most 4).
    pub users: Vec<UserId>,
    /// Attributes (fewer than 300 bytes serialized).
    pub attributes: Option<Attributes>,
}

impl V1IncrementEntry {
    /// Adds `increment_by` to `address`.
    pub fn new(address: EntryAddress, increment_by: i64) -> Self {
        Self {
            address,
            increment_by,
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

impl Operation for V1IncrementEntry {
    type Output = DataStoreEntry;
    fn route(&self) -> RouteId {
        RouteId::V1IncrementEntry
    }
    fn universe(&self) -> &UniverseId {
        &self.address.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        let mut q = entry_query(&self.address)?;
        q.push(("incrementBy", self.increment_by.to_string()));
        let mut headers = metadata_headers(&self.users, self.attributes.as_ref())?;
        headers.push(empty_body_length());
        let req = build(
            config,
            self.route(),
            &[&encode_component(self.address.universe.as_str())],
            &q,
            None,
        )?;
        Ok(with_headers(req, headers))
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<DataStoreEntry, Error> {
        read_entry(self.route(), &self.address, response)
    }
}

/// Marks an entry deleted with a tombstone version; it is purged after 30 days
/// (`DELETE .../datastore/entries/entry`, 204).
#[derive(Debug, Clone, PartialEq)]
pub struct V1DeleteEntry {
    /// The entry.
    pub address: EntryAddress,
}

impl V1DeleteEntry {
    /// Deletes `address`.
    pub fn new(address: EntryAddress) -> Self {
        Self { address }
    }
}

impl Operation for V1DeleteEntry {
    type Output = ();
    fn route(&self) -> RouteId {
        RouteId::V1DeleteEntry
    }
    fn universe(&self) -> &UniverseId {
        &self.address.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        let q = entry_query(&self.address)?;
        build(
            config,
            self.route(),
            &[&encode_component(self.address.universe.as_str())],
            &q,
            None,
        )
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<(), Error> {
        parse_empty(self.route(), response)
    }
}

/// Lists an entry's versions (`GET .../datastore/entries/entry/versions`), oldest first unless
/// the order is [`Order::Descending`], optionally between two times.
#[derive(Debug, Clone, PartialEq)]
pub struct V1ListEntryVersions {
    /// The entry.
    pub address: EntryAddress,
    /// No versions earlier than this (`startTime`).
    pub start_time: Option<Timestamp>,
    /// No versions later than this (`endTime`).
    pub end_time: Option<Timestamp>,
    /// `sortOrder`: `Ascending` (the default) or `Descending`.
    pub order: Order,
    /// Page size (the service's default is 16; it documents no maximum).
    pub limit: Option<u32>,
    /// The page to fetch (`cursor`).
    pub cursor: Option<PageToken>,
}

impl V1ListEntryVersions {
    /// Every version of `address`, oldest first.
    pub fn new(address: EntryAddress) -> Self {
        Self {
            address,
            start_time: None,
            end_time: None,
            order: Order::Ascending,
            limit: None,
            cursor: None,
        }
    }
    /// No versions earlier than `t`.
    pub fn start_time(mut self, t: Timestamp) -> Self {
        self.start_time = Some(t);
        self
    }
    /// No versions later than `t`.
    pub fn end_time(mut self, t: Timestamp) -> Self {
        self.end_time = Some(t);
        self
    }
    /// Sets the order.
    pub fn order(mut self, order: Order) -> Self {
        self.order = order;
        self
    }
    /// Asks for pages of `n`.
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }
}

impl Operation for V1ListEntryVersions {
    type Output = V1EntryVersionPage;
    fn route(&self) -> RouteId {
        RouteId::V1ListEntryVersions
    }
    fn universe(&self) -> &UniverseId {
        &self.address.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        let mut q = entry_query(&self.address)?;
        if let (Some(s), Some(e)) = (self.start_time, self.end_time)
            && s > e
        {
            return Err(
                InvalidInput::new("start_time", format!("{s} is after end_time {e}")).into(),
            );
        }
        if let Some(t) = self.start_time {
            q.push(("startTime", t.to_string()));
        }
        if let Some(t) = self.end_time {
            q.push(("endTime", t.to_string()));
        }
        if self.order == Order::Descending {
            q.push(("sortOrder", "Descending".to_string()));
        }
        push_paging(&mut q, self.cursor.as_ref(), self.limit)?;
        build(
            config,
            self.route(),
            &[&encode_component(self.address.universe.as_str())],
            &q,
            None,
        )
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<V1EntryVersionPage, Error> {
        parse_json(self.route(), response)
    }
}

/// Reads an entry at a version (`GET .../datastore/entries/entry/versions/version?versionId=`),
/// as [`V1GetEntry`] reads the latest.
#[derive(Debug, Clone, PartialEq)]
pub struct V1GetEntryVersion {
    /// The entry.
    pub address: EntryAddress,
    /// The version (`versionId`), as a version listing or a write returned it.
    pub version: RevisionId,
}

impl V1GetEntryVersion {
    /// Reads `address` at `version`.
    pub fn new(address: EntryAddress, version: RevisionId) -> Self {
        Self { address, version }
    }
}

impl Operation for V1GetEntryVersion {
    type Output = DataStoreEntry;
    fn route(&self) -> RouteId {
        RouteId::V1GetEntryVersion
    }
    fn universe(&self) -> &UniverseId {
        &self.address.universe
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        let mut q = entry_query(&self.address)?;
        q.push(("versionId", self.version.as_str().to_string()));
        build(
            config,
            self.route(),
            &[&encode_component(self.address.universe.as_str())],
            &q,
            None,
        )
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<DataStoreEntry, Error> {
        read_entry(self.route(), &self.address, response)
    }
}

paged_by_cursor!(V1ListDataStores, V1ListEntries, V1ListEntryVersions);
