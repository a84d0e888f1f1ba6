//! Properties of the messaging and user-restriction inputs: durations round-trip and their parser
//! never panics, topics always land in one path segment, filters parse back, and no body the
//! service could send makes a parser panic.

use std::time::Duration;

use opencloud_core::wire::{decode_component, match_route};
use opencloud_core::*;
use proptest::prelude::*;

fn duration_strategy() -> impl Strategy<Value = Duration> {
    prop_oneof![
        (0u64..=315_576_000_000).prop_map(Duration::from_secs),
        (0u64..315_576_000_000, 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
        (0u64..315_576_000_000, 0u32..1000).prop_map(|(s, ms)| Duration::new(s, ms * 1_000_000)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn durations_render_and_parse_back(d in duration_strategy()) {
        let rd = RestrictionDuration::try_from(d).unwrap();
        let wire = rd.to_string();
        prop_assert!(wire.ends_with('s'));
        let back = RestrictionDuration::parse(&wire).unwrap();
        prop_assert_eq!(back, rd);
        prop_assert_eq!(back.as_duration(), d);
        // Through serde as well.
        let json = serde_json::to_string(&rd).unwrap();
        prop_assert_eq!(serde_json::from_str::<RestrictionDuration>(&json).unwrap(), rd);
    }

    #[test]
    fn parsed_durations_render_canonically(secs in 0u64..=315_576_000_000, frac in "(\\.[0-9]{1,9})?") {
        let s = format!("{secs}{frac}s");
        if let Ok(d) = RestrictionDuration::parse(&s) {
            // Rendering then parsing is a fixed point, whatever the input's digit count.
            prop_assert_eq!(RestrictionDuration::parse(&d.to_string()).unwrap(), d);
            prop_assert_eq!(d.as_secs(), secs);
        } else {
            prop_assert!(secs == 315_576_000_000, "{s} was refused");
        }
    }

    #[test]
    fn the_duration_parser_never_panics(s in "\\PC{0,40}", t in "[0-9.s+-eE ]{0,30}") {
        for input in [&s, &t] {
            if let Ok(d) = RestrictionDuration::parse(input) {
                prop_assert!(d <= RestrictionDuration::MAX);
                prop_assert_eq!(RestrictionDuration::parse(&d.to_string()).unwrap(), d);
            }
        }
    }

    #[test]
    fn topics_render_to_one_path_segment_that_decodes_to_the_topic(
        topic in proptest::collection::vec(any::<char>(), 1..=80).prop_map(|c| c.into_iter().collect::<String>())
    ) {
        prop_assume!(TopicName::new(topic.clone()).is_ok());
        let cfg = Config::new(ApiKey::new("k").unwrap());
        let req = PublishMessageV1::new(UniverseId::from(9), TopicName::new(topic.clone()).unwrap(), "m")
            .to_request(&cfg)
            .unwrap();
        let uri: http::Uri = req.uri().to_string().parse().unwrap();
        prop_assert_eq!(uri.query(), None);
        let m = match_route(req.method(), uri.path()).unwrap();
        prop_assert_eq!(m.route.id, RouteId::PublishTopicMessageV1);
        prop_assert_eq!(decode_component(m.segments[1]).unwrap(), topic.clone());
        // The v2 form carries it in the body, exactly.
        let v2 = PublishMessage::new(UniverseId::from(9), TopicName::new(topic.clone()).unwrap(), "m")
            .to_request(&cfg)
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(v2.body()).unwrap();
        prop_assert_eq!(body["topic"].as_str().unwrap(), topic.as_str());
    }

    #[test]
    fn log_filters_parse_back(user in proptest::option::of(any::<u64>()), place in proptest::option::of(any::<u64>())) {
        let f = RestrictionLogFilter { user: user.map(UserId), place: place.map(PlaceId::from) };
        match f.render() {
            Some(s) => prop_assert_eq!(RestrictionLogFilter::parse(&s).unwrap(), f),
            None => prop_assert!(user.is_none() && place.is_none()),
        }
    }

    #[test]
    fn the_log_filter_parser_never_panics(s in "\\PC{0,60}", t in "(user|place|==|&&|'|\"|users/|places/|[0-9]| ){0,20}") {
        let _ = RestrictionLogFilter::parse(&s);
        let _ = RestrictionLogFilter::parse(&t);
    }

    #[test]
    fn restriction_parsers_never_panic(body in "\\PC{0,200}", dur in "[0-9.s-]{0,16}", user in "(users/)?[0-9a-z]{0,22}") {
        let addr = UserRestrictionAddress::new(UniverseId::from(1), UserId(2));
        let resp = |b: String| http::Response::builder().status(200).body(b.into_bytes()).unwrap();
        let _ = GetUserRestriction::new(addr).parse(resp(body.clone()));
        let shaped = serde_json::json!({
            "user": user,
            "gameJoinRestriction": {"active": true, "duration": dur, "startTime": "2024-01-01T00:00:00Z"}
        })
        .to_string();
        let _ = GetUserRestriction::new(UserRestrictionAddress::new(UniverseId::from(1), UserId(2))).parse(resp(shaped));
        let logs = serde_json::json!({"logs": [{"user": user, "place": format!("places/{dur}"), "duration": dur}]}).to_string();
        let _ = ListUserRestrictionLogs::new(UniverseId::from(1)).parse(resp(logs));
        let _ = ListUserRestrictions::new(UniverseId::from(1)).parse(resp(body));
    }

    #[test]
    fn end_times_never_overflow(secs in 0u64..=315_576_000_000, start in -377_705_116_800i64..=253_402_300_799) {
        let mut g = GameJoinRestriction::default();
        g.active = true;
        g.start_time = Some(jiff::Timestamp::from_second(start).unwrap());
        g.duration = Some(RestrictionDuration::from_secs(secs).unwrap());
        // Beyond the representable range the end is unknown, never a panic.
        if let Some(end) = g.end_time() {
            prop_assert!(end >= g.start_time.unwrap());
        }
        let _ = g.in_force_at(jiff::Timestamp::UNIX_EPOCH);
    }
}

#[test]
fn message_limits_count_bytes_at_the_boundary() {
    let cfg = Config::new(ApiKey::new("k").unwrap());
    let t = TopicName::new("t").unwrap();
    for (msg, ok) in [
        ("a".repeat(1024), true),
        ("a".repeat(1025), false),
        ("€".repeat(341) + "a", true), // 1,024 bytes
        ("€".repeat(342), false),      // 1,026 bytes, 342 characters
        (String::new(), true),
    ] {
        let r = PublishMessage::new(UniverseId::from(1), t.clone(), msg.clone()).to_request(&cfg);
        assert_eq!(r.is_ok(), ok, "{} bytes", msg.len());
        if let Err(Error::InvalidInput(e)) = r {
            assert_eq!(e.field, "message");
        }
    }
}
