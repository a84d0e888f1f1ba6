//! Handles that read like the domain: `client.data_store("Inventory").scope("global").entry("user_1")`.
//!
//! A handle holds validated names; a name that breaks a rule is reported by the first operation
//! called on the handle, before any request is sent.

use futures_core::Stream;
use opencloud_core::rmw;
use opencloud_core::{
    Attributes, CreateEntry, CreateOrderedEntry, DataStore, DataStoreEntry, DataStoreName,
    DeleteDataStore, DeleteEntry, DeleteOrderedEntry, EntryAddress, EntryKey, EntryPage,
    EntryWrite, Error, GetEntry, GetOrderedEntry, IncrementEntry, IncrementOrderedEntry,
    InvalidInput, JitterSource, ListEntries, ListEntryRevisions, ListOrderedEntries, ListScope,
    OrderedEntry, OrderedEntryId, OrderedEntryPage, OrderedStore, RevisionSelector, Scope,
    UndeleteDataStore, UniverseId, UpdateEntry, UpdateOrderedEntry,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::client::Client;

type Checked<T> = Result<T, InvalidInput>;

fn failed<T: Send + 'static>(
    e: InvalidInput,
) -> futures_util::stream::BoxStream<'static, Result<T, Error>> {
    Box::pin(futures_util::stream::once(
        async move { Err(Error::from(e)) },
    ))
}

/// A standard data store.
#[derive(Debug, Clone)]
pub struct DataStoreHandle {
    client: Client,
    universe: Checked<UniverseId>,
    name: Checked<DataStoreName>,
}

impl DataStoreHandle {
    pub(crate) fn new(client: Client, universe: Checked<UniverseId>, name: &str) -> Self {
        Self {
            client,
            universe,
            name: DataStoreName::new(name),
        }
    }

    /// The same data store name in another universe.
    pub fn in_universe(mut self, universe: impl ToString) -> Self {
        self.universe = UniverseId::new(universe.to_string());
        self
    }

    fn parts(&self) -> Checked<(UniverseId, DataStoreName)> {
        Ok((self.universe.clone()?, self.name.clone()?))
    }

    /// A named scope of this data store.
    pub fn scope(&self, scope: &str) -> ScopeHandle {
        ScopeHandle {
            store: self.clone(),
            scope: Scope::new(scope),
        }
    }

    /// An entry in the default scope (the unscoped path, which the service reads as `global`).
    pub fn entry(&self, key: &str) -> EntryHandle {
        let address = self
            .parts()
            .and_then(|(u, d)| Ok(EntryAddress::new(u, d, EntryKey::new(key)?)));
        EntryHandle {
            client: self.client.clone(),
            address,
        }
    }

    /// A listing of the default scope, for [`Client::items`] or [`Client::pages`].
    pub fn list(&self) -> Checked<ListEntries> {
        let (u, d) = self.parts()?;
        Ok(ListEntries::new(u, d))
    }

    /// Every entry id in the default scope, across pages. Configure the listing (prefix, all
    /// scopes, deleted entries, page size) with the closure.
    pub fn entries(
        &self,
        configure: impl FnOnce(ListEntries) -> ListEntries,
    ) -> impl Stream<Item = Result<DataStoreEntry, Error>> + Send + 'static {
        match self.list() {
            Ok(op) => Box::pin(self.client.items(configure(op))),
            Err(e) => failed(e),
        }
    }

    /// Entry ids of every scope (the `-` wildcard).
    pub fn all_scopes(&self) -> impl Stream<Item = Result<DataStoreEntry, Error>> + Send + 'static {
        self.entries(|op| op.scope(ListScope::All))
    }

    /// Pages of a listing of the default scope, with their tokens (to save and resume).
    pub fn entry_pages(
        &self,
        configure: impl FnOnce(ListEntries) -> ListEntries,
    ) -> impl Stream<Item = Result<EntryPage, Error>> + Send + 'static {
        match self.list() {
            Ok(op) => Box::pin(self.client.pages(configure(op))),
            Err(e) => failed(e),
        }
    }

    /// Read-modify-write of one entry in the default scope, guarded by its etag: see
    /// [`EntryHandle::update_with`].
    pub async fn update_with<T, F>(&self, key: &str, change: F) -> Result<DataStoreEntry, Error>
    where
        T: Serialize + DeserializeOwned,
        F: FnMut(Option<T>) -> T,
    {
        self.entry(key).update_with(change).await
    }

    /// Schedules the data store for deletion in 30 days.
    pub async fn delete(&self) -> Result<DataStore, Error> {
        let (u, d) = self.parts()?;
        self.client.send(&DeleteDataStore::new(u, d)).await
    }

    /// Restores the data store.
    pub async fn undelete(&self) -> Result<DataStore, Error> {
        let (u, d) = self.parts()?;
        self.client.send(&UndeleteDataStore::new(u, d)).await
    }
}

/// A named scope of a standard data store.
#[derive(Debug, Clone)]
pub struct ScopeHandle {
    store: DataStoreHandle,
    scope: Checked<Scope>,
}

impl ScopeHandle {
    /// An entry in this scope.
    pub fn entry(&self, key: &str) -> EntryHandle {
        let address = self.store.parts().and_then(|(u, d)| {
            Ok(EntryAddress::new(u, d, EntryKey::new(key)?).in_scope(self.scope.clone()?))
        });
        EntryHandle {
            client: self.store.client.clone(),
            address,
        }
    }

    /// A listing of this scope.
    pub fn list(&self) -> Checked<ListEntries> {
        Ok(self
            .store
            .list()?
            .scope(ListScope::Scope(self.scope.clone()?)))
    }

    /// Every entry id in this scope, across pages.
    pub fn entries(
        &self,
        configure: impl FnOnce(ListEntries) -> ListEntries,
    ) -> impl Stream<Item = Result<DataStoreEntry, Error>> + Send + 'static {
        match self.list() {
            Ok(op) => Box::pin(self.store.client.items(configure(op))),
            Err(e) => failed(e),
        }
    }
}

/// One standard entry.
#[derive(Debug, Clone)]
pub struct EntryHandle {
    client: Client,
    address: Checked<EntryAddress>,
}

impl EntryHandle {
    /// The entry's address.
    pub fn address(&self) -> Result<&EntryAddress, InvalidInput> {
        self.address.as_ref().map_err(Clone::clone)
    }

    fn addr(&self) -> Checked<EntryAddress> {
        self.address.clone()
    }

    /// The latest revision.
    pub async fn get(&self) -> Result<DataStoreEntry, Error> {
        self.client.send(&GetEntry::new(self.addr()?)).await
    }

    /// The value of the latest revision, decoded as `T`.
    pub async fn get_json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        self.get().await?.value_as()
    }

    /// A given revision, or the revision current at a time.
    pub async fn get_at(&self, selector: RevisionSelector) -> Result<DataStoreEntry, Error> {
        self.client
            .send(&GetEntry::new(self.addr()?).at(selector))
            .await
    }

    /// Creates the entry; fails (400) if it exists.
    pub async fn create<T: Serialize + ?Sized>(&self, value: &T) -> Result<DataStoreEntry, Error> {
        self.create_with(EntryWrite::from_serializable(value)?)
            .await
    }

    /// Creates the entry with users and attributes.
    pub async fn create_with(&self, write: EntryWrite) -> Result<DataStoreEntry, Error> {
        self.client
            .send(&CreateEntry::new(self.addr()?, write))
            .await
    }

    /// Writes the value, creating the entry if needed (users and attributes are cleared).
    pub async fn set<T: Serialize + ?Sized>(&self, value: &T) -> Result<DataStoreEntry, Error> {
        self.client
            .send(
                &UpdateEntry::new(self.addr()?, EntryWrite::from_serializable(value)?)
                    .allow_missing(true),
            )
            .await
    }

    /// Replaces the value of an existing entry (users and attributes are cleared).
    pub async fn update<T: Serialize + ?Sized>(&self, value: &T) -> Result<DataStoreEntry, Error> {
        self.client
            .send(&UpdateEntry::new(
                self.addr()?,
                EntryWrite::from_serializable(value)?,
            ))
            .await
    }

    /// Any update: with users and attributes, upsert or not, guarded by an etag or not.
    pub async fn update_with_options(
        &self,
        write: EntryWrite,
        allow_missing: bool,
        etag: Option<&str>,
    ) -> Result<DataStoreEntry, Error> {
        let mut op = UpdateEntry::new(self.addr()?, write).allow_missing(allow_missing);
        op.etag = etag.map(String::from);
        self.client.send(&op).await
    }

    /// Adds `amount` to an integer value (creating the entry). Retried only when the service
    /// cannot have applied it.
    pub async fn increment(&self, amount: i64) -> Result<DataStoreEntry, Error> {
        self.client
            .send(&IncrementEntry::new(self.addr()?, amount))
            .await
    }

    /// Adds `amount` and sets users and attributes.
    pub async fn increment_with(
        &self,
        amount: i64,
        users: Vec<opencloud_core::UserId>,
        attributes: Option<Attributes>,
    ) -> Result<DataStoreEntry, Error> {
        let mut op = IncrementEntry::new(self.addr()?, amount).users(users);
        op.attributes = attributes;
        self.client.send(&op).await
    }

    /// Marks the entry deleted.
    pub async fn delete(&self) -> Result<(), Error> {
        self.client.send(&DeleteEntry::new(self.addr()?)).await
    }

    /// Every revision, oldest first, across pages.
    pub fn revisions(
        &self,
        configure: impl FnOnce(ListEntryRevisions) -> ListEntryRevisions,
    ) -> impl Stream<Item = Result<DataStoreEntry, Error>> + Send + 'static {
        match self.addr() {
            Ok(a) => Box::pin(self.client.items(configure(ListEntryRevisions::new(a)))),
            Err(e) => failed(e),
        }
    }

    /// Reads the entry, applies `change` to its value (`None` when it does not exist) and writes
    /// the result guarded by the etag it read, so no concurrent write is lost. On a conflict it
    /// reads again and re-applies `change`, up to the client's `update_attempts`, then fails with
    /// [`Error::UpdateConflict`]. Users and attributes are kept. This is what `UpdateAsync` does
    /// inside a game.
    pub async fn update_with<T, F>(&self, mut change: F) -> Result<DataStoreEntry, Error>
    where
        T: Serialize + DeserializeOwned,
        F: FnMut(Option<T>) -> T,
    {
        let addr = self.addr()?;
        let attempts = self.client.inner.update_attempts;
        let mut jitter = JitterSource::new(self.client.inner.clock.now().as_nanosecond() as u64);
        for attempt in 1..=attempts {
            let current = match self.client.send(&GetEntry::new(addr.clone())).await {
                Ok(e) => Some(e),
                Err(e) if e.is_not_found() => None,
                Err(e) => return Err(e),
            };
            let value = current
                .as_ref()
                .map(DataStoreEntry::value_as::<T>)
                .transpose()?;
            let write = EntryWrite::from_serializable(&change(value))?;
            let result = match rmw::write_for(&addr, current.as_ref(), write) {
                rmw::RmwWrite::Update(op) => self.client.send(&op).await,
                rmw::RmwWrite::Create(op) => self.client.send(&op).await,
            };
            let error = match result {
                Ok(e) => return Ok(e),
                Err(e) => e,
            };
            match rmw::after_failure(&error, current.is_some()) {
                rmw::AfterFailure::ReadAgain => {}
                rmw::AfterFailure::ReadAgainIfExists => {
                    if self
                        .client
                        .send(&GetEntry::new(addr.clone()))
                        .await
                        .is_err()
                    {
                        return Err(error);
                    }
                }
                rmw::AfterFailure::Fail => return Err(error),
            }
            self.client
                .inner
                .clock
                .sleep(rmw::backoff(attempt, jitter.next_sample()))
                .await;
        }
        Err(Error::UpdateConflict { attempts })
    }
}

/// A scope of an ordered data store.
#[derive(Debug, Clone)]
pub struct OrderedStoreHandle {
    client: Client,
    store: Checked<OrderedStore>,
}

impl OrderedStoreHandle {
    pub(crate) fn new(
        client: Client,
        universe: Checked<UniverseId>,
        name: &str,
        scope: &str,
    ) -> Self {
        let store = universe.and_then(|u| {
            Ok(OrderedStore::new(
                u,
                DataStoreName::new(name)?,
                Scope::new(scope)?,
            ))
        });
        Self { client, store }
    }

    /// The same store in another universe.
    pub fn in_universe(mut self, universe: impl ToString) -> Self {
        self.store = self.store.and_then(|s| {
            Ok(OrderedStore {
                universe: UniverseId::new(universe.to_string())?,
                ..s
            })
        });
        self
    }

    /// One entry.
    pub fn entry(&self, id: &str) -> OrderedEntryHandle {
        OrderedEntryHandle {
            client: self.client.clone(),
            store: self.store.clone(),
            id: OrderedEntryId::new(id),
        }
    }

    /// A listing, ascending and unbounded until configured.
    pub fn list(&self) -> Checked<ListOrderedEntries> {
        Ok(ListOrderedEntries::new(self.store.clone()?))
    }

    /// Every entry in order, across pages. Configure order, range and page size with the closure.
    pub fn entries(
        &self,
        configure: impl FnOnce(ListOrderedEntries) -> ListOrderedEntries,
    ) -> impl Stream<Item = Result<OrderedEntry, Error>> + Send + 'static {
        match self.list() {
            Ok(op) => Box::pin(self.client.items(configure(op))),
            Err(e) => failed(e),
        }
    }

    /// Pages of a listing, with their tokens.
    pub fn pages(
        &self,
        configure: impl FnOnce(ListOrderedEntries) -> ListOrderedEntries,
    ) -> impl Stream<Item = Result<OrderedEntryPage, Error>> + Send + 'static {
        match self.list() {
            Ok(op) => Box::pin(self.client.pages(configure(op))),
            Err(e) => failed(e),
        }
    }
}

/// One ordered entry.
#[derive(Debug, Clone)]
pub struct OrderedEntryHandle {
    client: Client,
    store: Checked<OrderedStore>,
    id: Checked<OrderedEntryId>,
}

impl OrderedEntryHandle {
    fn parts(&self) -> Checked<(OrderedStore, OrderedEntryId)> {
        Ok((self.store.clone()?, self.id.clone()?))
    }

    /// Reads the entry.
    pub async fn get(&self) -> Result<OrderedEntry, Error> {
        let (s, i) = self.parts()?;
        self.client.send(&GetOrderedEntry::new(s, i)).await
    }

    /// Creates the entry; fails (400) if it exists.
    pub async fn create(&self, value: i64) -> Result<OrderedEntry, Error> {
        let (s, i) = self.parts()?;
        self.client
            .send(&CreateOrderedEntry::new(s, i, value))
            .await
    }

    /// Sets the value, creating the entry if needed.
    pub async fn set(&self, value: i64) -> Result<OrderedEntry, Error> {
        let (s, i) = self.parts()?;
        self.client
            .send(&UpdateOrderedEntry::new(s, i, value).allow_missing(true))
            .await
    }

    /// Sets the value of an existing entry.
    pub async fn update(&self, value: i64) -> Result<OrderedEntry, Error> {
        let (s, i) = self.parts()?;
        self.client
            .send(&UpdateOrderedEntry::new(s, i, value))
            .await
    }

    /// Adds `amount`, creating the entry if needed. Not retried when it may have been applied.
    pub async fn increment(&self, amount: i64) -> Result<OrderedEntry, Error> {
        let (s, i) = self.parts()?;
        self.client
            .send(&IncrementOrderedEntry::new(s, i, amount))
            .await
    }

    /// Deletes the entry at once.
    pub async fn delete(&self) -> Result<(), Error> {
        let (s, i) = self.parts()?;
        self.client.send(&DeleteOrderedEntry::new(s, i)).await
    }
}
