//! The legacy v1 APIs driven with raw HTTP in exactly the shapes the v1 guides write by hand:
//! names and flags in the query, the value as the body, metadata in `roblox-entry-*` headers,
//! `content-md5` over the body bytes. Each answer is checked for status, body and headers, and
//! v1 and v2 are checked to see the same storage.

mod common;

use common::*;
use jiff::Timestamp;
use opencloud_emulator::EmulatorConfig;
use serde_json::{Value, json};

const V1: &str = "/datastores/v1/universes/1/standard-datastores";
const ENTRY: &str = "/datastores/v1/universes/1/standard-datastores/datastore/entries/entry";
const OV1: &str =
    "/ordered-data-stores/v1/universes/1/orderedDataStores/Scores/scopes/global/entries";

fn q(path: &str, query: &str) -> String {
    format!("{path}?{query}")
}

/// A set as the guide's curl sample writes it.
fn set(h: &Http, query: &str, body: &str, extra: &[(&str, &str)]) -> Reply {
    let md5 = opencloud_core::wire::content_md5(body.as_bytes());
    let mut headers = vec![
        ("content-type", "application/json"),
        ("content-md5", md5.as_str()),
    ];
    headers.extend_from_slice(extra);
    h.raw("POST", &q(ENTRY, query), &headers, body.as_bytes())
}

#[test]
fn set_and_get_carry_the_value_in_the_body_and_metadata_in_headers() {
    let h = Http::unthrottled();
    // The documented checksum: md5 of `750`, without a newline.
    let r = h.raw(
        "POST",
        &q(ENTRY, "datastoreName=Gold&entryKey=269323"),
        &[
            ("content-type", "application/json"),
            ("content-md5", "sTf90fedVsft8zZf6nUg8g=="),
            ("roblox-entry-userids", "[269323]"),
            ("roblox-entry-attributes", r#"{ "myAttribute": "myValue" }"#),
        ],
        b"750",
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let version = r.body["version"].as_str().unwrap().to_string();
    assert_eq!(version.split('.').count(), 4, "{version}");
    assert_eq!(r.body["deleted"], false);
    assert_eq!(r.body["contentLength"], 3);
    let created: Timestamp = r.body["createdTime"].as_str().unwrap().parse().unwrap();
    let object_created: Timestamp = r.body["objectCreatedTime"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(created, object_created, "a first version creates the entry");

    let g = h.get(&q(ENTRY, "datastoreName=Gold&entryKey=269323"));
    assert_eq!(g.status, 200, "{}", g.text);
    assert_eq!(g.text, "750");
    assert_eq!(g.header("content-md5"), "sTf90fedVsft8zZf6nUg8g==");
    assert_eq!(g.header("roblox-entry-version"), version);
    assert_eq!(g.header("roblox-entry-userids"), "[269323]");
    assert_eq!(
        serde_json::from_str::<Value>(g.header("roblox-entry-attributes")).unwrap(),
        json!({"myAttribute": "myValue"})
    );
    // Header times as the service prints them: seven digits and an offset.
    let t = g.header("roblox-entry-version-created-time");
    assert!(t.ends_with("+00:00"), "{t}");
    assert_eq!(t.split('.').nth(1).unwrap().len(), "5388799+00:00".len());
    assert_eq!(t.parse::<Timestamp>().unwrap(), created);
    assert_eq!(
        g.header("roblox-entry-created-time")
            .parse::<Timestamp>()
            .unwrap(),
        created
    );

    // A later set without the metadata headers clears users and attributes.
    let r2 = set(
        &h,
        "datastoreName=Gold&entryKey=269323",
        r#"{"a":[1,2]}"#,
        &[],
    );
    assert_eq!(r2.status, 200, "{}", r2.text);
    assert_ne!(r2.body["version"], version);
    assert_eq!(r2.body["objectCreatedTime"], r.body["objectCreatedTime"]);
    let g2 = h.get(&q(ENTRY, "datastoreName=Gold&entryKey=269323"));
    assert_eq!(
        serde_json::from_str::<Value>(&g2.text).unwrap(),
        json!({"a": [1, 2]})
    );
    assert_eq!(g2.header("roblox-entry-userids"), "[]");
    assert_eq!(g2.header("roblox-entry-attributes"), "{}");
    assert_eq!(
        g2.header("content-md5"),
        opencloud_core::wire::content_md5(g2.text.as_bytes())
    );
}

#[test]
fn the_bytes_written_are_the_bytes_read() {
    let h = Http::unthrottled();
    let body = "{ \"b\": 1,\n  \"a\": [2.50, \"x\"] }\n";
    let r = set(&h, "datastoreName=D&entryKey=k", body, &[]);
    assert_eq!(r.body["contentLength"], body.len(), "{}", r.text);
    let g = h.get(&q(ENTRY, "datastoreName=D&entryKey=k"));
    assert_eq!(g.text, body);
    assert_eq!(
        g.header("content-md5"),
        opencloud_core::wire::content_md5(body.as_bytes())
    );
    // v2 reads the same value.
    let v2 = h.get("/cloud/v2/universes/1/data-stores/D/entries/k");
    assert_eq!(v2.body["value"], json!({"b": 1, "a": [2.5, "x"]}));
}

#[test]
fn a_wrong_checksum_or_a_bad_header_is_refused_and_writes_nothing() {
    let h = Http::unthrottled();
    assert_eq!(set(&h, "datastoreName=D&entryKey=k", "1", &[]).status, 200);
    let bad = h.raw(
        "POST",
        &q(ENTRY, "datastoreName=D&entryKey=k"),
        &[
            ("content-type", "application/json"),
            ("content-md5", "IGPBYI1uC6+AJJxC4r5YBA=="),
        ],
        b"2",
    );
    assert_v1_error(&bad, 400, "INVALID_ARGUMENT", "ChecksumMismatch");
    for (headers, code) in [
        (vec![("roblox-entry-userids", "[1, x]")], "InvalidUserIds"),
        (
            vec![("roblox-entry-userids", "[1,2,3,4,5]")],
            "InvalidUserIds",
        ),
        (
            vec![("roblox-entry-attributes", "[1]")],
            "InvalidAttributes",
        ),
    ] {
        let r = set(&h, "datastoreName=D&entryKey=k", "2", &headers);
        assert_v1_error(&r, 400, "INVALID_ARGUMENT", code);
    }
    let long = format!(r#"{{"a":"{}"}}"#, "x".repeat(300));
    let r = set(
        &h,
        "datastoreName=D&entryKey=k",
        "2",
        &[("roblox-entry-attributes", &long)],
    );
    assert_v1_error(&r, 400, "INVALID_ARGUMENT", "InvalidAttributes");
    let r = set(&h, "datastoreName=D&entryKey=k", "not json", &[]);
    assert_v1_error(&r, 400, "INVALID_ARGUMENT", "ContentNotJson");
    for (query, code) in [
        ("entryKey=k", "InvalidDataStoreName"),
        ("datastoreName=D", "InvalidEntryKey"),
        (
            &format!("datastoreName=D&entryKey={}", "é".repeat(26)) as &str,
            "InvalidEntryKey",
        ),
        (
            &format!("datastoreName=D&entryKey=k&scope={}", "s".repeat(51)),
            "InvalidDataStoreScope",
        ),
    ] {
        assert_v1_error(&set(&h, query, "2", &[]), 400, "INVALID_ARGUMENT", code);
    }
    assert_eq!(h.get(&q(ENTRY, "datastoreName=D&entryKey=k")).text, "1");
}

#[test]
fn exclusive_create_and_match_version_are_conditional_writes() {
    let h = Http::unthrottled();
    let first = set(
        &h,
        "datastoreName=D&entryKey=k&exclusiveCreate=true",
        "1",
        &[],
    );
    assert_eq!(first.status, 200, "{}", first.text);
    let again = set(
        &h,
        "datastoreName=D&entryKey=k&exclusiveCreate=true",
        "2",
        &[],
    );
    assert_v1_error(&again, 412, "FAILED_PRECONDITION", "Unknown");
    // The 412 carries what is there now, as clients read it.
    let v1 = first.body["version"].as_str().unwrap();
    assert_eq!(again.header("roblox-entry-version"), v1);
    assert_eq!(again.header("roblox-entry-userids"), "[]");
    let ok = set(
        &h,
        &format!("datastoreName=D&entryKey=k&matchVersion={v1}"),
        "3",
        &[],
    );
    assert_eq!(ok.status, 200, "{}", ok.text);
    let stale = set(
        &h,
        &format!("datastoreName=D&entryKey=k&matchVersion={v1}"),
        "4",
        &[],
    );
    assert_v1_error(&stale, 412, "FAILED_PRECONDITION", "Unknown");
    assert_eq!(stale.header("roblox-entry-version"), ok.body["version"]);
    let missing = set(
        &h,
        &format!("datastoreName=D&entryKey=none&matchVersion={v1}"),
        "4",
        &[],
    );
    assert_v1_error(&missing, 412, "FAILED_PRECONDITION", "Unknown");
    assert_eq!(
        missing.header("roblox-entry-version"),
        "",
        "no entry, no metadata"
    );
    let both = set(
        &h,
        &format!("datastoreName=D&entryKey=k&matchVersion={v1}&exclusiveCreate=true"),
        "5",
        &[],
    );
    assert_v1_error(
        &both,
        400,
        "INVALID_ARGUMENT",
        "ExclusiveCreateAndMatchVersionCannotBeSet",
    );
    let malformed = set(&h, "datastoreName=D&entryKey=k&matchVersion=nope", "6", &[]);
    assert_v1_error(&malformed, 400, "INVALID_ARGUMENT", "InvalidVersionId");
    assert_eq!(h.get(&q(ENTRY, "datastoreName=D&entryKey=k")).text, "3");
}

#[test]
fn increment_has_no_body_and_answers_the_new_value() {
    let h = Http::unthrottled();
    let inc = |query: &str, headers: &[(&str, &str)]| {
        h.raw("POST", &format!("{ENTRY}/increment?{query}"), headers, b"")
    };
    let r = inc(
        "datastoreName=D&entryKey=n&incrementBy=3",
        &[("content-length", "0"), ("roblox-entry-userids", "[7]")],
    );
    assert_eq!((r.status, r.text.as_str()), (200, "3"), "{}", r.text);
    assert_eq!(r.header("roblox-entry-userids"), "[7]");
    assert_eq!(
        r.header("content-md5"),
        opencloud_core::wire::content_md5(b"3")
    );
    // The default increment is 1; users not sent are cleared.
    let r = inc("datastoreName=D&entryKey=n", &[("content-length", "0")]);
    assert_eq!(r.text, "4");
    assert_eq!(r.header("roblox-entry-userids"), "[]");
    let r = inc(
        &format!("datastoreName=D&entryKey=n&incrementBy={}", i64::MAX),
        &[("content-length", "0")],
    );
    assert_v1_error(&r, 400, "INVALID_ARGUMENT", "IncrementValueTooLarge");
    assert_eq!(
        set(&h, "datastoreName=D&entryKey=s", r#""text""#, &[]).status,
        200
    );
    let r = inc("datastoreName=D&entryKey=s", &[("content-length", "0")]);
    assert_v1_error(&r, 400, "INVALID_ARGUMENT", "ExistingValueNotNumeric");
}

#[test]
fn delete_leaves_a_tombstone_version_listed_until_purged() {
    let h = Http::unthrottled();
    set(&h, "datastoreName=D&entryKey=k", "1", &[]);
    let d = h.raw("DELETE", &q(ENTRY, "datastoreName=D&entryKey=k"), &[], b"");
    assert_eq!((d.status, d.text.as_str()), (204, ""));
    assert_v1_error(
        &h.get(&q(ENTRY, "datastoreName=D&entryKey=k")),
        404,
        "NOT_FOUND",
        "EntryNotFound",
    );
    assert_v1_error(
        &h.raw("DELETE", &q(ENTRY, "datastoreName=D&entryKey=k"), &[], b""),
        404,
        "NOT_FOUND",
        "EntryNotFound",
    );
    let keys = h.get(&format!("{V1}/datastore/entries?datastoreName=D"));
    assert_eq!(keys.body["keys"], json!([{"scope": "global", "key": "k"}]));
    let versions = h.get(&format!(
        "{V1}/datastore/entries/entry/versions?datastoreName=D&entryKey=k"
    ));
    let vs = versions.body["versions"].as_array().unwrap();
    assert_eq!(vs.len(), 2);
    assert_eq!(
        (vs[0]["deleted"].clone(), vs[1]["deleted"].clone()),
        (json!(false), json!(true))
    );
    assert_eq!(vs[1]["contentLength"], 0);
    // The tombstone version itself: 204 with its metadata.
    let t = h.get(&format!(
        "{V1}/datastore/entries/entry/versions/version?datastoreName=D&entryKey=k&versionId={}",
        vs[1]["version"].as_str().unwrap()
    ));
    assert_eq!(t.status, 204);
    assert_eq!(t.header("roblox-entry-version"), vs[1]["version"]);
    assert_v1_error(
        &h.get(&q(ENTRY, "datastoreName=Missing&entryKey=k")),
        404,
        "NOT_FOUND",
        "DatastoreNotFound",
    );
}

#[test]
fn keys_page_by_cursor_in_one_scope_or_all_scopes() {
    let h = Http::unthrottled();
    for (scope, key) in [
        ("global", "a"),
        ("global", "b"),
        ("s1", "a"),
        ("s2", "c"),
        ("s2", "x"),
    ] {
        let r = set(
            &h,
            &format!("datastoreName=D&entryKey={key}&scope={scope}"),
            "1",
            &[],
        );
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let walk = |query: &str| {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut path = format!("{V1}/datastore/entries?datastoreName=D&limit=2&{query}");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let r = h.get(&path);
            assert_eq!(r.status, 200, "{}", r.text);
            pages += 1;
            for k in r.body["keys"].as_array().unwrap() {
                out.push(format!(
                    "{}/{}",
                    k["scope"].as_str().unwrap(),
                    k["key"].as_str().unwrap()
                ));
            }
            match r.body["nextPageCursor"].as_str() {
                Some(c) if !c.is_empty() => cursor = Some(c.to_string()),
                _ => break,
            }
        }
        (out, pages)
    };
    let (all, pages) = walk("allScopes=true");
    assert_eq!(all, ["global/a", "global/b", "s1/a", "s2/c", "s2/x"]);
    assert_eq!(pages, 3);
    assert_eq!(walk("scope=s2").0, ["s2/c", "s2/x"]);
    assert_eq!(walk("prefix=a&allScopes=true").0, ["global/a", "s1/a"]);
    assert_eq!(walk("").0, ["global/a", "global/b"], "no scope is global");
    let r = h.get(&format!(
        "{V1}/datastore/entries?datastoreName=D&scope=s1&allScopes=true"
    ));
    assert_v1_error(&r, 400, "INVALID_ARGUMENT", "InvalidDataStoreScope");
    let r = h.get(&format!(
        "{V1}/datastore/entries?datastoreName=D&cursor=garbage"
    ));
    assert_v1_error(&r, 400, "INVALID_ARGUMENT", "InvalidCursor");
    // The default page is 16 keys.
    for i in 0..20 {
        set(
            &h,
            &format!("datastoreName=Many&entryKey=k{i:02}"),
            "1",
            &[],
        );
    }
    let r = h.get(&format!("{V1}/datastore/entries?datastoreName=Many"));
    assert_eq!(r.body["keys"].as_array().unwrap().len(), 16);
    assert!(
        r.body["nextPageCursor"]
            .as_str()
            .is_some_and(|c| !c.is_empty())
    );
}

#[test]
fn data_stores_list_one_at_a_time_by_default() {
    let h = Http::unthrottled();
    for d in ["Alpha", "Beta", "Bravo"] {
        set(&h, &format!("datastoreName={d}&entryKey=k"), "1", &[]);
    }
    let first = h.get(V1);
    assert_eq!(first.status, 200, "{}", first.text);
    let stores = first.body["datastores"].as_array().unwrap();
    assert_eq!(stores.len(), 1, "the default limit is 1");
    assert_eq!(stores[0]["name"], "Alpha");
    assert!(stores[0]["createdTime"].as_str().unwrap().ends_with('Z'));
    let cursor = first.body["nextPageCursor"].as_str().unwrap();
    let rest = h.get(&format!("{V1}?limit=10&cursor={cursor}"));
    let names: Vec<&str> = rest.body["datastores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Beta", "Bravo"]);
    assert_eq!(rest.body["nextPageCursor"], Value::Null);
    let b = h.get(&format!("{V1}?prefix=B&limit=5"));
    assert_eq!(b.body["datastores"].as_array().unwrap().len(), 2);
}

#[test]
fn versions_list_in_either_order_within_times_and_read_back() {
    let h = Http::start(EmulatorConfig {
        frozen_at: Some("2024-01-01T00:00:00Z".parse().unwrap()),
        ..EmulatorConfig::unthrottled()
    });
    let mut versions = Vec::new();
    for i in 0..5 {
        let r = set(&h, "datastoreName=D&entryKey=k", &i.to_string(), &[]);
        versions.push(r.body["version"].as_str().unwrap().to_string());
        h.control(
            "POST",
            "/_emulator/clock",
            Some(json!({"advance_seconds": 60})),
        );
    }
    let list = |query: &str| -> Vec<String> {
        let mut out = Vec::new();
        let mut cursor = String::new();
        loop {
            let r = h.get(&format!(
                "{V1}/datastore/entries/entry/versions?datastoreName=D&entryKey=k&limit=2&{query}{cursor}"
            ));
            assert_eq!(r.status, 200, "{}", r.text);
            for v in r.body["versions"].as_array().unwrap() {
                out.push(v["version"].as_str().unwrap().to_string());
            }
            match r.body["nextPageCursor"].as_str() {
                Some(c) => cursor = format!("&cursor={c}"),
                None => break,
            }
        }
        out
    };
    assert_eq!(list(""), versions);
    let mut newest_first = versions.clone();
    newest_first.reverse();
    assert_eq!(list("sortOrder=Descending"), newest_first);
    assert_eq!(
        list("startTime=2024-01-01T00:01:00Z&endTime=2024-01-01T00:03:00%2B00:00"),
        versions[1..4]
    );
    let r = h.get(&format!(
        "{V1}/datastore/entries/entry/versions?datastoreName=D&entryKey=k&sortOrder=Sideways"
    ));
    assert_v1_error(&r, 400, "INVALID_ARGUMENT", "InvalidSortOrder");
    let r = h.get(&format!(
        "{V1}/datastore/entries/entry/versions?datastoreName=D&entryKey=k&startTime=yesterday"
    ));
    assert_v1_error(&r, 400, "INVALID_ARGUMENT", "InvalidStartTime");
    let at = |v: &str| {
        h.get(&format!(
            "{V1}/datastore/entries/entry/versions/version?datastoreName=D&entryKey=k&versionId={v}"
        ))
    };
    let g = at(&versions[1]);
    assert_eq!((g.status, g.text.as_str()), (200, "1"));
    assert_eq!(g.header("roblox-entry-version"), versions[1]);
    assert_v1_error(&at("nope"), 400, "INVALID_ARGUMENT", "InvalidVersionId");
    assert_v1_error(
        &at("0000000000000000.0000000099.0000000000000000.01"),
        404,
        "NOT_FOUND",
        "VersionNotFound",
    );
}

#[test]
fn v1_and_v2_read_and_write_the_same_entries() {
    let h = Http::unthrottled();
    let r = set(
        &h,
        "datastoreName=Inv&entryKey=player&scope=s1",
        r#"{"gold":5}"#,
        &[
            ("roblox-entry-userids", "[42]"),
            ("roblox-entry-attributes", r#"{"t":"x"}"#),
        ],
    );
    let version = r.body["version"].as_str().unwrap().to_string();
    let v2 = h.get(&format!("{SE}/player"));
    assert_eq!(v2.status, 200, "{}", v2.text);
    assert_eq!(v2.body["value"], json!({"gold": 5}));
    assert_eq!(v2.body["users"], json!(["users/42"]));
    assert_eq!(v2.body["attributes"], json!({"t": "x"}));
    assert_eq!(v2.body["revisionId"], version);
    // And back: a v2 update is the next v1 version.
    let u = h.patch(
        &format!("{SE}/player"),
        json!({"value": {"gold": 6}, "users": ["users/43"]}),
    );
    assert_eq!(u.status, 200, "{}", u.text);
    let g = h.get(&q(ENTRY, "datastoreName=Inv&entryKey=player&scope=s1"));
    assert_eq!(g.text, r#"{"gold":6}"#);
    assert_eq!(g.header("roblox-entry-version"), u.body["revisionId"]);
    assert_eq!(g.header("roblox-entry-userids"), "[43]");
    // A v1 delete is a v2 DELETED state.
    h.raw(
        "DELETE",
        &q(ENTRY, "datastoreName=Inv&entryKey=player&scope=s1"),
        &[],
        b"",
    );
    assert_eq!(h.get(&format!("{SE}/player")).status, 404);
    let revs = h.get(&format!("{SE}/player:listRevisions"));
    let states: Vec<&str> = revs.body["dataStoreEntries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["ACTIVE", "ACTIVE", "DELETED"]);
}

#[test]
fn ordered_v1_lists_by_value_with_filters_pages_and_snake_case() {
    let h = Http::unthrottled();
    let create = |id: &str, body: Value| h.post(&format!("{OV1}?id={id}"), body);
    for (id, v) in [
        ("a", json!(-10)),
        ("b", json!(-5)),
        ("c", json!(0)),
        ("d", json!("7")),
        ("e", json!(20)),
    ] {
        let r = create(id, json!({"value": v}));
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = create("f", json!({"value": 1.5}));
    assert_error(&r, 400, "INVALID_ARGUMENT");
    let r = create("a", json!({"value": 1}));
    assert_error(&r, 400, "INVALID_ARGUMENT");
    let g = h.get(&format!("{OV1}/d"));
    assert_eq!(
        g.body,
        json!({"path": "universes/1/orderedDataStores/Scores/scopes/global/entries/d", "id": "d", "value": 7})
    );
    let walk = |query: &str| -> Vec<String> {
        let mut out = Vec::new();
        let mut token = String::new();
        loop {
            let r = h.get(&format!("{OV1}?max_page_size=2&{query}{token}"));
            assert_eq!(r.status, 200, "{}", r.text);
            for e in r.body["entries"].as_array().unwrap() {
                out.push(format!("{}={}", e["id"].as_str().unwrap(), e["value"]));
            }
            match r.body.get("nextPageToken").and_then(Value::as_str) {
                Some(t) => token = format!("&page_token={t}"),
                None => break,
            }
        }
        out
    };
    assert_eq!(walk(""), ["a=-10", "b=-5", "c=0", "d=7", "e=20"]);
    assert_eq!(
        walk("order_by=desc"),
        ["e=20", "d=7", "c=0", "b=-5", "a=-10"]
    );
    // At and below zero.
    assert_eq!(walk("filter=entry%20%3C%3D%200"), ["a=-10", "b=-5", "c=0"]);
    assert_eq!(
        walk("filter=entry%20%3E%3D%20-5%20%26%26%20entry%20%3C%3D%200&order_by=desc"),
        ["c=0", "b=-5"]
    );
    assert_error(
        &h.get(&format!("{OV1}?filter=10%20%3C%3D%20entry")),
        400,
        "INVALID_ARGUMENT",
    );
    // Update: 404 without allow_missing, creates with it; increment; delete is 200 either way.
    assert_error(
        &h.patch(&format!("{OV1}/z"), json!({"value": 1})),
        404,
        "NOT_FOUND",
    );
    let u = h.patch(&format!("{OV1}/z?allow_missing=true"), json!({"value": 3}));
    assert_eq!(
        (u.status, u.body["value"].clone()),
        (200, json!(3)),
        "{}",
        u.text
    );
    let i = h.post(&format!("{OV1}/z:increment"), json!({"amount": "4"}));
    assert_eq!(i.body["value"], 7, "{}", i.text);
    let i = h.post(&format!("{OV1}/z:increment"), json!({"amount": i64::MAX}));
    assert_eq!(i.body["value"], i64::MAX, "clamped: {}", i.text);
    assert_eq!(h.delete(&format!("{OV1}/z")).status, 200);
    assert_eq!(
        h.delete(&format!("{OV1}/z")).status,
        200,
        "200 even if missing"
    );
    assert_error(&h.get(&format!("{OV1}/z")), 404, "NOT_FOUND");
    // The same entries through v2.
    let v2 = h.get(&format!("{O}/d"));
    assert_eq!(v2.body["value"], 7, "{}", v2.text);
    let long = "x".repeat(51);
    assert_error(&create(&long, json!({"value": 1})), 400, "INVALID_ARGUMENT");
}

#[test]
fn v1_calls_draw_on_the_same_budget_as_v2() {
    let h = Http::start(EmulatorConfig {
        throttle: true,
        frozen_at: Some("2024-01-01T00:00:00Z".parse().unwrap()),
        ..EmulatorConfig::default()
    });
    h.control(
        "POST",
        "/_emulator/throttle",
        Some(json!({"enforce": true, "requests_per_minute": 2})),
    );
    assert_eq!(
        h.post(&format!("{E}?id=a"), json!({"value": 1})).status,
        200
    );
    assert_eq!(
        set(&h, "datastoreName=Inv&entryKey=b", "1", &[]).status,
        200
    );
    let r = set(&h, "datastoreName=Inv&entryKey=c", "1", &[]);
    assert_v1_error(&r, 429, "RESOURCE_EXHAUSTED", "TooManyRequests");
    assert!(r.header("retry-after").parse::<u64>().unwrap() >= 1);
    let o = h.post(&format!("{OV1}?id=p"), json!({"value": 1}));
    assert_error(&o, 429, "RESOURCE_EXHAUSTED");
}
