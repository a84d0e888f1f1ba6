//! The listing statements, built per case so that SQLite seeks on the cursor columns.
//!
//! A statement with optional parts written as `(?5 IS NULL OR key > ?5)` cannot use the index
//! for the bound, so SQLite walks every row from the start of the data store. Instead each
//! function here writes only the conditions a request has, combines the page cursor and the
//! filter's lower bound into one seek key, and turns a prefix into a range (`key >= p AND key <
//! p || 0xF4 0x90`, the smallest byte string above every UTF-8 text starting with `p`).
//! `store::tests::every_list_statement_seeks_from_its_cursor` checks each variant with
//! `EXPLAIN QUERY PLAN`.

use rusqlite::ToSql;
use rusqlite::types::{ToSqlOutput, ValueRef};

use super::{DataStoreListing, EntryListing, OrderedListing, RevisionListing, us};

/// One bound value.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// Text (SQLite compares it byte-wise: the tables use the default BINARY collation).
    Text(Vec<u8>),
    /// An integer.
    Int(i64),
}

impl ToSql for Arg {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Arg::Text(b) => ToSqlOutput::Borrowed(ValueRef::Text(b)),
            Arg::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
        })
    }
}

fn text(s: &str) -> Arg {
    Arg::Text(s.as_bytes().to_vec())
}

/// The first byte string above every UTF-8 text that starts with `prefix`: no UTF-8 sequence
/// starts with a byte above `F4`, nor with `F4` followed by a byte above `8F`.
fn prefix_end(prefix: &str) -> Arg {
    let mut b = prefix.as_bytes().to_vec();
    b.extend_from_slice(&[0xF4, 0x90]);
    Arg::Text(b)
}

/// A statement and its named parameters (`:name`).
#[derive(Debug, Clone)]
pub struct Query {
    /// The SQL.
    pub sql: String,
    /// The parameters, by name.
    pub args: Vec<(&'static str, Arg)>,
}

impl Query {
    fn new(sql: &str) -> Self {
        Self {
            sql: sql.to_string(),
            args: Vec::new(),
        }
    }

    /// Appends a condition with its parameters.
    fn and(&mut self, cond: &str, args: impl IntoIterator<Item = (&'static str, Arg)>) {
        self.sql.push_str(" AND ");
        self.sql.push_str(cond);
        self.args.extend(args);
    }

    fn tail(mut self, order: &str, limit: usize) -> Self {
        self.sql.push_str(" ORDER BY ");
        self.sql.push_str(order);
        self.sql.push_str(" LIMIT :limit");
        self.args
            .push((":limit", Arg::Int(i64::try_from(limit).unwrap_or(i64::MAX))));
        self
    }

    /// The parameters as rusqlite takes them.
    pub fn params(&self) -> Vec<(&str, &dyn ToSql)> {
        self.args
            .iter()
            .map(|(n, a)| (*n, a as &dyn ToSql))
            .collect()
    }
}

/// Where a listing by name resumes: after the cursor, or at the prefix, whichever is later.
/// Returns the operator and the bound.
fn name_lower_bound<'a>(
    prefix: &'a str,
    after: Option<&'a str>,
) -> Option<(&'static str, &'a str)> {
    match after {
        Some(a) if prefix.is_empty() || a >= prefix => Some((">", a)),
        _ if !prefix.is_empty() => Some((">=", prefix)),
        _ => None,
    }
}

/// Data stores of a universe, by name.
pub fn list_data_stores(q: &DataStoreListing<'_>) -> Query {
    let mut s =
        Query::new("SELECT name, create_time, expire_time FROM data_stores WHERE universe = :u");
    s.args.push((":u", text(q.universe)));
    if let Some((op, bound)) = name_lower_bound(q.prefix, q.after) {
        s.and(&format!("name {op} :lo"), [(":lo", text(bound))]);
    }
    if !q.prefix.is_empty() {
        s.and("name < :hi", [(":hi", prefix_end(q.prefix))]);
    }
    if !q.show_deleted {
        s.and("expire_time IS NULL", []);
    }
    s.tail("name", q.limit)
}

/// Entries of one scope by key, or of every scope by (scope, key). Without deleted entries the
/// `deleted = 0` condition selects the partial index over live entries.
pub fn list_entries(q: &EntryListing<'_>) -> Query {
    let mut s = Query::new(
        "SELECT scope, key, deleted FROM entries WHERE universe = :u AND data_store = :d",
    );
    s.args.push((":u", text(q.universe)));
    s.args.push((":d", text(q.data_store)));
    if !q.show_deleted {
        s.and("deleted = 0", []);
    }
    match q.scope {
        Some(scope) => {
            s.and("scope = :s", [(":s", text(scope))]);
            let after = q
                .after
                .filter(|(sc, _)| sc == scope)
                .map(|(_, k)| k.as_str());
            if let Some((op, bound)) = name_lower_bound(q.prefix, after) {
                s.and(&format!("key {op} :lo"), [(":lo", text(bound))]);
            }
            if !q.prefix.is_empty() {
                s.and("key < :hi", [(":hi", prefix_end(q.prefix))]);
            }
            s.tail("key", q.limit)
        }
        None => {
            if let Some((scope, key)) = q.after {
                s.and(
                    "(scope, key) > (:as, :ak)",
                    [(":as", text(scope)), (":ak", text(key))],
                );
            }
            if !q.prefix.is_empty() {
                // Within each scope the keys with the prefix are one range; across scopes the
                // seek is on the cursor and the prefix filters.
                s.and(
                    "key >= :lo AND key < :hi",
                    [(":lo", text(q.prefix)), (":hi", prefix_end(q.prefix))],
                );
            }
            s.tail("scope, key", q.limit)
        }
    }
}

/// The revisions of one entry by sequence number, oldest or newest first.
pub fn list_revisions(q: &RevisionListing<'_>) -> Query {
    let e = q.entry;
    let mut s = Query::new(&format!(
        "SELECT {} FROM revisions WHERE universe = :u AND data_store = :d AND scope = :s AND key = :k",
        super::entries::REV_COLS
    ));
    s.args.extend([
        (":u", text(&e.universe)),
        (":d", text(&e.data_store)),
        (":s", text(&e.scope)),
        (":k", text(&e.key)),
    ]);
    if let Some(seq) = q.after_seq {
        let op = if q.descending { "<" } else { ">" };
        s.and(&format!("seq {op} :after"), [(":after", Arg::Int(seq))]);
    }
    if let Some(t) = q.start {
        s.and("revision_time >= :start", [(":start", Arg::Int(us(t)))]);
    }
    if let Some(t) = q.end {
        s.and("revision_time <= :end", [(":end", Arg::Int(us(t)))]);
    }
    s.tail(if q.descending { "seq DESC" } else { "seq" }, q.limit)
}

/// Ordered entries by value (or by `neg_value` = -value, for highest first), ties by id
/// ascending in both orders. The cursor and the range's lower end become one row-value seek:
/// `(v, id) > (lo, '')` is `v >= lo`, as ids are never empty.
pub fn list_ordered(q: &OrderedListing<'_>) -> Query {
    let mut s = Query::new(
        "SELECT id, value FROM ordered_entries WHERE universe = :u AND data_store = :d AND scope = :s",
    );
    s.args.extend([
        (":u", text(q.universe)),
        (":d", text(q.data_store)),
        (":s", text(q.scope)),
    ]);
    // Work in the sort column's terms: `value` ascending, `neg_value` descending. Values are
    // within ±2^53, so negation cannot overflow; saturate anyway for a hand-edited database.
    let (col, lo, hi) = if q.descending {
        (
            "neg_value",
            q.max.map(i64::saturating_neg),
            q.min.map(i64::saturating_neg),
        )
    } else {
        ("value", q.min, q.max)
    };
    let cursor = q.after.map(|(v, id)| {
        (
            if q.descending { v.saturating_neg() } else { *v },
            id.as_str(),
        )
    });
    let seek = match (cursor, lo) {
        (Some(c), Some(l)) => Some(if c >= (l, "") { c } else { (l, "") }),
        (Some(c), None) => Some(c),
        (None, Some(l)) => Some((l, "")),
        (None, None) => None,
    };
    if let Some((v, id)) = seek {
        s.and(
            &format!("({col}, id) > (:lv, :lid)"),
            [(":lv", Arg::Int(v)), (":lid", text(id))],
        );
    }
    if let Some(h) = hi {
        s.and(&format!("{col} <= :hi"), [(":hi", Arg::Int(h))]);
    }
    s.tail(&format!("{col}, id"), q.limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_is_above_every_text_with_the_prefix() {
        let Arg::Text(end) = prefix_end("ab") else {
            unreachable!()
        };
        for k in ["ab", "ab\u{10FFFF}\u{10FFFF}", "abz", "ab\u{7F}"] {
            assert!(k.as_bytes() < end.as_slice(), "{k:?}");
        }
        assert!("ac".as_bytes() > end.as_slice());
    }

    #[test]
    fn name_bounds_take_the_later_of_cursor_and_prefix() {
        assert_eq!(name_lower_bound("", None), None);
        assert_eq!(name_lower_bound("b", None), Some((">=", "b")));
        assert_eq!(name_lower_bound("b", Some("a")), Some((">=", "b")));
        assert_eq!(name_lower_bound("b", Some("bc")), Some((">", "bc")));
        assert_eq!(name_lower_bound("", Some("x")), Some((">", "x")));
    }
}
