//! Handles that read like the domain: `client.data_store("Inventory").scope("global").entry("user_1")`.
//!
//! A handle holds validated names; a name that breaks a rule is reported by the first operation
//! called on the handle, before any request is sent. Every method returns the driver's output:
//! `entry.get().await?` with the async client, `entry.get()?` with the blocking one.

use opencloud_core::{
    Attributes, Change, CreateEntry, CreateOrderedEntry, DataStore, DataStoreEntry, DataStoreName,
    DeleteDataStore, DeleteEntry, DeleteOrderedEntry, EntryAddress, EntryKey, EntryWrite, Error,
    GetEntry, GetOrderedEntry, IncrementEntry, IncrementOrderedEntry, InvalidInput, ListEntries,
    ListEntryRevisions, ListOrderedEntries, ListScope, Operation, OrderedEntry, OrderedEntryId,
    OrderedStore, RevisionSelector, Scope, Then, UndeleteDataStore, UniverseId, Update,
    UpdateEntry, UpdateOrderedEntry, Updated, UserId,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::client::Client;
use crate::driver::Driver;
use crate::listing::{Items, Listing};

type Checked<T> = Result<T, InvalidInput>;

/// Sends the operation built from checked parts, or returns the naming error without sending.
pub(crate) fn send_checked<D, P, O>(
    client: &Client<D>,
    parts: Checked<P>,
    make: impl FnOnce(P) -> Result<O, Error>,
) -> D::Output<'_, O::Output>
where
    D: Driver,
    O: Operation + Send + 'static,
    O::Output: Send,
{
    match parts.map_err(Error::from).and_then(make) {
        Ok(op) => client.send(op),
        Err(e) => D::ready(Err(e)),
    }
}

/// A standard data store.
#[derive(Debug)]
pub struct DataStoreHandle<D: Driver> {
    client: Client<D>,
    universe: Checked<UniverseId>,
    name: Checked<DataStoreName>,
}

impl<D: Driver> Clone for DataStoreHandle<D> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            universe: self.universe.clone(),
            name: self.name.clone(),
        }
    }
}

impl<D: Driver> DataStoreHandle<D> {
    pub(crate) fn new(client: Client<D>, universe: Checked<UniverseId>, name: &str) -> Self {
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
    pub fn scope(&self, scope: &str) -> ScopeHandle<D> {
        ScopeHandle {
            store: self.clone(),
            scope: Scope::new(scope),
        }
    }

    /// An entry in the default scope (the unscoped path, which the service reads as `global`).
    pub fn entry(&self, key: &str) -> EntryHandle<D> {
        let address = self
            .parts()
            .and_then(|(u, d)| Ok(EntryAddress::new(u, d, EntryKey::new(key)?)));
        EntryHandle {
            client: self.client.clone(),
            address,
        }
    }

    /// A listing of the default scope, to configure and pass to [`Client::items`] or
    /// [`Client::listing`].
    pub fn list(&self) -> Checked<ListEntries> {
        let (u, d) = self.parts()?;
        Ok(ListEntries::new(u, d))
    }

    /// Every entry id in the default scope, across pages. Configure the listing (prefix, all
    /// scopes, deleted entries, page size) with the closure.
    pub fn entries(
        &self,
        configure: impl FnOnce(ListEntries) -> ListEntries,
    ) -> Items<D, ListEntries> {
        Items::new(self.entry_pages(configure))
    }

    /// Entry ids of every scope (the `-` wildcard).
    pub fn all_scopes(&self) -> Items<D, ListEntries> {
        self.entries(|op| op.scope(ListScope::All))
    }

    /// Pages of a listing of the default scope, with their resume tokens.
    pub fn entry_pages(
        &self,
        configure: impl FnOnce(ListEntries) -> ListEntries,
    ) -> Listing<D, ListEntries> {
        self.client.listing_of(self.list().map(configure))
    }

    /// Read-modify-write of one entry in the default scope: see [`EntryHandle::update_with`].
    pub fn update_with<'a, T, F>(&'a self, key: &str, change: F) -> D::Output<'a, DataStoreEntry>
    where
        T: Serialize + DeserializeOwned + 'a,
        F: FnMut(Option<T>) -> T + Send + 'a,
    {
        let entry = self.entry(key);
        match entry.address {
            Ok(a) => run_update(&self.client, a, change),
            Err(e) => D::ready(Err(e.into())),
        }
    }

    /// Schedules the data store for deletion in 30 days.
    pub fn delete(&self) -> D::Output<'_, DataStore> {
        send_checked(&self.client, self.parts(), |(u, d)| {
            Ok(DeleteDataStore::new(u, d))
        })
    }

    /// Restores the data store.
    pub fn undelete(&self) -> D::Output<'_, DataStore> {
        send_checked(&self.client, self.parts(), |(u, d)| {
            Ok(UndeleteDataStore::new(u, d))
        })
    }
}

/// A named scope of a standard data store.
#[derive(Debug)]
pub struct ScopeHandle<D: Driver> {
    store: DataStoreHandle<D>,
    scope: Checked<Scope>,
}

impl<D: Driver> Clone for ScopeHandle<D> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            scope: self.scope.clone(),
        }
    }
}

impl<D: Driver> ScopeHandle<D> {
    /// An entry in this scope.
    pub fn entry(&self, key: &str) -> EntryHandle<D> {
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
    ) -> Items<D, ListEntries> {
        Items::new(self.store.client.listing_of(self.list().map(configure)))
    }
}

/// One standard entry.
#[derive(Debug)]
pub struct EntryHandle<D: Driver> {
    client: Client<D>,
    address: Checked<EntryAddress>,
}

impl<D: Driver> Clone for EntryHandle<D> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            address: self.address.clone(),
        }
    }
}

fn write_of<T: Serialize + ?Sized>(value: &T) -> Result<EntryWrite, Error> {
    Ok(EntryWrite::from_serializable(value)?)
}

fn run_update<'a, D, T, F>(
    client: &'a Client<D>,
    address: EntryAddress,
    mut change: F,
) -> D::Output<'a, DataStoreEntry>
where
    D: Driver,
    T: Serialize + DeserializeOwned + 'a,
    F: FnMut(Option<T>) -> T + Send + 'a,
{
    let machine = Update::new(client.context().clone(), address, move |v| {
        Change::Write(change(v))
    });
    client.run(Then::new(machine, |u: Updated| match u {
        Updated::Written(e) | Updated::Kept(Some(e)) => Ok(e),
        // The change always writes, so nothing is ever kept.
        _ => Err(InvalidInput::new("change", "wrote nothing").into()),
    }))
}

impl<D: Driver> EntryHandle<D> {
    /// The entry's address.
    pub fn address(&self) -> Result<&EntryAddress, InvalidInput> {
        self.address.as_ref().map_err(Clone::clone)
    }

    fn send<O>(
        &self,
        make: impl FnOnce(EntryAddress) -> Result<O, Error>,
    ) -> D::Output<'_, O::Output>
    where
        O: Operation + Send + 'static,
        O::Output: Send,
    {
        send_checked(&self.client, self.address.clone(), make)
    }

    /// The latest revision.
    pub fn get(&self) -> D::Output<'_, DataStoreEntry> {
        self.send(|a| Ok(GetEntry::new(a)))
    }

    /// The value of the latest revision, decoded as `T`.
    pub fn get_json<T: DeserializeOwned + Send + 'static>(&self) -> D::Output<'_, T> {
        match self.address.clone() {
            Ok(a) => self.client.run(Then::new(
                opencloud_core::Single::new(self.client.context().clone(), GetEntry::new(a)),
                |e: DataStoreEntry| e.value_as::<T>(),
            )),
            Err(e) => D::ready(Err(e.into())),
        }
    }

    /// A given revision, or the revision current at a time.
    pub fn get_at(&self, selector: RevisionSelector) -> D::Output<'_, DataStoreEntry> {
        self.send(|a| Ok(GetEntry::new(a).at(selector)))
    }

    /// Creates the entry; fails (400) if it exists.
    pub fn create<T: Serialize + ?Sized>(&self, value: &T) -> D::Output<'_, DataStoreEntry> {
        let write = write_of(value);
        self.send(|a| Ok(CreateEntry::new(a, write?)))
    }

    /// Creates the entry with users and attributes.
    pub fn create_with(&self, write: EntryWrite) -> D::Output<'_, DataStoreEntry> {
        self.send(|a| Ok(CreateEntry::new(a, write)))
    }

    /// Writes the value, creating the entry if needed (users and attributes are cleared).
    pub fn set<T: Serialize + ?Sized>(&self, value: &T) -> D::Output<'_, DataStoreEntry> {
        let write = write_of(value);
        self.send(|a| Ok(UpdateEntry::new(a, write?).allow_missing(true)))
    }

    /// Replaces the value of an existing entry (users and attributes are cleared).
    pub fn update<T: Serialize + ?Sized>(&self, value: &T) -> D::Output<'_, DataStoreEntry> {
        let write = write_of(value);
        self.send(|a| Ok(UpdateEntry::new(a, write?)))
    }

    /// Any update: with users and attributes, upsert or not, guarded by an etag or not.
    ///
    /// A guarded update is not retried once it may have been applied (a repeat would be refused
    /// as a conflict even though the first attempt landed): a lost answer returns an error for
    /// which [`Error::is_outcome_unknown`] holds. [`EntryHandle::update_with`] finds out instead.
    pub fn update_with_options(
        &self,
        write: EntryWrite,
        allow_missing: bool,
        etag: Option<&str>,
    ) -> D::Output<'_, DataStoreEntry> {
        let etag = etag.map(String::from);
        self.send(|a| {
            let mut op = UpdateEntry::new(a, write).allow_missing(allow_missing);
            op.etag = etag;
            Ok(op)
        })
    }

    /// Adds `amount` to an integer value (creating the entry). Retried only when the service
    /// cannot have applied it.
    pub fn increment(&self, amount: i64) -> D::Output<'_, DataStoreEntry> {
        self.send(|a| Ok(IncrementEntry::new(a, amount)))
    }

    /// Adds `amount` and sets users and attributes.
    pub fn increment_with(
        &self,
        amount: i64,
        users: Vec<UserId>,
        attributes: Option<Attributes>,
    ) -> D::Output<'_, DataStoreEntry> {
        self.send(|a| {
            let mut op = IncrementEntry::new(a, amount).users(users);
            op.attributes = attributes;
            Ok(op)
        })
    }

    /// Marks the entry deleted. A retry that finds the entry gone after a lost answer counts as
    /// success.
    pub fn delete(&self) -> D::Output<'_, ()> {
        self.send(|a| Ok(DeleteEntry::new(a)))
    }

    /// Every revision, across pages. Configure the range and page size with the closure.
    pub fn revisions(
        &self,
        configure: impl FnOnce(ListEntryRevisions) -> ListEntryRevisions,
    ) -> Items<D, ListEntryRevisions> {
        Items::new(
            self.client.listing_of(
                self.address
                    .clone()
                    .map(|a| configure(ListEntryRevisions::new(a))),
            ),
        )
    }

    /// Reads the entry, applies `change` to its value (`None` when it does not exist) and writes
    /// the result guarded by the etag it read, so no concurrent write is lost. On a conflict it
    /// reads again and re-applies `change`, up to the client's `update_attempts`, then fails with
    /// [`Error::UpdateConflict`]. Users and attributes are kept. This is what `UpdateAsync` does
    /// inside a game.
    ///
    /// When a write's answer is lost, it checks the revision history to learn whether its write
    /// landed before running `change` again, so a change is never applied twice; if the history
    /// cannot tell, it fails with [`Error::OutcomeUnknown`]. See
    /// [`Update`](opencloud_core::Update).
    pub fn update_with<'a, T, F>(&'a self, change: F) -> D::Output<'a, DataStoreEntry>
    where
        T: Serialize + DeserializeOwned + 'a,
        F: FnMut(Option<T>) -> T + Send + 'a,
    {
        match self.address.clone() {
            Ok(a) => run_update(&self.client, a, change),
            Err(e) => D::ready(Err(e.into())),
        }
    }

    /// [`EntryHandle::update_with`] where the change may also keep the entry as it is
    /// ([`Change::Keep`]: no write, no revision) or stop with its own error ([`Change::Abort`]).
    pub fn try_update_with<'a, T, F>(&'a self, change: F) -> D::Output<'a, Updated>
    where
        T: Serialize + DeserializeOwned + 'a,
        F: FnMut(Option<T>) -> Change<T> + Send + 'a,
    {
        match self.address.clone() {
            Ok(a) => self
                .client
                .run(Update::new(self.client.context().clone(), a, change)),
            Err(e) => D::ready(Err(e.into())),
        }
    }
}

/// A scope of an ordered data store.
#[derive(Debug)]
pub struct OrderedStoreHandle<D: Driver> {
    client: Client<D>,
    store: Checked<OrderedStore>,
}

impl<D: Driver> Clone for OrderedStoreHandle<D> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            store: self.store.clone(),
        }
    }
}

impl<D: Driver> OrderedStoreHandle<D> {
    pub(crate) fn new(
        client: Client<D>,
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
    pub fn entry(&self, id: &str) -> OrderedEntryHandle<D> {
        OrderedEntryHandle {
            client: self.client.clone(),
            parts: self
                .store
                .clone()
                .and_then(|s| Ok((s, OrderedEntryId::new(id)?))),
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
    ) -> Items<D, ListOrderedEntries> {
        Items::new(self.pages(configure))
    }

    /// Pages of a listing, with their resume tokens.
    pub fn pages(
        &self,
        configure: impl FnOnce(ListOrderedEntries) -> ListOrderedEntries,
    ) -> Listing<D, ListOrderedEntries> {
        self.client.listing_of(self.list().map(configure))
    }
}

/// One ordered entry.
#[derive(Debug)]
pub struct OrderedEntryHandle<D: Driver> {
    client: Client<D>,
    parts: Checked<(OrderedStore, OrderedEntryId)>,
}

impl<D: Driver> Clone for OrderedEntryHandle<D> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            parts: self.parts.clone(),
        }
    }
}

impl<D: Driver> OrderedEntryHandle<D> {
    fn send<O>(
        &self,
        make: impl FnOnce((OrderedStore, OrderedEntryId)) -> O,
    ) -> D::Output<'_, O::Output>
    where
        O: Operation + Send + 'static,
        O::Output: Send,
    {
        send_checked(&self.client, self.parts.clone(), |p| Ok(make(p)))
    }

    /// Reads the entry.
    pub fn get(&self) -> D::Output<'_, OrderedEntry> {
        self.send(|(s, i)| GetOrderedEntry::new(s, i))
    }

    /// Creates the entry; fails (400) if it exists.
    pub fn create(&self, value: i64) -> D::Output<'_, OrderedEntry> {
        self.send(|(s, i)| CreateOrderedEntry::new(s, i, value))
    }

    /// Sets the value, creating the entry if needed.
    pub fn set(&self, value: i64) -> D::Output<'_, OrderedEntry> {
        self.send(|(s, i)| UpdateOrderedEntry::new(s, i, value).allow_missing(true))
    }

    /// Sets the value of an existing entry.
    pub fn update(&self, value: i64) -> D::Output<'_, OrderedEntry> {
        self.send(|(s, i)| UpdateOrderedEntry::new(s, i, value))
    }

    /// Adds `amount`, creating the entry if needed. Not retried when it may have been applied.
    pub fn increment(&self, amount: i64) -> D::Output<'_, OrderedEntry> {
        self.send(|(s, i)| IncrementOrderedEntry::new(s, i, amount))
    }

    /// Deletes the entry at once.
    pub fn delete(&self) -> D::Output<'_, ()> {
        self.send(|(s, i)| DeleteOrderedEntry::new(s, i))
    }
}
