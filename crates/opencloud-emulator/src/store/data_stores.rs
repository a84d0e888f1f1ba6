//! Data store rows.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::{DataStoreListing, DataStoreRow, Result, sql, ts, us};

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DataStoreRow> {
    Ok(DataStoreRow {
        name: r.get(0)?,
        create_time: ts(r.get(1)?),
        expire_time: r.get::<_, Option<i64>>(2)?.map(ts),
    })
}

pub(super) fn get(conn: &Connection, universe: &str, name: &str) -> Result<Option<DataStoreRow>> {
    Ok(conn
        .prepare_cached(
            "SELECT name, create_time, expire_time FROM data_stores WHERE universe = ?1 AND name = ?2",
        )?
        .query_row(params![universe, name], row)
        .optional()?)
}

pub(super) fn list(conn: &Connection, q: &DataStoreListing<'_>) -> Result<Vec<DataStoreRow>> {
    let query = sql::list_data_stores(q);
    let mut stmt = conn.prepare_cached(&query.sql)?;
    let rows = stmt.query_map(query.params().as_slice(), row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn set_expiry(
    conn: &Connection,
    universe: &str,
    name: &str,
    expire: Option<Timestamp>,
) -> Result<()> {
    conn.execute(
        "UPDATE data_stores SET expire_time = ?3 WHERE universe = ?1 AND name = ?2",
        params![universe, name, expire.map(us)],
    )?;
    Ok(())
}
