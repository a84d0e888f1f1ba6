//! Parsing legacy v1 responses: the documented examples, the shapes the service really sends
//! where they differ from the schemas, metadata headers, `content-md5` checks, tombstones, every
//! v1 error shape, and malformed answers.

use opencloud_core::wire::content_md5;
use opencloud_core::*;

fn resp(status: u16, headers: &[(&str, &str)], body: &[u8]) -> http::Response<Vec<u8>> {
    let mut b = http::Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(body.to_vec()).unwrap()
}

fn addr() -> EntryAddress {
    EntryAddress::new(
        UniverseId::from(1234),
        DataStoreName::new("Inventory").unwrap(),
        EntryKey::new("user/1").unwrap(),
    )
}

fn store() -> OrderedStore {
    OrderedStore::new(
        UniverseId::from(1234),
        DataStoreName::new("PlayerScores").unwrap(),
        Scope::global(),
    )
}

fn decode_path(e: &Error) -> &str {
    match e {
        Error::Decode(d) => &d.path,
        other => panic!("expected a decode error, got {other:?}"),
    }
}

/// The documented Get Entry answer: the value is the body, the metadata is in headers.
fn documented_get(body: &[u8], md5: &str) -> http::Response<Vec<u8>> {
    resp(
        200,
        &[
            ("content-type", "application/json"),
            ("content-md5", md5),
            (
                "roblox-entry-version",
                "08D9E6A3F2188CFF.0000000001.08D9E6A3F2188CFF.01",
            ),
            (
                "roblox-entry-created-time",
                "2022-02-02T23:30:06.5388799+00:00",
            ),
            (
                "roblox-entry-version-created-time",
                "2022-02-02T23:30:06.5388799+00:00",
            ),
            ("roblox-entry-attributes", r#"{ "myAttribute": "myValue" }"#),
            ("roblox-entry-userids", "[1, 2, 3]"),
        ],
        body,
    )
}

#[test]
fn get_entry_reads_the_body_and_the_metadata_headers_into_one_model() {
    let body = br#"{"gold": 10}"#;
    let e = V1GetEntry::new(addr())
        .parse(documented_get(body, &content_md5(body)))
        .unwrap();
    assert_eq!(e.value.as_ref().unwrap()["gold"], 10);
    assert_eq!(e.id, "user/1");
    assert_eq!(e.key(), "user/1");
    assert_eq!(
        e.path,
        "universes/1234/data-stores/Inventory/entries/user%2F1"
    );
    assert_eq!(e.scope_or_global(), "global");
    assert_eq!(e.state, State::Active);
    assert_eq!(
        e.revision_id.as_deref(),
        Some("08D9E6A3F2188CFF.0000000001.08D9E6A3F2188CFF.01")
    );
    assert_eq!(
        e.create_time.unwrap().to_string(),
        "2022-02-02T23:30:06.5388799Z"
    );
    assert_eq!(e.revision_create_time, e.create_time);
    assert_eq!(e.users, vec![UserId(1), UserId(2), UserId(3)]);
    assert_eq!(e.attributes.as_ref().unwrap()["myAttribute"], "myValue");
    assert_eq!(e.etag, None, "v1 has no etag");
    // The same reading for a version and for an increment's answer.
    let v = V1GetEntryVersion::new(
        addr(),
        RevisionId::new("08D9E6A3F2188CFF.0000000001.08D9E6A3F2188CFF.01").unwrap(),
    )
    .parse(documented_get(body, &content_md5(body)))
    .unwrap();
    assert_eq!(v, e);
    let inc = V1IncrementEntry::new(addr().in_scope(Scope::new("s").unwrap()), 2)
        .parse(resp(200, &[("roblox-entry-userids", "4, 5")], b"12"))
        .unwrap();
    assert_eq!(inc.value, Some(serde_json::json!(12)));
    assert_eq!(
        inc.users,
        vec![UserId(4), UserId(5)],
        "comma-separated form"
    );
    assert_eq!(inc.scope(), Some("s"));
    assert_eq!(inc.attributes, None);
}

#[test]
fn any_json_value_is_an_entry_value() {
    for body in [&b"\"text\""[..], b"null", b"[1,2]", b"-1.5e3", b"true"] {
        let e = V1GetEntry::new(addr()).parse(resp(200, &[], body)).unwrap();
        let want: serde_json::Value = serde_json::from_slice(body).unwrap();
        assert_eq!(e.value, Some(want));
    }
}

#[test]
fn a_content_md5_that_does_not_match_the_body_bytes_is_a_decode_error() {
    let body = br#"{"gold": 10}"#;
    // Checked over the raw bytes: spacing the service sent counts.
    assert!(
        V1GetEntry::new(addr())
            .parse(documented_get(body, &content_md5(body)))
            .is_ok()
    );
    let reserialised = content_md5(br#"{"gold":10}"#);
    let err = V1GetEntry::new(addr())
        .parse(documented_get(body, &reserialised))
        .unwrap_err();
    assert_eq!(decode_path(&err), "content-md5");
    assert!(err.to_string().contains("does not match"), "{err}");
    assert_eq!(err.status(), Some(http::StatusCode::OK));
    if let Error::Decode(d) = &err {
        assert_eq!(d.body, body, "the bytes are kept");
    }
    let err = V1GetEntry::new(addr())
        .parse(documented_get(body, "not base64!"))
        .unwrap_err();
    assert_eq!(decode_path(&err), "content-md5");
    // Increment and get-version answers are checked too.
    let err = V1IncrementEntry::new(addr(), 1)
        .parse(resp(200, &[("content-md5", &content_md5(b"11"))], b"12"))
        .unwrap_err();
    assert_eq!(decode_path(&err), "content-md5");
    // No header: nothing to check.
    assert!(V1GetEntry::new(addr()).parse(resp(200, &[], b"1")).is_ok());
}

#[test]
fn malformed_metadata_names_the_header() {
    for (header, value) in [
        ("roblox-entry-created-time", "yesterday"),
        ("roblox-entry-version-created-time", "2022-02-02"),
        ("roblox-entry-attributes", "[1]"),
        ("roblox-entry-attributes", "{"),
        ("roblox-entry-userids", "[1, x]"),
    ] {
        let err = V1GetEntry::new(addr())
            .parse(resp(200, &[(header, value)], b"1"))
            .unwrap_err();
        assert_eq!(decode_path(&err), header, "{value}");
    }
    let err = V1GetEntry::new(addr())
        .parse(resp(200, &[], b"{not json"))
        .unwrap_err();
    assert_eq!(decode_path(&err), "(body)");
    let err = V1GetEntry::new(addr())
        .parse(resp(200, &[], b""))
        .unwrap_err();
    assert_eq!(decode_path(&err), "(body)");
}

#[test]
fn a_tombstone_reads_as_deleted_on_204_and_as_not_found_on_404() {
    let e = V1GetEntry::new(addr())
        .parse(resp(
            204,
            &[(
                "roblox-entry-version",
                "08D9E6A3F2188CFF.0000000002.08D9E6A3F2188CFF.01",
            )],
            b"",
        ))
        .unwrap();
    assert_eq!(e.state, State::Deleted);
    assert_eq!(e.value, None);
    assert!(e.value_as::<u32>().is_err());
    assert_eq!(
        e.revision_id.as_deref(),
        Some("08D9E6A3F2188CFF.0000000002.08D9E6A3F2188CFF.01")
    );
    let inc = V1IncrementEntry::new(addr(), 1)
        .parse(resp(204, &[], b""))
        .unwrap();
    assert_eq!(inc.state, State::Deleted);
    let err = V1GetEntry::new(addr())
        .parse(resp(
            404,
            &[("content-type", "application/json")],
            br#"{"error":"NOT_FOUND","message":"Entry not found in the datastore.","errorDetails":[{"errorDetailType":"DatastoreErrorInfo","datastoreErrorCode":"EntryNotFound"}]}"#,
        ))
        .unwrap_err();
    assert!(err.is_not_found());
    let s = err.as_service().unwrap();
    assert_eq!(s.shape, ErrorShape::V1);
    assert_eq!(s.code.as_deref(), Some("NOT_FOUND"));
    assert_eq!(s.datastore_error_code.as_deref(), Some("EntryNotFound"));
    assert_eq!(s.route, Some(RouteId::V1GetEntry));
    assert!(err.to_string().contains("EntryNotFound"), "{err}");
}

#[test]
fn set_entry_reads_the_entry_version() {
    let v = V1SetEntry::new(addr(), EntryWrite::new(serde_json::json!(1)))
        .parse(resp(
            200,
            &[("content-type", "text/json")],
            br#"{"version":"08D9E6A3F2188CFF.0000000002.08D9E6A3F2188CFF.01","deleted":false,"contentLength":1,"createdTime":"2022-02-02T23:30:06.5388799Z","objectCreatedTime":"2022-02-02T23:30:06.5388799Z"}"#,
        ))
        .unwrap();
    assert_eq!(v.version, "08D9E6A3F2188CFF.0000000002.08D9E6A3F2188CFF.01");
    assert!(!v.deleted);
    assert_eq!(v.content_length, 1);
    assert!(v.created_time.is_some() && v.object_created_time.is_some());
    // The version feeds straight back as a matchVersion.
    let next = V1SetEntry::new(addr(), EntryWrite::new(serde_json::json!(2)))
        .match_version(RevisionId::new(v.version.clone()).unwrap());
    assert!(
        next.to_request(&Config::new(ApiKey::new("k").unwrap()))
            .is_ok()
    );
    // A failed condition is the service's error, with its code kept.
    let err = V1SetEntry::new(addr(), EntryWrite::new(serde_json::json!(1)))
        .exclusive_create(true)
        .parse(resp(
            409,
            &[],
            br#"{"error":"ABORTED","message":"The entry already exists.","errorDetails":[{"errorDetailType":"DatastoreErrorInfo","datastoreErrorCode":"Unknown"}]}"#,
        ))
        .unwrap_err();
    assert_eq!(err.status(), Some(http::StatusCode::CONFLICT));
    assert_eq!(err.as_service().unwrap().code.as_deref(), Some("ABORTED"));
}

#[test]
fn list_data_stores_reads_the_real_field_and_the_schema_field() {
    // The documented example uses `datastores`, although the schema says `data`.
    let op = V1ListDataStores::new(UniverseId::from(1234));
    let page = op
        .parse(resp(
            200,
            &[],
            br#"{"datastores":[{"name":"PlayerInventory","createdTime":"2022-02-18T22:38:59.9244932Z"},{"name":"Player/Stats","createdTime":null}],"nextPageCursor":"eyJ2ZXJzaW9uIjoxLCJjdXJzb3IiOiIzIyJ9"}"#,
        ))
        .unwrap();
    assert_eq!(page.data_stores.len(), 2);
    assert_eq!(page.data_stores[0].id, "PlayerInventory");
    assert_eq!(
        page.data_stores[0].path,
        "universes/1234/data-stores/PlayerInventory"
    );
    assert_eq!(
        page.data_stores[0].create_time.unwrap().to_string(),
        "2022-02-18T22:38:59.9244932Z"
    );
    assert_eq!(page.data_stores[0].state, State::StateUnspecified);
    assert_eq!(
        page.data_stores[1].path,
        "universes/1234/data-stores/Player%2FStats"
    );
    assert_eq!(
        page.next_page_token(),
        Some("eyJ2ZXJzaW9uIjoxLCJjdXJzb3IiOiIzIyJ9")
    );
    let page = op
        .parse(resp(
            200,
            &[],
            br#"{"data":[{"name":"a"}],"nextPageCursor":""}"#,
        ))
        .unwrap();
    assert_eq!(page.items().len(), 1);
    assert_eq!(page.next_page_token(), None, "an empty cursor is the end");
    let page = op
        .parse(resp(
            200,
            &[],
            br#"{"datastores":null,"nextPageCursor":null}"#,
        ))
        .unwrap();
    assert!(page.items().is_empty());
    let err = op
        .parse(resp(200, &[], br#"{"datastores":[{"createdTime":"x"}]}"#))
        .unwrap_err();
    assert!(decode_path(&err).starts_with("datastores[0]"), "{err}");
}

#[test]
fn list_entries_reads_scope_tagged_keys_and_bare_strings() {
    let op = V1ListEntries::new(
        UniverseId::from(1234),
        DataStoreName::new("Inventory").unwrap(),
    );
    // The historical guide's answer: objects with the scope.
    let page = op
        .parse(resp(
            200,
            &[],
            br#"{"keys":[{"scope":"global","key":"User_2"},{"scope":"season/2","key":"a b"}],"nextPageCursor":""}"#,
        ))
        .unwrap();
    assert_eq!(page.keys[0].id, "User_2");
    assert_eq!(page.keys[0].scope_or_global(), "global");
    assert_eq!(
        page.keys[1].path,
        "universes/1234/data-stores/Inventory/scopes/season%2F2/entries/a%20b"
    );
    assert_eq!(page.next_page_token(), None);
    // The spec's example omits the scope; the schema says strings: the requested scope applies.
    let scoped = op.clone().scope(Scope::new("s").unwrap());
    let page = scoped
        .parse(resp(
            200,
            &[],
            br#"{"keys":[{"key":"269323"},"plain"],"nextPageCursor":"eyJ2ZXJzaW9uIjoxLCJjdXJzb3IiOiIzIyJ9"}"#,
        ))
        .unwrap();
    assert_eq!(page.keys[0].scope(), Some("s"));
    assert_eq!(page.keys[1].id, "plain");
    assert_eq!(page.keys[1].scope(), Some("s"));
    assert!(page.next_page_token().is_some());
    // An all-scopes listing of bare strings reads them as `scope/key`.
    let page = op
        .clone()
        .all_scopes(true)
        .parse(resp(200, &[], br#"{"keys":["global/User_2","alone"]}"#))
        .unwrap();
    assert_eq!(page.keys[0].id, "User_2");
    assert_eq!(page.keys[0].scope_or_global(), "global");
    assert_eq!(page.keys[1].id, "alone");
    assert_eq!(page.keys[1].scope_or_global(), "global");
    let err = op
        .parse(resp(200, &[], br#"{"keys":[{"scope":"global"}]}"#))
        .unwrap_err();
    assert!(decode_path(&err).starts_with("keys"), "{err}");
}

#[test]
fn list_versions_reads_a_page_not_the_schemas_single_version() {
    let page = V1ListEntryVersions::new(addr())
        .parse(resp(
            200,
            &[("content-type", "text/json")],
            br#"{"versions":[
                {"version":"08D9E6A3F2188CFF.0000000001.08D9E6A3F2188CFF.01","deleted":false,"contentLength":12,"createdTime":"2022-02-02T23:30:06.5388799Z","objectCreatedTime":"2022-02-02T23:30:06.5388799Z"},
                {"version":"08D9E6A3F2188CFF.0000000002.08D9E6A3F2188CFF.01","deleted":true,"contentLength":0,"createdTime":"2022-02-03T00:00:00Z","objectCreatedTime":"2022-02-02T23:30:06.5388799Z"}
            ],"nextPageCursor":"next"}"#,
        ))
        .unwrap();
    assert_eq!(page.versions.len(), 2);
    assert!(page.versions[1].deleted);
    assert_eq!(page.versions[0].content_length, 12);
    assert_eq!(page.next_page_token(), Some("next"));
    let end = V1ListEntryVersions::new(addr())
        .parse(resp(200, &[], br#"{"versions":[]}"#))
        .unwrap();
    assert_eq!(end.next_page_token(), None);
}

#[test]
fn ordered_v1_reads_int64_values_exactly() {
    let page = V1ListOrderedEntries::new(store())
        .parse(resp(
            200,
            &[],
            br#"{"entries":[
                {"path":"universes/1234/orderedDataStores/PlayerScores/scopes/global/entries/Ava","id":"Ava","value":9223372036854775807},
                {"path":"p","id":"Bo","value":"-42"}
            ],"nextPageToken":"t2"}"#,
        ))
        .unwrap();
    assert_eq!(page.entries[0].value, i64::MAX);
    assert_eq!(page.entries[1].value, -42);
    assert_eq!(page.next_page_token(), Some("t2"));
    let end = V1ListOrderedEntries::new(store())
        .parse(resp(200, &[], br#"{"entries":[]}"#))
        .unwrap();
    assert_eq!(end.next_page_token(), None, "an omitted token is the end");
    let id = OrderedEntryId::new("Ava").unwrap();
    let one = br#"{"path":"p","id":"Ava","value":5}"#;
    assert_eq!(
        V1GetOrderedEntry::new(store(), id.clone())
            .parse(resp(200, &[], one))
            .unwrap()
            .value,
        5
    );
    for e in [
        V1CreateOrderedEntry::new(store(), id.clone(), 5)
            .parse(resp(200, &[], one))
            .unwrap(),
        V1UpdateOrderedEntry::new(store(), id.clone(), 5)
            .parse(resp(200, &[], one))
            .unwrap(),
        V1IncrementOrderedEntry::new(store(), id.clone(), 5)
            .parse(resp(200, &[], one))
            .unwrap(),
    ] {
        assert_eq!((e.id.as_str(), e.value), ("Ava", 5));
    }
    // A value the int64 type cannot hold is an error, not a rounding.
    let err = V1GetOrderedEntry::new(store(), id.clone())
        .parse(resp(200, &[], br#"{"id":"Ava","value":1.5}"#))
        .unwrap_err();
    assert_eq!(decode_path(&err), "value");
    // Delete answers 200 with no body, even for an entry that did not exist.
    V1DeleteOrderedEntry::new(store(), id.clone())
        .parse(resp(200, &[], b""))
        .unwrap();
    V1DeleteEntry::new(addr())
        .parse(resp(204, &[], b""))
        .unwrap();
}

#[test]
fn every_v1_error_shape_keeps_its_code_message_and_status() {
    let id = OrderedEntryId::new("Ava").unwrap();
    // Ordered v1: {"code", "message"}.
    let err = V1UpdateOrderedEntry::new(store(), id.clone(), 1)
        .parse(resp(
            409,
            &[],
            br#"{"code":"ABORTED","message":"Aborted."}"#,
        ))
        .unwrap_err();
    let s = err.as_service().unwrap();
    assert_eq!(s.shape, ErrorShape::Code);
    assert_eq!(
        (s.code.as_deref(), s.message.as_deref()),
        (Some("ABORTED"), Some("Aborted."))
    );
    assert_eq!(s.route, Some(RouteId::V1UpdateOrderedEntry));
    // Standard v1: {"error", "message", "errorDetails"}.
    let err = V1ListEntries::new(UniverseId::from(1), DataStoreName::new("d").unwrap())
        .parse(resp(
            400,
            &[],
            br#"{"error":"INVALID_ARGUMENT","message":"Invalid cursor.","errorDetails":[{"errorDetailType":"DatastoreErrorInfo","datastoreErrorCode":"InvalidCursor"}]}"#,
        ))
        .unwrap_err();
    let s = err.as_service().unwrap();
    assert_eq!(s.shape, ErrorShape::V1);
    assert_eq!(s.datastore_error_code.as_deref(), Some("InvalidCursor"));
    assert_eq!(s.message.as_deref(), Some("Invalid cursor."));
    assert!(!err.is_retryable());
    // ASP.NET problem details.
    let err = V1GetEntry::new(addr())
        .parse(resp(
            400,
            &[],
            br#"{"errors":{"universeId":["The value 'a' is not valid."]},"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"One or more validation errors occurred.","status":400,"extensions":{"traceId":"00-1"}}"#,
        ))
        .unwrap_err();
    let s = err.as_service().unwrap();
    assert_eq!(s.shape, ErrorShape::ProblemDetails);
    assert_eq!(
        s.message.as_deref(),
        Some("One or more validation errors occurred.")
    );
    assert_eq!(s.details[0]["universeId"][0], "The value 'a' is not valid.");
    // Every field's message is kept, and shown.
    assert_eq!(
        s.field_errors(),
        [(
            "universeId".to_string(),
            "The value 'a' is not valid.".to_string()
        )]
    );
    assert!(
        err.to_string().contains(
            "One or more validation errors occurred. (universeId: The value 'a' is not valid.)"
        ),
        "{err}"
    );
    // The gateway's 401.
    let err = V1GetEntry::new(addr())
        .parse(resp(
            401,
            &[],
            br#"{"errors":[{"code":0,"message":"Invalid API Key"}]}"#,
        ))
        .unwrap_err();
    assert_eq!(err.as_service().unwrap().shape, ErrorShape::Gateway);
    // Throttling: status and Retry-After are kept.
    let err = V1SetEntry::new(addr(), EntryWrite::new(serde_json::json!(1)))
        .parse(resp(
            429,
            &[("retry-after", "30")],
            br#"{"error":"RESOURCE_EXHAUSTED","message":"Too many requests.","errorDetails":[{"errorDetailType":"DatastoreErrorInfo","datastoreErrorCode":"TooManyRequests"}]}"#,
        ))
        .unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(
        err.retry_after(),
        Some(RetryAfter::Delay(std::time::Duration::from_secs(30)))
    );
    // An HTML 502 from a proxy.
    let err = V1ListOrderedEntries::new(store())
        .parse(resp(
            502,
            &[("content-type", "text/html")],
            b"<html>Bad Gateway</html>",
        ))
        .unwrap_err();
    assert_eq!(err.as_service().unwrap().shape, ErrorShape::Unstructured);
    assert!(err.is_retryable());
}
