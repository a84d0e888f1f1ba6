//! v2 behaviours of the live service the emulator reproduces (each has a row in the differences
//! table of docs/emulator.md), and what strict mode refuses instead.

mod common;

use common::*;
use opencloud_emulator::EmulatorConfig;
use serde_json::json;

fn strict() -> Http {
    Http::start(EmulatorConfig {
        strict: true,
        ..EmulatorConfig::unthrottled()
    })
}

#[test]
fn query_booleans_are_case_insensitive_except_in_strict_mode() {
    let h = Http::unthrottled();
    h.post(&format!("{E}?id=a"), json!({"value": 1}));
    h.delete(&format!("{E}/a"));
    let r = h.get(&format!("{E}?showDeleted=True"));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["dataStoreEntries"].as_array().unwrap().len(), 1);
    assert_eq!(
        h.patch(&format!("{E}/b?allowMissing=TRUE"), json!({"value": 1}))
            .status,
        200
    );
    assert_error(
        &strict().get(&format!("{E}?showDeleted=True")),
        400,
        "INVALID_ARGUMENT",
    );
}

#[test]
fn a_scoped_listing_keeps_the_scope_in_paths() {
    let h = Http::unthrottled();
    h.post(&format!("{E}?id=k"), json!({"value": 1}));
    let scoped = h.get("/cloud/v2/universes/1/data-stores/Inv/scopes/global/entries");
    assert_eq!(
        scoped.body["dataStoreEntries"][0]["path"],
        "universes/1/data-stores/Inv/scopes/global/entries/k"
    );
    assert_eq!(
        h.get(E).body["dataStoreEntries"][0]["path"],
        "universes/1/data-stores/Inv/entries/k"
    );
}

#[test]
fn entry_delete_answers_an_empty_object() {
    let h = Http::unthrottled();
    h.post(&format!("{E}?id=k"), json!({"value": 1}));
    let d = h.delete(&format!("{E}/k"));
    assert_eq!((d.status, d.body.clone()), (200, json!({})), "{}", d.text);
    assert_eq!(d.headers["content-type"], "application/json");
}

#[test]
fn undelete_without_a_body_or_content_type_is_accepted() {
    let h = Http::unthrottled();
    h.post(&format!("{E}?id=k"), json!({"value": 1}));
    h.delete("/cloud/v2/universes/1/data-stores/Inv");
    let path = "/cloud/v2/universes/1/data-stores/Inv:undelete";
    let u = h.send(Some(KEY), "POST", path, None, false);
    assert_eq!(u.status, 200, "{}", u.text);
    assert_eq!(u.body["state"], "ACTIVE");
    let s = strict();
    s.post(&format!("{E}?id=k"), json!({"value": 1}));
    s.delete("/cloud/v2/universes/1/data-stores/Inv");
    assert_error(
        &s.send(Some(KEY), "POST", path, None, false),
        400,
        "INVALID_ARGUMENT",
    );
}

#[test]
fn a_malformed_revision_id_is_400_and_an_unknown_one_404() {
    let h = Http::unthrottled();
    let c = h.post(&format!("{E}?id=k"), json!({"value": 1}));
    let r = h.get(&format!("{E}/k@not-a-revision"));
    assert_error(&r, 400, "INVALID_ARGUMENT");
    assert_eq!(r.body["message"], "Invalid version id.");
    let rev = c.body["revisionId"].as_str().unwrap();
    assert_eq!(h.get(&format!("{E}/k@{rev}")).status, 200);
    let other = rev.replace(".0000000001.", ".0000000042.");
    assert_error(&h.get(&format!("{E}/k@{other}")), 404, "NOT_FOUND");
}

#[test]
fn ordered_values_round_and_say_out_of_range() {
    let h = Http::unthrottled();
    let r = h.post(&format!("{O}?id=a"), json!({"value": 5.4}));
    assert_eq!(r.body["value"], 5, "{}", r.text);
    let r = h.patch(&format!("{O}/a"), json!({"value": -2.5}));
    assert_eq!(r.body["value"], -3, "{}", r.text);
    let r = h.post(&format!("{O}/a:increment"), json!({"amount": 0.6}));
    assert_eq!(r.body["value"], -2, "{}", r.text);
    for v in [json!(1e300), json!(9_007_199_254_740_993_i64)] {
        let r = h.patch(&format!("{O}/a"), json!({ "value": v }));
        assert_error(&r, 400, "INVALID_ARGUMENT");
        assert!(
            r.body["message"].as_str().unwrap().contains("out of range"),
            "{}",
            r.text
        );
    }
}

#[test]
fn a_known_path_with_another_method_is_405_with_allow() {
    let h = Http::unthrottled();
    let r = h.call("PUT", &format!("{E}/k"), Some(json!({"value": 1})));
    assert_eq!(r.status, 405, "{}", r.text);
    assert_eq!(r.headers["allow"], "GET, PATCH, DELETE");
    let r = h.call("PATCH", E, None);
    assert_eq!(
        (r.status, &r.headers["allow"]),
        (405, &"GET, POST".parse().unwrap())
    );
}

#[test]
fn unknown_query_parameters_are_ignored_with_a_warning_unless_strict() {
    let h = Http::unthrottled();
    let r = h.get(&format!("{E}?limit=5"));
    assert_eq!(r.status, 200, "{}", r.text);
    let line = h.em.app().requests().pop().unwrap();
    assert!(
        line.warnings.iter().any(|w| w.contains("limit")),
        "{:?}",
        line.warnings
    );
    let log = h.control("GET", "/_emulator/requests", None);
    assert!(
        log.text.contains("ignored unknown query parameter"),
        "{}",
        log.text
    );
    assert_error(
        &strict().get(&format!("{E}?limit=5")),
        400,
        "INVALID_ARGUMENT",
    );
}

#[test]
fn unknown_paths_answer_in_the_gateway_shape() {
    let h = Http::unthrottled();
    for path in [
        "/cloud/v2/universes/1/nothing",
        "/datastores/v1/universes/1/no-such-collection",
        "/",
    ] {
        let r = h.get(path);
        assert_eq!(r.status, 404, "{path}: {}", r.text);
        assert!(
            r.body["errors"][0]["message"].is_string(),
            "{path}: {}",
            r.text
        );
        assert!(r.body.get("code").is_none(), "{}", r.text);
    }
}

/// What `rblx-open-cloud` 2.3 reads without checking: every reason and flag of a restriction and
/// of a log entry, even when empty, and a `moderator` object on each log entry.
#[test]
fn restrictions_and_logs_show_empty_reasons_and_flags() {
    let h = Http::unthrottled();
    let r = h.patch(
        "/cloud/v2/universes/1/user-restrictions/42",
        json!({"gameJoinRestriction": {"active": false}}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let g = &r.body["gameJoinRestriction"];
    assert_eq!(
        (
            &g["displayReason"],
            &g["privateReason"],
            &g["excludeAltAccounts"],
            &g["inherited"]
        ),
        (&json!(""), &json!(""), &json!(false), &json!(false)),
        "{}",
        r.text
    );
    let never = h.get("/cloud/v2/universes/1/user-restrictions/7");
    assert_eq!(never.body["gameJoinRestriction"]["displayReason"], "");
    let logs = h.get("/cloud/v2/universes/1/user-restrictions:listLogs?filter=");
    let log = &logs.body["logs"][0];
    assert_eq!(log["privateReason"], "", "{}", logs.text);
    assert!(log["moderator"].is_object(), "{}", logs.text);
    // Single quotes in the filter, as that client writes it.
    let mine = h.get(
        "/cloud/v2/universes/1/user-restrictions:listLogs?filter=user%20%3D%3D%20%27users%2F42%27",
    );
    assert_eq!(
        mine.body["logs"].as_array().unwrap().len(),
        1,
        "{}",
        mine.text
    );
}

/// An existing entry's create answers exactly "Entry already exists.", the message one client
/// compares to tell it from other 400s.
#[test]
fn creating_an_existing_entry_says_entry_already_exists() {
    let h = Http::unthrottled();
    for (coll, id) in [
        (E, "k1"),
        (O, "k2"),
        (
            "/ordered-data-stores/v1/universes/1/orderedDataStores/Scores/scopes/global/entries",
            "k3",
        ),
    ] {
        let path = format!("{coll}?id={id}");
        assert_eq!(h.post(&path, json!({"value": 1})).status, 200);
        let again = h.post(&path, json!({"value": 1}));
        assert_error(&again, 400, "INVALID_ARGUMENT");
        assert_eq!(again.body["message"], "Entry already exists.", "{coll}");
    }
}

/// An ordered delete answers `{}`, v1 (whether or not the entry existed) and v2.
#[test]
fn ordered_deletes_answer_an_empty_object() {
    let h = Http::unthrottled();
    let v1 = "/ordered-data-stores/v1/universes/1/orderedDataStores/Scores/scopes/global/entries";
    for coll in [O, v1] {
        assert_eq!(
            h.post(&format!("{coll}?id=k"), json!({"value": 1})).status,
            200
        );
        let d = h.delete(&format!("{coll}/k"));
        assert_eq!(
            (d.status, d.body.clone()),
            (200, json!({})),
            "{coll}: {}",
            d.text
        );
        assert_eq!(d.headers["content-type"], "application/json");
    }
    let again = h.delete(&format!("{v1}/k"));
    assert_eq!((again.status, again.body), (200, json!({})));
}
