//! Nothing from the network may panic the core: `Retry-After` values of any size, error bodies of
//! any shape, pages and models with any JSON, and the machines fed any answers. Bounded cases, so
//! it runs with `cargo test`.

use std::sync::Arc;

use http::Response;
use jiff::Timestamp;
use opencloud_core::*;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,20}".prop_map(Value::String),
        // Strings that look like what the service sends.
        prop_oneof![
            Just("2024-01-01T00:00:00Z".to_string()),
            Just("ACTIVE".to_string()),
            Just("DELETED".to_string()),
            Just("users/1".to_string()),
            Just("universes/1/data-stores/d/entries/k".to_string()),
            Just("3s".to_string()),
            Just("-1s".to_string()),
            Just("99999999999999999999s".to_string()),
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((field_name(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Field names the parsers look for, and some they do not.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "code",
            "message",
            "details",
            "error",
            "errorDetails",
            "datastoreErrorCode",
            "errors",
            "title",
            "status",
            "path",
            "id",
            "value",
            "users",
            "attributes",
            "etag",
            "state",
            "revisionId",
            "revisionCreateTime",
            "createTime",
            "nextPageToken",
            "dataStoreEntries",
            "dataStores",
            "orderedDataStoreEntries",
            "userRestrictions",
            "logs",
            "gameJoinRestriction",
            "duration",
            "startTime",
            "active",
            "moderator",
            "keys",
            "versions",
            "entries",
            "nextPageCursor",
            "lastOperationTime",
        ])
        .prop_map(String::from),
        "[a-zA-Z]{1,8}",
    ]
}

/// `Retry-After` values: every magnitude, in every notation, and garbage.
fn retry_after() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()),
        any::<u128>().prop_map(|n| n.to_string()),
        "[0-9]{1,60}",
        any::<f64>().prop_map(|f| f.to_string()),
        (any::<f64>(), -400i32..400).prop_map(|(m, e)| format!("{m}e{e}")),
        Just("Wed, 21 Oct 2015 07:28:00 GMT".to_string()),
        Just("Fri, 31 Dec 9999 23:59:59 GMT".to_string()),
        Just("Mon, 01 Jan 0001 00:00:00 GMT".to_string()),
        "[ -~]{0,40}",
    ]
}

fn ctx() -> Arc<Context> {
    Arc::new(Context::new(Config::new(ApiKey::new("k").unwrap())).update_attempts(3))
}

fn address() -> EntryAddress {
    EntryAddress::new(
        UniverseId::from(1),
        DataStoreName::new("d").unwrap(),
        EntryKey::new("k").unwrap(),
    )
}

/// Drives a machine with answers from `answers` (cycled); it must finish within `max_steps`
/// without panicking.
fn drive_with<M: Machine>(
    mut m: M,
    answers: &[Result<Response<Vec<u8>>, TransportError>],
    max_steps: usize,
) -> bool {
    let mut now = Timestamp::from_second(1_700_000_000).unwrap();
    let mut event = Event::Start;
    let mut i = 0;
    for _ in 0..max_steps {
        match m.step(event, now, 0.3) {
            Action::Send(_) => {
                let a = &answers[i % answers.len()];
                i += 1;
                event = Event::Response(match a {
                    Ok(r) => {
                        let mut b = Response::builder().status(r.status());
                        for (k, v) in r.headers() {
                            b = b.header(k, v);
                        }
                        Ok(b.body(r.body().clone()).unwrap())
                    }
                    Err(e) => Err(TransportError::new(e.kind, e.message.clone())),
                });
            }
            Action::Sleep(d, _) => {
                // The machine's clock moves as a driver's would; huge sleeps saturate.
                now = now
                    .checked_add(
                        jiff::SignedDuration::try_from(d).unwrap_or(jiff::SignedDuration::MAX),
                    )
                    .unwrap_or(now);
                event = Event::Woke;
            }
            Action::Done(_) => return true,
        }
    }
    false
}

fn answer() -> impl Strategy<Value = Result<Response<Vec<u8>>, TransportError>> {
    prop_oneof![
        (
            prop::sample::select(vec![200u16, 200, 200, 400, 404, 409, 412, 429, 500, 503]),
            any_json(),
            proptest::option::of(retry_after())
        )
            .prop_map(|(status, body, ra)| {
                let mut b = Response::builder().status(status);
                if let Some(ra) = ra
                    && http::HeaderValue::from_str(&ra).is_ok()
                {
                    b = b.header("retry-after", ra);
                }
                Ok(b.body(serde_json::to_vec(&body).unwrap()).unwrap())
            }),
        prop::sample::select(vec![
            TransportErrorKind::Connect,
            TransportErrorKind::Timeout,
            TransportErrorKind::Io,
            TransportErrorKind::Other
        ])
        .prop_map(|k| Err(TransportError::new(k, "fuzz"))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn retry_after_of_any_size_never_panics_and_never_waits_past_the_deadline(v in retry_after(), status in prop::sample::select(vec![429u16, 500, 503])) {
        let now = Timestamp::from_second(1_700_000_000).unwrap();
        if let Some(ra) = RetryAfter::parse(&v) {
            let _ = ra.delay_from(now);
        }
        let outcome = Outcome::Status {
            status: http::StatusCode::from_u16(status).unwrap(),
            retry_after: RetryAfter::parse(&v),
        };
        let policy = RetryPolicy::default();
        let state = RetryState::new(now);
        match policy.decide(&state, RetryClass::Idempotent, &outcome, now, 0.5) {
            Decision::RetryAfter(d) => prop_assert!(d <= policy.max_elapsed.unwrap(), "{v}: {d:?}"),
            Decision::GiveUp(_) => {}
        }
        let no_deadline = RetryPolicy { max_elapsed: None, ..RetryPolicy::default() };
        if let Decision::RetryAfter(d) = no_deadline.decide(&state, RetryClass::Idempotent, &outcome, now, 0.5) {
            prop_assert!(d <= MAX_RETRY_AFTER_WITHOUT_DEADLINE);
        }
    }

    #[test]
    fn error_bodies_of_any_shape_parse(status in 400u16..600, body in any_json(), raw in proptest::collection::vec(any::<u8>(), 0..64)) {
        let e = ServiceError::from_parts(None, http::StatusCode::from_u16(status).unwrap(), Default::default(), &serde_json::to_vec(&body).unwrap());
        let _ = (e.to_string(), format!("{e:?}"), e.retry_after());
        let e = ServiceError::from_parts(None, http::StatusCode::from_u16(status).unwrap(), Default::default(), &raw);
        let err = Error::from(e);
        let _ = (err.to_string(), err.is_already_exists(), err.is_precondition_failed(), err.is_outcome_unknown());
    }

    #[test]
    fn pages_and_models_of_any_json_parse_or_fail_cleanly(body in any_json(), status in prop::sample::select(vec![200u16, 201, 204, 400, 500])) {
        let bytes = serde_json::to_vec(&body).unwrap();
        let resp = || Response::builder().status(status).body(bytes.clone()).unwrap();
        let u = UniverseId::from(1);
        let d = DataStoreName::new("d").unwrap();
        let s = OrderedStore::new(u.clone(), d.clone(), Scope::global());
        let user = UserRestrictionAddress::new(u.clone(), UserId(1));
        let _ = GetEntry::new(address()).parse(resp());
        let _ = ListEntries::new(u.clone(), d.clone()).parse(resp());
        let _ = ListEntryRevisions::new(address()).parse(resp());
        let _ = ListDataStores::new(u.clone()).parse(resp());
        let _ = IncrementEntry::new(address(), 1).parse(resp());
        let _ = GetOrderedEntry::new(s.clone(), OrderedEntryId::new("o").unwrap()).parse(resp());
        let _ = ListOrderedEntries::new(s).parse(resp());
        let _ = GetUserRestriction::new(user).parse(resp());
        let _ = ListUserRestrictions::new(u.clone()).parse(resp());
        let _ = ListUserRestrictionLogs::new(u).parse(resp());
        let _ = serde_json::from_value::<DataStoreEntry>(body.clone()).map(|e| (e.key().to_string(), e.scope().map(str::to_string)));
        let _ = serde_json::from_value::<UserRestriction>(body);
    }

    #[test]
    fn the_update_machine_ends_on_any_answers(answers in proptest::collection::vec(answer(), 1..12)) {
        let done = drive_with(
            Update::new(ctx(), address(), |v: Option<i64>| Change::Write(v.unwrap_or(0).saturating_add(1))),
            &answers,
            10_000,
        );
        prop_assert!(done, "the machine did not finish");
    }

    #[test]
    fn the_settle_machine_ends_on_any_answers(answers in proptest::collection::vec(answer(), 1..12)) {
        let base: DataStoreEntry = serde_json::from_value(serde_json::json!({
            "revisionId": "08DC0000000000AA.0000000001.08DC0000000000AA.01",
            "revisionCreateTime": "2024-01-01T00:00:00Z",
        })).unwrap();
        for base in [Some(base), None] {
            let settle = Settle::new(ctx(), address(), base.clone(), EntryWrite::new(serde_json::json!(1)));
            prop_assert!(drive_with(settle, &answers, 10_000), "the machine did not finish");
            let fingerprint = WriteFingerprint::of_write(&EntryWrite::new(serde_json::json!(1)));
            let settle = Settle::by_fingerprint(ctx(), address(), base, fingerprint);
            prop_assert!(drive_with(settle, &answers, 10_000), "the machine did not finish");
        }
    }

    #[test]
    fn single_calls_and_pages_end_on_any_answers(answers in proptest::collection::vec(answer(), 1..12)) {
        prop_assert!(drive_with(Single::new(ctx(), GetEntry::new(address())), &answers, 1_000));
        prop_assert!(drive_with(Single::new(ctx(), IncrementEntry::new(address(), 1)), &answers, 1_000));
        let mut pager = Pager::new(ListEntries::new(UniverseId::from(1), DataStoreName::new("d").unwrap()));
        for _ in 0..5 {
            prop_assert!(drive_with(NextPage::new(ctx(), &mut pager), &answers, 1_000));
        }
    }
}
