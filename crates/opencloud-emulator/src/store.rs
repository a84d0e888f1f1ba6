//! Storage: one trait, implemented on SQLite (in memory, or on disk in WAL mode).
//!
//! Every method is one transaction. The server calls them under one lock, so a
//! read-modify-write (increment, an etag check) is atomic.

use std::path::Path;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

/// The schema version this build writes; `PRAGMA user_version` holds it.
pub const SCHEMA_VERSION: i64 = 1;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite said no.
    #[error("storage: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The data directory was written by an incompatible version.
    #[error(
        "storage: schema version {found} is not supported (this emulator writes {SCHEMA_VERSION})"
    )]
    Schema {
        /// The version found on disk.
        found: i64,
    },
}

/// Result of a storage call.
pub type Result<T> = std::result::Result<T, StoreError>;

/// An entry's identity.
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
    /// Users.
    pub users: Vec<String>,
    /// Attributes.
    pub attributes: Option<serde_json::Map<String, Value>>,
}

/// Where a listing of entries resumes.
pub type EntryCursor = (String, String);

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

/// Everything the server stores.
pub trait Storage: Send {
    /// Deletes everything.
    fn reset(&mut self) -> Result<()>;

    /// A data store, deleted or not.
    fn data_store(&mut self, universe: &str, name: &str) -> Result<Option<DataStoreRow>>;
    /// Data stores by name after `after`, at most `limit`.
    fn list_data_stores(
        &mut self,
        universe: &str,
        prefix: &str,
        show_deleted: bool,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<DataStoreRow>>;
    /// Sets or clears a data store's expiry (deleted when set).
    fn set_data_store_expiry(
        &mut self,
        universe: &str,
        name: &str,
        expire: Option<Timestamp>,
    ) -> Result<()>;

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
    /// Revisions in order of sequence after `after_seq`, within a time range.
    fn list_revisions(
        &mut self,
        entry: &EntryRef,
        start: Option<Timestamp>,
        end: Option<Timestamp>,
        after_seq: Option<i64>,
        limit: usize,
    ) -> Result<Vec<Revision>>;
    /// Removes entries deleted before `entries_before` and data stores expired by `now`.
    fn purge(&mut self, entries_deleted_before: Timestamp, now: Timestamp) -> Result<()>;

    /// The time of the universe's latest snapshot.
    fn last_snapshot(&mut self, universe: &str) -> Result<Option<Timestamp>>;
    /// Records a snapshot.
    fn set_snapshot(&mut self, universe: &str, time: Timestamp) -> Result<()>;

    /// An ordered entry's value.
    fn ordered_get(&mut self, entry: &EntryRef) -> Result<Option<i64>>;
    /// Sets an ordered entry's value.
    fn ordered_put(&mut self, entry: &EntryRef, value: i64) -> Result<()>;
    /// Deletes an ordered entry; whether it existed.
    fn ordered_delete(&mut self, entry: &EntryRef) -> Result<bool>;
    /// Ordered entries by value then id, after the cursor, within a range.
    fn ordered_list(&mut self, q: &OrderedListing<'_>) -> Result<Vec<(String, i64)>>;
}

/// SQLite storage.
pub struct SqliteStorage {
    conn: Connection,
}

const SCHEMA: &str = "
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

fn us(t: Timestamp) -> i64 {
    t.as_microsecond()
}

fn ts(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn etag_of(revision_id: &str, value: &str) -> String {
    use base64::Engine;
    use md5::Digest;
    let mut h = md5::Md5::new();
    h.update(revision_id.as_bytes());
    h.update(value.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&h.finalize()[..12])
}

impl SqliteStorage {
    /// An in-memory database: fast, gone when the process ends.
    pub fn in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?)
    }

    /// A database in `dir/emulator.sqlite` (WAL). A write that returned is on disk: it survives
    /// the process being killed.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        let conn = Connection::open(dir.join("emulator.sqlite"))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Self::init(conn)
    }

    fn init(conn: Connection) -> Result<Self> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        match version {
            0 => {
                conn.execute_batch(SCHEMA)?;
                conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            }
            SCHEMA_VERSION => {}
            found => return Err(StoreError::Schema { found }),
        }
        Ok(Self { conn })
    }

    fn row_revision(r: &rusqlite::Row<'_>) -> rusqlite::Result<Revision> {
        let value: String = r.get(5)?;
        let users: String = r.get(6)?;
        let attrs: Option<String> = r.get(7)?;
        Ok(Revision {
            seq: r.get(0)?,
            revision_id: r.get(1)?,
            revision_time: ts(r.get(2)?),
            create_time: ts(r.get(3)?),
            deleted: r.get(4)?,
            value: serde_json::from_str(&value).unwrap_or(Value::Null),
            users: serde_json::from_str(&users).unwrap_or_default(),
            attributes: attrs.and_then(|a| serde_json::from_str(&a).ok()),
            etag: r.get(8)?,
        })
    }
}

const REV_COLS: &str =
    "seq, revision_id, revision_time, create_time, deleted, value, users, attributes, etag";

impl Storage for SqliteStorage {
    fn reset(&mut self) -> Result<()> {
        self.conn.execute_batch(
            "DELETE FROM data_stores; DELETE FROM entries; DELETE FROM revisions; DELETE FROM snapshots; DELETE FROM ordered_entries;",
        )?;
        Ok(())
    }

    fn data_store(&mut self, universe: &str, name: &str) -> Result<Option<DataStoreRow>> {
        Ok(self
            .conn
            .prepare_cached("SELECT name, create_time, expire_time FROM data_stores WHERE universe = ?1 AND name = ?2")?
            .query_row(params![universe, name], |r| {
                Ok(DataStoreRow { name: r.get(0)?, create_time: ts(r.get(1)?), expire_time: r.get::<_, Option<i64>>(2)?.map(ts) })
            })
            .optional()?)
    }

    fn list_data_stores(
        &mut self,
        universe: &str,
        prefix: &str,
        show_deleted: bool,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<DataStoreRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT name, create_time, expire_time FROM data_stores
             WHERE universe = ?1 AND substr(name, 1, length(?2)) = ?2 AND (?3 OR expire_time IS NULL) AND (?4 IS NULL OR name > ?4)
             ORDER BY name LIMIT ?5",
        )?;
        let rows = stmt.query_map(
            params![universe, prefix, show_deleted, after, limit as i64],
            |r| {
                Ok(DataStoreRow {
                    name: r.get(0)?,
                    create_time: ts(r.get(1)?),
                    expire_time: r.get::<_, Option<i64>>(2)?.map(ts),
                })
            },
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn set_data_store_expiry(
        &mut self,
        universe: &str,
        name: &str,
        expire: Option<Timestamp>,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE data_stores SET expire_time = ?3 WHERE universe = ?1 AND name = ?2",
            params![universe, name, expire.map(us)],
        )?;
        Ok(())
    }

    fn latest(&mut self, e: &EntryRef) -> Result<Option<Revision>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {REV_COLS} FROM revisions WHERE universe = ?1 AND data_store = ?2 AND scope = ?3 AND key = ?4 ORDER BY seq DESC LIMIT 1"
            ))?
            .query_row(params![e.universe, e.data_store, e.scope, e.key], Self::row_revision)
            .optional()?)
    }

    fn revision(&mut self, e: &EntryRef, revision_id: &str) -> Result<Option<Revision>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {REV_COLS} FROM revisions WHERE universe = ?1 AND data_store = ?2 AND scope = ?3 AND key = ?4 AND revision_id = ?5"
            ))?
            .query_row(params![e.universe, e.data_store, e.scope, e.key, revision_id], Self::row_revision)
            .optional()?)
    }

    fn revision_as_of(&mut self, e: &EntryRef, time: Timestamp) -> Result<Option<Revision>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {REV_COLS} FROM revisions WHERE universe = ?1 AND data_store = ?2 AND scope = ?3 AND key = ?4 AND revision_time <= ?5
                 ORDER BY seq DESC LIMIT 1"
            ))?
            .query_row(params![e.universe, e.data_store, e.scope, e.key, us(time)], Self::row_revision)
            .optional()?)
    }

    fn write(&mut self, e: &EntryRef, rev: NewRevision, now: Timestamp) -> Result<Revision> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO data_stores (universe, name, create_time) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            params![e.universe, e.data_store, us(now)],
        )?;
        let prev: Option<(i64, i64, bool)> = tx
            .query_row(
                "SELECT seq, create_time, deleted FROM revisions WHERE universe = ?1 AND data_store = ?2 AND scope = ?3 AND key = ?4 ORDER BY seq DESC LIMIT 1",
                params![e.universe, e.data_store, e.scope, e.key],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let seq = prev.map_or(1, |p| p.0 + 1);
        // A write after a tombstone is a new entry; a tombstone keeps the create time it ends.
        let create_time = match prev {
            Some((_, created, deleted)) if !deleted || rev.deleted => ts(created),
            _ => now,
        };
        let revision_id = format!("{:016X}.{:010}.{:016X}.01", us(create_time), seq, us(now));
        let value = rev.value.to_string();
        let etag = etag_of(&revision_id, &value);
        let users = serde_json::to_string(&rev.users).expect("strings serialize");
        let attrs = rev
            .attributes
            .as_ref()
            .map(|a| Value::Object(a.clone()).to_string());
        tx.execute(
            "INSERT INTO revisions (universe, data_store, scope, key, seq, revision_id, revision_time, create_time, deleted, value, users, attributes, etag)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![e.universe, e.data_store, e.scope, e.key, seq, revision_id, us(now), us(create_time), rev.deleted, value, users, attrs, etag],
        )?;
        tx.execute(
            "INSERT INTO entries (universe, data_store, scope, key, seq, deleted, deleted_time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (universe, data_store, scope, key) DO UPDATE SET seq = excluded.seq, deleted = excluded.deleted, deleted_time = excluded.deleted_time",
            params![e.universe, e.data_store, e.scope, e.key, seq, rev.deleted, rev.deleted.then(|| us(now))],
        )?;
        tx.commit()?;
        Ok(Revision {
            seq,
            revision_id,
            revision_time: now,
            create_time,
            deleted: rev.deleted,
            value: rev.value,
            users: rev.users,
            attributes: rev.attributes,
            etag,
        })
    }

    fn list_entries(&mut self, q: &EntryListing<'_>) -> Result<Vec<(EntryCursor, bool)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT scope, key, deleted FROM entries
             WHERE universe = ?1 AND data_store = ?2 AND (?3 IS NULL OR scope = ?3) AND substr(key, 1, length(?4)) = ?4
               AND (?5 OR deleted = 0) AND (?6 IS NULL OR (scope, key) > (?6, ?7))
             ORDER BY scope, key LIMIT ?8",
        )?;
        let (after_scope, after_key) = q
            .after
            .map(|(s, k)| (Some(s.as_str()), Some(k.as_str())))
            .unwrap_or((None, None));
        let rows = stmt.query_map(
            params![
                q.universe,
                q.data_store,
                q.scope,
                q.prefix,
                q.show_deleted,
                after_scope,
                after_key,
                q.limit as i64
            ],
            |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)),
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn list_revisions(
        &mut self,
        e: &EntryRef,
        start: Option<Timestamp>,
        end: Option<Timestamp>,
        after_seq: Option<i64>,
        limit: usize,
    ) -> Result<Vec<Revision>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {REV_COLS} FROM revisions WHERE universe = ?1 AND data_store = ?2 AND scope = ?3 AND key = ?4
               AND (?5 IS NULL OR revision_time >= ?5) AND (?6 IS NULL OR revision_time <= ?6) AND (?7 IS NULL OR seq > ?7)
             ORDER BY seq LIMIT ?8"
        ))?;
        let rows = stmt.query_map(
            params![
                e.universe,
                e.data_store,
                e.scope,
                e.key,
                start.map(us),
                end.map(us),
                after_seq,
                limit as i64
            ],
            Self::row_revision,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
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

    fn ordered_get(&mut self, e: &EntryRef) -> Result<Option<i64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM ordered_entries WHERE universe = ?1 AND data_store = ?2 AND scope = ?3 AND id = ?4")?
            .query_row(params![e.universe, e.data_store, e.scope, e.key], |r| r.get(0))
            .optional()?)
    }

    fn ordered_put(&mut self, e: &EntryRef, value: i64) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO ordered_entries (universe, data_store, scope, id, value) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (universe, data_store, scope, id) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![e.universe, e.data_store, e.scope, e.key, value])?;
        Ok(())
    }

    fn ordered_delete(&mut self, e: &EntryRef) -> Result<bool> {
        let n = self
            .conn
            .execute("DELETE FROM ordered_entries WHERE universe = ?1 AND data_store = ?2 AND scope = ?3 AND id = ?4", params![e.universe, e.data_store, e.scope, e.key])?;
        Ok(n > 0)
    }

    fn ordered_list(&mut self, q: &OrderedListing<'_>) -> Result<Vec<(String, i64)>> {
        // Ties on value are broken by id ascending, in both orders, so paging is stable.
        let (cmp, order) = if q.descending {
            ("(-value, id) > (-?7, ?8)", "value DESC, id ASC")
        } else {
            ("(value, id) > (?7, ?8)", "value ASC, id ASC")
        };
        let sql = format!(
            "SELECT id, value FROM ordered_entries
             WHERE universe = ?1 AND data_store = ?2 AND scope = ?3 AND (?4 IS NULL OR value >= ?4) AND (?5 IS NULL OR value <= ?5)
               AND (?6 = 0 OR {cmp})
             ORDER BY {order} LIMIT ?9"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let (has, av, aid) = match q.after {
            Some((v, id)) => (1, *v, id.as_str()),
            None => (0, 0, ""),
        };
        let rows = stmt.query_map(
            params![
                q.universe,
                q.data_store,
                q.scope,
                q.min,
                q.max,
                has,
                av,
                aid,
                q.limit as i64
            ],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
