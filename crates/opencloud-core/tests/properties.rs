//! Properties: encoding round trips, unambiguous selectors, filters, and parsers that never panic.

use opencloud_core::wire::{ParsedSelector, parse_entry_id};
use opencloud_core::wire::{decode_component, match_route};
use opencloud_core::*;
use proptest::prelude::*;

fn key_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_/@%?#: .~-]{1,50}",
        proptest::collection::vec(any::<char>(), 1..50).prop_map(|c| c.into_iter().collect()),
    ]
    .prop_filter("valid key", |k| EntryKey::new(k.clone()).is_ok())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn keys_and_scopes_render_to_uris_whose_segment_decodes_to_the_key(key in key_strategy(), scope in key_strategy()) {
        prop_assume!(Scope::new(scope.clone()).is_ok());
        let cfg = Config::new(ApiKey::new("k").unwrap());
        let addr = EntryAddress::new(UniverseId::from(7), DataStoreName::new("d").unwrap(), EntryKey::new(key.clone()).unwrap())
            .in_scope(Scope::new(scope.clone()).unwrap());
        for req in [
            GetEntry::new(addr.clone()).to_request(&cfg).unwrap(),
            IncrementEntry::new(addr.clone(), 1).to_request(&cfg).unwrap(),
            UpdateEntry::new(addr.clone(), EntryWrite::new(serde_json::json!(1))).allow_missing(true).to_request(&cfg).unwrap(),
        ] {
            let uri: http::Uri = req.uri().to_string().parse().unwrap();
            // Nothing of the key leaks into the query string.
            prop_assert!(matches!(uri.query(), None | Some("allowMissing=true")), "{:?}", uri.query());
            let m = match_route(req.method(), uri.path()).unwrap();
            prop_assert_eq!(m.segments.len(), 4);
            prop_assert_eq!(decode_component(m.segments[2]).unwrap(), scope.clone());
            let id = decode_component(m.segments[3]).unwrap();
            if req.method() == http::Method::GET {
                // Reads carry a selector; parsed the service's way it yields exactly the key.
                let (k, sel) = parse_entry_id(&id);
                prop_assert_eq!(k, key.as_str());
                prop_assert_eq!(sel, ParsedSelector::Latest);
            } else {
                prop_assert_eq!(id, key.clone());
            }
        }
    }

    #[test]
    fn revision_selectors_are_never_ambiguous(key in key_strategy(), rev in "[A-Za-z0-9.:_-]{1,40}", secs in 1i64..4_000_000_000) {
        prop_assume!(RevisionId::new(rev.clone()).is_ok());
        let k = EntryKey::new(key.clone()).unwrap();
        let t = jiff::Timestamp::from_second(secs).unwrap();
        let cases = [
            (RevisionSelector::Latest, ParsedSelector::Latest),
            (RevisionSelector::Revision(RevisionId::new(rev.clone()).unwrap()), ParsedSelector::Revision(rev.clone())),
            (RevisionSelector::AsOf(AsOfTime::new_unvalidated(t)), ParsedSelector::AsOf(t)),
        ];
        for (sel, expected) in cases {
            let seg = opencloud_core::wire::render_entry_segment(&k, &sel);
            let decoded = decode_component(&seg).unwrap();
            let (parsed_key, parsed) = parse_entry_id(&decoded);
            prop_assert_eq!(parsed_key, key.as_str());
            prop_assert_eq!(parsed, expected);
        }
    }

    #[test]
    fn filters_round_trip(prefix in ".{0,50}", min in proptest::option::of(-1000i64..1000), span in 0i64..1000) {
        let parsed = opencloud_core::wire::parse_prefix_filter(&opencloud_core::wire::render_prefix_filter(&prefix)).unwrap();
        prop_assert_eq!(parsed.unwrap_or_default(), prefix);
        let range = OrderedRange::new(min, min.map(|m| m + span)).unwrap();
        prop_assert_eq!(OrderedRange::parse(&range.render().unwrap_or_default()).unwrap(), range);
    }

    #[test]
    fn parsers_never_panic_on_arbitrary_bytes(status in 100u16..600, body in proptest::collection::vec(any::<u8>(), 0..256)) {
        let resp = || http::Response::builder().status(status).header("retry-after", String::from_utf8_lossy(&body[..body.len().min(8)]).replace(|c: char| !c.is_ascii_graphic(), "")).body(body.clone()).unwrap();
        let u = UniverseId::from(1);
        let d = DataStoreName::new("d").unwrap();
        let a = EntryAddress::new(u.clone(), d.clone(), EntryKey::new("k").unwrap());
        let s = OrderedStore::new(u.clone(), d.clone(), Scope::global());
        let _ = GetEntry::new(a.clone()).parse(resp()).map_err(|e| (e.to_string(), e.retry_after()));
        let _ = ListEntries::new(u.clone(), d.clone()).parse(resp());
        let _ = ListDataStores::new(u.clone()).parse(resp());
        let _ = DeleteEntry::new(a.clone()).parse(resp());
        let _ = ListOrderedEntries::new(s.clone()).parse(resp());
        let _ = SnapshotDataStores::new(u).parse(resp());
        let text = String::from_utf8_lossy(&body);
        let _ = OrderedRange::parse(&text);
        let _ = RevisionTimeRange::parse(&text);
        let _ = opencloud_core::wire::parse_prefix_filter(&text);
        let _ = parse_entry_id(&text);
        let _ = match_route(&http::Method::GET, &text);
    }

    /// Any limits (none, one, huge) and any sequence of takes, reservations and settlements at
    /// any times: the budget never panics, and never holds more requests in a category's
    /// window than its limit.
    #[test]
    fn rate_budgets_never_panic_and_never_overfill(
        limits in proptest::collection::vec((0u64..4, prop_oneof![Just(u64::MAX), 0u64..200]), ThrottleCategory::ALL.len()),
        steps in proptest::collection::vec((0usize..ThrottleCategory::ALL.len(), 0u8..6, 0i64..200_000, 0u64..300, 0u64..3), 0..60),
    ) {
        let mut l = RateLimits::unlimited();
        for (c, (requests, bytes)) in ThrottleCategory::ALL.into_iter().zip(&limits) {
            l = l.with(c, CategoryLimit { requests: *requests, bytes: *bytes });
        }
        let mut b = RateBudget::new(l.clone());
        let u = UniverseId::from(7);
        let mut reservations = Vec::new();
        let mut now = 0i64;
        for (c, action, advance_ms, bytes, subject) in steps {
            now += advance_ms;
            let at = jiff::Timestamp::from_millisecond(now).unwrap();
            let c = ThrottleCategory::ALL[c];
            match action {
                0 => {
                    let _ = b.try_acquire(&u, c, bytes, at);
                }
                1 => {
                    if let Ok(r) = b.try_reserve(&u, c, bytes, at) {
                        reservations.push(r);
                    }
                }
                2 => {
                    if let Some(r) = reservations.pop() {
                        b.settle(&r, bytes, at);
                    }
                }
                3 => {
                    let _ = b.try_acquire_for(&u, c, subject, at);
                }
                4 => {
                    if let Ok(r) = b.try_reserve_for(&u, c, subject, at) {
                        reservations.push(r);
                    }
                }
                _ => {
                    if let Some(r) = reservations.pop() {
                        b.cancel(&r);
                    }
                }
            }
            let (used, _) = b.used(&u, c, at);
            prop_assert!(used <= l.get(c).requests, "{used} in the window of {c:?}");
            let (used, _) = b.used_by(&u, c, Some(subject), at);
            prop_assert!(used <= l.get(c).requests, "{used} in {c:?} for subject {subject}");
        }
    }

    /// A write's fingerprint matches a revision exactly when `holds_write` does, whatever the
    /// order of keys in its objects; a journaled fingerprint parses back; any text parses or is
    /// refused without panicking.
    #[test]
    fn write_fingerprints_agree_with_holds_write(
        a in json_value(),
        b in json_value(),
        users in proptest::collection::vec(1u64..5, 0..3),
        text in ".{0,40}",
    ) {
        let mut write = EntryWrite::new(a.clone());
        write.users = users.iter().copied().map(UserId).collect();
        let f = WriteFingerprint::of_write(&write);
        prop_assert_eq!(WriteFingerprint::parse(f.as_str()).unwrap(), f.clone());
        for held in [a.clone(), reversed_keys(&a), b] {
            let mut rev = DataStoreEntry::default();
            rev.value = Some(held);
            rev.users = write.users.clone();
            prop_assert_eq!(
                WriteFingerprint::of_revision(&rev).as_ref() == Some(&f),
                holds_write(&rev, &write)
            );
        }
        let _ = WriteFingerprint::parse(&text);
    }
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        (-3i64..3).prop_map(serde_json::Value::from),
        (-2.0f64..2.0).prop_map(serde_json::Value::from),
        "[a-c\\\\\"]{0,3}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            proptest::collection::btree_map("[a-d]{1,2}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The same JSON with every object's keys inserted in reverse order.
fn reversed_keys(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => serde_json::Value::Object(
            m.iter()
                .rev()
                .map(|(k, v)| (k.clone(), reversed_keys(v)))
                .collect(),
        ),
        serde_json::Value::Array(a) => a.iter().map(reversed_keys).collect(),
        other => other.clone(),
    }
}
