//! Snapshot of the request every legacy v1 operation and option builds (method, URI, sorted
//! headers with the key redacted, body), and the v1 pitfalls, each as a test. Run with
//! `UPDATE_SNAPSHOTS=1` to accept a deliberate change to the snapshot.

use opencloud_core::wire::content_md5;
use opencloud_core::*;

fn ts(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

fn cfg() -> Config {
    Config::new(ApiKey::new("secret-key-123").unwrap())
}

fn addr() -> EntryAddress {
    EntryAddress::new(
        UniverseId::from(1234),
        DataStoreName::new("Inventory").unwrap(),
        EntryKey::new("user_1").unwrap(),
    )
}

fn store() -> OrderedStore {
    OrderedStore::new(
        UniverseId::from(1234),
        DataStoreName::new("PlayerScores").unwrap(),
        Scope::global(),
    )
}

fn attrs(v: serde_json::Value) -> Attributes {
    Attributes::from_value(v).unwrap()
}

type Built = Result<http::Request<Vec<u8>>, Error>;

fn cases() -> Vec<(&'static str, Built)> {
    let cfg = cfg();
    let u = UniverseId::from(1234);
    let ds = DataStoreName::new("Inventory").unwrap();
    let addr = addr();
    let scoped = addr.clone().in_scope(Scope::new("season/2").unwrap());
    let odd = EntryAddress::new(
        u.clone(),
        DataStoreName::new("my store&x=1").unwrap(),
        EntryKey::new("a/b?c#d%e f:g@h+ключ").unwrap(),
    );
    let version = RevisionId::new("08D9E6A3F2188CFF.0000000001.08D9E6A3F2188CFF.01").unwrap();
    let write = EntryWrite::new(serde_json::json!({"gold": 10, "items": ["sword"]}))
        .users([UserId(1), UserId(2)])
        .attributes(attrs(serde_json::json!({"schema": 2})));
    let store = store();
    let oid = OrderedEntryId::new("Ava").unwrap();
    vec![
        (
            "v1 list data stores",
            V1ListDataStores::new(u.clone()).to_request(&cfg),
        ),
        (
            "v1 list data stores, every option",
            V1ListDataStores {
                cursor: Some(PageToken::new("eyJ2ZXJzaW9uIjoxfQ==").unwrap()),
                ..V1ListDataStores::new(u.clone()).prefix("Inv").limit(50)
            }
            .to_request(&cfg),
        ),
        (
            "v1 list entries",
            V1ListEntries::new(u.clone(), ds.clone()).to_request(&cfg),
        ),
        (
            "v1 list entries in a scope, every option",
            V1ListEntries {
                cursor: Some(PageToken::new("c/2+").unwrap()),
                ..V1ListEntries::new(u.clone(), ds.clone())
                    .scope(Scope::new("season/2").unwrap())
                    .prefix("user_")
                    .limit(100)
            }
            .to_request(&cfg),
        ),
        (
            "v1 list entries in all scopes",
            V1ListEntries::new(u.clone(), ds.clone())
                .all_scopes(true)
                .to_request(&cfg),
        ),
        (
            "v1 get entry",
            V1GetEntry::new(addr.clone()).to_request(&cfg),
        ),
        (
            "v1 get scoped entry",
            V1GetEntry::new(scoped.clone()).to_request(&cfg),
        ),
        (
            "v1 get entry with reserved characters",
            V1GetEntry::new(odd.clone()).to_request(&cfg),
        ),
        (
            "v1 set entry",
            V1SetEntry::new(addr.clone(), write.clone()).to_request(&cfg),
        ),
        (
            "v1 set entry from exact bytes",
            V1SetEntry::from_json_bytes(
                scoped.clone(),
                "{ \"name\" : \"Ünïcode\" ,\n \"n\": 1.50 }",
            )
            .to_request(&cfg),
        ),
        (
            "v1 set entry only if new",
            V1SetEntry::new(addr.clone(), EntryWrite::new(serde_json::json!("text")))
                .exclusive_create(true)
                .to_request(&cfg),
        ),
        (
            "v1 set entry at a version, with non-ASCII attributes",
            V1SetEntry::new(addr.clone(), EntryWrite::new(serde_json::json!(null)))
                .match_version(version.clone())
                .attributes(attrs(serde_json::json!({"owner": "Zoë"})))
                .to_request(&cfg),
        ),
        (
            "v1 increment entry",
            V1IncrementEntry::new(addr.clone(), 1).to_request(&cfg),
        ),
        (
            "v1 increment scoped entry with metadata",
            V1IncrementEntry::new(scoped.clone(), -3)
                .users([UserId(9)])
                .attributes(attrs(serde_json::json!({"a": "b"})))
                .to_request(&cfg),
        ),
        (
            "v1 increment entry by the largest int64",
            V1IncrementEntry::new(addr.clone(), i64::MAX).to_request(&cfg),
        ),
        (
            "v1 delete entry",
            V1DeleteEntry::new(addr.clone()).to_request(&cfg),
        ),
        (
            "v1 list entry versions",
            V1ListEntryVersions::new(addr.clone()).to_request(&cfg),
        ),
        (
            "v1 list entry versions, every option",
            V1ListEntryVersions {
                cursor: Some(PageToken::new("next").unwrap()),
                ..V1ListEntryVersions::new(scoped.clone())
                    .start_time(ts("2022-01-01T00:00:00Z"))
                    .end_time(ts("2022-02-02T23:30:06.5388799Z"))
                    .order(Order::Descending)
                    .limit(5)
            }
            .to_request(&cfg),
        ),
        (
            "v1 get entry version",
            V1GetEntryVersion::new(addr.clone(), version.clone()).to_request(&cfg),
        ),
        (
            "v1 list ordered entries",
            V1ListOrderedEntries::new(store.clone()).to_request(&cfg),
        ),
        (
            "v1 list ordered entries descending in a range, every option",
            V1ListOrderedEntries {
                page_token: Some(PageToken::new("tok/1=").unwrap()),
                ..V1ListOrderedEntries::new(store.clone())
                    .order(Order::Descending)
                    .range(OrderedRange::new(Some(0), Some(50)).unwrap())
                    .max_page_size(100)
            }
            .to_request(&cfg),
        ),
        (
            "v1 list ordered entries at most 0",
            V1ListOrderedEntries::new(store.clone())
                .range(OrderedRange::new(None, Some(0)).unwrap())
                .to_request(&cfg),
        ),
        (
            "v1 create ordered entry",
            V1CreateOrderedEntry::new(store.clone(), oid.clone(), 0).to_request(&cfg),
        ),
        (
            "v1 create ordered entry beyond 2^53 (int64 on the wire)",
            V1CreateOrderedEntry::new(
                store.clone(),
                OrderedEntryId::new("a/b c").unwrap(),
                i64::MAX,
            )
            .to_request(&cfg),
        ),
        (
            "v1 get ordered entry",
            V1GetOrderedEntry::new(store.clone(), oid.clone()).to_request(&cfg),
        ),
        (
            "v1 update ordered entry",
            V1UpdateOrderedEntry::new(store.clone(), oid.clone(), -7).to_request(&cfg),
        ),
        (
            "v1 update ordered entry allowing missing",
            V1UpdateOrderedEntry::new(store.clone(), oid.clone(), 7)
                .allow_missing(true)
                .to_request(&cfg),
        ),
        (
            "v1 increment ordered entry",
            V1IncrementOrderedEntry::new(store.clone(), oid.clone(), i64::MIN).to_request(&cfg),
        ),
        (
            "v1 delete ordered entry",
            V1DeleteOrderedEntry::new(store.clone(), oid.clone()).to_request(&cfg),
        ),
        (
            "v1 emulator base URL",
            V1GetEntry::new(addr.clone()).to_request(
                &Config::new(ApiKey::new("k").unwrap())
                    .with_base_url("http://127.0.0.1:7357/")
                    .unwrap(),
            ),
        ),
        (
            "refused: scope and allScopes together",
            V1ListEntries::new(u.clone(), ds.clone())
                .scope(Scope::global())
                .all_scopes(true)
                .to_request(&cfg),
        ),
        (
            "refused: limit 0",
            V1ListEntries::new(u.clone(), ds.clone())
                .limit(0)
                .to_request(&cfg),
        ),
        (
            "refused: limit beyond int32",
            V1ListDataStores::new(u.clone())
                .limit(u32::MAX)
                .to_request(&cfg),
        ),
        (
            "refused: prefix beyond 50 bytes",
            V1ListDataStores::new(u.clone())
                .prefix("é".repeat(26))
                .to_request(&cfg),
        ),
        (
            "refused: key of 26 characters but 52 bytes",
            V1GetEntry::new(EntryAddress::new(
                u.clone(),
                ds.clone(),
                EntryKey::new("é".repeat(26)).unwrap(),
            ))
            .to_request(&cfg),
        ),
        (
            "refused: data store name beyond 50 bytes",
            V1DeleteEntry::new(EntryAddress::new(
                u.clone(),
                DataStoreName::new("ü".repeat(30)).unwrap(),
                EntryKey::new("k").unwrap(),
            ))
            .to_request(&cfg),
        ),
        (
            "refused: scope beyond 50 bytes",
            V1GetEntry::new(addr.clone().in_scope(Scope::new("ß".repeat(26)).unwrap()))
                .to_request(&cfg),
        ),
        (
            "refused: exclusiveCreate with matchVersion",
            V1SetEntry::new(addr.clone(), EntryWrite::new(serde_json::json!(1)))
                .exclusive_create(true)
                .match_version(version.clone())
                .to_request(&cfg),
        ),
        (
            "refused: body that is not JSON",
            V1SetEntry::from_json_bytes(addr.clone(), "{not json").to_request(&cfg),
        ),
        (
            "refused: a value beyond 4,194,304 bytes",
            V1SetEntry::new(
                addr.clone(),
                // Two quotes around 4,194,303 characters: one byte too many.
                EntryWrite::new(serde_json::json!("x".repeat(4_194_303))),
            )
            .to_request(&cfg),
        ),
        (
            "accepted: a value of exactly 4,194,304 bytes (body not shown)",
            V1SetEntry::new(
                addr.clone(),
                EntryWrite::new(serde_json::json!("x".repeat(4_194_302))),
            )
            .to_request(&cfg)
            .map(|mut r| {
                *r.body_mut() = format!("<{} bytes>", r.body().len()).into_bytes();
                r
            }),
        ),
        (
            "refused: five users",
            V1IncrementEntry::new(addr.clone(), 1)
                .users((1..=5).map(UserId))
                .to_request(&cfg),
        ),
        (
            "refused: attributes of 300 bytes",
            V1SetEntry::new(addr.clone(), EntryWrite::new(serde_json::json!(1)))
                // Within the v2 limit (at most 300 characters): {"a":"…200…","b":"…85…"}.
                .attributes(attrs(
                    serde_json::json!({"a": "x".repeat(200), "b": "y".repeat(85)}),
                ))
                .to_request(&cfg),
        ),
        (
            "refused: attributes whose \\u escapes reach 300 bytes",
            V1SetEntry::new(addr.clone(), EntryWrite::new(serde_json::json!(1)))
                .attributes(attrs(serde_json::json!({"a": "é".repeat(60)})))
                .to_request(&cfg),
        ),
        (
            "refused: versions from after their end",
            V1ListEntryVersions::new(addr.clone())
                .start_time(ts("2022-02-01T00:00:00Z"))
                .end_time(ts("2022-01-01T00:00:00Z"))
                .to_request(&cfg),
        ),
        (
            "refused: ordered id beyond 50 characters",
            V1GetOrderedEntry::new(store.clone(), OrderedEntryId::new("x".repeat(51)).unwrap())
                .to_request(&cfg),
        ),
        (
            "refused: ordered page size 0",
            V1ListOrderedEntries::new(store.clone())
                .max_page_size(0)
                .to_request(&cfg),
        ),
        (
            "refused: ordered range upside down",
            V1ListOrderedEntries::new(store.clone())
                .range(OrderedRange {
                    min: Some(5),
                    max: Some(4),
                })
                .to_request(&cfg),
        ),
    ]
}

#[test]
fn built_requests_match_the_snapshot() {
    let mut out = String::new();
    for (name, req) in cases() {
        out.push_str(&format!("=== {name}\n"));
        match req {
            Ok(r) => {
                assert!(
                    !format!("{r:?}").contains("secret-key-123"),
                    "{name}: key in Debug"
                );
                assert!(r.headers()[API_KEY_HEADER].is_sensitive(), "{name}");
                out.push_str(&describe_request(&r));
            }
            Err(e) => {
                assert!(
                    matches!(e, Error::InvalidInput(_)),
                    "{name}: refusals are InvalidInput, got {e:?}"
                );
                out.push_str(&format!("error: {e}\n"));
            }
        }
        out.push('\n');
    }
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/snapshots/v1_requests.snap"
    );
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, &out).unwrap();
    }
    let expected = std::fs::read_to_string(path)
        .expect("snapshot exists; run with UPDATE_SNAPSHOTS=1 to create it");
    if expected != out {
        let first = expected.lines().zip(out.lines()).position(|(a, b)| a != b);
        panic!(
            "v1 request snapshot changed at line {first:?}; run with UPDATE_SNAPSHOTS=1 to accept\n{out}"
        );
    }
}

#[test]
fn every_v1_route_is_exercised_and_sends_only_its_declared_parameters() {
    let mut seen = std::collections::HashSet::new();
    for (name, req) in cases() {
        let Ok(r) = req else { continue };
        let path = r.uri().path().to_string();
        let m = opencloud_core::wire::match_route(r.method(), &path)
            .expect("built requests match a route");
        seen.insert(m.route.id);
        // Every query parameter is declared, and identity parameters are among them.
        for (k, _) in query_pairs(&r) {
            assert!(m.route.query.contains(&k.as_str()), "{name}: {k}");
        }
        for (_, q) in m.route.id.query_identity() {
            assert!(m.route.query.contains(q), "{name}: identity {q}");
        }
        // Every extra header the request carries is declared for the route.
        for h in r.headers().keys() {
            let common = [
                "x-api-key",
                "accept",
                "user-agent",
                "content-type",
                "content-length",
            ];
            assert!(
                common.contains(&h.as_str()) || m.route.id.request_headers().contains(&h.as_str()),
                "{name}: undeclared header {h}"
            );
        }
    }
    // The legacy messaging route is v1 too; it has its snapshot in experience_requests.rs.
    let v1_data_stores = |r: &&RouteId| {
        r.api_version() == ApiVersion::V1 && !r.route().template.starts_with("/messaging-service/")
    };
    for id in RouteId::ALL.iter().filter(v1_data_stores) {
        assert!(seen.contains(id), "{id:?} has no snapshot case");
    }
    assert_eq!(RouteId::ALL.iter().filter(v1_data_stores).count(), 14);
}

/// The decoded query of a request, in order.
fn query_pairs(r: &http::Request<Vec<u8>>) -> Vec<(String, String)> {
    r.uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                opencloud_core::wire::decode_component(k).unwrap(),
                opencloud_core::wire::decode_component(v).unwrap(),
            )
        })
        .collect()
}

fn query_of(r: &http::Request<Vec<u8>>, key: &str) -> Option<String> {
    query_pairs(r)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

#[test]
fn v1_standard_names_travel_in_the_query_and_decode_to_themselves() {
    let key = "a/b?c#d%e f:g@h+&=ключ";
    let scope = "season/2 & more";
    let a = EntryAddress::new(
        UniverseId::from(7),
        DataStoreName::new("store/x?y").unwrap(),
        EntryKey::new(key).unwrap(),
    )
    .in_scope(Scope::new(scope).unwrap());
    let r = V1GetEntry::new(a).to_request(&cfg()).unwrap();
    assert_eq!(
        r.uri().path(),
        "/datastores/v1/universes/7/standard-datastores/datastore/entries/entry",
        "the path is fixed: no name in it"
    );
    assert_eq!(query_of(&r, "entryKey").unwrap(), key);
    assert_eq!(query_of(&r, "scope").unwrap(), scope);
    assert_eq!(query_of(&r, "datastoreName").unwrap(), "store/x?y");
    assert_eq!(
        query_pairs(&r).len(),
        3,
        "no key split into extra parameters"
    );
}

#[test]
fn content_md5_is_always_sent_over_the_exact_body_bytes() {
    // Bytes that re-serialisation would change: spacing, key order, number form, non-ASCII.
    let raw = "{ \"b\" : 1.50,\n  \"a\": \"Ünïcode \\u00e9\" }";
    let r = V1SetEntry::from_json_bytes(addr(), raw)
        .to_request(&cfg())
        .unwrap();
    assert_eq!(r.body().as_slice(), raw.as_bytes(), "sent as given");
    let md5 = r.headers()["content-md5"].to_str().unwrap();
    assert_eq!(md5, content_md5(raw.as_bytes()));
    let reserialised =
        serde_json::to_vec(&serde_json::from_str::<serde_json::Value>(raw).unwrap()).unwrap();
    assert_ne!(md5, content_md5(&reserialised));
    // A value write computes it over the bytes it sends, too.
    let r = V1SetEntry::new(addr(), EntryWrite::new(serde_json::json!({"x": [1, 2]})))
        .to_request(&cfg())
        .unwrap();
    assert_eq!(r.body().as_slice(), br#"{"x":[1,2]}"#);
    assert_eq!(
        r.headers()["content-md5"],
        content_md5(br#"{"x":[1,2]}"#).as_str()
    );
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(r.headers()["content-length"], "11");
    // The documented sample: body `value` -> IGPBYI1uC6+AJJxC4r5YBA==.
    let r = V1SetEntry::from_json_bytes(addr(), "\"value\"")
        .to_request(&cfg())
        .unwrap();
    assert_eq!(
        r.headers()["content-md5"],
        content_md5(b"\"value\"").as_str()
    );
    assert_eq!(content_md5(b"value"), "IGPBYI1uC6+AJJxC4r5YBA==");
}

#[test]
fn scope_and_all_scopes_are_never_sent_together() {
    let op = V1ListEntries::new(UniverseId::from(1), DataStoreName::new("d").unwrap())
        .scope(Scope::new("s").unwrap())
        .all_scopes(true);
    match op.to_request(&cfg()) {
        Err(Error::InvalidInput(e)) => {
            assert_eq!(e.field, "all_scopes");
            assert!(e.rule.contains("scope"), "{e}");
        }
        other => panic!("expected InvalidInput, got {other:?}"),
    }
    let all = V1ListEntries::new(UniverseId::from(1), DataStoreName::new("d").unwrap())
        .all_scopes(true)
        .to_request(&cfg())
        .unwrap();
    assert_eq!(query_of(&all, "allScopes").as_deref(), Some("true"));
    assert_eq!(query_of(&all, "scope"), None);
}

#[test]
fn metadata_is_sent_as_json_headers_and_omitted_metadata_is_absent() {
    let r = V1IncrementEntry::new(addr(), 5)
        .users([UserId(269323), UserId(2)])
        .attributes(attrs(serde_json::json!({"k": "v"})))
        .to_request(&cfg())
        .unwrap();
    assert_eq!(r.headers()["roblox-entry-userids"], "[269323,2]");
    assert_eq!(r.headers()["roblox-entry-attributes"], r#"{"k":"v"}"#);
    assert_eq!(r.headers()["content-length"], "0", "increment has no body");
    assert!(r.body().is_empty());
    assert_eq!(query_of(&r, "incrementBy").as_deref(), Some("5"));
    // Without users or attributes, nothing is sent (the service then clears them).
    let r = V1IncrementEntry::new(addr(), 5).to_request(&cfg()).unwrap();
    assert!(r.headers().get("roblox-entry-userids").is_none());
    assert!(r.headers().get("roblox-entry-attributes").is_none());
    assert!(r.headers().get("content-md5").is_none());
}

#[test]
fn ordered_v1_spells_its_parameters_in_snake_case() {
    let r = V1UpdateOrderedEntry::new(store(), OrderedEntryId::new("a").unwrap(), 1)
        .allow_missing(true)
        .to_request(&cfg())
        .unwrap();
    assert_eq!(r.uri().query(), Some("allow_missing=true"));
    let r = V1ListOrderedEntries {
        page_token: Some(PageToken::new("t").unwrap()),
        ..V1ListOrderedEntries::new(store())
            .max_page_size(3)
            .order(Order::Descending)
    }
    .to_request(&cfg())
    .unwrap();
    let keys: Vec<String> = query_pairs(&r).into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["max_page_size", "page_token", "order_by"]);
    // The whole int64 range goes out exactly.
    let r = V1IncrementOrderedEntry::new(store(), OrderedEntryId::new("a").unwrap(), i64::MAX)
        .to_request(&cfg())
        .unwrap();
    assert_eq!(r.body().as_slice(), br#"{"amount":9223372036854775807}"#);
}

/// Drives a pager through scripted pages and returns the requests it built.
fn drive<O>(op: O, pages: Vec<O::Output>) -> (Vec<http::Request<Vec<u8>>>, Pager<O>)
where
    O: PagedOperation,
    O::Output: Page,
{
    let mut pager = Pager::new(op);
    let mut sent = Vec::new();
    let mut pages = pages.into_iter();
    while let Some(op) = pager.next_op() {
        sent.push(op.to_request(&cfg()).unwrap());
        let page = pages
            .next()
            .expect("the pager asked for more pages than scripted");
        pager.on_page(&page);
    }
    (sent, pager)
}

#[test]
fn the_pager_sends_v1_cursors_under_their_own_names_and_freezes_the_query() {
    let op = V1ListEntries::new(UniverseId::from(1), DataStoreName::new("d").unwrap())
        .prefix("p")
        .limit(2);
    let page = |keys: &[&str], next: Option<&str>| {
        let mut p = V1EntryKeyPage::default();
        p.keys = keys
            .iter()
            .map(|k| {
                serde_json::from_value::<DataStoreEntry>(serde_json::json!({"id": k})).unwrap()
            })
            .collect();
        p.next_page_cursor = next.map(String::from);
        p
    };
    // An empty page that carries a cursor is not the end.
    let (sent, pager) = drive(
        op,
        vec![
            page(&["a"], Some("c1")),
            page(&[], Some("c2")),
            page(&["b"], None),
        ],
    );
    assert_eq!(sent.len(), 3);
    assert_eq!(pager.end(), Some(PagerEnd::Complete));
    assert_eq!(query_of(&sent[0], "cursor"), None);
    assert_eq!(query_of(&sent[1], "cursor").as_deref(), Some("c1"));
    assert_eq!(query_of(&sent[2], "cursor").as_deref(), Some("c2"));
    for r in &sent {
        assert_eq!(query_of(r, "pageToken"), None, "v2's name is never sent");
        assert_eq!(query_of(r, "page_token"), None);
        assert_eq!(query_of(r, "prefix").as_deref(), Some("p"));
        assert_eq!(query_of(r, "limit").as_deref(), Some("2"));
        assert_eq!(query_of(r, "datastoreName").as_deref(), Some("d"));
    }

    let ordered = V1ListOrderedEntries::new(store()).order(Order::Descending);
    let page = |next: Option<&str>| {
        let mut p = V1OrderedEntryPage::default();
        p.next_page_token = next.map(String::from);
        p
    };
    let (sent, _) = drive(ordered, vec![page(Some("t1")), page(None)]);
    assert_eq!(query_of(&sent[1], "page_token").as_deref(), Some("t1"));
    assert_eq!(query_of(&sent[1], "pageToken"), None);
    assert_eq!(query_of(&sent[1], "order_by").as_deref(), Some("desc"));

    // Versions and data stores page by cursor too.
    let (sent, _) = drive(
        V1ListEntryVersions::new(addr()).order(Order::Descending),
        vec![
            {
                let mut p = V1EntryVersionPage::default();
                p.next_page_cursor = Some("v2".into());
                p
            },
            V1EntryVersionPage::default(),
        ],
    );
    assert_eq!(query_of(&sent[1], "cursor").as_deref(), Some("v2"));
    assert_eq!(
        query_of(&sent[1], "sortOrder").as_deref(),
        Some("Descending")
    );
    let repeated = || {
        let mut p = V1DataStorePage::default();
        p.next_page_cursor = Some("x".into());
        p
    };
    let (sent, pager) = drive(
        V1ListDataStores::new(UniverseId::from(1)),
        vec![repeated(), repeated()],
    );
    assert_eq!(sent.len(), 2);
    assert_eq!(pager.end(), Some(PagerEnd::RepeatedToken));
}

#[test]
fn v1_routes_carry_their_retry_class_and_budget() {
    use RouteId::*;
    for id in [
        V1IncrementEntry,
        V1CreateOrderedEntry,
        V1IncrementOrderedEntry,
    ] {
        assert_eq!(id.route().retry, RetryClass::UnappliedOnly, "{id:?}");
    }
    for id in [
        V1GetEntry,
        V1SetEntry,
        V1DeleteEntry,
        V1UpdateOrderedEntry,
        V1DeleteOrderedEntry,
    ] {
        assert_eq!(id.route().retry, RetryClass::Idempotent, "{id:?}");
    }
    assert_eq!(
        V1SetEntry.request_headers(),
        [
            "roblox-entry-attributes",
            "roblox-entry-userids",
            "content-md5"
        ]
    );
    assert_eq!(
        V1GetEntry.query_identity(),
        [
            ("data_store_id", "datastoreName"),
            ("scope_id", "scope"),
            ("entry_id", "entryKey")
        ]
    );
    assert!(V1GetOrderedEntry.query_identity().is_empty());
    assert_eq!(GetEntry.api_version(), ApiVersion::V2);
    assert_eq!(V1ListOrderedEntries.route().family, Family::Ordered);
}
