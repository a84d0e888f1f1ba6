//! Snapshot of the request every messaging and user-restriction operation builds (method, URI,
//! sorted headers with the key redacted, body), and of the errors invalid input gets before
//! anything is sent. Run with `UPDATE_SNAPSHOTS=1` to accept a deliberate change.

use opencloud_core::*;

fn ts(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

type Built = Result<http::Request<Vec<u8>>, Error>;

fn key() -> IdempotencyKey {
    IdempotencyKey::new(
        "7f0c7a9e-5b0e-4d0c-9a4e-3f7d2b1c9e10",
        ts("2024-06-25T22:56:58.873Z"),
    )
    .unwrap()
}

fn cases() -> Vec<(&'static str, Built)> {
    let cfg = Config::new(ApiKey::new("secret-key-123").unwrap());
    let u = UniverseId::from(5795192361);
    let place = PlaceId::from(18210254887);
    let topic = TopicName::new("shop/updates: ключ").unwrap();
    let user = UserRestrictionAddress::new(u.clone(), UserId(6193495014));
    let in_place = user.clone().in_place(place.clone());
    let ban = RestrictionWrite::ban()
        .duration(RestrictionDuration::from_days(7).unwrap())
        .private_reason("Exploiting: teleport \"fly\" hack")
        .display_reason("Cheating is not allowed.")
        .exclude_alt_accounts(true);
    vec![
        (
            "publish message (v2)",
            PublishMessage::new(u.clone(), topic.clone(), r#"{"sale":true}"#).to_request(&cfg),
        ),
        (
            "publish message (legacy v1), topic percent-encoded in the path",
            PublishMessageV1::new(u.clone(), topic.clone(), "hello").to_request(&cfg),
        ),
        (
            "publish the largest message (1,024 bytes)",
            PublishMessage::new(u.clone(), TopicName::new("t").unwrap(), "é".repeat(512))
                .to_request(&cfg)
                .map(|r| {
                    // Keep the snapshot short: the body is checked by length.
                    let len = r.body().len();
                    r.map(|_| format!("<{len} bytes>").into_bytes())
                }),
        ),
        (
            "list user restrictions",
            ListUserRestrictions::new(u.clone()).to_request(&cfg),
        ),
        (
            "list user restrictions in a place, every option",
            ListUserRestrictions {
                page_token: Some(PageToken::new("tok/1=").unwrap()),
                ..ListUserRestrictions::new(u.clone())
                    .in_place(place.clone())
                    .max_page_size(100)
            }
            .to_request(&cfg),
        ),
        (
            "get user restriction",
            GetUserRestriction::new(user.clone()).to_request(&cfg),
        ),
        (
            "get user restriction in a place",
            GetUserRestriction::new(in_place.clone()).to_request(&cfg),
        ),
        (
            "ban for 7 days, every field",
            UpdateUserRestriction::new(user.clone(), ban.clone(), key()).to_request(&cfg),
        ),
        (
            "permanent ban in a place",
            UpdateUserRestriction::new(in_place.clone(), RestrictionWrite::ban(), key())
                .to_request(&cfg),
        ),
        (
            "unban",
            UpdateUserRestriction::unban(user.clone(), key()).to_request(&cfg),
        ),
        (
            "unban in a place",
            UpdateUserRestriction::unban(in_place.clone(), key()).to_request(&cfg),
        ),
        (
            "list restriction logs",
            ListUserRestrictionLogs::new(u.clone()).to_request(&cfg),
        ),
        (
            "list restriction logs by user and place, every option",
            ListUserRestrictionLogs {
                page_token: Some(PageToken::new("next").unwrap()),
                ..ListUserRestrictionLogs::new(u.clone())
                    .user(UserId(156))
                    .place(PlaceId::from(456))
                    .max_page_size(25)
            }
            .to_request(&cfg),
        ),
        (
            "list restriction logs by user only",
            ListUserRestrictionLogs::new(u.clone())
                .user(UserId(156))
                .to_request(&cfg),
        ),
        (
            "refused: message over 1,024 bytes",
            PublishMessage::new(u.clone(), TopicName::new("t").unwrap(), "x".repeat(1025))
                .to_request(&cfg),
        ),
        (
            "refused: legacy message over 1,024 bytes (multi-byte characters)",
            PublishMessageV1::new(u.clone(), TopicName::new("t").unwrap(), "é".repeat(513))
                .to_request(&cfg),
        ),
        (
            "refused: private reason over 1,000 characters",
            UpdateUserRestriction::new(
                user.clone(),
                RestrictionWrite::ban().private_reason("p".repeat(1001)),
                key(),
            )
            .to_request(&cfg),
        ),
        (
            "refused: display reason over 400 characters",
            UpdateUserRestriction::new(
                user.clone(),
                RestrictionWrite::ban().display_reason("ж".repeat(401)),
                key(),
            )
            .to_request(&cfg),
        ),
        (
            "refused: zero duration",
            UpdateUserRestriction::new(
                user.clone(),
                RestrictionWrite::ban().duration(RestrictionDuration::from_secs(0).unwrap()),
                key(),
            )
            .to_request(&cfg),
        ),
        (
            "refused: sub-second duration",
            UpdateUserRestriction::new(
                user.clone(),
                RestrictionWrite::ban().duration("90.5s".parse().unwrap()),
                key(),
            )
            .to_request(&cfg),
        ),
        (
            "refused: page size 0",
            ListUserRestrictionLogs::new(u.clone())
                .max_page_size(0)
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
                assert_eq!(r.headers()[API_KEY_HEADER], "secret-key-123", "{name}");
                assert!(r.headers()[API_KEY_HEADER].is_sensitive(), "{name}");
                out.push_str(&describe_request(&r));
            }
            Err(e) => out.push_str(&format!("error: {e}\n")),
        }
        out.push('\n');
    }
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/snapshots/experience_requests.snap"
    );
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
fn every_experience_route_is_exercised_by_the_snapshot() {
    let mut seen = std::collections::HashSet::new();
    for (_, req) in cases() {
        if let Ok(r) = req {
            let m = opencloud_core::wire::match_route(r.method(), r.uri().path())
                .expect("built requests match a route");
            seen.insert(m.route.id);
        }
    }
    // The data store routes are covered by requests.rs and v1_requests.rs.
    for id in RouteId::ALL.iter().filter(|id| {
        let t = id.route().template;
        !t.contains("data-stores") && !t.contains("datastores") && !t.contains("DataStores")
    }) {
        assert!(seen.contains(id), "{id:?} has no snapshot case");
    }
}

#[test]
fn operations_address_the_route_of_their_level() {
    let u = UniverseId::from(1);
    let addr = UserRestrictionAddress::new(u.clone(), UserId(2));
    let placed = addr.clone().in_place(PlaceId::from(3));
    assert_eq!(
        GetUserRestriction::new(addr.clone()).route(),
        RouteId::GetUserRestriction
    );
    assert_eq!(
        GetUserRestriction::new(placed.clone()).route(),
        RouteId::GetPlaceUserRestriction
    );
    assert_eq!(
        UpdateUserRestriction::unban(placed.clone(), key()).route(),
        RouteId::UpdatePlaceUserRestriction
    );
    assert_eq!(
        ListUserRestrictions::new(u.clone())
            .in_place(PlaceId::from(3))
            .route(),
        RouteId::ListPlaceUserRestrictions
    );
    assert_eq!(
        placed.resource_path(),
        "universes/1/places/3/user-restrictions/2"
    );
    assert_eq!(addr.resource_path(), "universes/1/user-restrictions/2");
    // Publishing could deliver twice: retried only when it cannot have been applied.
    for id in [
        RouteId::PublishUniverseMessage,
        RouteId::PublishTopicMessageV1,
    ] {
        assert_eq!(id.route().retry, RetryClass::UnappliedOnly, "{id:?}");
        assert_eq!(id.route().scopes, ["universe-messaging-service:publish"]);
    }
    // An update always carries an idempotency key, so it may be retried.
    for id in [
        RouteId::UpdateUserRestriction,
        RouteId::UpdatePlaceUserRestriction,
    ] {
        assert_eq!(id.route().retry, RetryClass::Idempotent, "{id:?}");
        assert_eq!(id.route().scopes, ["universe.user-restriction:write"]);
    }
}

#[test]
fn retried_updates_send_the_same_key_and_first_sent_time() {
    let cfg = Config::new(ApiKey::new("k").unwrap());
    let op = UpdateUserRestriction::new(
        UserRestrictionAddress::new(UniverseId::from(1), UserId(2)),
        RestrictionWrite::ban().duration(RestrictionDuration::from_secs(60).unwrap()),
        key(),
    );
    let first = op.to_request(&cfg).unwrap();
    let again = op.to_request(&cfg).unwrap();
    assert_eq!(first.uri(), again.uri());
    assert_eq!(first.body(), again.body());
    let q = first.uri().query().unwrap();
    assert!(
        q.contains("idempotencyKey.key=7f0c7a9e-5b0e-4d0c-9a4e-3f7d2b1c9e10"),
        "{q}"
    );
    assert!(
        q.contains("idempotencyKey.firstSent=2024-06-25T22%3A56%3A58.873Z"),
        "{q}"
    );
}
