//! Every endpoint of the emulator over HTTP, with the documented semantics and error cases.

mod common;

use common::*;
use serde_json::json;

#[test]
fn entries_lifecycle_in_both_path_forms() {
    let h = Http::unthrottled();
    for base in [E, SE] {
        let c = h.post(
            &format!("{base}?id=k1"),
            json!({"value": {"gold": 1}, "users": ["users/5"], "attributes": {"a": 1}}),
        );
        assert_eq!(c.status, 200, "{}", c.text);
        assert_eq!(c.body["value"]["gold"], 1);
        assert_eq!(c.body["state"], "ACTIVE");
        assert_eq!(c.body["users"], json!(["users/5"]));
        let rev1 = c.body["revisionId"].as_str().unwrap().to_string();
        let etag1 = c.body["etag"].as_str().unwrap().to_string();
        // Create fails if the entry exists (400, not 409).
        assert_error(
            &h.post(&format!("{base}?id=k1"), json!({"value": 2})),
            400,
            "INVALID_ARGUMENT",
        );
        let g = h.get(&format!("{base}/k1"));
        assert_eq!(g.body, c.body);
        // Update replaces the value and clears users and attributes not sent.
        let u = h.patch(&format!("{base}/k1"), json!({"value": {"gold": 2}}));
        assert_eq!(u.status, 200, "{}", u.text);
        assert_eq!(u.body["users"], json!([]));
        assert_eq!(u.body["attributes"], json!({}));
        assert_eq!(
            u.body["createTime"], c.body["createTime"],
            "createTime is kept"
        );
        assert_ne!(u.body["revisionId"], c.body["revisionId"]);
        assert_ne!(u.body["etag"].as_str().unwrap(), etag1);
        // A stale etag is refused with 409 ABORTED; the current one is accepted.
        assert_error(
            &h.patch(&format!("{base}/k1"), json!({"value": 3, "etag": etag1})),
            409,
            "ABORTED",
        );
        let ok = h.patch(
            &format!("{base}/k1"),
            json!({"value": 3, "etag": u.body["etag"]}),
        );
        assert_eq!(ok.status, 200);
        // Reads at a revision.
        let old = h.get(&format!("{base}/k1@{rev1}"));
        assert_eq!(old.body["value"]["gold"], 1);
        // Update without allowMissing does not create; with it, it does.
        assert_error(
            &h.patch(&format!("{base}/nope"), json!({"value": 1})),
            404,
            "NOT_FOUND",
        );
        assert_eq!(
            h.patch(
                &format!("{base}/nope?allowMissing=true"),
                json!({"value": 1})
            )
            .status,
            200
        );
        // Increment creates, adds, and clears metadata not sent.
        let i = h.post(
            &format!("{base}/n:increment"),
            json!({"amount": 5, "users": ["users/1"]}),
        );
        assert_eq!(i.body["value"], 5);
        let i = h.post(&format!("{base}/n:increment"), json!({"amount": -2}));
        assert_eq!(i.body["value"], 3);
        assert_eq!(i.body["users"], json!([]));
        h.post(&format!("{base}?id=text"), json!({"value": "not a number"}));
        assert_error(
            &h.post(&format!("{base}/text:increment"), json!({"amount": 1})),
            400,
            "INVALID_ARGUMENT",
        );
        assert_eq!(
            h.get(&format!("{base}/text")).body["value"],
            "not a number",
            "a refused increment changes nothing"
        );
        h.delete(&format!("{base}/text"));
        assert_error(
            &h.post(&format!("{base}/n:increment"), json!({"amount": 1.5})),
            400,
            "INVALID_ARGUMENT",
        );
        // Delete marks deleted, hides from get and list, keeps revisions.
        assert_eq!(h.delete(&format!("{base}/k1")).status, 200);
        assert_error(&h.get(&format!("{base}/k1")), 404, "NOT_FOUND");
        assert_error(&h.delete(&format!("{base}/k1")), 404, "NOT_FOUND");
        let ids = |r: &Reply| {
            r.body["dataStoreEntries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&h.get(base)), ["n", "nope"]);
        assert_eq!(
            ids(&h.get(&format!("{base}?showDeleted=true"))),
            ["k1", "n", "nope", "text"]
        );
        let revs = h.get(&format!("{base}/k1:listRevisions"));
        let states: Vec<_> = revs.body["dataStoreEntries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["state"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(states, ["ACTIVE", "ACTIVE", "ACTIVE", "DELETED"]);
        assert!(
            revs.body["dataStoreEntries"][0]["id"]
                .as_str()
                .unwrap()
                .starts_with("k1@")
        );
        assert!(
            revs.body["dataStoreEntries"][0].get("value").is_none(),
            "revisions are sparse"
        );
        // The old revision stays readable after the delete.
        assert_eq!(h.get(&format!("{base}/k1@{rev1}")).body["value"]["gold"], 1);
        // Create again after a delete starts a new entry.
        let again = h.post(&format!("{base}?id=k1"), json!({"value": 9}));
        assert_eq!(again.status, 200);
        assert_eq!(again.body["value"], 9);
    }
}

#[test]
fn global_scope_has_one_canonical_path_and_wildcard_lists_every_scope() {
    let h = Http::unthrottled();
    h.post(&format!("{E}?id=g"), json!({"value": 1}));
    let via_scoped = h.get("/cloud/v2/universes/1/data-stores/Inv/scopes/global/entries/g");
    assert_eq!(via_scoped.status, 200);
    assert_eq!(
        via_scoped.body["path"],
        "universes/1/data-stores/Inv/entries/g"
    );
    h.post(&format!("{SE}?id=x"), json!({"value": 2}));
    assert_eq!(
        h.get(&format!("{SE}/x")).body["path"],
        "universes/1/data-stores/Inv/scopes/s1/entries/x"
    );
    let all = h.get("/cloud/v2/universes/1/data-stores/Inv/scopes/-/entries");
    let paths: Vec<_> = all.body["dataStoreEntries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        paths,
        [
            "universes/1/data-stores/Inv/scopes/global/entries/g",
            "universes/1/data-stores/Inv/scopes/s1/entries/x"
        ],
        "a wildcard listing names every entry's scope, global included"
    );
    // The unscoped list is the global scope only.
    assert_eq!(
        h.get(E).body["dataStoreEntries"].as_array().unwrap().len(),
        1
    );
}

#[test]
fn keys_with_reserved_characters_and_selectors() {
    let h = Http::unthrottled();
    // `a@b` must be read as `a@b@latest`; increment and allowMissing update take the id whole.
    let inc = h.post(&format!("{E}/a%40b:increment"), json!({"amount": 1}));
    assert_eq!(inc.body["id"], "a@b");
    assert_eq!(h.get(&format!("{E}/a%40b@latest")).body["value"], 1);
    assert_eq!(h.get(&format!("{E}/a@b@latest")).body["value"], 1);
    // Read as key `a` at revision `b`, which is not a revision id.
    assert_error(&h.get(&format!("{E}/a%40b")), 400, "INVALID_ARGUMENT");
    let up = h.patch(
        &format!("{E}/x%40r1?allowMissing=true"),
        json!({"value": "made"}),
    );
    assert_eq!(up.body["id"], "x@r1");
    assert_error(
        &h.patch(&format!("{E}/x@r1"), json!({"value": 1})),
        400,
        "INVALID_ARGUMENT",
    );
    assert_eq!(
        h.patch(&format!("{E}/x%40r1@latest"), json!({"value": 2}))
            .status,
        200
    );
    // Slashes, colons, spaces and non-ASCII stay one segment.
    let key = "a/b:c d?ключ#%";
    let enc = opencloud_core::wire::encode_component(key);
    assert_eq!(
        h.post(&format!("{E}?id={enc}"), json!({"value": 1})).status,
        200
    );
    let g = h.get(&format!("{E}/{enc}"));
    assert_eq!(g.body["id"], key);
    let inc = h.post(&format!("{E}/{enc}:increment"), json!({"amount": 1}));
    assert_eq!(
        (inc.body["id"].as_str(), inc.body["value"].as_i64()),
        (Some(key), Some(2))
    );
}

#[test]
fn reads_as_of_a_time_under_the_controllable_clock() {
    let h = Http::start(opencloud_emulator::EmulatorConfig {
        frozen_at: Some("2024-01-01T00:00:00Z".parse().unwrap()),
        ..opencloud_emulator::EmulatorConfig::unthrottled()
    });
    h.post(&format!("{E}?id=k"), json!({"value": "v1"}));
    h.control(
        "POST",
        "/_emulator/clock",
        Some(json!({"advance_seconds": 3600})),
    );
    h.patch(&format!("{E}/k"), json!({"value": "v2"}));
    assert_eq!(
        h.get(&format!("{E}/k@latest:2024-01-01T00:30:00Z")).body["value"],
        "v1"
    );
    assert_eq!(
        h.get(&format!("{E}/k@latest:2024-01-01T01:00:00Z")).body["value"],
        "v2"
    );
    assert_error(
        &h.get(&format!("{E}/k@latest:2023-12-31T00:00:00Z")),
        404,
        "NOT_FOUND",
    );
    assert_eq!(
        h.get(&format!("{E}/k@latest:2024-01-01T01:10:00Z")).status,
        200,
        "ten minutes ahead is allowed"
    );
    assert_error(
        &h.get(&format!("{E}/k@latest:2024-01-01T01:10:01Z")),
        400,
        "INVALID_ARGUMENT",
    );
    assert_error(
        &h.get(&format!("{E}/k@latest:yesterday")),
        400,
        "INVALID_ARGUMENT",
    );
    assert_error(&h.get(&format!("{E}/k@NOPE")), 400, "INVALID_ARGUMENT");
    assert_error(
        &h.get(&format!(
            "{E}/k@0000000000000000.0000000099.0000000000000000.01"
        )),
        404,
        "NOT_FOUND",
    );
    // Revision time filter.
    let f = opencloud_core::wire::encode_component("revision_create_time >= 2024-01-01T00:30:00Z");
    let revs = h.get(&format!("{E}/k:listRevisions?filter={f}"));
    assert_eq!(revs.body["dataStoreEntries"].as_array().unwrap().len(), 1);
    assert_error(
        &h.get(&format!(
            "{E}/k:listRevisions?filter=create_time%20%3E%3D%202024-01-01T00%3A00%3A00Z"
        )),
        400,
        "INVALID_ARGUMENT",
    );
}

#[test]
fn deleted_entries_are_purged_after_30_days() {
    let h = Http::start(opencloud_emulator::EmulatorConfig {
        frozen_at: Some("2024-01-01T00:00:00Z".parse().unwrap()),
        ..opencloud_emulator::EmulatorConfig::unthrottled()
    });
    h.post(&format!("{E}?id=gone"), json!({"value": 1}));
    h.post(&format!("{E}?id=kept"), json!({"value": 1}));
    h.delete(&format!("{E}/gone"));
    h.control(
        "POST",
        "/_emulator/clock",
        Some(json!({"advance_seconds": 29.0 * 86400.0})),
    );
    assert_eq!(
        h.get(&format!("{E}?showDeleted=true")).body["dataStoreEntries"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    h.control(
        "POST",
        "/_emulator/clock",
        Some(json!({"advance_seconds": 86400.0 + 120.0})),
    );
    let left = h.get(&format!("{E}?showDeleted=true"));
    assert_eq!(
        left.body["dataStoreEntries"].as_array().unwrap().len(),
        1,
        "{}",
        left.text
    );
    assert_error(&h.get(&format!("{E}/gone:listRevisions")), 404, "NOT_FOUND");
}

#[test]
fn data_stores_list_delete_undelete_and_snapshot() {
    let h = Http::start(opencloud_emulator::EmulatorConfig {
        frozen_at: Some("2024-01-01T10:00:00Z".parse().unwrap()),
        ..opencloud_emulator::EmulatorConfig::unthrottled()
    });
    for name in ["Alpha", "Beta", "Bravo"] {
        h.post(
            &format!("/cloud/v2/universes/1/data-stores/{name}/entries?id=k"),
            json!({"value": 1}),
        );
    }
    let list = h.get("/cloud/v2/universes/1/data-stores");
    assert_eq!(list.body["dataStores"].as_array().unwrap().len(), 3);
    assert_eq!(
        list.body["dataStores"][0]["path"],
        "universes/1/data-stores/Alpha"
    );
    assert_eq!(list.body["dataStores"][0]["state"], "ACTIVE");
    let f = opencloud_core::wire::encode_component(r#"id.startsWith("B")"#);
    assert_eq!(
        h.get(&format!("/cloud/v2/universes/1/data-stores?filter={f}"))
            .body["dataStores"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_error(
        &h.get("/cloud/v2/universes/1/data-stores?filter=id%3D%3D1"),
        400,
        "INVALID_ARGUMENT",
    );
    // Paging with a page size of 1, three pages.
    let p1 = h.get("/cloud/v2/universes/1/data-stores?maxPageSize=1");
    let t1 = p1.body["nextPageToken"].as_str().unwrap().to_string();
    let p2 = h.get(&format!(
        "/cloud/v2/universes/1/data-stores?maxPageSize=1&pageToken={t1}"
    ));
    assert_eq!(p2.body["dataStores"][0]["id"], "Beta");
    // The token is bound to the query that made it.
    assert_error(
        &h.get(&format!(
            "/cloud/v2/universes/1/data-stores?maxPageSize=2&pageToken={t1}"
        )),
        400,
        "INVALID_ARGUMENT",
    );
    assert_error(
        &h.get("/cloud/v2/universes/1/data-stores?pageToken=garbage"),
        400,
        "INVALID_ARGUMENT",
    );
    // Delete: DELETED with an expiry 30 days ahead; idempotent; entries inaccessible.
    let d = h.delete("/cloud/v2/universes/1/data-stores/Beta");
    assert_eq!(d.status, 200);
    assert_eq!(d.body["state"], "DELETED");
    assert_eq!(d.body["expireTime"], "2024-01-31T10:00:00.000000Z");
    assert_eq!(
        h.delete("/cloud/v2/universes/1/data-stores/Beta").body,
        d.body
    );
    assert_error(
        &h.get("/cloud/v2/universes/1/data-stores/Beta/entries/k"),
        404,
        "NOT_FOUND",
    );
    assert_eq!(
        h.get("/cloud/v2/universes/1/data-stores").body["dataStores"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        h.get("/cloud/v2/universes/1/data-stores?showDeleted=true")
            .body["dataStores"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_error(
        &h.delete("/cloud/v2/universes/1/data-stores/Nope"),
        404,
        "NOT_FOUND",
    );
    // A body given to undelete must be JSON (an empty one is accepted: see fidelity.rs).
    assert_error(
        &h.send(
            Some(KEY),
            "POST",
            "/cloud/v2/universes/1/data-stores/Beta:undelete",
            Some("{}".into()),
            false,
        ),
        400,
        "INVALID_ARGUMENT",
    );
    let u = h.post("/cloud/v2/universes/1/data-stores/Beta:undelete", json!({}));
    assert_eq!(u.body["state"], "ACTIVE");
    assert_eq!(
        h.get("/cloud/v2/universes/1/data-stores/Beta/entries/k")
            .status,
        200
    );
    assert_error(
        &h.post("/cloud/v2/universes/1/data-stores/Beta:undelete", json!({})),
        400,
        "INVALID_ARGUMENT",
    );
    // A deleted store is purged when it expires.
    h.delete("/cloud/v2/universes/1/data-stores/Alpha");
    h.control(
        "POST",
        "/_emulator/clock",
        Some(json!({"advance_seconds": 31.0 * 86400.0})),
    );
    assert_eq!(
        h.get("/cloud/v2/universes/1/data-stores?showDeleted=true")
            .body["dataStores"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Snapshot: once per UTC day.
    let s1 = h.post("/cloud/v2/universes/1/data-stores:snapshot", json!({}));
    assert_eq!(s1.body["newSnapshotTaken"], true);
    let s2 = h.post("/cloud/v2/universes/1/data-stores:snapshot", json!({}));
    assert_eq!(s2.body["newSnapshotTaken"], false);
    assert_eq!(s2.body["latestSnapshotTime"], s1.body["latestSnapshotTime"]);
    h.control(
        "POST",
        "/_emulator/clock",
        Some(json!({"advance_seconds": 86400})),
    );
    assert_eq!(
        h.post("/cloud/v2/universes/1/data-stores:snapshot", json!({}))
            .body["newSnapshotTaken"],
        true
    );
}

#[test]
fn paging_defaults_clamps_and_bindings() {
    let h = Http::unthrottled();
    for i in 0..300 {
        h.post(&format!("{E}?id=k{i:03}"), json!({"value": i}));
    }
    assert_eq!(
        h.get(E).body["dataStoreEntries"].as_array().unwrap().len(),
        10,
        "default page size"
    );
    let big = h.get(&format!("{E}?maxPageSize=1000"));
    assert_eq!(
        big.body["dataStoreEntries"].as_array().unwrap().len(),
        256,
        "clamped to 256"
    );
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let q = match &token {
            Some(t) => {
                format!("{E}?maxPageSize=7&filter=id.startsWith%28%22k1%22%29&pageToken={t}")
            }
            None => format!("{E}?maxPageSize=7&filter=id.startsWith%28%22k1%22%29"),
        };
        let p = h.get(&q);
        assert_eq!(p.status, 200, "{}", p.text);
        seen.extend(
            p.body["dataStoreEntries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_string()),
        );
        match p.body["nextPageToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    let expected: Vec<String> = (100..200).map(|i| format!("k{i:03}")).collect();
    assert_eq!(seen, expected);
    assert_error(
        &h.get(&format!("{E}?maxPageSize=-1")),
        400,
        "INVALID_ARGUMENT",
    );
    assert_error(
        &h.get(&format!("{E}?maxPageSize=abc")),
        400,
        "INVALID_ARGUMENT",
    );
}

#[test]
fn every_documented_limit_is_enforced_with_400() {
    let h = Http::unthrottled();
    let long = "x".repeat(51);
    assert_error(
        &h.post(&format!("{E}?id={long}"), json!({"value": 1})),
        400,
        "INVALID_ARGUMENT",
    );
    assert_error(
        &h.post(
            &format!("/cloud/v2/universes/1/data-stores/{long}/entries?id=k"),
            json!({"value": 1}),
        ),
        400,
        "INVALID_ARGUMENT",
    );
    assert_error(
        &h.post(
            &format!("/cloud/v2/universes/1/data-stores/d/scopes/{long}/entries?id=k"),
            json!({"value": 1}),
        ),
        400,
        "INVALID_ARGUMENT",
    );
    assert_error(
        &h.post(
            &format!("{E}?id=k"),
            json!({"value": 1, "users": ["users/1", "users/2", "users/3", "users/4", "users/5"]}),
        ),
        400,
        "INVALID_ARGUMENT",
    );
    assert_error(
        &h.post(&format!("{E}?id=k"), json!({"value": 1, "users": ["123"]})),
        400,
        "INVALID_ARGUMENT",
    );
    assert_error(
        &h.post(
            &format!("{E}?id=k"),
            json!({"value": 1, "attributes": {"a": "x".repeat(251)}}),
        ),
        400,
        "INVALID_ARGUMENT",
    );
    assert_error(
        &h.post(
            &format!("{E}?id=k"),
            json!({"value": 1, "attributes": {"a": "x".repeat(200), "b": "y".repeat(200)}}),
        ),
        400,
        "INVALID_ARGUMENT",
    );
    assert_error(
        &h.post(&format!("{E}?id=k"), json!({"value": 1, "attributes": [1]})),
        400,
        "INVALID_ARGUMENT",
    );
    assert_error(
        &h.post(
            &format!("{E}?id=k"),
            json!({"value": "x".repeat(4_194_304)}),
        ),
        400,
        "INVALID_ARGUMENT",
    );
    assert_eq!(
        h.post(
            &format!("{E}?id=big"),
            json!({"value": "x".repeat(4_194_302)})
        )
        .status,
        200,
        "the largest value fits"
    );
    assert_error(
        &h.post(&format!("{E}?id=k"), json!({"users": []})),
        400,
        "INVALID_ARGUMENT",
    );
    assert_error(
        &h.send(
            Some(KEY),
            "POST",
            &format!("{E}?id=k"),
            Some("{\"value\": 1}".into()),
            false,
        ),
        400,
        "INVALID_ARGUMENT",
    );
    assert_error(
        &h.send(
            Some(KEY),
            "POST",
            &format!("{E}?id=k"),
            Some("{not json".into()),
            true,
        ),
        400,
        "INVALID_ARGUMENT",
    );
    assert_error(&h.post(E, json!({"value": 1})), 400, "INVALID_ARGUMENT");
    // Unknown query parameters are ignored as the live service does (400 in strict mode, see
    // fidelity.rs): the typo'd allowIfMissing does not create the entry.
    assert_error(
        &h.patch(&format!("{E}/k?allowIfMissing=true"), json!({"value": 1})),
        404,
        "NOT_FOUND",
    );
    assert_error(
        &h.get("/cloud/v2/universes/abc/data-stores"),
        400,
        "INVALID_ARGUMENT",
    );
    assert_error(
        &h.get(&format!("{E}?showDeleted=maybe")),
        400,
        "INVALID_ARGUMENT",
    );
    // Routing is the gateway's: its body shape for unknown paths and wrong methods.
    let unknown = h.get("/cloud/v2/universes/1/nothing");
    assert_eq!(unknown.status, 404, "{}", unknown.text);
    assert!(
        unknown.body["errors"][0]["message"].is_string(),
        "{}",
        unknown.text
    );
    let wrong = h.call("PUT", "/cloud/v2/universes/1/data-stores", None);
    assert_eq!(wrong.status, 405, "{}", wrong.text);
    assert_eq!(wrong.headers["allow"], "GET");
    assert_error(
        &h.get(&format!("{E}?pageToken=x&pageToken=y")),
        400,
        "INVALID_ARGUMENT",
    );
}

#[test]
fn ordered_entries_every_operation() {
    let h = Http::unthrottled();
    for (id, v) in [("Ava", 5), ("Bo", -3), ("Cy", 0), ("Di", 5), ("Ed", 50)] {
        let r = h.post(&format!("{O}?id={id}"), json!({"value": v}));
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(
            r.body,
            json!({"path": format!("universes/1/ordered-data-stores/Scores/scopes/global/entries/{id}"), "id": id, "value": v})
        );
    }
    assert_error(
        &h.post(&format!("{O}?id=Ava"), json!({"value": 1})),
        400,
        "INVALID_ARGUMENT",
    );
    assert_error(
        &h.post(&format!("{O}?id=Zed"), json!({"value": "1"})),
        400,
        "INVALID_ARGUMENT",
    );
    assert_error(
        &h.post(&format!("{O}?id={}", "x".repeat(64)), json!({"value": 1})),
        400,
        "INVALID_ARGUMENT",
    );
    assert_eq!(
        h.post(&format!("{O}?id={}", "x".repeat(63)), json!({"value": 1}))
            .status,
        200
    );
    h.delete(&format!("{O}/{}", "x".repeat(63)));
    let ids = |r: &Reply| {
        r.body["orderedDataStoreEntries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| format!("{}={}", e["id"].as_str().unwrap(), e["value"]))
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&h.get(O)), ["Bo=-3", "Cy=0", "Ava=5", "Di=5", "Ed=50"]);
    assert_eq!(
        ids(&h.get(&format!("{O}?orderBy=value%20desc"))),
        ["Ed=50", "Ava=5", "Di=5", "Cy=0", "Bo=-3"]
    );
    assert_eq!(
        ids(&h.get(&format!("{O}?filter=entry%20%3E%3D%200"))),
        ["Cy=0", "Ava=5", "Di=5", "Ed=50"],
        "0 is a real bound"
    );
    assert_eq!(
        ids(&h.get(&format!("{O}?filter=entry%20%3C%3D%200"))),
        ["Bo=-3", "Cy=0"]
    );
    assert_eq!(
        ids(&h.get(&format!(
            "{O}?filter=entry%20%3E%3D%20-3%20%26%26%20entry%20%3C%3D%205&orderBy=value%20desc"
        ))),
        ["Ava=5", "Di=5", "Cy=0", "Bo=-3"]
    );
    assert_error(
        &h.get(&format!("{O}?filter=entry%3C%3D0")),
        400,
        "INVALID_ARGUMENT",
    );
    assert_error(&h.get(&format!("{O}?orderBy=id")), 400, "INVALID_ARGUMENT");
    // Paging in both orders.
    for order in ["", "&orderBy=value%20desc"] {
        let mut all = Vec::new();
        let mut tok = String::new();
        loop {
            let p = h.get(&format!("{O}?maxPageSize=2{order}{tok}"));
            all.extend(ids(&p));
            match p.body["nextPageToken"].as_str() {
                Some(t) => tok = format!("&pageToken={t}"),
                None => break,
            }
        }
        assert_eq!(all.len(), 5, "{order}: {all:?}");
    }
    assert_eq!(h.get(&format!("{O}/Ava")).body["value"], 5);
    assert_error(&h.get(&format!("{O}/Nope")), 404, "NOT_FOUND");
    assert_eq!(
        h.patch(&format!("{O}/Ava"), json!({"value": 7})).body["value"],
        7
    );
    assert_error(
        &h.patch(&format!("{O}/Nope"), json!({"value": 7})),
        404,
        "NOT_FOUND",
    );
    assert_eq!(
        h.patch(&format!("{O}/Nope?allowMissing=true"), json!({"value": 7}))
            .status,
        200
    );
    assert_eq!(
        h.post(&format!("{O}/Ava:increment"), json!({"amount": 3}))
            .body["value"],
        10
    );
    assert_eq!(
        h.post(&format!("{O}/New:increment"), json!({"amount": -4}))
            .body["value"],
        -4
    );
    assert_error(
        &h.post(&format!("{O}/Ava:increment"), json!({"amount": "x"})),
        400,
        "INVALID_ARGUMENT",
    );
    assert_eq!(h.delete(&format!("{O}/Ava")).status, 200);
    assert_error(&h.delete(&format!("{O}/Ava")), 404, "NOT_FOUND");
    assert_error(&h.get(&format!("{O}/Ava")), 404, "NOT_FOUND");
}

#[test]
fn control_plane_faults_log_and_reset() {
    let h = Http::unthrottled();
    assert_eq!(h.control("GET", "/_emulator/health", None).status, 200);
    h.post(&format!("{E}?id=k"), json!({"value": 1}));
    // A 503 before the operation: the next GET fails once, then works.
    assert_eq!(
        h.control(
            "POST",
            "/_emulator/faults",
            Some(json!({"method": "GET", "path": "*/entries/k", "status": 503}))
        )
        .status,
        200
    );
    let r = h.get(&format!("{E}/k"));
    assert_error(&r, 503, "UNAVAILABLE");
    assert_eq!(h.get(&format!("{E}/k")).status, 200);
    // A 500 after the operation: the increment is applied although the client sees 500.
    h.control(
        "POST",
        "/_emulator/faults",
        Some(json!({"path": "*:increment", "status": 500, "when": "after"})),
    );
    assert_error(
        &h.post(&format!("{E}/n:increment"), json!({"amount": 1})),
        500,
        "INTERNAL",
    );
    assert_eq!(h.get(&format!("{E}/n")).body["value"], 1);
    // Two dropped connections, then normal service.
    h.control(
        "POST",
        "/_emulator/faults",
        Some(json!({"path": "*", "drop_connection": true, "count": 2})),
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    for _ in 0..2 {
        let res = agent
            .get(&format!("{}{E}/k", h.em.base_url()))
            .header("x-api-key", KEY)
            .call()
            .and_then(|mut r| r.body_mut().read_to_string());
        assert!(res.is_err(), "the connection drops: {res:?}");
    }
    assert_eq!(h.get(&format!("{E}/k")).status, 200);
    assert_eq!(
        h.control(
            "POST",
            "/_emulator/faults",
            Some(json!({"path": "*", "status": 9999}))
        )
        .status,
        400
    );
    assert_eq!(
        h.control("POST", "/_emulator/faults", Some(json!({"pathx": "*"})))
            .status,
        400
    );
    let log = h.control("GET", "/_emulator/requests", None);
    let reqs = log.body["requests"].as_array().unwrap();
    assert!(
        reqs.iter()
            .any(|r| r["status"] == 503 && r["fault"] == true)
    );
    assert!(reqs.iter().any(|r| r["route"] == "IncrementEntry"));
    assert_eq!(h.control("POST", "/_emulator/reset", None).status, 200);
    assert_error(&h.get(&format!("{E}/k")), 404, "NOT_FOUND");
    assert_eq!(
        h.control(
            "POST",
            "/_emulator/clock",
            Some(json!({"advance_seconds": -1}))
        )
        .status,
        400
    );
}
