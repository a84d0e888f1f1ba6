//! Legacy v1 ordered data stores (`/ordered-data-stores/v1`): list, create, get, update,
//! delete, increment, over the same entries as v2 ordered.
//!
//! What differs from v2: snake_case parameters (`max_page_size`, `page_token`, `order_by`,
//! `allow_missing`), int64 values (a JSON number or a decimal string; a fraction is refused, not
//! rounded), ids of at most 50 characters, a delete that answers 200 whether or not the entry
//! existed, and entries named `universes/{u}/orderedDataStores/{d}/scopes/{s}/entries/{id}`.

use opencloud_core::limits::MAX_V1_ORDERED_ID_CHARS;
use opencloud_core::wire::encode_component;
use serde_json::{Map, Value, json};

use super::{ApiError, ApiResult, Ctx, Reply, identity};
use crate::store::{EntryRef, Storage};

fn entry_json(e: &EntryRef, value: i64) -> Value {
    json!({
        "path": format!(
            "universes/{}/orderedDataStores/{}/scopes/{}/entries/{}",
            encode_component(&e.universe),
            encode_component(&e.data_store),
            encode_component(&e.scope),
            encode_component(&e.key),
        ),
        "id": e.key,
        "value": value,
    })
}

/// An ordered entry of the path, with the v1 id limit on top of the core's rules.
fn entry(c: &Ctx<'_>, id: &str) -> Result<EntryRef, ApiError> {
    let n = id.chars().count();
    if n > MAX_V1_ORDERED_ID_CHARS {
        return Err(ApiError::invalid(format!(
            "Ordered data store key name exceeds the {MAX_V1_ORDERED_ID_CHARS} character limit ({n} characters)."
        )));
    }
    identity::ordered_entry(c, id)
}

/// An int64 body field: a JSON integer or a decimal string (the proto3 JSON form of int64).
fn int64_field(body: &Map<String, Value>, field: &'static str) -> Result<i64, ApiError> {
    let v = body
        .get(field)
        .ok_or_else(|| ApiError::invalid(format!("{field} must be provided.")))?;
    let out_of_range = || {
        ApiError::invalid(format!(
            "{field} {v} is out of range: it must fit in an int64 (at most 9223372036854775807)."
        ))
    };
    match v {
        Value::Number(n) => match n.as_i64() {
            Some(i) => Ok(i),
            None if n.as_u64().is_some() => Err(out_of_range()),
            None => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Ok(f as i64),
                Some(f) if f.fract() == 0.0 || !f.is_finite() => Err(out_of_range()),
                _ => Err(ApiError::invalid(format!("{field} {v} is not an integer."))),
            },
        },
        Value::String(s) => {
            let t = s.trim();
            t.parse::<i64>().map_err(|_| {
                if !t.is_empty()
                    && t.trim_start_matches('-')
                        .bytes()
                        .all(|b| b.is_ascii_digit())
                {
                    out_of_range()
                } else {
                    ApiError::invalid(format!("{field} {s:?} is not an integer."))
                }
            })
        }
        _ => Err(ApiError::invalid(format!("{field} {v} is not an integer."))),
    }
}

/// `GET .../scopes/{s}/entries?max_page_size=&page_token=&order_by=&filter=`.
pub fn list(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let size = c.page_size_of("max_page_size", 10, 100)?;
    // "The order by default is ascending. Input a `desc` suffix for descending."
    let descending = match c.query.get("order_by").map(|s| s.trim()) {
        None | Some("") | Some("asc") => false,
        Some("desc") => true,
        Some(o) if !c.strict && (o == "value" || o == "value asc") => false,
        Some(o) if !c.strict && o == "value desc" => true,
        Some(o) => {
            return Err(ApiError::invalid(format!(
                "Invalid order_by {o:?}: leave it out for ascending, or give desc."
            )));
        }
    };
    super::v2_ordered::page_of(store, c, size, descending, "entries", entry_json)
}

/// `POST .../scopes/{s}/entries?id=`: create-only.
pub fn create(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let id = c
        .query
        .get("id")
        .ok_or_else(|| ApiError::invalid("id must be provided."))?;
    let e = entry(c, id)?;
    let value = int64_field(&c.json()?, "value")?;
    if store.ordered_get(&e)?.is_some() {
        return Err(ApiError::invalid("Entry already exists."));
    }
    store.ordered_put(&e, value)?;
    Ok(Reply::json(&entry_json(&e, value)))
}

/// `GET .../entries/{id}`.
pub fn get(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let e = entry(c, c.param("entry_id"))?;
    let v = store
        .ordered_get(&e)?
        .ok_or_else(|| ApiError::not_found(format!("Entry {} not found.", e.key)))?;
    Ok(Reply::json(&entry_json(&e, v)))
}

/// `PATCH .../entries/{id}[?allow_missing=true]`.
pub fn update(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let e = entry(c, c.param("entry_id"))?;
    let allow_missing = c.flag("allow_missing")?;
    let value = int64_field(&c.json()?, "value")?;
    match store.ordered_get(&e)? {
        None if !allow_missing => {
            return Err(ApiError::not_found(format!("Entry {} not found.", e.key)));
        }
        // "If the entry exists but the content matches the existing value of the entry, the
        // existing entry remains unchanged."
        Some(current) if current == value => return Ok(Reply::json(&entry_json(&e, value))),
        _ => {}
    }
    store.ordered_put(&e, value)?;
    Ok(Reply::json(&entry_json(&e, value)))
}

/// `DELETE .../entries/{id}`: deleted at once; 200 `{}` "whether it was deleted or didn't
/// exist".
pub fn delete(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let e = entry(c, c.param("entry_id"))?;
    store.ordered_delete(&e)?;
    Ok(Reply::json(&json!({})))
}

/// `POST .../entries/{id}:increment`: a missing entry starts at 0; the result saturates at the
/// int64 range ("returned values will clamp to the valid range").
pub fn increment(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let e = entry(c, c.param("entry_id"))?;
    let amount = int64_field(&c.json()?, "amount")?;
    let base = store.ordered_get(&e)?.unwrap_or(0);
    let next = base.saturating_add(amount);
    store.ordered_put(&e, next)?;
    Ok(Reply::json(&entry_json(&e, next)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int64_fields_take_numbers_and_strings_but_no_fractions() {
        let body = |v: Value| json!({ "value": v }).as_object().cloned().unwrap();
        assert_eq!(int64_field(&body(json!(5)), "value").unwrap(), 5);
        assert_eq!(
            int64_field(&body(json!("9223372036854775807")), "value").unwrap(),
            i64::MAX
        );
        assert_eq!(int64_field(&body(json!(-3.0)), "value").unwrap(), -3);
        for (bad, says) in [
            (json!(5.4), "not an integer"),
            (json!(9223372036854775808u64), "out of range"),
            (json!("9223372036854775808"), "out of range"),
            (json!(1e300), "out of range"),
            (json!("x"), "not an integer"),
            (json!(true), "not an integer"),
        ] {
            let e = int64_field(&body(bad.clone()), "value").unwrap_err();
            assert!(e.message.contains(says), "{bad}: {}", e.message);
        }
        assert!(int64_field(&Map::new(), "value").is_err());
    }
}
