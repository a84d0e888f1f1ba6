//! The legacy v1 data store APIs (`/datastores/v1`, `/ordered-data-stores/v1`), in the same handle
//! style as v2: `client.v1().data_store("Inventory").entry("user_1").get()`.
//!
//! Pick v1 for data written with v1 metadata by existing tools, or for `content-md5` integrity
//! on every write and read; pick v2 otherwise (etags, revision selectors, `update_with`). Both
//! read and write the same entries.

use opencloud_core::{
    DataStoreEntry, DataStoreName, EntryAddress, EntryKey, EntryWrite, Error, InvalidInput,
    OrderedEntry, OrderedEntryId, OrderedStore, RevisionId, Scope, UniverseId,
    V1CreateOrderedEntry, V1DeleteEntry, V1DeleteOrderedEntry, V1EntryVersion, V1GetEntry,
    V1GetEntryVersion, V1GetOrderedEntry, V1IncrementEntry, V1IncrementOrderedEntry,
    V1ListDataStores, V1ListEntries, V1ListEntryVersions, V1ListOrderedEntries, V1SetEntry,
    V1UpdateOrderedEntry,
};
use serde::Serialize;

use crate::client::Client;
use crate::driver::Driver;
use crate::handles::send_checked;
use crate::listing::Items;

type Checked<T> = Result<T, InvalidInput>;

/// The legacy v1 APIs of the default universe.
#[derive(Debug)]
pub struct V1Handle<D: Driver> {
    client: Client<D>,
    universe: Checked<UniverseId>,
}

impl<D: Driver> Clone for V1Handle<D> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            universe: self.universe.clone(),
        }
    }
}

impl<D: Driver> V1Handle<D> {
    /// The same APIs in another universe.
    pub fn in_universe(mut self, universe: impl ToString) -> Self {
        self.universe = UniverseId::new(universe.to_string());
        self
    }

    /// A standard data store.
    pub fn data_store(&self, name: &str) -> V1DataStoreHandle<D> {
        V1DataStoreHandle {
            client: self.client.clone(),
            parts: self
                .universe
                .clone()
                .and_then(|u| Ok((u, DataStoreName::new(name)?))),
            scope: None,
        }
    }

    /// An ordered data store scope.
    pub fn ordered_data_store(&self, name: &str, scope: &str) -> V1OrderedStoreHandle<D> {
        V1OrderedStoreHandle {
            client: self.client.clone(),
            store: self.universe.clone().and_then(|u| {
                Ok(OrderedStore::new(
                    u,
                    DataStoreName::new(name)?,
                    Scope::new(scope)?,
                ))
            }),
        }
    }

    /// Every data store, across pages (`cursor` paging). Configure prefix and limit with the
    /// closure.
    pub fn data_stores(
        &self,
        configure: impl FnOnce(V1ListDataStores) -> V1ListDataStores,
    ) -> Items<D, V1ListDataStores> {
        Items::new(
            self.client.listing_of(
                self.universe
                    .clone()
                    .map(|u| configure(V1ListDataStores::new(u))),
            ),
        )
    }
}

/// A standard data store through v1 (optionally narrowed to a scope).
#[derive(Debug)]
pub struct V1DataStoreHandle<D: Driver> {
    client: Client<D>,
    parts: Checked<(UniverseId, DataStoreName)>,
    scope: Option<Checked<Scope>>,
}

impl<D: Driver> Clone for V1DataStoreHandle<D> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            parts: self.parts.clone(),
            scope: self.scope.clone(),
        }
    }
}

impl<D: Driver> V1DataStoreHandle<D> {
    /// The same data store, in a named scope (`global` when none is given).
    pub fn scope(&self, scope: &str) -> Self {
        Self {
            scope: Some(Scope::new(scope)),
            ..self.clone()
        }
    }

    /// One entry.
    pub fn entry(&self, key: &str) -> V1EntryHandle<D> {
        let address = self.parts.clone().and_then(|(u, d)| {
            let a = EntryAddress::new(u, d, EntryKey::new(key)?);
            Ok(match &self.scope {
                Some(s) => a.in_scope(s.clone()?),
                None => a,
            })
        });
        V1EntryHandle {
            client: self.client.clone(),
            address,
        }
    }

    /// The entry keys, across pages. Configure prefix, limit or `all_scopes` with the closure
    /// (a scope handle lists its scope).
    pub fn keys(
        &self,
        configure: impl FnOnce(V1ListEntries) -> V1ListEntries,
    ) -> Items<D, V1ListEntries> {
        let op = self.parts.clone().and_then(|(u, d)| {
            let op = V1ListEntries::new(u, d);
            Ok(configure(match &self.scope {
                Some(s) => op.scope(s.clone()?),
                None => op,
            }))
        });
        Items::new(self.client.listing_of(op))
    }
}

/// One standard entry through v1.
#[derive(Debug)]
pub struct V1EntryHandle<D: Driver> {
    client: Client<D>,
    address: Checked<EntryAddress>,
}

impl<D: Driver> Clone for V1EntryHandle<D> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            address: self.address.clone(),
        }
    }
}

impl<D: Driver> V1EntryHandle<D> {
    /// The value and its metadata (from the `roblox-entry-*` headers); the answer's
    /// `content-md5` is checked against the bytes.
    pub fn get(&self) -> D::Output<'_, DataStoreEntry> {
        send_checked(&self.client, self.address.clone(), |a| {
            Ok(V1GetEntry::new(a))
        })
    }

    /// Writes the value (with `content-md5` over the exact bytes sent).
    pub fn set<T: Serialize + ?Sized>(&self, value: &T) -> D::Output<'_, V1EntryVersion> {
        let write = EntryWrite::from_serializable(value).map_err(Error::from);
        send_checked(&self.client, self.address.clone(), |a| {
            Ok(V1SetEntry::new(a, write?))
        })
    }

    /// Any set: users, attributes, `matchVersion`, `exclusiveCreate`, configured on the operation.
    pub fn set_with(
        &self,
        write: EntryWrite,
        configure: impl FnOnce(V1SetEntry) -> V1SetEntry,
    ) -> D::Output<'_, V1EntryVersion> {
        send_checked(&self.client, self.address.clone(), |a| {
            Ok(configure(V1SetEntry::new(a, write)))
        })
    }

    /// Adds `amount` to an integer value. Not retried once it may have been applied.
    pub fn increment(&self, amount: i64) -> D::Output<'_, DataStoreEntry> {
        send_checked(&self.client, self.address.clone(), |a| {
            Ok(V1IncrementEntry::new(a, amount))
        })
    }

    /// Marks the entry deleted.
    pub fn delete(&self) -> D::Output<'_, ()> {
        send_checked(&self.client, self.address.clone(), |a| {
            Ok(V1DeleteEntry::new(a))
        })
    }

    /// The entry's versions, across pages. Configure the time range, order and limit with the
    /// closure.
    pub fn versions(
        &self,
        configure: impl FnOnce(V1ListEntryVersions) -> V1ListEntryVersions,
    ) -> Items<D, V1ListEntryVersions> {
        Items::new(
            self.client.listing_of(
                self.address
                    .clone()
                    .map(|a| configure(V1ListEntryVersions::new(a))),
            ),
        )
    }

    /// One version (a v2 revision).
    pub fn version(&self, version: RevisionId) -> D::Output<'_, DataStoreEntry> {
        send_checked(&self.client, self.address.clone(), |a| {
            Ok(V1GetEntryVersion::new(a, version))
        })
    }
}

/// A scope of an ordered data store through v1.
#[derive(Debug)]
pub struct V1OrderedStoreHandle<D: Driver> {
    client: Client<D>,
    store: Checked<OrderedStore>,
}

impl<D: Driver> Clone for V1OrderedStoreHandle<D> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            store: self.store.clone(),
        }
    }
}

impl<D: Driver> V1OrderedStoreHandle<D> {
    /// Every entry in order, across pages. Configure order, range and page size with the closure.
    pub fn entries(
        &self,
        configure: impl FnOnce(V1ListOrderedEntries) -> V1ListOrderedEntries,
    ) -> Items<D, V1ListOrderedEntries> {
        Items::new(
            self.client.listing_of(
                self.store
                    .clone()
                    .map(|s| configure(V1ListOrderedEntries::new(s))),
            ),
        )
    }

    fn parts(&self, id: &str) -> Checked<(OrderedStore, OrderedEntryId)> {
        Ok((self.store.clone()?, OrderedEntryId::new(id)?))
    }

    /// Reads an entry.
    pub fn get(&self, id: &str) -> D::Output<'_, OrderedEntry> {
        send_checked(&self.client, self.parts(id), |(s, i)| {
            Ok(V1GetOrderedEntry::new(s, i))
        })
    }

    /// Creates an entry; fails if it exists.
    pub fn create(&self, id: &str, value: i64) -> D::Output<'_, OrderedEntry> {
        send_checked(&self.client, self.parts(id), |(s, i)| {
            Ok(V1CreateOrderedEntry::new(s, i, value))
        })
    }

    /// Sets an entry's value, creating it if needed (`allow_missing`).
    pub fn set(&self, id: &str, value: i64) -> D::Output<'_, OrderedEntry> {
        send_checked(&self.client, self.parts(id), |(s, i)| {
            Ok(V1UpdateOrderedEntry::new(s, i, value).allow_missing(true))
        })
    }

    /// Adds `amount` to an entry. Not retried once it may have been applied.
    pub fn increment(&self, id: &str, amount: i64) -> D::Output<'_, OrderedEntry> {
        send_checked(&self.client, self.parts(id), |(s, i)| {
            Ok(V1IncrementOrderedEntry::new(s, i, amount))
        })
    }

    /// Deletes an entry.
    pub fn delete(&self, id: &str) -> D::Output<'_, ()> {
        send_checked(&self.client, self.parts(id), |(s, i)| {
            Ok(V1DeleteOrderedEntry::new(s, i))
        })
    }
}

impl<D: Driver> Client<D> {
    /// The legacy v1 data store APIs of the default universe.
    pub fn v1(&self) -> V1Handle<D> {
        V1Handle {
            client: self.clone(),
            universe: self.universe_or_err(),
        }
    }
}
