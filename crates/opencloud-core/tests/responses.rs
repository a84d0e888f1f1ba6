//! Parsing responses: the documented examples, every error shape, throttling, gateway pages,
//! malformed bodies and paging edge cases.

use opencloud_core::*;

fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> http::Response<Vec<u8>> {
    let mut b = http::Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(body.as_bytes().to_vec()).unwrap()
}

fn addr() -> EntryAddress {
    EntryAddress::new(
        UniverseId::from(123),
        DataStoreName::new("some-data-store").unwrap(),
        EntryKey::new("some-data-store-entry").unwrap(),
    )
}

#[test]
fn documented_entry_example_parses() {
    let body = r#"{
      "path": "universes/123/data-stores/some-data-store/entries/some-data-store-entry",
      "createTime": "2023-07-05T12:34:56Z",
      "revisionId": "08DC3D3F43F9FCC1.0000000001.08DC3D3F43F9FCC1.01",
      "revisionCreateTime": "2023-07-05T12:34:56.123456Z",
      "state": "ACTIVE",
      "etag": "abc",
      "value": {"coins": 5},
      "id": "some-data-store-entry",
      "users": ["users/123"],
      "attributes": {"schema": 1}
    }"#;
    let e = GetEntry::new(addr()).parse(resp(200, &[], body)).unwrap();
    assert_eq!(e.state, State::Active);
    assert_eq!(e.users, vec![UserId(123)]);
    assert_eq!(e.value.as_ref().unwrap()["coins"], 5);
    assert_eq!(
        e.revision_create_time.unwrap().to_string(),
        "2023-07-05T12:34:56.123456Z"
    );
    #[derive(serde::Deserialize)]
    struct Coins {
        coins: u32,
    }
    assert_eq!(e.value_as::<Coins>().unwrap().coins, 5);
}

#[test]
fn list_pages_parse_sparse_entries_and_tokens() {
    let op = ListEntries::new(UniverseId::from(1), DataStoreName::new("d").unwrap());
    let page = op.parse(resp(200, &[], r#"{"dataStoreEntries":[{"path":"universes/1/data-stores/d/entries/a","id":"a"}],"nextPageToken":"t1"}"#)).unwrap();
    assert_eq!(page.data_store_entries[0].value, None);
    assert_eq!(page.next_page_token(), Some("t1"));
    let empty_with_token = op
        .parse(resp(
            200,
            &[],
            r#"{"dataStoreEntries":[],"nextPageToken":"more"}"#,
        ))
        .unwrap();
    assert!(empty_with_token.items().is_empty());
    assert_eq!(empty_with_token.next_page_token(), Some("more"));
    let end = op.parse(resp(200, &[], r#"{}"#)).unwrap();
    assert_eq!(end.next_page_token(), None);
    let stores = ListDataStores::new(UniverseId::from(1))
        .parse(resp(200, &[], r#"{"dataStores":[{"path":"universes/1/data-stores/a","id":"a","createTime":"2024-01-01T00:00:00Z","state":"DELETED","expireTime":"2024-01-31T00:00:00Z"}],"nextPageToken":""}"#))
        .unwrap();
    assert_eq!(stores.data_stores[0].state, State::Deleted);
    assert!(stores.data_stores[0].expire_time.is_some());
    assert_eq!(stores.next_page_token, None);
    let snap = SnapshotDataStores::new(UniverseId::from(1))
        .parse(resp(
            200,
            &[],
            r#"{"newSnapshotTaken":false,"latestSnapshotTime":"2024-01-01T00:00:00Z"}"#,
        ))
        .unwrap();
    assert!(!snap.new_snapshot_taken);
}

#[test]
fn delete_accepts_empty_and_object_bodies() {
    DeleteEntry::new(addr()).parse(resp(200, &[], "")).unwrap();
    DeleteEntry::new(addr())
        .parse(resp(200, &[], "{}"))
        .unwrap();
}

#[test]
fn every_error_shape_is_read() {
    let get = GetEntry::new(addr());
    let cases = [
        (
            404,
            r#"{"code":"NOT_FOUND","message":"Entry not found."}"#,
            ErrorShape::Code,
            Some("NOT_FOUND"),
            Some("Entry not found."),
            None,
        ),
        (
            401,
            r#"{"errors":[{"code":0,"message":"Invalid API Key"}]}"#,
            ErrorShape::Gateway,
            Some("0"),
            Some("Invalid API Key"),
            None,
        ),
        (
            400,
            r#"{"error":"INVALID_ARGUMENT","message":"Invalid cursor.","errorDetails":[{"errorDetailType":"DatastoreErrorInfo","datastoreErrorCode":"InvalidCursor"}]}"#,
            ErrorShape::V1,
            Some("INVALID_ARGUMENT"),
            Some("Invalid cursor."),
            Some("InvalidCursor"),
        ),
        (
            400,
            r#"{"errors":{"assetId":["The value 'a' is not valid."]},"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"One or more validation errors occurred.","status":400}"#,
            ErrorShape::ProblemDetails,
            None,
            Some("One or more validation errors occurred."),
            None,
        ),
        (
            403,
            r#"{"code":"PERMISSION_DENIED","message":"no","details":[{"x":1}]}"#,
            ErrorShape::Code,
            Some("PERMISSION_DENIED"),
            Some("no"),
            None,
        ),
    ];
    for (status, body, shape, code, message, dcode) in cases {
        let err = get
            .parse(resp(status, &[("x-trace", "t1"), ("x-trace", "t2")], body))
            .unwrap_err();
        assert_eq!(err.status().unwrap().as_u16(), status);
        let s = err.as_service().unwrap();
        assert_eq!(s.shape, shape, "{body}");
        assert_eq!(s.code.as_deref(), code);
        assert_eq!(s.message.as_deref(), message);
        assert_eq!(s.datastore_error_code.as_deref(), dcode);
        assert_eq!(
            s.headers.get_all("x-trace").iter().count(),
            2,
            "every header kept"
        );
        assert_eq!(s.body, body.as_bytes());
        assert_eq!(s.route, Some(RouteId::GetEntry));
        assert!(!err.is_retryable());
    }
    let unknown = get
        .parse(resp(409, &[], r#"{"code":"SOMETHING_NEW","message":"m"}"#))
        .unwrap_err();
    assert_eq!(
        unknown.as_service().unwrap().code.as_deref(),
        Some("SOMETHING_NEW"),
        "unknown codes are kept"
    );
    assert!(
        unknown.to_string().contains("SOMETHING_NEW: m")
            || unknown.to_string().contains("SOMETHING_NEW")
    );
}

#[test]
fn throttling_keeps_status_and_retry_after() {
    let err = GetEntry::new(addr())
        .parse(resp(
            429,
            &[("retry-after", "7")],
            r#"{"code":"RESOURCE_EXHAUSTED","message":"Too many requests"}"#,
        ))
        .unwrap_err();
    assert_eq!(err.status(), Some(http::StatusCode::TOO_MANY_REQUESTS));
    assert!(err.is_retryable());
    assert_eq!(
        err.retry_after(),
        Some(RetryAfter::Delay(std::time::Duration::from_secs(7)))
    );
    let dated = GetEntry::new(addr())
        .parse(resp(
            429,
            &[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")],
            "",
        ))
        .unwrap_err();
    let now: jiff::Timestamp = "2015-10-21T07:27:50Z".parse().unwrap();
    assert_eq!(
        dated.retry_after().unwrap().delay_from(now),
        std::time::Duration::from_secs(10)
    );
}

#[test]
fn html_gateway_errors_are_kept_verbatim() {
    let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    let err = GetEntry::new(addr())
        .parse(resp(502, &[("content-type", "text/html")], html))
        .unwrap_err();
    let s = err.as_service().unwrap();
    assert_eq!(s.shape, ErrorShape::Unstructured);
    assert_eq!(s.body_text(), html);
    assert!(err.is_retryable());
    assert!(err.to_string().contains("502 Bad Gateway"), "{err}");
}

#[test]
fn malformed_success_bodies_keep_bytes_and_field_path() {
    let op = ListEntries::new(UniverseId::from(1), DataStoreName::new("d").unwrap());
    let err = op
        .parse(resp(
            200,
            &[],
            r#"{"dataStoreEntries":[{"id":"a"},{"id":"b","users":["bob"]}]}"#,
        ))
        .unwrap_err();
    let Error::Decode(d) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(d.path, "dataStoreEntries[1].users[0]");
    assert!(d.body.starts_with(b"{\"dataStoreEntries\""));
    let err = op.parse(resp(200, &[], "{not json")).unwrap_err();
    assert!(matches!(err, Error::Decode(_)));
    assert!(!err.is_retryable());
}

#[test]
fn ordered_values_are_integers() {
    let store = OrderedStore::new(
        UniverseId::from(1),
        DataStoreName::new("s").unwrap(),
        Scope::global(),
    );
    let page = ListOrderedEntries::new(store)
        .parse(resp(200, &[], r#"{"orderedDataStoreEntries":[{"path":"p","id":"Ava","value":2.0},{"path":"p","id":"Bo","value":-3}],"nextPageToken":"n"}"#))
        .unwrap();
    assert_eq!(page.ordered_data_store_entries[0].value, 2);
    assert_eq!(page.ordered_data_store_entries[1].value, -3);
}
