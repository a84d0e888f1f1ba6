//! Properties of the legacy v1 operations: names round-trip through the query, the checksum is
//! always over the bytes sent, the header codecs round-trip, and parsing never panics.

use opencloud_core::wire::decode_component;
use opencloud_core::wire::{
    check_content_md5, content_md5, parse_attributes, parse_userids, render_attributes,
    render_userids,
};
use opencloud_core::*;
use proptest::prelude::*;

fn name_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_/@%?#&=+: .~-]{1,50}",
        proptest::collection::vec(any::<char>(), 1..25).prop_map(|c| c.into_iter().collect()),
    ]
    .prop_filter("within the v1 limits", |k| {
        k.len() <= 50 && EntryKey::new(k.clone()).is_ok() && Scope::new(k.clone()).is_ok()
    })
}

fn cfg() -> Config {
    Config::new(ApiKey::new("k").unwrap())
}

fn query(r: &http::Request<Vec<u8>>) -> Vec<(String, String)> {
    r.uri()
        .query()
        .unwrap_or("")
        .split('&')
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap();
            (decode_component(k).unwrap(), decode_component(v).unwrap())
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn v1_names_decode_from_the_query_exactly(store in name_strategy(), scope in name_strategy(), key in name_strategy()) {
        let addr = EntryAddress::new(
            UniverseId::from(7),
            DataStoreName::new(store.clone()).unwrap(),
            EntryKey::new(key.clone()).unwrap(),
        )
        .in_scope(Scope::new(scope.clone()).unwrap());
        for req in [
            V1GetEntry::new(addr.clone()).to_request(&cfg()).unwrap(),
            V1DeleteEntry::new(addr.clone()).to_request(&cfg()).unwrap(),
            V1IncrementEntry::new(addr.clone(), 1).to_request(&cfg()).unwrap(),
        ] {
            // Reparse the URI as a server would: the names never leak into the path.
            let uri: http::Uri = req.uri().to_string().parse().unwrap();
            prop_assert!(uri.path().starts_with("/datastores/v1/universes/7/standard-datastores/datastore/entries/entry"));
            let q = query(&req);
            prop_assert_eq!(&q[0], &("datastoreName".to_string(), store.clone()));
            prop_assert_eq!(&q[1], &("entryKey".to_string(), key.clone()));
            prop_assert_eq!(&q[2], &("scope".to_string(), scope.clone()));
        }
    }

    #[test]
    fn the_checksum_is_over_the_bytes_sent(value in any::<String>(), pad in "[ \n\t]{0,3}") {
        let raw = format!("{pad}{}{pad}", serde_json::Value::String(value));
        let req = V1SetEntry::from_json_bytes(
            EntryAddress::new(UniverseId::from(1), DataStoreName::new("d").unwrap(), EntryKey::new("k").unwrap()),
            raw.clone(),
        )
        .to_request(&cfg())
        .unwrap();
        prop_assert_eq!(req.body().as_slice(), raw.as_bytes());
        let header = req.headers()["content-md5"].to_str().unwrap();
        prop_assert_eq!(header, content_md5(raw.as_bytes()));
        prop_assert!(check_content_md5(header, raw.as_bytes()).is_ok());
    }

    #[test]
    fn header_codecs_round_trip(ids in proptest::collection::vec(any::<u64>(), 0..=4), entries in proptest::collection::btree_map("[^\"]{0,8}|\\PC{0,8}", any::<String>(), 0..4)) {
        let users: Vec<UserId> = ids.iter().copied().map(UserId).collect();
        prop_assert_eq!(parse_userids(&render_userids(&users)).unwrap(), users);
        let map: serde_json::Map<String, serde_json::Value> = entries
            .into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect();
        let text = render_attributes(&map);
        prop_assert!(text.is_ascii());
        prop_assert!(http::HeaderValue::from_str(&text).is_ok());
        prop_assert_eq!(parse_attributes(&text).unwrap(), map);
    }

    #[test]
    fn parsing_any_answer_never_panics(
        status in prop_oneof![Just(200u16), Just(204), Just(400), Just(404), Just(429), Just(502), 100u16..600],
        body in proptest::collection::vec(any::<u8>(), 0..64),
        headers in proptest::collection::vec((
            prop_oneof![
                Just("content-md5"),
                Just("roblox-entry-version"),
                Just("roblox-entry-created-time"),
                Just("roblox-entry-version-created-time"),
                Just("roblox-entry-attributes"),
                Just("roblox-entry-userids"),
                Just("retry-after"),
            ],
            proptest::collection::vec(any::<u8>(), 0..40),
        ), 0..5),
    ) {
        let mut b = http::Response::builder().status(status);
        for (k, v) in &headers {
            if let Ok(v) = http::HeaderValue::from_bytes(v) {
                b = b.header(*k, v);
            }
        }
        let Ok(resp) = b.body(body.clone()) else { return Ok(()) };
        let addr = EntryAddress::new(UniverseId::from(1), DataStoreName::new("d").unwrap(), EntryKey::new("k").unwrap());
        let store = OrderedStore::new(UniverseId::from(1), DataStoreName::new("o").unwrap(), Scope::global());
        let id = OrderedEntryId::new("a").unwrap();
        let _ = V1GetEntry::new(addr.clone()).parse(resp.clone());
        let _ = V1IncrementEntry::new(addr.clone(), 1).parse(resp.clone());
        let _ = V1SetEntry::new(addr.clone(), EntryWrite::new(serde_json::json!(1))).parse(resp.clone());
        let _ = V1ListDataStores::new(UniverseId::from(1)).parse(resp.clone());
        let _ = V1ListEntries::new(UniverseId::from(1), DataStoreName::new("d").unwrap()).all_scopes(true).parse(resp.clone());
        let _ = V1ListEntryVersions::new(addr.clone()).parse(resp.clone());
        let _ = V1ListOrderedEntries::new(store.clone()).parse(resp.clone());
        let _ = V1GetOrderedEntry::new(store.clone(), id.clone()).parse(resp.clone());
        let _ = V1DeleteOrderedEntry::new(store, id).parse(resp);
        // The header parsers on their own, with any text.
        for (_, v) in &headers {
            let s = String::from_utf8_lossy(v);
            let _ = parse_userids(&s);
            let _ = parse_attributes(&s);
            let _ = check_content_md5(&s, &body);
        }
    }
}
