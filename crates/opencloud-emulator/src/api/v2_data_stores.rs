//! v2 standard data stores: list, delete, undelete, snapshot.

use jiff::Timestamp;
use opencloud_core::ResourceName;
use opencloud_core::wire::parse_prefix_filter;
use serde_json::{Value, json};

use super::{ApiError, ApiResult, Ctx, RETENTION, Reply, identity, page, ts_json};
use crate::store::{DataStoreListing, DataStoreRow, Storage};

fn data_store_json(u: &str, row: &DataStoreRow) -> Value {
    let mut v = json!({
        "path": ResourceName::data_store(u, row.name.as_str()).to_string(),
        "createTime": ts_json(row.create_time),
        "state": if row.expire_time.is_some() { "DELETED" } else { "ACTIVE" },
        "id": row.name,
    });
    if let Some(e) = row.expire_time {
        v["expireTime"] = json!(ts_json(e));
    }
    v
}

/// The `id.startsWith("...")` filter of data store and entry listings; empty when absent.
pub(crate) fn prefix_filter(c: &Ctx<'_>) -> Result<String, ApiError> {
    match c.query.get("filter") {
        None => Ok(String::new()),
        Some(f) => parse_prefix_filter(f)
            .map(|p| p.unwrap_or_default())
            .map_err(ApiError::invalid),
    }
}

/// How many data stores one listing call checks when it leaves out the deleted ones: the
/// service documents that it "will check up to 512 data stores" and, "if all checked data
/// stores are deleted", answers "an empty list with a page token to continue iteration".
pub const DELETED_CHECK_LIMIT: usize = 512;

/// `GET .../data-stores`.
pub fn list(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let size = c.page_size(100)?;
    let prefix = prefix_filter(c)?;
    let show_deleted = c.flag("showDeleted")?;
    let after: Option<String> = c.token_cursor()?;
    let listing = |limit| DataStoreListing {
        universe: c.universe(),
        prefix: &prefix,
        show_deleted: true,
        after: after.as_deref(),
        limit,
    };
    let (rows, next) = if show_deleted {
        let rows = store.list_data_stores(&listing(size + 1))?;
        let (rows, more) = page(rows, size);
        let next = more.then(|| rows.last().map(|r| r.name.clone())).flatten();
        (rows, next)
    } else {
        // Check at most DELETED_CHECK_LIMIT data stores (deleted or not) from the token on.
        let checked = store.list_data_stores(&listing(DELETED_CHECK_LIMIT + 1))?;
        let beyond = checked.len() > DELETED_CHECK_LIMIT;
        let mut live = Vec::new();
        let mut next = None;
        for row in checked.iter().take(DELETED_CHECK_LIMIT) {
            if row.expire_time.is_some() {
                continue;
            }
            if live.len() == size {
                // A further live one: the page is full and there is more.
                next = live.last().map(|r: &DataStoreRow| r.name.clone());
                break;
            }
            live.push(row.clone());
        }
        if next.is_none() && beyond {
            // Every row checked, more beyond: continue after the last one checked (an empty
            // page when all of them were deleted).
            next = checked.get(DELETED_CHECK_LIMIT - 1).map(|r| r.name.clone());
        }
        (live, next)
    };
    let mut out = json!({ "dataStores": rows.iter().map(|r| data_store_json(c.universe(), r)).collect::<Vec<_>>() });
    if let Some(last) = next {
        out["nextPageToken"] = json!(c.make_token(json!(last)));
    }
    Ok(Reply::json(&out))
}

fn existing(store: &mut dyn Storage, c: &Ctx<'_>) -> Result<DataStoreRow, ApiError> {
    let name = identity::data_store(c);
    opencloud_core::DataStoreName::new(name)?;
    store
        .data_store(c.universe(), name)?
        .ok_or_else(|| ApiError::not_found(format!("Data store {name} not found.")))
}

/// `now + RETENTION`, saturating at the largest time.
pub(crate) fn retention_end(now: Timestamp) -> Timestamp {
    let us = i64::try_from(RETENTION.as_micros()).unwrap_or(i64::MAX);
    Timestamp::from_microsecond(now.as_microsecond().saturating_add(us)).unwrap_or(Timestamp::MAX)
}

/// `DELETE .../data-stores/{id}`: scheduled for deletion in 30 days.
pub fn delete(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let mut row = existing(store, c)?;
    if row.expire_time.is_none() {
        let expire = retention_end(c.now);
        store.set_data_store_expiry(c.universe(), &row.name, Some(expire))?;
        row.expire_time = Some(expire);
    }
    Ok(Reply::json(&data_store_json(c.universe(), &row)))
}

/// `POST .../data-stores/{id}:undelete`.
pub fn undelete(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    c.optional_json()?;
    let mut row = existing(store, c)?;
    if row.expire_time.is_none() {
        return Err(ApiError::invalid(format!(
            "Data store {} is not scheduled for deletion.",
            row.name
        )));
    }
    store.set_data_store_expiry(c.universe(), &row.name, None)?;
    row.expire_time = None;
    Ok(Reply::json(&data_store_json(c.universe(), &row)))
}

/// `POST .../data-stores:snapshot`: at most one new snapshot per UTC day.
pub fn snapshot(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    c.optional_json()?;
    let day = |t: Timestamp| t.as_second().div_euclid(86_400);
    let last = store.last_snapshot(c.universe())?;
    let (taken, time) = match last {
        Some(t) if day(t) == day(c.now) => (false, t),
        _ => {
            store.set_snapshot(c.universe(), c.now)?;
            (true, c.now)
        }
    };
    Ok(Reply::json(
        &json!({ "newSnapshotTaken": taken, "latestSnapshotTime": ts_json(time) }),
    ))
}
