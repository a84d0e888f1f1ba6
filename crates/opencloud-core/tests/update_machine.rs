//! The read-modify-write machine, driven by scripted answers: which requests it sends, when it
//! runs the change again, and how it settles a write whose answer was lost.

use std::cell::Cell;
use std::sync::Arc;

use http::{Method, Response};
use jiff::Timestamp;
use opencloud_core::*;
use serde_json::{Value, json};

fn ctx() -> Arc<Context> {
    Arc::new(
        Context::new(Config::new(ApiKey::new("k").unwrap()))
            .retry(RetryPolicy::never())
            .update_attempts(5),
    )
}

fn address() -> EntryAddress {
    EntryAddress::new(
        UniverseId::from(1),
        DataStoreName::new("d").unwrap(),
        EntryKey::new("k").unwrap(),
    )
}

fn json_response(status: u16, body: Value) -> Response<Vec<u8>> {
    Response::builder()
        .status(status)
        .body(serde_json::to_vec(&body).unwrap())
        .unwrap()
}

fn entry(rev: &str, secs: i64, value: Value) -> Value {
    json!({
        "path": "universes/1/data-stores/d/entries/k",
        "id": "k",
        "revisionId": rev,
        "revisionCreateTime": Timestamp::from_second(secs).unwrap().to_string(),
        "etag": format!("etag-{rev}"),
        "state": "ACTIVE",
        "value": value,
    })
}

fn revision(rev: &str, secs: i64, state: &str) -> Value {
    json!({
        "path": format!("universes/1/data-stores/d/entries/k@{rev}"),
        "id": format!("k@{rev}"),
        "revisionId": rev,
        "revisionCreateTime": Timestamp::from_second(secs).unwrap().to_string(),
        "state": state,
    })
}

/// One scripted exchange: what the machine must send, and the answer it gets.
struct Expect {
    method: Method,
    uri_contains: &'static str,
    answer: Result<Response<Vec<u8>>, TransportError>,
}

fn expect(
    method: Method,
    uri_contains: &'static str,
    answer: Result<Response<Vec<u8>>, TransportError>,
) -> Expect {
    Expect {
        method,
        uri_contains,
        answer,
    }
}

/// Drives `machine` through the script; returns its result and the bodies it sent.
fn drive<M: Machine>(
    mut machine: M,
    script: Vec<Expect>,
) -> (Result<M::Output, Error>, Vec<Value>) {
    let mut script = script.into_iter();
    let mut now = Timestamp::from_second(1_000_000).unwrap();
    let mut event = Event::Start;
    let mut bodies = Vec::new();
    loop {
        match machine.step(event, now, 0.5) {
            Action::Send(out) => {
                let want = script
                    .next()
                    .unwrap_or_else(|| panic!("unexpected request {:?}", out.request.uri()));
                assert_eq!(out.request.method(), want.method, "{}", out.request.uri());
                assert!(
                    out.request.uri().to_string().contains(want.uri_contains),
                    "{} does not contain {}",
                    out.request.uri(),
                    want.uri_contains
                );
                if !out.request.body().is_empty() {
                    bodies.push(serde_json::from_slice(out.request.body()).unwrap());
                }
                event = Event::Response(want.answer);
            }
            Action::Sleep(d, _) => {
                now += jiff::SignedDuration::try_from(d).unwrap();
                event = Event::Woke;
            }
            Action::Done(r) => {
                assert!(script.next().is_none(), "script not used up");
                return (r, bodies);
            }
        }
    }
}

fn add_one(calls: &Cell<u32>) -> impl FnMut(Option<i64>) -> Change<i64> + '_ {
    move |v| {
        calls.set(calls.get() + 1);
        Change::Write(v.unwrap_or(0) + 1)
    }
}

fn lost() -> Result<Response<Vec<u8>>, TransportError> {
    Ok(json_response(
        500,
        json!({"code": "INTERNAL", "message": "lost"}),
    ))
}

#[test]
fn a_round_reads_then_writes_guarded_by_the_etag() {
    let calls = Cell::new(0);
    let (r, bodies) = drive(
        Update::new(ctx(), address(), add_one(&calls)),
        vec![
            expect(
                Method::GET,
                "/entries/k",
                Ok(json_response(200, entry("r1", 10, json!(10)))),
            ),
            expect(
                Method::PATCH,
                "/entries/k",
                Ok(json_response(200, entry("r2", 11, json!(11)))),
            ),
        ],
    );
    assert_eq!(
        r.unwrap(),
        Updated::Written(serde_json::from_value(entry("r2", 11, json!(11))).unwrap())
    );
    assert_eq!(bodies[0]["etag"], "etag-r1");
    assert_eq!(bodies[0]["value"], 11);
    assert_eq!(calls.get(), 1);
}

#[test]
fn a_stale_etag_reads_again_and_reapplies() {
    let calls = Cell::new(0);
    let (r, _) = drive(
        Update::new(ctx(), address(), add_one(&calls)),
        vec![
            expect(
                Method::GET,
                "/entries/k",
                Ok(json_response(200, entry("r1", 10, json!(10)))),
            ),
            expect(
                Method::PATCH,
                "/entries/k",
                Ok(json_response(409, json!({"code": "ABORTED"}))),
            ),
            expect(
                Method::GET,
                "/entries/k",
                Ok(json_response(200, entry("r2", 11, json!(20)))),
            ),
            expect(
                Method::PATCH,
                "/entries/k",
                Ok(json_response(200, entry("r3", 12, json!(21)))),
            ),
        ],
    );
    assert!(r.unwrap().was_written());
    assert_eq!(calls.get(), 2);
}

#[test]
fn a_lost_answer_whose_write_landed_is_a_success_and_the_change_runs_once() {
    let calls = Cell::new(0);
    let (r, bodies) = drive(
        Update::new(ctx(), address(), add_one(&calls)),
        vec![
            expect(
                Method::GET,
                "/entries/k",
                Ok(json_response(200, entry("r1", 10, json!(10)))),
            ),
            expect(Method::PATCH, "/entries/k", lost()),
            // The history after the base names one successor...
            expect(
                Method::GET,
                ":listRevisions",
                Ok(json_response(
                    200,
                    json!({"dataStoreEntries": [revision("r2", 11, "ACTIVE"), revision("r1", 10, "ACTIVE")]}),
                )),
            ),
            // ...which holds exactly what was sent.
            expect(
                Method::GET,
                "/entries/k@r2",
                Ok(json_response(200, entry("r2", 11, json!(11)))),
            ),
        ],
    );
    let Updated::Written(e) = r.unwrap() else {
        panic!()
    };
    assert_eq!(e.revision_id.as_deref(), Some("r2"));
    assert_eq!(calls.get(), 1, "the change must not run twice");
    assert_eq!(bodies.len(), 1, "one write only");
}

#[test]
fn a_lost_answer_followed_by_another_writer_runs_a_new_round() {
    let calls = Cell::new(0);
    let (r, bodies) = drive(
        Update::new(ctx(), address(), add_one(&calls)),
        vec![
            expect(
                Method::GET,
                "/entries/k",
                Ok(json_response(200, entry("r1", 10, json!(10)))),
            ),
            expect(
                Method::PATCH,
                "/entries/k",
                Err(TransportError::new(TransportErrorKind::Io, "reset")),
            ),
            expect(
                Method::GET,
                ":listRevisions",
                Ok(json_response(
                    200,
                    json!({"dataStoreEntries": [revision("r1", 10, "ACTIVE"), revision("r2", 11, "ACTIVE")]}),
                )),
            ),
            expect(
                Method::GET,
                "/entries/k@r2",
                Ok(json_response(200, entry("r2", 11, json!(50)))),
            ),
            expect(
                Method::GET,
                "/entries/k",
                Ok(json_response(200, entry("r2", 11, json!(50)))),
            ),
            expect(
                Method::PATCH,
                "/entries/k",
                Ok(json_response(200, entry("r3", 12, json!(51)))),
            ),
        ],
    );
    assert!(r.unwrap().was_written());
    assert_eq!(calls.get(), 2);
    assert_eq!(bodies[1]["value"], 51);
    assert_eq!(bodies[1]["etag"], "etag-r2");
}

#[test]
fn a_lost_answer_with_nothing_after_the_base_writes_again_without_reading() {
    let calls = Cell::new(0);
    let (r, bodies) = drive(
        Update::new(ctx(), address(), add_one(&calls)),
        vec![
            expect(
                Method::GET,
                "/entries/k",
                Ok(json_response(200, entry("r1", 10, json!(10)))),
            ),
            expect(
                Method::PATCH,
                "/entries/k",
                Err(TransportError::new(TransportErrorKind::Timeout, "slow")),
            ),
            expect(
                Method::GET,
                ":listRevisions",
                Ok(json_response(
                    200,
                    json!({"dataStoreEntries": [revision("r1", 10, "ACTIVE")]}),
                )),
            ),
            expect(
                Method::PATCH,
                "/entries/k",
                Ok(json_response(200, entry("r2", 11, json!(11)))),
            ),
        ],
    );
    assert!(r.unwrap().was_written());
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[1]["etag"], "etag-r1", "the same base");
    assert_eq!(calls.get(), 2);
}

#[test]
fn a_history_that_cannot_answer_reports_the_outcome_unknown() {
    let calls = Cell::new(0);
    let (r, _) = drive(
        Update::new(ctx(), address(), add_one(&calls)),
        vec![
            expect(
                Method::GET,
                "/entries/k",
                Ok(json_response(200, entry("r1", 10, json!(10)))),
            ),
            expect(Method::PATCH, "/entries/k", lost()),
            expect(Method::GET, ":listRevisions", lost()),
        ],
    );
    let e = r.unwrap_err();
    assert!(matches!(e, Error::OutcomeUnknown { .. }), "{e:?}");
    assert!(e.is_outcome_unknown());
    assert_eq!(e.status().map(|s| s.as_u16()), None);
    assert!(e.to_string().contains("may have been applied"), "{e}");
    assert_eq!(calls.get(), 1);
}

#[test]
fn a_lost_create_that_landed_is_found_in_the_revisions_of_the_current_life() {
    let calls = Cell::new(0);
    let (r, _) = drive(
        Update::new(ctx(), address(), add_one(&calls)),
        vec![
            expect(
                Method::GET,
                "/entries/k",
                Ok(json_response(404, json!({"code": "NOT_FOUND"}))),
            ),
            expect(Method::POST, "/entries?id=k", lost()),
            expect(
                Method::GET,
                "/entries/k",
                Ok(json_response(200, entry("r9", 30, json!(1)))),
            ),
            // An older life of the key, deleted, then the create.
            expect(
                Method::GET,
                ":listRevisions",
                Ok(json_response(
                    200,
                    json!({"dataStoreEntries": [
                        revision("r1", 10, "ACTIVE"), revision("r2", 20, "DELETED"), revision("r9", 30, "ACTIVE")
                    ]}),
                )),
            ),
            expect(
                Method::GET,
                "/entries/k@r9",
                Ok(json_response(200, entry("r9", 30, json!(1)))),
            ),
        ],
    );
    assert!(r.unwrap().was_written());
    assert_eq!(calls.get(), 1);
}

#[test]
fn keep_writes_nothing_and_abort_returns_the_callers_error() {
    let (r, bodies) = drive(
        Update::new(ctx(), address(), |_: Option<i64>| Change::Keep),
        vec![expect(
            Method::GET,
            "/entries/k",
            Ok(json_response(200, entry("r1", 10, json!(10)))),
        )],
    );
    assert!(matches!(r.unwrap(), Updated::Kept(Some(_))));
    assert!(bodies.is_empty());
    let (r, _) = drive(
        Update::new(ctx(), address(), |_: Option<i64>| Change::abort("no funds")),
        vec![expect(
            Method::GET,
            "/entries/k",
            Ok(json_response(200, entry("r1", 10, json!(10)))),
        )],
    );
    let e = r.unwrap_err();
    assert!(matches!(e, Error::Aborted(_)));
    assert!(e.to_string().contains("no funds"));
}

#[test]
fn conflicts_end_after_the_last_round() {
    let calls = Cell::new(0);
    let mut script = Vec::new();
    for _ in 0..5 {
        script.push(expect(
            Method::GET,
            "/entries/k",
            Ok(json_response(200, entry("r1", 10, json!(10)))),
        ));
        script.push(expect(
            Method::PATCH,
            "/entries/k",
            Ok(json_response(409, json!({"code": "ABORTED"}))),
        ));
    }
    let (r, _) = drive(Update::new(ctx(), address(), add_one(&calls)), script);
    assert!(matches!(
        r.unwrap_err(),
        Error::UpdateConflict { attempts: 5 }
    ));
    assert_eq!(calls.get(), 5);
}

#[test]
fn a_guarded_update_is_not_retried_after_a_lost_answer_and_says_so() {
    let ctx = Arc::new(Context::new(Config::new(ApiKey::new("k").unwrap())));
    let op = UpdateEntry::new(address(), EntryWrite::new(json!(1))).if_etag("e1");
    let (r, _) = drive(
        Single::new(ctx, op),
        vec![expect(Method::PATCH, "/entries/k", lost())],
    );
    let e = r.unwrap_err();
    assert!(e.is_outcome_unknown(), "{e:?}");
    let req = e.request().expect("the error names what was sent");
    assert_eq!(
        (req.attempts, req.gave_up),
        (1, Some(GiveUp::MayHaveApplied))
    );
    assert_eq!(req.method, Method::PATCH);
    assert!(!format!("{e:?}{req}").contains("x-api-key"));
}

#[test]
fn a_retried_delete_that_finds_the_entry_gone_succeeded() {
    let ctx = Arc::new(Context::new(Config::new(ApiKey::new("k").unwrap())));
    let (r, _) = drive(
        Single::new(ctx.clone(), DeleteEntry::new(address())),
        vec![
            expect(Method::DELETE, "/entries/k", lost()),
            expect(
                Method::DELETE,
                "/entries/k",
                Ok(json_response(404, json!({"code": "NOT_FOUND"}))),
            ),
        ],
    );
    r.unwrap();
    // Without an earlier lost answer, 404 is an error.
    let (r, _) = drive(
        Single::new(ctx, DeleteEntry::new(address())),
        vec![expect(
            Method::DELETE,
            "/entries/k",
            Ok(json_response(404, json!({"code": "NOT_FOUND"}))),
        )],
    );
    assert!(r.unwrap_err().is_not_found());
}

#[test]
fn a_huge_retry_after_gives_up_instead_of_panicking() {
    let ctx = Arc::new(Context::new(Config::new(ApiKey::new("k").unwrap())));
    for value in [
        "1e20",
        "99999999999999999999",
        "18446744073709551616",
        "inf",
        "-5",
        "NaN",
    ] {
        let resp = Response::builder()
            .status(429)
            .header("retry-after", value)
            .body(b"{}".to_vec())
            .unwrap();
        let script = vec![expect(Method::GET, "/entries/k", Ok(resp))];
        let (r, _) = if ["inf", "-5", "NaN"].contains(&value) {
            // Garbage is ignored: the client backs off on its own and tries again.
            let mut s = script;
            s.push(expect(
                Method::GET,
                "/entries/k",
                Ok(json_response(200, entry("r1", 1, json!(1)))),
            ));
            drive(Single::new(ctx.clone(), GetEntry::new(address())), s)
        } else {
            drive(Single::new(ctx.clone(), GetEntry::new(address())), script)
        };
        match r {
            Ok(_) => assert!(["inf", "-5", "NaN"].contains(&value)),
            Err(e) => {
                assert!(e.is_rate_limited(), "{value}: {e:?}");
                assert_eq!(
                    e.request().unwrap().gave_up,
                    Some(GiveUp::RetryAfterTooLong),
                    "{value}"
                );
            }
        }
    }
}

/// The settling step on its own, as a tool with its own guarded writes runs it: its write
/// landed, another writer's came first, or nothing followed the base.
#[test]
fn settle_tells_landed_superseded_and_not_landed_apart() {
    let base: DataStoreEntry = serde_json::from_value(entry("r1", 100, json!(1))).unwrap();
    let sent = || EntryWrite::new(json!(2));
    let history = |revs: Vec<Value>| Ok(json_response(200, json!({ "dataStoreEntries": revs })));
    // The revision after the base holds what was sent (landed) or something else (superseded).
    let after_base = |holds: Value| {
        drive(
            Settle::new(ctx(), address(), Some(base.clone()), sent()),
            vec![
                expect(
                    Method::GET,
                    ":listRevisions",
                    history(vec![
                        revision("r1", 100, "ACTIVE"),
                        revision("r2", 101, "ACTIVE"),
                    ]),
                ),
                expect(
                    Method::GET,
                    "k@r2",
                    Ok(json_response(200, entry("r2", 101, holds))),
                ),
            ],
        )
        .0
        .unwrap()
    };
    match after_base(json!(2)) {
        Settled::Landed(rev) => assert_eq!(rev.revision_id.as_deref(), Some("r2")),
        other => panic!("{other:?}"),
    }
    assert_eq!(after_base(json!(7)), Settled::Superseded);
    // Not landed: nothing after the base.
    let (r, _) = drive(
        Settle::new(ctx(), address(), Some(base.clone()), sent()),
        vec![expect(
            Method::GET,
            ":listRevisions",
            history(vec![revision("r1", 100, "ACTIVE")]),
        )],
    );
    assert_eq!(r.unwrap(), Settled::NotLanded);
    // A create whose entry is still missing did not land.
    let (r, _) = drive(
        Settle::new(ctx(), address(), None, sent()),
        vec![expect(
            Method::GET,
            "entries/k",
            Ok(json_response(
                404,
                json!({"code": "NOT_FOUND", "message": "no"}),
            )),
        )],
    );
    assert_eq!(r.unwrap(), Settled::NotLanded);
    // The history cannot answer: an error, the outcome stays unknown.
    let (r, _) = drive(
        Settle::new(ctx(), address(), Some(base), sent()),
        vec![expect(Method::GET, ":listRevisions", lost())],
    );
    assert!(r.is_err());
}

/// A job that journaled only the fingerprint of its write (not the value) settles it the same
/// way after a crash: the revision after the base is its own when the fingerprints agree, key
/// order in objects notwithstanding.
#[test]
fn settle_by_fingerprint_tells_its_own_revision_from_another_writers() {
    let base: DataStoreEntry = serde_json::from_value(entry("r1", 100, json!(1))).unwrap();
    let mut write = EntryWrite::new(json!({"gold": 5, "items": ["a", "b"]}));
    write.users = vec![UserId(7)];
    let fingerprint = WriteFingerprint::of_write(&write);
    let settle_against = |holds: Value, users: Value| {
        let mut rev = entry("r2", 101, holds);
        rev["users"] = users;
        drive(
            Settle::by_fingerprint(ctx(), address(), Some(base.clone()), fingerprint.clone()),
            vec![
                expect(
                    Method::GET,
                    ":listRevisions",
                    Ok(json_response(
                        200,
                        json!({ "dataStoreEntries": [
                            revision("r1", 100, "ACTIVE"),
                            revision("r2", 101, "ACTIVE"),
                        ]}),
                    )),
                ),
                expect(Method::GET, "k@r2", Ok(json_response(200, rev))),
            ],
        )
        .0
        .unwrap()
    };
    match settle_against(json!({"items": ["a", "b"], "gold": 5}), json!(["users/7"])) {
        Settled::Landed(rev) => assert_eq!(rev.revision_id.as_deref(), Some("r2")),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        settle_against(json!({"gold": 6, "items": ["a", "b"]}), json!(["users/7"])),
        Settled::Superseded,
        "another value"
    );
    assert_eq!(
        settle_against(json!({"gold": 5, "items": ["a", "b"]}), json!([])),
        Settled::Superseded,
        "the same value with other users"
    );
}
