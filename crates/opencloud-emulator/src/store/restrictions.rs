//! User restrictions (bans), their change log, and the idempotency keys of their updates.
//!
//! A restriction's `gameJoinRestriction` and a log entry are stored as the JSON the API
//! answers (the core's `GameJoinRestriction` and `UserRestrictionLog`): the emulator renders
//! them unchanged, and computes only what depends on the clock (expiry, inheritance).

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::{RestrictionRow, RestrictionStorage, Result, SqliteStorage, StoreError, ts, us};

fn parse<T: serde::de::DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_str(s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v)
        .map_err(|e| StoreError::Sqlite(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RestrictionRow> {
    Ok(RestrictionRow {
        user: r.get(0)?,
        update_time: ts(r.get(1)?),
        restriction: parse(&r.get::<_, String>(2)?)?,
    })
}

impl RestrictionStorage for SqliteStorage {
    fn restriction(
        &mut self,
        universe: &str,
        place: &str,
        user: i64,
    ) -> Result<Option<RestrictionRow>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT user, update_time, restriction FROM user_restrictions WHERE universe = ?1 AND place = ?2 AND user = ?3",
            )?
            .query_row(params![universe, place, user], row)
            .optional()?)
    }

    fn list_restrictions(
        &mut self,
        universe: &str,
        place: &str,
        after_user: Option<i64>,
        limit: usize,
    ) -> Result<Vec<RestrictionRow>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.conn.prepare_cached(
            "SELECT user, update_time, restriction FROM user_restrictions
             WHERE universe = ?1 AND place = ?2 AND user > ?3 ORDER BY user LIMIT ?4",
        )?;
        let rows = stmt.query_map(
            params![universe, place, after_user.unwrap_or(i64::MIN), limit],
            row,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn idempotent_result(
        &mut self,
        universe: &str,
        place: &str,
        user: i64,
        key: &str,
    ) -> Result<Option<serde_json::Value>> {
        let s: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT result FROM restriction_keys WHERE universe = ?1 AND place = ?2 AND user = ?3 AND key = ?4",
            )?
            .query_row(params![universe, place, user, key], |r| r.get(0))
            .optional()?;
        Ok(s.map(|s| parse(&s)).transpose()?)
    }

    fn apply_restriction(
        &mut self,
        universe: &str,
        place: &str,
        user: i64,
        now: Timestamp,
        restriction: &opencloud_core::GameJoinRestriction,
        log: &opencloud_core::UserRestrictionLog,
        key: Option<(&str, &serde_json::Value)>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO user_restrictions (universe, place, user, update_time, restriction) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (universe, place, user) DO UPDATE SET update_time = excluded.update_time, restriction = excluded.restriction",
            params![universe, place, user, us(now), json(restriction)?],
        )?;
        tx.execute(
            "INSERT INTO restriction_logs (universe, seq, place, user, log)
             VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM restriction_logs WHERE universe = ?1), ?2, ?3, ?4)",
            params![universe, place, user, json(log)?],
        )?;
        if let Some((k, result)) = key {
            tx.execute(
                "INSERT OR REPLACE INTO restriction_keys (universe, place, user, key, result) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![universe, place, user, k, json(result)?],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn list_restriction_logs(
        &mut self,
        universe: &str,
        user: Option<i64>,
        place: Option<&str>,
        before_seq: Option<i64>,
        limit: usize,
    ) -> Result<Vec<(i64, opencloud_core::UserRestrictionLog)>> {
        let mut sql = String::from("SELECT seq, log FROM restriction_logs WHERE universe = :u");
        let mut args: Vec<(&str, Box<dyn rusqlite::ToSql>)> =
            vec![(":u", Box::new(universe.to_string()))];
        if let Some(s) = before_seq {
            sql.push_str(" AND seq < :before");
            args.push((":before", Box::new(s)));
        }
        if let Some(u) = user {
            sql.push_str(" AND user = :user");
            args.push((":user", Box::new(u)));
        }
        if let Some(p) = place {
            sql.push_str(" AND place = :place");
            args.push((":place", Box::new(p.to_string())));
        }
        sql.push_str(" ORDER BY seq DESC LIMIT :limit");
        args.push((":limit", Box::new(i64::try_from(limit).unwrap_or(i64::MAX))));
        let params: Vec<(&str, &dyn rusqlite::ToSql)> =
            args.iter().map(|(n, v)| (*n, v.as_ref())).collect();
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params.as_slice(), |r| {
            Ok((r.get(0)?, parse(&r.get::<_, String>(1)?)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
