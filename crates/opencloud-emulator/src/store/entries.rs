//! Standard entries and their revisions.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};
use serde_json::Value;

use super::{
    EntryCursor, EntryListing, EntryRef, EntryStorage, NewRevision, Result, Revision,
    RevisionListing, SqliteStorage, sql, ts, us,
};

/// The revision columns every revision query selects, in [`row_revision`]'s order.
pub(super) const REV_COLS: &str =
    "seq, revision_id, revision_time, create_time, deleted, value, users, attributes, etag";

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
        raw: value,
        users: serde_json::from_str(&users).unwrap_or_default(),
        attributes: attrs.and_then(|a| serde_json::from_str(&a).ok()),
        etag: r.get(8)?,
    })
}

fn etag_of(revision_id: &str, value: &str) -> String {
    use base64::Engine;
    use md5::Digest;
    let mut h = md5::Md5::new();
    h.update(revision_id.as_bytes());
    h.update(value.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&h.finalize()[..12])
}

impl EntryStorage for SqliteStorage {
    fn latest(&mut self, e: &EntryRef) -> Result<Option<Revision>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {REV_COLS} FROM revisions WHERE universe = ?1 AND data_store = ?2 AND scope = ?3 AND key = ?4 ORDER BY seq DESC LIMIT 1"
            ))?
            .query_row(params![e.universe, e.data_store, e.scope, e.key], row_revision)
            .optional()?)
    }

    fn revision(&mut self, e: &EntryRef, revision_id: &str) -> Result<Option<Revision>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {REV_COLS} FROM revisions WHERE universe = ?1 AND data_store = ?2 AND scope = ?3 AND key = ?4 AND revision_id = ?5"
            ))?
            .query_row(params![e.universe, e.data_store, e.scope, e.key, revision_id], row_revision)
            .optional()?)
    }

    fn revision_as_of(&mut self, e: &EntryRef, time: Timestamp) -> Result<Option<Revision>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {REV_COLS} FROM revisions WHERE universe = ?1 AND data_store = ?2 AND scope = ?3 AND key = ?4 AND revision_time <= ?5
                 ORDER BY seq DESC LIMIT 1"
            ))?
            .query_row(params![e.universe, e.data_store, e.scope, e.key, us(time)], row_revision)
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
        let seq = prev.map_or(1, |p| p.0.saturating_add(1));
        // A write after a tombstone is a new entry; a tombstone keeps the create time it ends.
        let create_time = match prev {
            Some((_, created, deleted)) if !deleted || rev.deleted => ts(created),
            _ => now,
        };
        let revision_id = format!("{:016X}.{:010}.{:016X}.01", us(create_time), seq, us(now));
        let value = rev.raw.clone().unwrap_or_else(|| rev.value.to_string());
        let etag = etag_of(&revision_id, &value);
        let users = Value::from(rev.users.clone()).to_string();
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
            raw: value,
            users: rev.users,
            attributes: rev.attributes,
            etag,
        })
    }

    fn list_entries(&mut self, q: &EntryListing<'_>) -> Result<Vec<(EntryCursor, bool)>> {
        let query = sql::list_entries(q);
        let mut stmt = self.conn.prepare_cached(&query.sql)?;
        let rows = stmt.query_map(query.params().as_slice(), |r| {
            Ok(((r.get(0)?, r.get(1)?), r.get(2)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn list_revisions(&mut self, q: &RevisionListing<'_>) -> Result<Vec<Revision>> {
        let query = sql::list_revisions(q);
        let mut stmt = self.conn.prepare_cached(&query.sql)?;
        let rows = stmt.query_map(query.params().as_slice(), row_revision)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
