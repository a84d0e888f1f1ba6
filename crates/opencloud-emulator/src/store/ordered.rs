//! Ordered data store entries.

use rusqlite::{OptionalExtension, params};

use super::{EntryRef, OrderedListing, OrderedStorage, Result, SqliteStorage, sql};

impl OrderedStorage for SqliteStorage {
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
        let n = self.conn.execute(
            "DELETE FROM ordered_entries WHERE universe = ?1 AND data_store = ?2 AND scope = ?3 AND id = ?4",
            params![e.universe, e.data_store, e.scope, e.key],
        )?;
        Ok(n > 0)
    }

    fn ordered_list(&mut self, q: &OrderedListing<'_>) -> Result<Vec<(String, i64)>> {
        let query = sql::list_ordered(q);
        let mut stmt = self.conn.prepare_cached(&query.sql)?;
        let rows = stmt.query_map(query.params().as_slice(), |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
