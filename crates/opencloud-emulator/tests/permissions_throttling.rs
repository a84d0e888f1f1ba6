//! API keys (401/403 for every route) and per-universe throttling under the controllable clock.

mod common;

use std::collections::BTreeSet;

use common::*;
use opencloud_core::{CategoryLimit, ROUTES, RateLimits, ThrottleCategory};
use opencloud_emulator::{EmulatorConfig, KeyConfig};
use serde_json::json;

/// A request that would succeed for each route, given the fixtures below.
fn sample(route: &opencloud_core::Route) -> (String, Option<serde_json::Value>) {
    let vals: Vec<String> = route
        .path_params
        .iter()
        .map(|p| match *p {
            "universe_id" => "1".to_string(),
            "data_store_id" => "Inv".to_string(),
            "ordered_data_store_id" => "Scores".to_string(),
            "scope_id" => "global".to_string(),
            "entry_id" => "k".to_string(),
            "place_id" => "2".to_string(),
            "user_restriction_id" => "3".to_string(),
            "universeId" => "1".to_string(),
            "topic" => "news".to_string(),
            other => panic!("unknown parameter {other}"),
        })
        .collect();
    let refs: Vec<&str> = vals.iter().map(String::as_str).collect();
    let mut path = route.render(&refs);
    if route.query.contains(&"id") {
        path.push_str("?id=new");
    }
    // Legacy v1 standard: the data store and key are in the query.
    if route.query.contains(&"datastoreName") {
        path.push_str("?datastoreName=Inv");
        if route.query.contains(&"entryKey") {
            path.push_str("&entryKey=k");
        }
        if route.query.contains(&"versionId") {
            path.push_str("&versionId=0000000000000000.0000000001.0000000000000000.01");
        }
    }
    let body = route.json_body.then(|| match route.id {
        opencloud_core::RouteId::IncrementEntry
        | opencloud_core::RouteId::IncrementScopedEntry
        | opencloud_core::RouteId::IncrementOrderedEntry => json!({"amount": 1}),
        opencloud_core::RouteId::UndeleteDataStore
        | opencloud_core::RouteId::SnapshotDataStores => json!({}),
        _ => json!({"value": 1}),
    });
    (path, body)
}

/// 403 in the body shape of the route's API family: `code` (v2, ordered v1) or `error` (v1).
fn assert_denied(r: &common::Reply) {
    assert_eq!(r.status, 403, "{}", r.text);
    let code = r.body.get("code").or_else(|| r.body.get("error"));
    assert_eq!(
        code.and_then(|c| c.as_str()),
        Some("PERMISSION_DENIED"),
        "{}",
        r.text
    );
}

#[test]
fn each_operation_without_its_scope_is_forbidden() {
    let all_scopes: BTreeSet<&str> = ROUTES
        .iter()
        .flat_map(|r| r.scopes.iter().copied())
        .collect();
    // For every scope, a key that has every other scope.
    let mut keys: Vec<KeyConfig> = all_scopes
        .iter()
        .map(|missing| KeyConfig {
            key: format!("lacks-{missing}"),
            name: None,
            scopes: all_scopes
                .iter()
                .filter(|s| *s != missing)
                .map(|s| s.to_string())
                .collect(),
            universes: None,
            data_stores: None,
            expires: None,
        })
        .collect();
    keys.push(KeyConfig {
        key: "admin".into(),
        ..KeyConfig::full_access("admin")
    });
    keys.push(KeyConfig {
        universes: Some(vec!["2".into()]),
        ..KeyConfig::full_access("other-universe")
    });
    keys.push(KeyConfig {
        data_stores: Some(vec!["Elsewhere".into()]),
        ..KeyConfig::full_access("other-store")
    });
    keys.push(KeyConfig {
        expires: Some("2000-01-01T00:00:00Z".parse().unwrap()),
        ..KeyConfig::full_access("expired")
    });
    let mut h = Http::start(EmulatorConfig {
        keys,
        ..EmulatorConfig::unthrottled()
    });
    h.key = Some("admin".into());
    h.post(&format!("{E}?id=k"), json!({"value": 1}));
    h.post(&format!("{O}?id=k"), json!({"value": 1}));

    for route in ROUTES {
        let (path, body) = sample(route);
        // Their scopes depend on the data: see `v1_writes_need_the_scopes_their_data_needs`.
        let conditional = matches!(
            route.id,
            opencloud_core::RouteId::V1SetEntry | opencloud_core::RouteId::V1IncrementEntry
        );
        for scope in route.scopes.iter().filter(|_| !conditional) {
            let r = h.with_key(Some(&format!("lacks-{scope}"))).call(
                route.method.as_str(),
                &path,
                body.clone(),
            );
            assert_denied(&r);
            assert!(
                r.body["message"].as_str().unwrap().contains(scope),
                "{:?}: {}",
                route.id,
                r.text
            );
        }
        for key in ["other-universe", "other-store"] {
            if key == "other-store" && route.path_params.iter().all(|p| !p.contains("data_store")) {
                continue;
            }
            let r = h
                .with_key(Some(key))
                .call(route.method.as_str(), &path, body.clone());
            assert_denied(&r);
        }
        for key in [None, Some("unknown"), Some("expired")] {
            let r = h
                .with_key(key)
                .call(route.method.as_str(), &path, body.clone());
            assert_eq!(r.status, 401, "{:?} {key:?}: {}", route.id, r.text);
            assert!(
                r.body["errors"][0]["message"].is_string(),
                "gateway error shape: {}",
                r.text
            );
        }
    }
    // With every scope the same requests pass the permission check.
    for route in ROUTES {
        let (path, body) = sample(route);
        let r = h.call(route.method.as_str(), &path, body);
        assert!(
            r.status != 401 && r.status != 403,
            "{:?}: {}",
            route.id,
            r.text
        );
    }
}

#[test]
fn throttling_answers_429_with_retry_after_and_recovers_when_the_window_moves() {
    let limits = RateLimits::unlimited().with(
        ThrottleCategory::Read,
        CategoryLimit {
            requests: 5,
            bytes: u64::MAX,
        },
    );
    let h = Http::start(EmulatorConfig {
        throttle: true,
        limits,
        frozen_at: Some("2024-01-01T00:00:00Z".parse().unwrap()),
        ..EmulatorConfig::default()
    });
    h.post(&format!("{E}?id=k"), json!({"value": 1}));
    for _ in 0..5 {
        assert_eq!(h.get(&format!("{E}/k")).status, 200);
    }
    let r = h.get(&format!("{E}/k"));
    assert_error(&r, 429, "RESOURCE_EXHAUSTED");
    assert_eq!(r.headers["retry-after"], "60");
    // Another universe and another category have their own budgets.
    assert_eq!(
        h.get("/cloud/v2/universes/2/data-stores/Inv/entries/k")
            .status,
        404
    );
    assert_eq!(
        h.post(&format!("{E}/n:increment"), json!({"amount": 1}))
            .status,
        200
    );
    h.control(
        "POST",
        "/_emulator/clock",
        Some(json!({"advance_seconds": 59})),
    );
    assert_eq!(h.get(&format!("{E}/k")).status, 429);
    h.control(
        "POST",
        "/_emulator/clock",
        Some(json!({"advance_seconds": 1})),
    );
    assert_eq!(h.get(&format!("{E}/k")).status, 200);
    // Throttling can be switched off and on at run time.
    h.control(
        "POST",
        "/_emulator/throttle",
        Some(json!({"enforce": false})),
    );
    for _ in 0..20 {
        assert_eq!(h.get(&format!("{E}/k")).status, 200);
    }
    let t = h.control(
        "POST",
        "/_emulator/throttle",
        Some(json!({"enforce": true, "requests_per_minute": 2})),
    );
    assert_eq!(t.body["limits"]["write"]["requests"], 2);
    assert_eq!(t.body["limits"]["write"]["window_seconds"], 60);
    assert_eq!(
        t.body["limits"]["restriction-write"]["requests"], 10,
        "a per-minute setting leaves the per-second budgets as documented"
    );
    assert_eq!(t.body["limits"]["restriction-write"]["window_seconds"], 1);
    assert_eq!(h.get(&format!("{E}/k")).status, 200);
    assert_eq!(h.get(&format!("{E}/k")).status, 200);
    assert_eq!(h.get(&format!("{E}/k")).status, 429);
}

#[test]
fn byte_budgets_throttle_large_writes() {
    let limits = RateLimits::unlimited().with(
        ThrottleCategory::Write,
        CategoryLimit {
            requests: 1000,
            bytes: 10_000,
        },
    );
    let h = Http::start(EmulatorConfig {
        throttle: true,
        limits,
        frozen_at: Some("2024-01-01T00:00:00Z".parse().unwrap()),
        ..EmulatorConfig::default()
    });
    let big = "x".repeat(4000);
    assert_eq!(
        h.post(&format!("{E}?id=a"), json!({"value": big})).status,
        200
    );
    assert_eq!(
        h.post(&format!("{E}?id=b"), json!({"value": big})).status,
        200
    );
    assert_error(
        &h.post(&format!("{E}?id=c"), json!({"value": big})),
        429,
        "RESOURCE_EXHAUSTED",
    );
    assert_error(&h.get(&format!("{E}/c")), 404, "NOT_FOUND");
}

/// v1 set and increment need `objects:update` over an existing entry, `objects:create` for a
/// new one, and `control:create` as well for a new data store, as documented.
#[test]
fn v1_writes_need_the_scopes_their_data_needs() {
    let key = |name: &str, scopes: &[&str]| KeyConfig {
        key: name.into(),
        name: None,
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        universes: None,
        data_stores: None,
        expires: None,
    };
    const CREATE: &str = "universe-datastores.objects:create";
    const UPDATE: &str = "universe-datastores.objects:update";
    const CONTROL: &str = "universe-datastores.control:create";
    let mut h = Http::start(EmulatorConfig {
        keys: vec![
            KeyConfig::full_access("admin"),
            key("update-only", &[UPDATE]),
            key("create-only", &[CREATE]),
            key("create-and-control", &[CREATE, CONTROL]),
            key("read-only", &["universe-datastores.objects:read"]),
        ],
        ..EmulatorConfig::unthrottled()
    });
    h.key = Some("admin".into());
    h.post(&format!("{E}?id=k"), json!({"value": 1}));
    let entry = "/datastores/v1/universes/1/standard-datastores/datastore/entries/entry";
    let set = |key: &str, query: &str| {
        h.with_key(Some(key))
            .call("POST", &format!("{entry}?{query}"), Some(json!(2)))
    };
    let inc = |key: &str, query: &str| {
        h.with_key(Some(key))
            .call("POST", &format!("{entry}/increment?{query}"), None)
    };
    let existing = "datastoreName=Inv&entryKey=k";
    let new_key = "datastoreName=Inv&entryKey=fresh";
    let new_store = "datastoreName=Brand&entryKey=k";
    for call in [&set as &dyn Fn(&str, &str) -> common::Reply, &inc] {
        // Over an existing entry: update.
        assert_eq!(call("update-only", existing).status, 200);
        let r = call("create-only", existing);
        assert_denied(&r);
        assert!(r.text.contains(UPDATE), "{}", r.text);
        assert_eq!(
            r.body["errorDetails"][0]["datastoreErrorCode"],
            "InsufficientScope"
        );
        // A new entry: create.
        let r = call("update-only", new_key);
        assert_denied(&r);
        assert!(r.text.contains(CREATE), "{}", r.text);
        // A new data store: create and control:create.
        let r = call("create-only", new_store);
        assert_denied(&r);
        assert!(r.text.contains(CONTROL), "{}", r.text);
        // Neither create nor update: refused before anything is read.
        assert_denied(&call("read-only", existing));
    }
    assert_eq!(
        set("create-only", "datastoreName=Inv&entryKey=fresh2").status,
        200
    );
    assert_eq!(
        set("create-and-control", "datastoreName=Brand&entryKey=k").status,
        200
    );
    assert_eq!(
        inc("create-and-control", "datastoreName=Brand2&entryKey=n").status,
        200
    );
    // Nothing was written by the refused calls.
    let g = h.get(&format!("{entry}?datastoreName=Inv&entryKey=fresh"));
    assert_eq!(g.status, 404, "{}", g.text);
}

#[test]
fn messaging_and_restrictions_have_their_own_documented_budgets() {
    let h = Http::start(EmulatorConfig {
        throttle: true,
        frozen_at: Some("2024-01-01T00:00:00Z".parse().unwrap()),
        ..EmulatorConfig::default()
    });
    const U: &str = "/cloud/v2/universes/1";
    let publish = || {
        h.post(
            &format!("{U}:publishMessage"),
            json!({"topic": "news", "message": "hi"}),
        )
    };
    // 50 publishes a minute with no players online; the 51st waits for the window to move.
    for i in 0..50 {
        assert_eq!(publish().status, 200, "publish {i}");
    }
    let r = publish();
    assert_error(&r, 429, "RESOURCE_EXHAUSTED");
    assert_eq!(r.headers["retry-after"], "60");
    assert!(r.text.contains("publish"), "names the budget: {}", r.text);
    // They did not draw on the data store writes.
    assert_eq!(
        h.post(&format!("{E}?id=k"), json!({"value": 1})).status,
        200
    );

    // Restriction updates: 10 a second per universe; here, 10 different users.
    let ban = json!({"gameJoinRestriction": {"active": true, "privateReason": "r", "displayReason": "d"}});
    let update = |user: u32| {
        h.patch(
            &format!("{U}/user-restrictions/{user}?updateMask=gameJoinRestriction"),
            ban.clone(),
        )
    };
    for user in 1..=10 {
        assert_eq!(update(user).status, 200, "update of user {user}");
    }
    assert_error(&update(11), 429, "RESOURCE_EXHAUSTED");
    // A second later the universe's budget has room again ...
    h.control(
        "POST",
        "/_emulator/clock",
        Some(json!({"advance_seconds": 1})),
    );
    assert_eq!(update(1).status, 200, "user 1's second update this minute");
    // ... but one user may be updated only twice a minute.
    let r = update(1);
    assert_error(&r, 429, "RESOURCE_EXHAUSTED");
    assert!(r.text.contains("at most 2 a minute"), "{}", r.text);
    assert_eq!(r.headers["retry-after"], "59");
    assert_eq!(update(12).status, 200, "another user is not held back");
    h.control(
        "POST",
        "/_emulator/clock",
        Some(json!({"advance_seconds": 59})),
    );
    assert_eq!(update(1).status, 200, "a minute after the first of the two");

    // Reads: 50 a second; the 51st in the same second is throttled.
    for _ in 0..50 {
        assert_eq!(h.get(&format!("{U}/user-restrictions/1")).status, 200);
    }
    assert_error(
        &h.get(&format!("{U}/user-restrictions")),
        429,
        "RESOURCE_EXHAUSTED",
    );

    // A category's limit can be set on its own.
    let t = h.control(
        "POST",
        "/_emulator/throttle",
        Some(json!({"limits": {"publish": {"requests": 1}}})),
    );
    assert_eq!(t.body["limits"]["publish"]["requests"], 1);
    assert_eq!(
        t.body["limits"]["read"]["requests"], 300,
        "the others are kept"
    );
    assert_eq!(publish().status, 200);
    assert_eq!(publish().status, 429);
    let bad = h.control(
        "POST",
        "/_emulator/throttle",
        Some(json!({"limits": {"messaging": {"requests": 1}}})),
    );
    assert_eq!(bad.status, 400);
    assert!(
        bad.text.contains("unknown throttle category"),
        "{}",
        bad.text
    );
}
