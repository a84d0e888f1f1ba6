//! User restrictions (bans): list, get and update at the universe and the place level, and
//! the change log.
//!
//! Expiry is computed on read with the emulator's clock: a ban whose `startTime + duration` has
//! passed reads `active: false`. A universe-level ban in force makes every place's restriction
//! of that user read as that ban with `inherited: true`.

use jiff::Timestamp;
use opencloud_core::PlaceId;
use opencloud_core::RestrictionLogFilter;
use opencloud_core::RestrictionWrite;
use opencloud_core::wire::UPDATE_MASK;
use opencloud_core::{GameJoinRestriction, RestrictionType, UserRestrictionLog};
use serde_json::{Value, json};

use super::{ApiError, ApiResult, Ctx, Reply, page, ts_json};
use crate::store::{RestrictionRow, Storage};

/// The place of the request, checked; empty at the universe level.
fn place(c: &Ctx<'_>) -> Result<String, ApiError> {
    if !c.has_param("place_id") {
        return Ok(String::new());
    }
    Ok(PlaceId::new(c.param("place_id"))?.as_str().to_string())
}

fn user(c: &Ctx<'_>) -> Result<i64, ApiError> {
    let raw = c.param("user_restriction_id");
    raw.parse::<i64>().ok().filter(|u| *u > 0).ok_or_else(|| {
        ApiError::invalid(format!(
            "Invalid user_restriction_id {raw:?}: must be a user id (a positive integer)."
        ))
    })
}

fn path(universe: &str, place: &str, user: i64) -> String {
    if place.is_empty() {
        format!("universes/{universe}/user-restrictions/{user}")
    } else {
        format!("universes/{universe}/places/{place}/user-restrictions/{user}")
    }
}

/// The restriction as read at `now`: a timed ban that has ended is inactive.
fn at(mut g: GameJoinRestriction, now: Timestamp) -> GameJoinRestriction {
    g.active = g.in_force_at(now);
    g
}

/// `v` as JSON with every field in `defaults` present: the service prints empty reasons and
/// false flags (clients index them without checking), where the core's models leave them out.
fn with_defaults<T: serde::Serialize>(v: &T, defaults: &[(&str, Value)]) -> Value {
    let mut out = serde_json::to_value(v).unwrap_or(Value::Null);
    if let Some(map) = out.as_object_mut() {
        for (k, d) in defaults {
            map.entry(*k).or_insert_with(|| d.clone());
        }
    }
    out
}

/// The reasons and flags a restriction or a log entry always shows.
fn restriction_defaults() -> [(&'static str, Value); 3] {
    [
        ("privateReason", json!("")),
        ("displayReason", json!("")),
        ("excludeAltAccounts", json!(false)),
    ]
}

fn render(
    universe: &str,
    place: &str,
    user: i64,
    update_time: Option<Timestamp>,
    g: &GameJoinRestriction,
) -> Value {
    let mut defaults = restriction_defaults().to_vec();
    defaults.push(("inherited", json!(false)));
    let mut v = json!({
        "path": path(universe, place, user),
        "user": format!("users/{user}"),
        "gameJoinRestriction": with_defaults(g, &defaults),
    });
    if let Some(t) = update_time {
        v["updateTime"] = json!(ts_json(t));
    }
    v
}

/// The restriction of `user` at `place` as read at `now`, with the universe's ban inherited.
fn effective(
    store: &mut dyn Storage,
    universe: &str,
    place: &str,
    user: i64,
    now: Timestamp,
) -> Result<Value, ApiError> {
    if !place.is_empty()
        && let Some(u) = store.restriction(universe, "", user)?
        && u.restriction.in_force_at(now)
    {
        let mut g = u.restriction;
        g.inherited = true;
        return Ok(render(universe, place, user, Some(u.update_time), &g));
    }
    Ok(match store.restriction(universe, place, user)? {
        Some(r) => render(
            universe,
            place,
            user,
            Some(r.update_time),
            &at(r.restriction, now),
        ),
        // Never banned: an inactive restriction, as the service answers.
        None => render(universe, place, user, None, &GameJoinRestriction::default()),
    })
}

/// `GET .../user-restrictions/{user}` (universe or place).
pub fn get(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let (place, user) = (place(c)?, user(c)?);
    Ok(Reply::json(&effective(
        store,
        c.universe(),
        &place,
        user,
        c.now,
    )?))
}

/// `GET .../user-restrictions` (universe or place): users ever restricted here, by id.
pub fn list(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let size = c.page_size(100)?;
    let place = place(c)?;
    let after: Option<i64> = c.token_cursor()?;
    let rows = store.list_restrictions(c.universe(), &place, after, size + 1)?;
    let (rows, more) = page(rows, size);
    let next = match (more, rows.last()) {
        (true, Some(last)) => c.make_token(json!(last.user)),
        _ => String::new(),
    };
    let items: Vec<Value> = rows
        .into_iter()
        .map(
            |RestrictionRow {
                 user,
                 update_time,
                 restriction,
             }| {
                render(
                    c.universe(),
                    &place,
                    user,
                    Some(update_time),
                    &at(restriction, c.now),
                )
            },
        )
        .collect();
    Ok(Reply::json(
        &json!({ "userRestrictions": items, "nextPageToken": next }),
    ))
}

/// `PATCH .../user-restrictions/{user}?updateMask=gameJoinRestriction&idempotencyKey.key=..`:
/// replaces the whole ban. A repeat with the same idempotency key answers the stored result and
/// writes nothing.
pub fn update(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let (place, user) = (place(c)?, user(c)?);
    match c.query.get("updateMask").map(String::as_str) {
        Some(UPDATE_MASK) => {}
        None if !c.strict => {}
        other => {
            return Err(ApiError::invalid(format!(
                "Invalid updateMask {other:?}: only \"{UPDATE_MASK}\" is supported (the whole restriction)."
            )));
        }
    }
    let key = c.query.get("idempotencyKey.key").filter(|k| !k.is_empty());
    if let Some(sent) = c.query.get("idempotencyKey.firstSent") {
        sent.parse::<Timestamp>().map_err(|e| {
            ApiError::invalid(format!(
                "Invalid idempotencyKey.firstSent {sent:?}: not an RFC 3339 time ({e})."
            ))
        })?;
    }
    if key.is_none() && c.strict {
        return Err(ApiError::invalid(
            "idempotencyKey.key must be provided (strict mode).",
        ));
    }
    let universe = c.universe();
    if let Some(k) = key
        && let Some(stored) = store.idempotent_result(universe, &place, user, k)?
    {
        return Ok(Reply::json(&stored));
    }
    let body = c.json()?;
    let write: RestrictionWrite = match body.get("gameJoinRestriction") {
        None | Some(Value::Null) => RestrictionWrite::unban(),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|e| ApiError::invalid(format!("Invalid gameJoinRestriction: {e}")))?,
    };
    write.check()?;
    let mut g = GameJoinRestriction::default();
    g.active = write.active;
    if write.active {
        g.start_time = Some(c.now);
        g.duration = write.duration;
    }
    g.private_reason = write.private_reason.clone().unwrap_or_default();
    g.display_reason = write.display_reason.clone().unwrap_or_default();
    g.exclude_alt_accounts = write.exclude_alt_accounts;
    let mut log = UserRestrictionLog::default();
    log.user = Some(opencloud_core::UserId(user as u64));
    log.place = (!place.is_empty())
        .then(|| PlaceId::new(place.as_str()))
        .transpose()?;
    log.create_time = Some(c.now);
    log.active = g.active;
    log.start_time = g.start_time;
    log.duration = g.duration;
    log.private_reason = g.private_reason.clone();
    log.display_reason = g.display_reason.clone();
    log.restriction_type = Some(RestrictionType::GameJoinRestriction);
    log.exclude_alt_accounts = g.exclude_alt_accounts;
    let answer = render(universe, &place, user, Some(c.now), &g);
    store.apply_restriction(
        universe,
        &place,
        user,
        c.now,
        &g,
        &log,
        key.map(|k| (k.as_str(), &answer)),
    )?;
    Ok(Reply::json(&answer))
}

/// `GET .../user-restrictions:listLogs`: changes newest first, filtered by user and place.
pub fn list_logs(store: &mut dyn Storage, c: &Ctx<'_>) -> ApiResult {
    let size = c.page_size(100)?;
    let filter = match c.query.get("filter") {
        None => RestrictionLogFilter::default(),
        Some(f) => RestrictionLogFilter::parse(f)
            .map_err(|e| ApiError::invalid(format!("Invalid filter: {e}")))?,
    };
    let before: Option<i64> = c.token_cursor()?;
    let user = filter
        .user
        .map(|u| i64::try_from(u.0))
        .transpose()
        .map_err(|_| ApiError::invalid("Invalid filter: the user id is out of range."))?;
    let rows = store.list_restriction_logs(
        c.universe(),
        user,
        filter.place.as_ref().map(PlaceId::as_str),
        before,
        size + 1,
    )?;
    let (rows, more) = page(rows, size);
    let next = match (more, rows.last()) {
        (true, Some((seq, _))) => c.make_token(json!(seq)),
        _ => String::new(),
    };
    let mut defaults = restriction_defaults().to_vec();
    // Who made the change: the emulator cannot tell an API key's owner, so none is named.
    defaults.push(("moderator", json!({})));
    let logs: Vec<Value> = rows
        .iter()
        .map(|(_, l)| with_defaults(l, &defaults))
        .collect();
    Ok(Reply::json(&json!({ "logs": logs, "nextPageToken": next })))
}
