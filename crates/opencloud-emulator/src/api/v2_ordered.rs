//! v2 ordered data store entries: list, create, get, update, delete, increment.

use opencloud_core::OrderedRange;
use opencloud_core::ResourceName;
use opencloud_core::limits::{MAX_SAFE_INTEGER, check_safe_integer};
use serde_json::{Map, Value, json};

use super::{ApiError, ApiResult, Ctx, Reply, identity, page};
use crate::store::{EntryRef, OrderedListing, Storage};

fn ordered_json(e: &EntryRef, value: i64) -> Value {
    json!({
        "path": ResourceName::ordered_entry(
            e.universe.as_str(),
            e.data_store.as_str(),
            e.scope.as_str(),
            e.key.as_str(),
        ).to_string(),
        "value": value,
        "id": e.key,
    })
}

/// An ordered value or amount. The wire type is a double, "always rounded to the nearest
/// integer": 5.4 is 5, 5.5 is 6. Past ±2^53 it is out of range.
fn ordered_number(body: &Map<String, Value>, field: &'static str) -> Result<i64, ApiError> {
    let v = body
        .get(field)
        .ok_or_else(|| ApiError::invalid(format!("{field} must be provided.")))?;
    let out_of_range = |shown: &dyn std::fmt::Display| {
        ApiError::invalid(format!(
            "{field} {shown} is out of range: at most ±{MAX_SAFE_INTEGER}."
        ))
    };
    let n = match v {
        Value::Number(num) => match num.as_i64() {
            Some(i) => i,
            None => {
                let f = num
                    .as_f64()
                    .filter(|f| f.is_finite())
                    .ok_or_else(|| out_of_range(num))?;
                let r = f.round();
                if r.abs() > MAX_SAFE_INTEGER as f64 {
                    return Err(out_of_range(num));
                }
                // Within ±2^53: exact, no saturation.
                r as i64
            }
        },
        _ => {
            return Err(ApiError::invalid(format!("{field} {v} is not a number.")));
        }
    };
    check_safe_integer(field, n).map_err(|_| out_of_range(&n))?;
    Ok(n)
}

/// `GET .../ordered-data-stores/{d}/scopes/{s}/entries`, by value in either order.
pub fn list(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let size = c.page_size(100)?;
    let descending = match c.query.get("orderBy").map(|s| s.trim()) {
        None | Some("") | Some("value") | Some("value asc") => false,
        Some("value desc") => true,
        Some(o) => {
            return Err(ApiError::invalid(format!(
                "Invalid orderBy {o:?}: only \"value\" or \"value desc\" is supported."
            )));
        }
    };
    page_of(
        store,
        c,
        size,
        descending,
        "orderedDataStoreEntries",
        ordered_json,
    )
}

/// One page of ordered entries in the request's scope, by value in the given order, within the
/// request's `filter`, resuming at its page token: `{field: [...], "nextPageToken"?}`, each
/// entry rendered by `render`. v2 and legacy v1 differ only in the page size parameter, the
/// order parameter, the field name and the rendering.
pub(crate) fn page_of(
    store: &mut dyn Storage,
    c: &Ctx<'_>,
    size: usize,
    descending: bool,
    field: &str,
    render: fn(&EntryRef, i64) -> Value,
) -> ApiResult {
    let range = match c.query.get("filter") {
        None => OrderedRange::default(),
        Some(f) => OrderedRange::parse(f).map_err(ApiError::invalid)?,
    };
    let e = identity::ordered_entry(c, "-")?;
    let after: Option<(i64, String)> = c.token_cursor()?;
    let rows = store.ordered_list(&OrderedListing {
        universe: &e.universe,
        data_store: &e.data_store,
        scope: &e.scope,
        descending,
        min: range.min,
        max: range.max,
        after: after.as_ref(),
        limit: size + 1,
    })?;
    let (rows, more) = page(rows, size);
    let entries: Vec<Value> = rows
        .iter()
        .map(|(id, v)| {
            render(
                &EntryRef {
                    key: id.clone(),
                    ..e.clone()
                },
                *v,
            )
        })
        .collect();
    let mut out = json!({ field: entries });
    if more && let Some((id, v)) = rows.last() {
        out["nextPageToken"] = json!(c.make_token(json!([v, id])));
    }
    Ok(Reply::json(&out))
}

/// `POST ...entries?id=`: create-only.
pub fn create(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let id = c
        .query
        .get("id")
        .ok_or_else(|| ApiError::invalid("id must be provided."))?;
    let e = identity::ordered_entry(c, id)?;
    let value = ordered_number(&c.json()?, "value")?;
    if store.ordered_get(&e)?.is_some() {
        return Err(ApiError::invalid("Entry already exists."));
    }
    store.ordered_put(&e, value)?;
    Ok(Reply::json(&ordered_json(&e, value)))
}

/// `GET ...entries/{id}`.
pub fn get(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let e = identity::ordered_entry(c, c.param("entry_id"))?;
    let v = store
        .ordered_get(&e)?
        .ok_or_else(|| ApiError::not_found(format!("Entry {} not found.", e.key)))?;
    Ok(Reply::json(&ordered_json(&e, v)))
}

/// `PATCH ...entries/{id}[?allowMissing=true]`.
pub fn update(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let e = identity::ordered_entry(c, c.param("entry_id"))?;
    let allow_missing = c.flag("allowMissing")?;
    let value = ordered_number(&c.json()?, "value")?;
    if store.ordered_get(&e)?.is_none() && !allow_missing {
        return Err(ApiError::not_found(format!("Entry {} not found.", e.key)));
    }
    store.ordered_put(&e, value)?;
    Ok(Reply::json(&ordered_json(&e, value)))
}

/// `DELETE ...entries/{id}`.
pub fn delete(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let e = identity::ordered_entry(c, c.param("entry_id"))?;
    if store.ordered_delete(&e)? {
        Ok(Reply::json(&json!({})))
    } else {
        Err(ApiError::not_found(format!("Entry {} not found.", e.key)))
    }
}

/// `POST ...entries/{id}:increment`; the result is clamped to ±2^53 as the service does.
pub fn increment(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let e = identity::ordered_entry(c, c.param("entry_id"))?;
    let amount = ordered_number(&c.json()?, "amount")?;
    let base = store.ordered_get(&e)?.unwrap_or(0);
    let next = base
        .saturating_add(amount)
        .clamp(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER);
    store.ordered_put(&e, next)?;
    Ok(Reply::json(&ordered_json(&e, next)))
}
