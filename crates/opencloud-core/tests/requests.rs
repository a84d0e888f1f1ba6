//! Snapshot of the request every operation and option builds: method, URI, sorted headers with
//! the key redacted, and body. Run with `UPDATE_SNAPSHOTS=1` to accept a deliberate change.

use opencloud_core::*;

fn ts(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

type Built = Result<http::Request<Vec<u8>>, Error>;

fn cases() -> Vec<(&'static str, Built)> {
    let cfg = Config::new(ApiKey::new("secret-key-123").unwrap());
    let u = UniverseId::from(1234);
    let ds = DataStoreName::new("Inventory").unwrap();
    let key = EntryKey::new("user_1").unwrap();
    let addr = EntryAddress::new(u.clone(), ds.clone(), key.clone());
    let scoped = addr.clone().in_scope(Scope::new("season/2").unwrap());
    let at_key = EntryAddress::new(u.clone(), ds.clone(), EntryKey::new("my@entry").unwrap());
    let odd = EntryAddress::new(
        u.clone(),
        ds.clone(),
        EntryKey::new("a/b?c#d%e f:g ключ").unwrap(),
    );
    let write = EntryWrite::new(serde_json::json!({"gold": 10, "items": ["sword"]}))
        .users([UserId(1), UserId(2)])
        .attributes(Attributes::from_value(serde_json::json!({"schema": 2})).unwrap());
    let rev = RevisionId::new("08DC3D3F43F9FCC1.0000000001.08DC3D3F43F9FCC1.01").unwrap();
    let now = ts("2024-12-02T06:05:00Z");
    let store = OrderedStore::new(
        u.clone(),
        DataStoreName::new("PlayerScores").unwrap(),
        Scope::global(),
    );
    let oid = OrderedEntryId::new("Ava").unwrap();
    vec![
        (
            "list data stores",
            ListDataStores::new(u.clone()).to_request(&cfg),
        ),
        (
            "list data stores, every option",
            ListDataStores {
                page_token: Some(PageToken::new("tok/1=").unwrap()),
                ..ListDataStores::new(u.clone())
                    .prefix("Inv\"x")
                    .show_deleted(true)
                    .max_page_size(50)
            }
            .to_request(&cfg),
        ),
        (
            "delete data store",
            DeleteDataStore::new(u.clone(), ds.clone()).to_request(&cfg),
        ),
        (
            "undelete data store",
            UndeleteDataStore::new(u.clone(), ds.clone()).to_request(&cfg),
        ),
        (
            "snapshot data stores",
            SnapshotDataStores::new(u.clone()).to_request(&cfg),
        ),
        (
            "list entries",
            ListEntries::new(u.clone(), ds.clone()).to_request(&cfg),
        ),
        (
            "list entries in a scope, every option",
            ListEntries::new(u.clone(), ds.clone())
                .scope(ListScope::Scope(Scope::new("season/2").unwrap()))
                .prefix("user_")
                .show_deleted(true)
                .max_page_size(256)
                .to_request(&cfg),
        ),
        (
            "list entries in all scopes",
            ListEntries::new(u.clone(), ds.clone())
                .scope(ListScope::All)
                .to_request(&cfg),
        ),
        (
            "create entry",
            CreateEntry::new(addr.clone(), write.clone()).to_request(&cfg),
        ),
        (
            "create scoped entry",
            CreateEntry::new(scoped.clone(), EntryWrite::new(serde_json::json!("text")))
                .to_request(&cfg),
        ),
        ("get entry", GetEntry::new(addr.clone()).to_request(&cfg)),
        (
            "get scoped entry",
            GetEntry::new(scoped.clone()).to_request(&cfg),
        ),
        (
            "get entry whose key has @",
            GetEntry::new(at_key.clone()).to_request(&cfg),
        ),
        (
            "get entry with reserved characters",
            GetEntry::new(odd.clone()).to_request(&cfg),
        ),
        (
            "get entry at a revision",
            GetEntry::new(addr.clone())
                .at(RevisionSelector::Revision(rev.clone()))
                .to_request(&cfg),
        ),
        (
            "get entry as of a time",
            GetEntry::new(at_key.clone())
                .at(RevisionSelector::AsOf(
                    AsOfTime::new(ts("2024-12-02T06:00:00Z"), now).unwrap(),
                ))
                .to_request(&cfg),
        ),
        (
            "update entry",
            UpdateEntry::new(addr.clone(), write.clone()).to_request(&cfg),
        ),
        (
            "update entry with etag",
            UpdateEntry::new(scoped.clone(), EntryWrite::new(serde_json::json!(1)))
                .if_etag("etag-1")
                .to_request(&cfg),
        ),
        (
            "update entry allowing missing",
            UpdateEntry::new(at_key.clone(), EntryWrite::new(serde_json::json!(null)))
                .allow_missing(true)
                .to_request(&cfg),
        ),
        (
            "update entry whose key has @",
            UpdateEntry::new(at_key.clone(), EntryWrite::new(serde_json::json!(null)))
                .to_request(&cfg),
        ),
        (
            "delete entry",
            DeleteEntry::new(addr.clone()).to_request(&cfg),
        ),
        (
            "delete scoped entry",
            DeleteEntry::new(scoped.clone()).to_request(&cfg),
        ),
        (
            "increment entry",
            IncrementEntry::new(addr.clone(), 10).to_request(&cfg),
        ),
        (
            "increment scoped entry with metadata",
            IncrementEntry::new(scoped.clone(), -3)
                .users([UserId(9)])
                .attributes(Attributes::from_value(serde_json::json!({"a": "b"})).unwrap())
                .to_request(&cfg),
        ),
        (
            "increment entry whose key has @",
            IncrementEntry::new(at_key.clone(), 1).to_request(&cfg),
        ),
        (
            "list revisions",
            ListEntryRevisions::new(addr.clone()).to_request(&cfg),
        ),
        (
            "list scoped revisions in a time range",
            ListEntryRevisions::new(scoped.clone())
                .range(
                    RevisionTimeRange::new(
                        Some(ts("2000-01-01T00:00:00Z")),
                        Some(ts("2001-01-01T00:00:00Z")),
                    )
                    .unwrap(),
                )
                .max_page_size(100)
                .to_request(&cfg),
        ),
        (
            "list ordered entries",
            ListOrderedEntries::new(store.clone()).to_request(&cfg),
        ),
        (
            "list ordered entries descending in a range",
            ListOrderedEntries::new(store.clone())
                .order(Order::Descending)
                .range(OrderedRange::new(Some(0), Some(50)).unwrap())
                .max_page_size(100)
                .to_request(&cfg),
        ),
        (
            "list ordered entries at most 0",
            ListOrderedEntries::new(store.clone())
                .range(OrderedRange::new(None, Some(0)).unwrap())
                .to_request(&cfg),
        ),
        (
            "create ordered entry",
            CreateOrderedEntry::new(store.clone(), oid.clone(), 0).to_request(&cfg),
        ),
        (
            "get ordered entry",
            GetOrderedEntry::new(store.clone(), oid.clone()).to_request(&cfg),
        ),
        (
            "update ordered entry",
            UpdateOrderedEntry::new(store.clone(), oid.clone(), -7).to_request(&cfg),
        ),
        (
            "update ordered entry allowing missing",
            UpdateOrderedEntry::new(store.clone(), oid.clone(), 7)
                .allow_missing(true)
                .to_request(&cfg),
        ),
        (
            "delete ordered entry",
            DeleteOrderedEntry::new(store.clone(), oid.clone()).to_request(&cfg),
        ),
        (
            "increment ordered entry",
            IncrementOrderedEntry::new(store.clone(), oid.clone(), 5).to_request(&cfg),
        ),
        (
            "emulator base URL",
            GetEntry::new(addr.clone()).to_request(
                &Config::new(ApiKey::new("k").unwrap())
                    .with_base_url("http://127.0.0.1:7357/")
                    .unwrap(),
            ),
        ),
        (
            "refused: page size 0",
            ListEntries::new(u.clone(), ds.clone())
                .max_page_size(0)
                .to_request(&cfg),
        ),
        (
            "refused: increment beyond 2^53",
            IncrementEntry::new(addr.clone(), i64::MAX).to_request(&cfg),
        ),
        (
            "refused: five users",
            CreateEntry::new(
                addr.clone(),
                EntryWrite::new(serde_json::json!(1)).users((1..=5).map(UserId)),
            )
            .to_request(&cfg),
        ),
        (
            "refused: ordered value beyond 2^53",
            CreateOrderedEntry::new(store.clone(), oid.clone(), 1 << 60).to_request(&cfg),
        ),
        (
            "refused: prefix too long",
            ListEntries::new(u.clone(), ds.clone())
                .prefix("p".repeat(51))
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
                let expected_key = if r.uri().host() == Some("127.0.0.1") {
                    "k"
                } else {
                    "secret-key-123"
                };
                assert_eq!(r.headers()[API_KEY_HEADER], expected_key, "{name}");
                assert!(
                    r.headers()[API_KEY_HEADER].is_sensitive(),
                    "{name}: key header not marked sensitive"
                );
                out.push_str(&describe_request(&r));
            }
            Err(e) => out.push_str(&format!("error: {e}\n")),
        }
        out.push('\n');
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots/requests.snap");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, &out).unwrap();
    }
    let expected = std::fs::read_to_string(path)
        .expect("snapshot exists; run with UPDATE_SNAPSHOTS=1 to create it");
    if expected != out {
        let first = expected.lines().zip(out.lines()).position(|(a, b)| a != b);
        panic!(
            "request snapshot changed at line {first:?}; run with UPDATE_SNAPSHOTS=1 to accept\n{out}"
        );
    }
}

#[test]
fn every_data_store_route_is_exercised_by_the_snapshot() {
    let mut seen = std::collections::HashSet::new();
    for (_, req) in cases() {
        if let Ok(r) = req {
            let path = r.uri().path().to_string();
            let m = opencloud_core::wire::match_route(r.method(), &path)
                .expect("built requests match a route");
            seen.insert(m.route.id);
        }
    }
    // Messaging and user restrictions have their own snapshot in experience_requests.rs, the
    // legacy v1 data store routes theirs in v1_requests.rs.
    for id in RouteId::ALL
        .iter()
        .filter(|r| r.api_version() == ApiVersion::V2 && r.route().template.contains("data-stores"))
    {
        assert!(seen.contains(id), "{id:?} has no snapshot case");
    }
}
