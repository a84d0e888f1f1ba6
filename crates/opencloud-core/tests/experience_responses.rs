//! Parsing messaging and user-restriction responses: the documented examples, sparse and null
//! fields, the moderator kinds, malformed durations, error shapes, and paging with the core
//! `Pager`.

use opencloud_core::*;

fn resp(status: u16, body: &str) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(status)
        .body(body.as_bytes().to_vec())
        .unwrap()
}

fn ts(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

fn addr() -> UserRestrictionAddress {
    UserRestrictionAddress::new(UniverseId::from(5795192361), UserId(6193495014))
}

#[test]
fn documented_restriction_example_parses() {
    let body = r#"{
      "path": "universes/5795192361/places/18210254887/user-restrictions/6193495014",
      "updateTime": "2024-06-25T22:56:59Z",
      "user": "users/6193495014",
      "gameJoinRestriction": {
        "active": true,
        "startTime": "2024-06-25T22:56:58.873Z",
        "duration": "31540000s",
        "privateReason": "some private reason",
        "displayReason": "some display reason",
        "excludeAltAccounts": false,
        "inherited": false
      }
    }"#;
    let r = GetUserRestriction::new(addr().in_place(PlaceId::from(18210254887)))
        .parse(resp(200, body))
        .unwrap();
    assert_eq!(r.user, Some(UserId(6193495014)));
    assert_eq!(r.user_id(), Some(UserId(6193495014)));
    assert_eq!(r.place(), Some("18210254887"));
    assert!(r.is_active());
    let g = r.game_join_restriction.as_ref().unwrap();
    assert_eq!(g.duration.unwrap().as_secs(), 31_540_000);
    assert_eq!(g.private_reason, "some private reason");
    assert_eq!(g.display_reason, "some display reason");
    assert_eq!(g.start_time, Some(ts("2024-06-25T22:56:58.873Z")));
    assert_eq!(g.end_time(), Some(ts("2025-06-26T00:03:38.873Z")));
    assert!(g.in_force_at(ts("2025-01-01T00:00:00Z")));
    assert!(
        !g.in_force_at(ts("2025-06-26T00:03:38.873Z")),
        "ends at the end time"
    );
    // Serializing gives back the wire names.
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["gameJoinRestriction"]["duration"], "31540000s");
    assert_eq!(v["user"], "users/6193495014");
}

#[test]
fn sparse_and_null_fields_read_as_defaults() {
    // A user never banned: the service answers an inactive restriction with few fields.
    let r = GetUserRestriction::new(addr())
        .parse(resp(
            200,
            r#"{"path":"universes/5795192361/user-restrictions/6193495014","gameJoinRestriction":{"active":false,"duration":null,"privateReason":null,"inherited":null}}"#,
        ))
        .unwrap();
    assert_eq!(r.user, None);
    assert_eq!(r.user_id(), Some(UserId(6193495014)), "read from the path");
    assert_eq!(r.place(), None);
    assert!(!r.is_active());
    let g = r.game_join_restriction.unwrap();
    assert_eq!(g.duration, None);
    assert_eq!(g.private_reason, "");
    assert!(!g.inherited);
    assert_eq!(g.end_time(), None);
    // A permanent ban never ends.
    let mut permanent = GameJoinRestriction::default();
    permanent.active = true;
    permanent.start_time = Some(ts("2024-01-01T00:00:00Z"));
    assert!(permanent.in_force_at(ts("2999-01-01T00:00:00Z")));
    let empty = GetUserRestriction::new(addr())
        .parse(resp(200, "{}"))
        .unwrap();
    assert_eq!(empty, UserRestriction::default());
}

#[test]
fn malformed_bodies_are_decode_errors_with_the_field_path() {
    for (body, path) in [
        (
            r#"{"gameJoinRestriction":{"duration":"3 days"}}"#,
            "gameJoinRestriction.duration",
        ),
        (
            r#"{"gameJoinRestriction":{"duration":"-5s"}}"#,
            "gameJoinRestriction.duration",
        ),
        (r#"{"user":"groups/1"}"#, "user"),
        (r#"{"updateTime":"yesterday"}"#, "updateTime"),
    ] {
        let e = GetUserRestriction::new(addr())
            .parse(resp(200, body))
            .unwrap_err();
        let Error::Decode(d) = e else {
            panic!("{body}: {e:?}")
        };
        assert_eq!(d.path, path, "{body}");
        assert_eq!(d.route, RouteId::GetUserRestriction);
        assert_eq!(d.body, body.as_bytes());
    }
    let e = ListUserRestrictionLogs::new(UniverseId::from(1))
        .parse(resp(200, r#"{"logs":[{"place":"universes/1"}]}"#))
        .unwrap_err();
    let Error::Decode(d) = e else { panic!() };
    assert_eq!(d.path, "logs[0].place");
    assert!(
        ListUserRestrictions::new(UniverseId::from(1))
            .parse(resp(200, "<html>"))
            .is_err()
    );
}

#[test]
fn logs_parse_moderators_places_and_restriction_types() {
    let body = r#"{
      "logs": [
        {
          "user": "users/156",
          "place": "places/456",
          "moderator": {"robloxUser": "users/156"},
          "createTime": "2023-07-05T12:34:56Z",
          "active": true,
          "startTime": "2023-07-05T12:34:56Z",
          "duration": "3s",
          "privateReason": "some private reason",
          "displayReason": "some display reason",
          "restrictionType": {"gameJoinRestriction": {}},
          "excludeAltAccounts": true
        },
        {"user": "users/157", "place": "", "moderator": {"gameServerScript": {}}, "active": false},
        {"user": "users/158", "moderator": {"somethingNew": {"x": 1}}, "restrictionType": {"chat": {}}}
      ],
      "nextPageToken": "p2"
    }"#;
    let page = ListUserRestrictionLogs::new(UniverseId::from(1))
        .parse(resp(200, body))
        .unwrap();
    assert_eq!(page.next_page_token(), Some("p2"));
    let [a, b, c] = &page.logs[..] else {
        panic!("{page:?}")
    };
    assert_eq!(a.user, Some(UserId(156)));
    assert_eq!(a.place, Some(PlaceId::from(456)));
    assert_eq!(a.moderator, Some(Moderator::RobloxUser(UserId(156))));
    assert_eq!(a.duration.unwrap().as_secs(), 3);
    assert_eq!(
        a.restriction_type,
        Some(RestrictionType::GameJoinRestriction)
    );
    assert!(a.exclude_alt_accounts);
    assert_eq!(b.place, None, "universe-level changes have an empty place");
    assert_eq!(b.moderator, Some(Moderator::GameServerScript));
    assert!(matches!(c.moderator, Some(Moderator::Unknown(_))));
    assert!(matches!(
        c.restriction_type,
        Some(RestrictionType::Unknown(_))
    ));
    // Written back, the wire form is kept.
    let v = serde_json::to_value(a).unwrap();
    assert_eq!(v["place"], "places/456");
    assert_eq!(v["moderator"]["robloxUser"], "users/156");
    assert_eq!(
        v["restrictionType"],
        serde_json::json!({"gameJoinRestriction": {}})
    );
}

#[test]
fn publishing_accepts_any_success_and_reads_errors() {
    let u = UniverseId::from(1);
    let t = TopicName::new("news").unwrap();
    let v2 = PublishMessage::new(u.clone(), t.clone(), "hi");
    let v1 = PublishMessageV1::new(u, t, "hi");
    v2.parse(resp(200, "")).unwrap();
    v2.parse(resp(200, "{}")).unwrap();
    v1.parse(resp(200, "")).unwrap();
    let e = v2
        .parse(resp(
            403,
            r#"{"code":"PERMISSION_DENIED","message":"Publishing is not allowed on this experience."}"#,
        ))
        .unwrap_err();
    let s = e.as_service().unwrap();
    assert_eq!(s.code.as_deref(), Some("PERMISSION_DENIED"));
    assert_eq!(s.route, Some(RouteId::PublishUniverseMessage));
    let e = v1
        .parse(resp(
            401,
            r#"{"errors":[{"code":0,"message":"Invalid API Key"}]}"#,
        ))
        .unwrap_err();
    assert_eq!(e.as_service().unwrap().shape, ErrorShape::Gateway);
    assert_eq!(e.status(), Some(http::StatusCode::UNAUTHORIZED));
    let throttled = http::Response::builder()
        .status(429)
        .header("retry-after", "30")
        .body(br#"{"code":"RESOURCE_EXHAUSTED","message":"Too many requests."}"#.to_vec())
        .unwrap();
    let e = UpdateUserRestriction::unban(
        addr(),
        IdempotencyKey::new("k1", ts("2024-01-01T00:00:00Z")).unwrap(),
    )
    .parse(throttled)
    .unwrap_err();
    assert!(e.is_retryable());
    assert_eq!(
        e.retry_after(),
        Some(RetryAfter::Delay(std::time::Duration::from_secs(30)))
    );
}

#[test]
fn the_pager_drives_restriction_lists_through_empty_pages_to_the_end() {
    let op = ListUserRestrictions::new(UniverseId::from(1))
        .in_place(PlaceId::from(2))
        .max_page_size(2);
    let mut pager = Pager::new(op);
    let pages = [
        r#"{"userRestrictions":[{"path":"universes/1/places/2/user-restrictions/10"},{"path":"universes/1/places/2/user-restrictions/11"}],"nextPageToken":"a"}"#,
        r#"{"userRestrictions":[],"nextPageToken":"b"}"#,
        r#"{"userRestrictions":null,"nextPageToken":""}"#,
    ];
    let mut users = Vec::new();
    let mut tokens = Vec::new();
    for body in pages {
        let op = pager.next_op().expect("another page");
        tokens.push(op.page_token.as_ref().map(|t| t.as_str().to_string()));
        assert_eq!(op.place, Some(PlaceId::from(2)), "the query stays frozen");
        assert_eq!(op.max_page_size, Some(2));
        let page = op.parse(resp(200, body)).unwrap();
        users.extend(page.items().iter().filter_map(|r| r.user_id()));
        pager.on_page(&page);
    }
    assert!(pager.next_op().is_none());
    assert_eq!(pager.end(), Some(PagerEnd::Complete));
    assert_eq!(users, [UserId(10), UserId(11)]);
    assert_eq!(tokens, [None, Some("a".to_string()), Some("b".to_string())]);

    // Logs: a repeated token stops the pager instead of looping, and the filter stays put.
    let mut logs = Pager::new(ListUserRestrictionLogs::new(UniverseId::from(1)).user(UserId(5)));
    for _ in 0..2 {
        let op = logs.next_op().unwrap();
        assert_eq!(op.filter.user, Some(UserId(5)));
        let page = op
            .parse(resp(
                200,
                r#"{"logs":[{"user":"users/5"}],"nextPageToken":"same"}"#,
            ))
            .unwrap();
        logs.on_page(&page);
    }
    assert_eq!(logs.end(), Some(PagerEnd::RepeatedToken));
}
