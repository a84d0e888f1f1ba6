//! Storage: one trait per resource, implemented on SQLite (in memory, or on disk in WAL mode).
//!
//! [`DataStoreStorage`], [`EntryStorage`] (entries and their revisions) and [`OrderedStorage`]
//! are the three resources; [`Storage`] is all of them plus what spans them (reset, purge).
//! Every method is one transaction. The server calls them under one lock, so a
//! read-modify-write (increment, an etag check) is atomic, and a handler that panics between two
//! calls leaves no half-applied write behind.
//!
//! Every listing is an index seek from its page token: the SQL is built per case
//! ([`sql`]), never with `? IS NULL OR ...` guards that would make SQLite scan, and a test runs
//! `EXPLAIN QUERY PLAN` on every variant.

mod data_stores;
mod entries;
mod ordered;
mod restrictions;
pub mod sql;

use std::path::Path;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

/// The schema version this build writes; `PRAGMA user_version` holds it.
///
/// 1: the first schema. 2: a partial index over live entries and a descending ordered index
/// (through the generated `neg_value` column), so every listing seeks. 3: user restrictions,
/// their change log and the idempotency keys of their updates.
pub const SCHEMA_VERSION: i64 = 3;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite said no.
    #[error("storage: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The data directory could not be created.
    #[error("storage: cannot create the data directory {path}: {source}")]
    Dir {
        /// The directory.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The data directory was written by an incompatible version.
    #[error(
        "storage: schema version {found} is not supported (this emulator writes {SCHEMA_VERSION})"
    )]
    Schema {
        /// The version found on disk.
        found: i64,
    },
    /// SQLite accepted a setting but reports another one in effect.
    #[error("storage: asked for {setting} = {wanted}, but SQLite reports {got}")]
    Setting {
        /// The pragma.
        setting: &'static str,
        /// What was asked for.
        wanted: &'static str,
        /// What SQLite answered.
        got: String,
    },
}

/// Result of a storage call.
pub type Result<T> = std::result::Result<T, StoreError>;

/// An entry's identity: where it lives and its key (standard) or id (ordered).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EntryRef {
    /// Universe id.
    pub universe: String,
    /// Data store name.
    pub data_store: String,
    /// Scope.
    pub scope: String,
    /// Key.
    pub key: String,
}

/// A data store row.
#[derive(Debug, Clone, PartialEq)]
pub struct DataStoreRow {
    /// Name.
    pub name: String,
    /// Creation time.
    pub create_time: Timestamp,
    /// When it expires, when deleted.
    pub expire_time: Option<Timestamp>,
}

/// One revision of an entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    /// Sequence number within the entry, from 1.
    pub seq: i64,
    /// The revision id.
    pub revision_id: String,
    /// When the revision was made.
    pub revision_time: Timestamp,
    /// When the entry (this incarnation of it) was created.
    pub create_time: Timestamp,
    /// Whether this revision is a deletion tombstone.
    pub deleted: bool,
    /// The value.
    pub value: Value,
    /// The value as stored: the JSON text a legacy v1 write sent, byte for byte, or the
    /// compact serialization of a v2 write. v1 reads answer these bytes.
    pub raw: String,
    /// Users (`users/N` strings).
    pub users: Vec<String>,
    /// Attributes.
    pub attributes: Option<serde_json::Map<String, Value>>,
    /// The etag.
    pub etag: String,
}

/// What a new revision holds.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRevision {
    /// Whether it is a tombstone.
    pub deleted: bool,
    /// The value.
    pub value: Value,
    /// The value's JSON text to store as it is (a v1 write's body); `None` stores the compact
    /// serialization of `value`.
    pub raw: Option<String>,
    /// Users.
    pub users: Vec<String>,
    /// Attributes.
    pub attributes: Option<serde_json::Map<String, Value>>,
}

impl NewRevision {
    /// A live revision holding a value.
    pub fn live(
        value: Value,
        users: Vec<String>,
        attributes: Option<serde_json::Map<String, Value>>,
    ) -> Self {
        Self {
            deleted: false,
            value,
            raw: None,
            users,
            attributes,
        }
    }

    /// Stores `text`, the JSON text `value` was read from, as it is.
    pub fn with_raw(mut self, text: String) -> Self {
        self.raw = Some(text);
        self
    }

    /// A deletion tombstone: no value, users or attributes.
    pub fn tombstone() -> Self {
        Self {
            deleted: true,
            value: Value::Null,
            raw: None,
            users: Vec::new(),
            attributes: None,
        }
    }
}

/// Where a listing of entries resumes: (scope, key).
pub type EntryCursor = (String, String);

/// A page request for data stores.
#[derive(Debug, Clone)]
pub struct DataStoreListing<'a> {
    /// Universe id.
    pub universe: &'a str,
    /// Only names starting with this (empty: all).
    pub prefix: &'a str,
    /// Include data stores scheduled for deletion.
    pub show_deleted: bool,
    /// Resume after this name.
    pub after: Option<&'a str>,
    /// At most this many.
    pub limit: usize,
}

/// A page request for standard entries.
#[derive(Debug, Clone)]
pub struct EntryListing<'a> {
    /// Universe id.
    pub universe: &'a str,
    /// Data store name.
    pub data_store: &'a str,
    /// One scope, or every scope when `None`.
    pub scope: Option<&'a str>,
    /// Only keys starting with this.
    pub prefix: &'a str,
    /// Include deleted entries.
    pub show_deleted: bool,
    /// Resume after this (scope, key).
    pub after: Option<&'a EntryCursor>,
    /// At most this many.
    pub limit: usize,
}

/// A page request for the revisions of one entry.
#[derive(Debug, Clone)]
pub struct RevisionListing<'a> {
    /// The entry.
    pub entry: &'a EntryRef,
    /// Revisions made at or after this time.
    pub start: Option<Timestamp>,
    /// Revisions made at or before this time.
    pub end: Option<Timestamp>,
    /// Resume after this sequence number (below it when descending).
    pub after_seq: Option<i64>,
    /// Newest first (the legacy v1 `sortOrder=Descending`).
    pub descending: bool,
    /// At most this many.
    pub limit: usize,
}

/// A page request for ordered entries.
#[derive(Debug, Clone)]
pub struct OrderedListing<'a> {
    /// Universe id.
    pub universe: &'a str,
    /// Ordered data store name.
    pub data_store: &'a str,
    /// Scope.
    pub scope: &'a str,
    /// Highest value first.
    pub descending: bool,
    /// Values at least this.
    pub min: Option<i64>,
    /// Values at most this.
    pub max: Option<i64>,
    /// Resume after this (value, id).
    pub after: Option<&'a (i64, String)>,
    /// At most this many.
    pub limit: usize,
}

/// Standard data stores and the universe's snapshots.
pub trait DataStoreStorage {
    /// A data store, deleted or not.
    fn data_store(&mut self, universe: &str, name: &str) -> Result<Option<DataStoreRow>>;
    /// Data stores by name after the cursor.
    fn list_data_stores(&mut self, q: &DataStoreListing<'_>) -> Result<Vec<DataStoreRow>>;
    /// Sets or clears a data store's expiry (deleted when set).
    fn set_data_store_expiry(
        &mut self,
        universe: &str,
        name: &str,
        expire: Option<Timestamp>,
    ) -> Result<()>;
    /// The time of the universe's latest snapshot.
    fn last_snapshot(&mut self, universe: &str) -> Result<Option<Timestamp>>;
    /// Records a snapshot.
    fn set_snapshot(&mut self, universe: &str, time: Timestamp) -> Result<()>;
}

/// Standard entries and their revisions.
pub trait EntryStorage {
    /// The latest revision of an entry, tombstone or not.
    fn latest(&mut self, entry: &EntryRef) -> Result<Option<Revision>>;
    /// A revision by id.
    fn revision(&mut self, entry: &EntryRef, revision_id: &str) -> Result<Option<Revision>>;
    /// The revision current at `time`.
    fn revision_as_of(&mut self, entry: &EntryRef, time: Timestamp) -> Result<Option<Revision>>;
    /// Writes a new revision (creating the data store if needed) and returns it. A write after
    /// a tombstone starts a new incarnation with a new create time.
    fn write(&mut self, entry: &EntryRef, rev: NewRevision, now: Timestamp) -> Result<Revision>;
    /// Keys (with scopes) in order, after the cursor, with whether each is deleted.
    fn list_entries(&mut self, q: &EntryListing<'_>) -> Result<Vec<(EntryCursor, bool)>>;
    /// Revisions in order of sequence after the cursor, within a time range.
    fn list_revisions(&mut self, q: &RevisionListing<'_>) -> Result<Vec<Revision>>;
}

/// Ordered data store entries.
pub trait OrderedStorage {
    /// An ordered entry's value.
    fn ordered_get(&mut self, entry: &EntryRef) -> Result<Option<i64>>;
    /// Sets an ordered entry's value.
    fn ordered_put(&mut self, entry: &EntryRef, value: i64) -> Result<()>;
    /// Deletes an ordered entry; whether it existed.
    fn ordered_delete(&mut self, entry: &EntryRef) -> Result<bool>;
    /// Ordered entries by value then id, after the cursor, within a range.
    fn ordered_list(&mut self, q: &OrderedListing<'_>) -> Result<Vec<(String, i64)>>;
}

/// A stored user restriction.
#[derive(Debug, Clone, PartialEq)]
pub struct RestrictionRow {
    /// The user id.
    pub user: i64,
    /// When it last changed.
    pub update_time: Timestamp,
    /// The restriction as last written (`active` as written: expiry is computed on read).
    pub restriction: opencloud_core::GameJoinRestriction,
}

/// User restrictions per universe and place (`place` is empty for the universe level), their
/// change log, and the results of updates by idempotency key.
pub trait RestrictionStorage {
    /// One user's restriction.
    fn restriction(
        &mut self,
        universe: &str,
        place: &str,
        user: i64,
    ) -> Result<Option<RestrictionRow>>;
    /// Restrictions by user id, after the cursor.
    fn list_restrictions(
        &mut self,
        universe: &str,
        place: &str,
        after_user: Option<i64>,
        limit: usize,
    ) -> Result<Vec<RestrictionRow>>;
    /// The answer stored for an update with this idempotency key.
    fn idempotent_result(
        &mut self,
        universe: &str,
        place: &str,
        user: i64,
        key: &str,
    ) -> Result<Option<Value>>;
    /// Writes a restriction, appends its log entry and records the answer under the key, in
    /// one transaction.
    #[allow(clippy::too_many_arguments)]
    fn apply_restriction(
        &mut self,
        universe: &str,
        place: &str,
        user: i64,
        now: Timestamp,
        restriction: &opencloud_core::GameJoinRestriction,
        log: &opencloud_core::UserRestrictionLog,
        key: Option<(&str, &Value)>,
    ) -> Result<()>;
    /// Log entries newest first (by sequence), before the cursor, filtered by user and place
    /// (`Some("")`: universe-level changes only).
    fn list_restriction_logs(
        &mut self,
        universe: &str,
        user: Option<i64>,
        place: Option<&str>,
        before_seq: Option<i64>,
        limit: usize,
    ) -> Result<Vec<(i64, opencloud_core::UserRestrictionLog)>>;
}

/// Everything the server stores.
pub trait Storage:
    DataStoreStorage + EntryStorage + OrderedStorage + RestrictionStorage + Send
{
    /// Deletes everything.
    fn reset(&mut self) -> Result<()>;
    /// Removes entries deleted before `entries_deleted_before` and data stores expired by `now`.
    fn purge(&mut self, entries_deleted_before: Timestamp, now: Timestamp) -> Result<()>;
}

/// SQLite storage.
pub struct SqliteStorage {
    pub(crate) conn: Connection,
}

impl std::fmt::Debug for SqliteStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStorage").finish_non_exhaustive()
    }
}

const SCHEMA_V1: &str = "
CREATE TABLE data_stores (
    universe TEXT NOT NULL, name TEXT NOT NULL, create_time INTEGER NOT NULL, expire_time INTEGER,
    PRIMARY KEY (universe, name)
);
CREATE TABLE entries (
    universe TEXT NOT NULL, data_store TEXT NOT NULL, scope TEXT NOT NULL, key TEXT NOT NULL,
    seq INTEGER NOT NULL, deleted INTEGER NOT NULL, deleted_time INTEGER,
    PRIMARY KEY (universe, data_store, scope, key)
);
CREATE INDEX entries_deleted ON entries (deleted_time) WHERE deleted_time IS NOT NULL;
CREATE TABLE revisions (
    universe TEXT NOT NULL, data_store TEXT NOT NULL, scope TEXT NOT NULL, key TEXT NOT NULL,
    seq INTEGER NOT NULL, revision_id TEXT NOT NULL, revision_time INTEGER NOT NULL,
    create_time INTEGER NOT NULL, deleted INTEGER NOT NULL, value TEXT NOT NULL,
    users TEXT NOT NULL, attributes TEXT, etag TEXT NOT NULL,
    PRIMARY KEY (universe, data_store, scope, key, seq)
);
CREATE INDEX revisions_by_id ON revisions (universe, data_store, scope, key, revision_id);
CREATE TABLE snapshots (universe TEXT PRIMARY KEY, time INTEGER NOT NULL);
CREATE TABLE ordered_entries (
    universe TEXT NOT NULL, data_store TEXT NOT NULL, scope TEXT NOT NULL, id TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (universe, data_store, scope, id)
);
CREATE INDEX ordered_by_value ON ordered_entries (universe, data_store, scope, value, id);
";

/// From version 1 to 2: live entries get their own index (a listing without deleted entries
/// never walks tombstones), and descending ordered listings seek on `(neg_value, id)`.
const MIGRATE_1_TO_2: &str = "
CREATE INDEX entries_live ON entries (universe, data_store, scope, key) WHERE deleted = 0;
ALTER TABLE ordered_entries ADD COLUMN neg_value INTEGER GENERATED ALWAYS AS (-value) VIRTUAL;
CREATE INDEX ordered_by_value_desc ON ordered_entries (universe, data_store, scope, neg_value, id);
";

/// From version 2 to 3: user restrictions (`place` is empty at the universe level), their
/// change log (`seq` grows per universe) and the answers of updates by idempotency key.
const MIGRATE_2_TO_3: &str = "
CREATE TABLE user_restrictions (
    universe TEXT NOT NULL, place TEXT NOT NULL, user INTEGER NOT NULL,
    update_time INTEGER NOT NULL, restriction TEXT NOT NULL,
    PRIMARY KEY (universe, place, user)
);
CREATE TABLE restriction_logs (
    universe TEXT NOT NULL, seq INTEGER NOT NULL, place TEXT NOT NULL, user INTEGER NOT NULL,
    log TEXT NOT NULL,
    PRIMARY KEY (universe, seq)
);
CREATE TABLE restriction_keys (
    universe TEXT NOT NULL, place TEXT NOT NULL, user INTEGER NOT NULL, key TEXT NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (universe, place, user, key)
);
";

pub(crate) fn us(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub(crate) fn ts(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(Timestamp::UNIX_EPOCH)
}

impl SqliteStorage {
    /// An in-memory database: fast, gone when the process ends.
    pub fn in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?)
    }

    /// A database in `dir/emulator.sqlite` (WAL). A write that returned is on disk: it survives
    /// the process being killed. Fails if SQLite does not actually switch to WAL.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Dir {
            path: dir.to_path_buf(),
            source,
        })?;
        let conn = Connection::open(dir.join("emulator.sqlite"))?;
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Setting {
                setting: "journal_mode",
                wanted: "wal",
                got: mode,
            });
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Self::init(conn)
    }

    fn init(mut conn: Connection) -> Result<Self> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let tx = conn.transaction()?;
        match version {
            0 => {
                tx.execute_batch(SCHEMA_V1)?;
                tx.execute_batch(MIGRATE_1_TO_2)?;
                tx.execute_batch(MIGRATE_2_TO_3)?;
            }
            1 => {
                tx.execute_batch(MIGRATE_1_TO_2)?;
                tx.execute_batch(MIGRATE_2_TO_3)?;
            }
            2 => tx.execute_batch(MIGRATE_2_TO_3)?,
            SCHEMA_VERSION => {}
            found => return Err(StoreError::Schema { found }),
        }
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        tx.commit()?;
        Ok(Self { conn })
    }

    /// The journal mode SQLite reports (`memory` in memory, `wal` on disk).
    pub fn journal_mode(&self) -> Result<String> {
        Ok(self
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))?)
    }
}

impl Storage for SqliteStorage {
    fn reset(&mut self) -> Result<()> {
        self.conn.execute_batch(
            "BEGIN; DELETE FROM data_stores; DELETE FROM entries; DELETE FROM revisions; DELETE FROM snapshots; DELETE FROM ordered_entries; DELETE FROM user_restrictions; DELETE FROM restriction_logs; DELETE FROM restriction_keys; COMMIT;",
        )?;
        Ok(())
    }

    fn purge(&mut self, entries_deleted_before: Timestamp, now: Timestamp) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "DELETE FROM revisions WHERE (universe, data_store, scope, key) IN
               (SELECT universe, data_store, scope, key FROM entries WHERE deleted_time IS NOT NULL AND deleted_time <= ?1)",
            params![us(entries_deleted_before)],
        )?;
        tx.execute(
            "DELETE FROM entries WHERE deleted_time IS NOT NULL AND deleted_time <= ?1",
            params![us(entries_deleted_before)],
        )?;
        tx.execute(
            "DELETE FROM revisions WHERE (universe, data_store) IN (SELECT universe, name FROM data_stores WHERE expire_time <= ?1)",
            params![us(now)],
        )?;
        tx.execute(
            "DELETE FROM entries WHERE (universe, data_store) IN (SELECT universe, name FROM data_stores WHERE expire_time <= ?1)",
            params![us(now)],
        )?;
        tx.execute(
            "DELETE FROM data_stores WHERE expire_time <= ?1",
            params![us(now)],
        )?;
        tx.commit()?;
        Ok(())
    }
}

impl DataStoreStorage for SqliteStorage {
    fn data_store(&mut self, universe: &str, name: &str) -> Result<Option<DataStoreRow>> {
        data_stores::get(&self.conn, universe, name)
    }
    fn list_data_stores(&mut self, q: &DataStoreListing<'_>) -> Result<Vec<DataStoreRow>> {
        data_stores::list(&self.conn, q)
    }
    fn set_data_store_expiry(
        &mut self,
        universe: &str,
        name: &str,
        expire: Option<Timestamp>,
    ) -> Result<()> {
        data_stores::set_expiry(&self.conn, universe, name, expire)
    }
    fn last_snapshot(&mut self, universe: &str) -> Result<Option<Timestamp>> {
        Ok(self
            .conn
            .query_row(
                "SELECT time FROM snapshots WHERE universe = ?1",
                params![universe],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .map(ts))
    }
    fn set_snapshot(&mut self, universe: &str, time: Timestamp) -> Result<()> {
        self.conn.execute(
            "INSERT INTO snapshots (universe, time) VALUES (?1, ?2) ON CONFLICT (universe) DO UPDATE SET time = excluded.time",
            params![universe, us(time)],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::sql::{self, Query};
    use super::*;

    fn plan(conn: &Connection, q: &Query) -> String {
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", q.sql))
            .unwrap();
        let rows = stmt
            .query_map(q.params().as_slice(), |r| r.get::<_, String>(3))
            .unwrap();
        rows.map(|r| r.unwrap()).collect::<Vec<_>>().join(" | ")
    }

    #[track_caller]
    fn assert_seeks(conn: &Connection, q: &Query, wanted: &str) {
        let p = plan(conn, q);
        assert!(
            p.starts_with("SEARCH") && !p.contains("SCAN") && !p.contains("TEMP B-TREE"),
            "{p}\n{}",
            q.sql
        );
        assert!(p.contains(wanted), "wanted {wanted} in: {p}\n{}", q.sql);
    }

    /// Every listing statement, in every form it takes, is an index seek on its cursor columns.
    #[test]
    fn every_list_statement_seeks_from_its_cursor() {
        let s = SqliteStorage::in_memory().unwrap();
        let c = &s.conn;
        for prefix in ["", "ab"] {
            for show_deleted in [false, true] {
                for after in [None, Some("x")] {
                    let q = sql::list_data_stores(&DataStoreListing {
                        universe: "1",
                        prefix,
                        show_deleted,
                        after,
                        limit: 10,
                    });
                    let wanted = if after.is_some() || !prefix.is_empty() {
                        "(universe=? AND name>?"
                    } else {
                        "(universe=?)"
                    };
                    assert_seeks(c, &q, wanted);
                }
            }
        }
        let cursor = ("s".to_string(), "k".to_string());
        for scope in [Some("s"), None] {
            for prefix in ["", "ab"] {
                for show_deleted in [false, true] {
                    for after in [None, Some(&cursor)] {
                        let q = sql::list_entries(&EntryListing {
                            universe: "1",
                            data_store: "d",
                            scope,
                            prefix,
                            show_deleted,
                            after,
                            limit: 10,
                        });
                        let wanted = match (scope, after.is_some() || !prefix.is_empty()) {
                            (Some(_), true) => "(universe=? AND data_store=? AND scope=? AND key>?",
                            (Some(_), false) => "(universe=? AND data_store=? AND scope=?)",
                            (None, _) if after.is_some() => {
                                "(universe=? AND data_store=? AND (scope,key)>(?,?))"
                            }
                            (None, _) => "(universe=? AND data_store=?)",
                        };
                        assert_seeks(c, &q, wanted);
                        let index = if show_deleted {
                            "sqlite_autoindex_entries_1"
                        } else {
                            "entries_live"
                        };
                        assert!(plan(c, &q).contains(index), "{}", plan(c, &q));
                    }
                }
            }
        }
        let e = EntryRef {
            universe: "1".into(),
            data_store: "d".into(),
            scope: "s".into(),
            key: "k".into(),
        };
        for descending in [false, true] {
            for after_seq in [None, Some(3)] {
                for (start, end) in [
                    (None, None),
                    (Some(Timestamp::UNIX_EPOCH), Some(Timestamp::MAX)),
                ] {
                    let q = sql::list_revisions(&RevisionListing {
                        entry: &e,
                        start,
                        end,
                        after_seq,
                        descending,
                        limit: 10,
                    });
                    let wanted = match (after_seq.is_some(), descending) {
                        (true, false) => {
                            "(universe=? AND data_store=? AND scope=? AND key=? AND seq>?)"
                        }
                        (true, true) => {
                            "(universe=? AND data_store=? AND scope=? AND key=? AND seq<?)"
                        }
                        (false, _) => "(universe=? AND data_store=? AND scope=? AND key=?)",
                    };
                    assert_seeks(c, &q, wanted);
                    // Newest first reads the primary key backwards: no sort step.
                    assert!(!plan(c, &q).contains("TEMP B-TREE"), "{}", plan(c, &q));
                }
            }
        }
        let cursor = (5, "id".to_string());
        for descending in [false, true] {
            for (min, max) in [
                (None, None),
                (Some(1), None),
                (None, Some(9)),
                (Some(1), Some(9)),
            ] {
                for after in [None, Some(&cursor)] {
                    let q = sql::list_ordered(&OrderedListing {
                        universe: "1",
                        data_store: "o",
                        scope: "global",
                        descending,
                        min,
                        max,
                        after,
                        limit: 10,
                    });
                    let (col, index) = if descending {
                        ("neg_value", "ordered_by_value_desc")
                    } else {
                        ("value", "ordered_by_value")
                    };
                    let lower = if descending { max } else { min };
                    let wanted = if after.is_some() || lower.is_some() {
                        format!("(universe=? AND data_store=? AND scope=? AND ({col},id)>(?,?)")
                    } else {
                        "(universe=? AND data_store=? AND scope=?".to_string()
                    };
                    assert_seeks(c, &q, &wanted);
                    assert!(plan(c, &q).contains(index), "{}", plan(c, &q));
                }
            }
        }
    }

    #[test]
    fn a_version_1_database_is_migrated() {
        let dir = std::env::temp_dir().join(format!("oc-emu-migrate-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        {
            let conn = Connection::open(dir.join("emulator.sqlite")).unwrap();
            conn.execute_batch(SCHEMA_V1).unwrap();
            conn.execute(
                "INSERT INTO ordered_entries VALUES ('1', 'o', 'global', 'a', 7)",
                [],
            )
            .unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
        }
        let mut s = SqliteStorage::open(&dir).unwrap();
        assert_eq!(s.journal_mode().unwrap(), "wal");
        let v: i64 = s
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        let rows = s
            .ordered_list(&OrderedListing {
                universe: "1",
                data_store: "o",
                scope: "global",
                descending: true,
                min: None,
                max: None,
                after: None,
                limit: 5,
            })
            .unwrap();
        assert_eq!(rows, [("a".to_string(), 7)]);
        drop(s);
        {
            let conn = Connection::open(dir.join("emulator.sqlite")).unwrap();
            conn.pragma_update(None, "user_version", 99).unwrap();
        }
        assert!(matches!(
            SqliteStorage::open(&dir),
            Err(StoreError::Schema { found: 99 })
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_version_2_database_gains_the_restriction_tables() {
        let dir = std::env::temp_dir().join(format!("oc-emu-migrate3-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        {
            let conn = Connection::open(dir.join("emulator.sqlite")).unwrap();
            conn.execute_batch(SCHEMA_V1).unwrap();
            conn.execute_batch(MIGRATE_1_TO_2).unwrap();
            conn.execute(
                "INSERT INTO ordered_entries (universe, data_store, scope, id, value) VALUES ('1', 'o', 'global', 'a', 7)",
                [],
            )
            .unwrap();
            conn.pragma_update(None, "user_version", 2).unwrap();
        }
        let mut s = SqliteStorage::open(&dir).unwrap();
        let v: i64 = s
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        let key = EntryRef {
            universe: "1".into(),
            data_store: "o".into(),
            scope: "global".into(),
            key: "a".into(),
        };
        assert_eq!(s.ordered_get(&key).unwrap(), Some(7), "old data kept");
        let mut g = opencloud_core::GameJoinRestriction::default();
        g.active = true;
        let log = opencloud_core::UserRestrictionLog::default();
        let t = Timestamp::from_second(1_700_000_000).unwrap();
        s.apply_restriction("1", "", 5, t, &g, &log, None).unwrap();
        assert!(
            s.restriction("1", "", 5)
                .unwrap()
                .unwrap()
                .restriction
                .active
        );
        assert_eq!(
            s.list_restriction_logs("1", Some(5), None, None, 10)
                .unwrap()
                .len(),
            1
        );
        drop(s);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
