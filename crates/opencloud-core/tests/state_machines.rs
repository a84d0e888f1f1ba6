//! Transcripts of the pager, the retry policy and the rate budget under virtual time.

use std::time::Duration;

use http::StatusCode;
use jiff::Timestamp;
use opencloud_core::*;

fn t(secs: f64) -> Timestamp {
    Timestamp::from_millisecond((secs * 1000.0) as i64).unwrap()
}

fn page(ids: &[&str], token: Option<&str>) -> EntryPage {
    let entries: Vec<_> = ids.iter().map(|i| serde_json::json!({"id": i})).collect();
    serde_json::from_value(serde_json::json!({
        "dataStoreEntries": entries,
        "nextPageToken": token,
    }))
    .unwrap()
}

fn list() -> ListEntries {
    ListEntries::new(UniverseId::from(1), DataStoreName::new("d").unwrap())
        .prefix("p")
        .max_page_size(2)
}

#[test]
fn pager_follows_tokens_through_empty_pages_and_stops_on_repeats() {
    let mut pager = Pager::new(list());
    let script = [
        page(&["a", "b"], Some("t1")),
        page(&[], Some("t2")),
        page(&["c"], Some("t1")),
    ];
    let mut transcript = Vec::new();
    for p in &script {
        let op = pager.next_op().expect("a page is due");
        // The query is frozen: only the token changes.
        assert_eq!(
            ListEntries {
                page_token: None,
                ..op.clone()
            },
            list()
        );
        transcript.push(format!(
            "asked {:?} -> more={}",
            op.page_token.map(|t| t.to_string()),
            pager.on_page(p)
        ));
    }
    assert!(pager.next_op().is_none());
    assert_eq!(pager.end(), Some(PagerEnd::RepeatedToken));
    assert_eq!(
        transcript,
        [
            "asked None -> more=true",
            "asked Some(\"t1\") -> more=true",
            "asked Some(\"t2\") -> more=false"
        ]
    );
}

#[test]
fn pager_ends_on_absent_or_empty_tokens_and_stops_after_an_error() {
    for end in [None, Some("")] {
        let mut pager = Pager::new(list());
        pager.next_op().unwrap();
        assert!(!pager.on_page(&page(&["a"], end)));
        assert_eq!(pager.end(), Some(PagerEnd::Complete));
        assert_eq!(pager.resume_token(), None);
    }
    let mut pager = Pager::new(list());
    pager.next_op().unwrap();
    pager.on_page(&page(&["a"], Some("t1")));
    pager.next_op().unwrap();
    pager.on_error();
    assert!(pager.next_op().is_none(), "no request after an error");
    assert_eq!(pager.end(), Some(PagerEnd::Failed));
    let token = pager
        .resume_token()
        .cloned()
        .expect("the failed page can be resumed");
    assert_eq!(token.as_str(), "t1");
    let mut resumed = Pager::resume(list(), token);
    assert_eq!(
        resumed.next_op().unwrap().page_token.unwrap().as_str(),
        "t1"
    );
    assert_eq!(resumed.pages(), 0);
}

#[test]
fn pager_hands_out_the_same_page_again_when_a_request_was_abandoned() {
    // A cancelled future never reports its page: asking again must neither panic nor skip it.
    let mut pager = Pager::new(list());
    let first = pager.next_op().unwrap();
    let again = pager.next_op().unwrap();
    assert_eq!(first, again);
    assert_eq!(pager.pages(), 0);
    assert!(!pager.is_done());
}

fn status(code: u16, retry_after: Option<u64>) -> Outcome {
    Outcome::Status {
        status: StatusCode::from_u16(code).unwrap(),
        retry_after: retry_after.map(|s| RetryAfter::Delay(Duration::from_secs(s))),
    }
}

/// Runs a script of failed outcomes through the policy in virtual time, sleeping as told.
fn transcript(
    policy: &RetryPolicy,
    class: RetryClass,
    outcomes: &[Outcome],
    jitter: f64,
) -> Vec<String> {
    let mut now = t(0.0);
    let mut state = RetryState::new(now);
    let mut out = Vec::new();
    for o in outcomes {
        RetryPolicy::record_attempt(&mut state);
        match policy.decide(&state, class, o, now, jitter) {
            Decision::RetryAfter(d) => {
                out.push(format!(
                    "attempt {} at {}ms: retry after {}ms",
                    state.attempts,
                    now.as_millisecond(),
                    d.as_millis()
                ));
                now = Timestamp::from_millisecond(now.as_millisecond() + d.as_millis() as i64)
                    .unwrap();
            }
            Decision::GiveUp(g) => {
                out.push(format!(
                    "attempt {} at {}ms: give up ({g:?})",
                    state.attempts,
                    now.as_millisecond()
                ));
                break;
            }
        }
    }
    out
}

#[test]
fn idempotent_calls_back_off_and_honour_retry_after() {
    let policy = RetryPolicy::default();
    let got = transcript(
        &policy,
        RetryClass::Idempotent,
        &[
            status(503, None),
            status(502, None),
            status(429, Some(5)),
            Outcome::Transport(TransportErrorKind::Timeout),
            status(404, None),
        ],
        1.0,
    );
    assert_eq!(
        got,
        [
            "attempt 1 at 0ms: retry after 250ms",
            "attempt 2 at 250ms: retry after 500ms",
            "attempt 3 at 750ms: retry after 5000ms",
            "attempt 4 at 5750ms: retry after 2000ms",
            "attempt 5 at 7750ms: give up (NotRetryable)",
        ]
    );
    // Jitter at 0 halves the delay; it never goes below half.
    assert_eq!(
        transcript(&policy, RetryClass::Idempotent, &[status(500, None)], 0.0),
        ["attempt 1 at 0ms: retry after 125ms"]
    );
}

#[test]
fn non_idempotent_calls_retry_only_what_was_not_applied() {
    let policy = RetryPolicy::default();
    let class = RetryClass::UnappliedOnly;
    assert_eq!(
        transcript(
            &policy,
            class,
            &[
                status(429, None),
                Outcome::Transport(TransportErrorKind::Connect),
                status(500, None)
            ],
            1.0
        ),
        [
            "attempt 1 at 0ms: retry after 250ms",
            "attempt 2 at 250ms: retry after 500ms",
            "attempt 3 at 750ms: give up (MayHaveApplied)"
        ]
    );
    for o in [
        status(503, None),
        Outcome::Transport(TransportErrorKind::Timeout),
        Outcome::Transport(TransportErrorKind::Io),
    ] {
        assert_eq!(
            transcript(&policy, class, &[o], 1.0),
            ["attempt 1 at 0ms: give up (MayHaveApplied)"],
            "{o:?}"
        );
    }
}

#[test]
fn retries_end_at_the_attempt_limit_and_the_deadline() {
    let policy = RetryPolicy {
        max_attempts: 3,
        ..RetryPolicy::default()
    };
    let got = transcript(
        &policy,
        RetryClass::Idempotent,
        &[status(503, None); 5],
        1.0,
    );
    assert_eq!(
        got.last().unwrap(),
        "attempt 3 at 750ms: give up (AttemptsExhausted)"
    );
    let policy = RetryPolicy {
        max_elapsed: Some(Duration::from_secs(10)),
        ..RetryPolicy::default()
    };
    let got = transcript(
        &policy,
        RetryClass::Idempotent,
        &[
            status(429, Some(4)),
            status(429, Some(4)),
            status(429, Some(4)),
        ],
        1.0,
    );
    assert_eq!(
        got.last().unwrap(),
        "attempt 3 at 8000ms: give up (DeadlineExceeded)"
    );
    assert_eq!(
        transcript(
            &RetryPolicy::never(),
            RetryClass::Idempotent,
            &[status(503, None)],
            1.0
        ),
        ["attempt 1 at 0ms: give up (AttemptsExhausted)"]
    );
}

#[test]
fn backoff_is_capped() {
    let policy = RetryPolicy {
        max_attempts: 20,
        max_elapsed: None,
        ..RetryPolicy::default()
    };
    let got = transcript(
        &policy,
        RetryClass::Idempotent,
        &[status(503, None); 12],
        1.0,
    );
    assert!(got[10].ends_with("retry after 32000ms"), "{got:?}");
}

/// `try_acquire` without the reservation, for compact assertions.
fn acq(
    b: &mut RateBudget,
    u: &UniverseId,
    c: ThrottleCategory,
    bytes: u64,
    at: Timestamp,
) -> Result<(), Duration> {
    b.try_acquire(u, c, bytes, at)
}

#[test]
fn rate_budget_counts_requests_and_bytes_over_a_sliding_minute() {
    let u = UniverseId::from(1);
    let other = UniverseId::from(2);
    let limits = RateLimits::unlimited().with(
        ThrottleCategory::Write,
        CategoryLimit {
            requests: 3,
            bytes: 100,
        },
    );
    let mut b = RateBudget::new(limits);
    assert_eq!(acq(&mut b, &u, ThrottleCategory::Write, 10, t(0.0)), Ok(()));
    assert_eq!(acq(&mut b, &u, ThrottleCategory::Write, 10, t(1.0)), Ok(()));
    assert_eq!(acq(&mut b, &u, ThrottleCategory::Write, 10, t(2.0)), Ok(()));
    assert_eq!(
        acq(&mut b, &u, ThrottleCategory::Write, 10, t(3.0)),
        Err(Duration::from_secs(57))
    );
    assert_eq!(
        acq(&mut b, &other, ThrottleCategory::Write, 10, t(3.0)),
        Ok(()),
        "budgets are per universe"
    );
    assert_eq!(
        acq(&mut b, &u, ThrottleCategory::Read, 10, t(3.0)),
        Ok(()),
        "and per category"
    );
    assert_eq!(
        acq(&mut b, &u, ThrottleCategory::Write, 10, t(60.0)),
        Ok(())
    );
    assert_eq!(b.used(&u, ThrottleCategory::Write, t(60.0)), (3, 30));
    // Bytes: 30 in the window (t=1, t=2, t=60). 80 more fit once the t=1 request leaves
    // (20 + 80 = 100, exactly the budget); 90 more need the t=2 request gone too.
    assert_eq!(
        acq(&mut b, &u, ThrottleCategory::Write, 80, t(60.5)),
        Err(Duration::from_millis(500))
    );
    assert_eq!(
        acq(&mut b, &u, ThrottleCategory::Write, 90, t(60.5)),
        Err(Duration::from_millis(1500))
    );
    // A request larger than the whole budget waits for an empty window, then goes alone.
    let mut b = RateBudget::new(RateLimits::uniform(CategoryLimit {
        requests: 100,
        bytes: 100,
    }));
    assert_eq!(acq(&mut b, &u, ThrottleCategory::Read, 50, t(0.0)), Ok(()));
    assert_eq!(
        acq(&mut b, &u, ThrottleCategory::Read, 500, t(1.0)),
        Err(Duration::from_secs(59))
    );
    assert_eq!(
        acq(&mut b, &u, ThrottleCategory::Read, 500, t(60.0)),
        Ok(())
    );
}

#[test]
fn documented_default_limits() {
    let d = RateLimits::documented_defaults();
    assert_eq!(d.get(ThrottleCategory::Read).requests, 300);
    assert_eq!(d.get(ThrottleCategory::Snapshot).requests, 60);
    let busy = RateLimits::for_concurrent_users(100);
    assert_eq!(busy.get(ThrottleCategory::Read).requests, 4300);
    assert_eq!(busy.get(ThrottleCategory::Write).requests, 2300);
    assert_eq!(busy.get(ThrottleCategory::List).requests, 500);
}

#[test]
fn experience_budgets_are_their_own_and_restrictions_count_per_second() {
    let d = RateLimits::documented_defaults();
    assert_eq!(d.get(ThrottleCategory::Publish).requests, 50);
    assert_eq!(d.get(ThrottleCategory::RestrictionRead).requests, 50);
    assert_eq!(d.get(ThrottleCategory::RestrictionWrite).requests, 10);
    let busy = RateLimits::for_concurrent_users(20);
    assert_eq!(
        busy.get(ThrottleCategory::Publish).requests,
        150,
        "the messaging guide's example: 50 + 5 x 20"
    );
    assert_eq!(busy.get(ThrottleCategory::RestrictionWrite).requests, 10);
    assert_eq!(
        RateLimits::for_concurrent_users(u64::MAX)
            .get(ThrottleCategory::Publish)
            .requests,
        u64::MAX,
        "saturates"
    );

    let u = UniverseId::from(1);
    let mut b = RateBudget::new(d);
    // Ten updates in one second; the eleventh waits for the first to leave its one-second window.
    for i in 0..10 {
        let at = t(f64::from(i) * 0.05);
        assert_eq!(
            acq(&mut b, &u, ThrottleCategory::RestrictionWrite, 0, at),
            Ok(())
        );
    }
    assert_eq!(
        acq(&mut b, &u, ThrottleCategory::RestrictionWrite, 0, t(0.5)),
        Err(Duration::from_millis(500))
    );
    assert_eq!(
        acq(&mut b, &u, ThrottleCategory::RestrictionWrite, 0, t(1.0)),
        Ok(())
    );
    // Publishing draws on its own budget, not on the data store writes.
    for i in 0..50 {
        assert_eq!(
            acq(
                &mut b,
                &u,
                ThrottleCategory::Publish,
                10,
                t(2.0 + f64::from(i) / 100.0)
            ),
            Ok(())
        );
    }
    assert_eq!(
        acq(&mut b, &u, ThrottleCategory::Publish, 10, t(3.0)),
        Err(Duration::from_secs(59))
    );
    assert_eq!(b.used(&u, ThrottleCategory::Write, t(3.0)), (0, 0));
    assert_eq!(acq(&mut b, &u, ThrottleCategory::Write, 10, t(3.0)), Ok(()));
    // `uniform` sets the per-minute categories only; a per-second limit stays as documented.
    let l = RateLimits::uniform(CategoryLimit {
        requests: 7,
        bytes: 70,
    });
    assert_eq!(l.get(ThrottleCategory::Publish).requests, 7);
    assert_eq!(l.get(ThrottleCategory::RestrictionRead).requests, 50);
    assert_eq!(
        ThrottleCategory::from_name("restriction-write"),
        Some(ThrottleCategory::RestrictionWrite)
    );
    assert_eq!(ThrottleCategory::from_name("Write"), None);
}

#[test]
fn per_user_budgets_are_separate_and_a_cancelled_slot_is_free_again() {
    let u = UniverseId::from(1);
    let mut b = RateBudget::new(RateLimits::documented_defaults());
    let c = ThrottleCategory::RestrictionUserWrite;
    assert_eq!(
        ThrottleCategory::RestrictionWrite.subject_category(),
        Some(c)
    );
    assert!(c.per_subject() && !ThrottleCategory::RestrictionWrite.per_subject());
    // Two updates of user 5 a minute; user 6 has a budget of its own.
    assert!(b.try_acquire_for(&u, c, 5, t(0.0)).is_ok());
    let second = b.try_reserve_for(&u, c, 5, t(1.0)).unwrap();
    assert_eq!(
        b.try_acquire_for(&u, c, 5, t(2.0)),
        Err(Duration::from_secs(58))
    );
    assert!(b.try_acquire_for(&u, c, 6, t(2.0)).is_ok());
    assert_eq!(b.used_by(&u, c, Some(5), t(2.0)), (2, 0));
    assert_eq!(
        b.used(&u, c, t(2.0)),
        (0, 0),
        "the universe's own window is untouched"
    );
    // A reservation given back unused frees its slot at once.
    b.cancel(&second);
    assert!(b.try_acquire_for(&u, c, 5, t(3.0)).is_ok());
    // `uniform` leaves the per-user limit as documented.
    let l = RateLimits::uniform(CategoryLimit {
        requests: 7,
        bytes: 70,
    });
    assert_eq!(l.get(c).requests, 2);
}

#[test]
fn windows_of_past_users_are_forgotten() {
    let u = UniverseId::from(1);
    let mut b = RateBudget::new(RateLimits::documented_defaults());
    let c = ThrottleCategory::RestrictionUserWrite;
    for user in 0..20_000u64 {
        // One update of each user, a user every 10 ms: at most 6,000 in any minute.
        let at = t(user as f64 / 100.0);
        assert!(b.try_acquire_for(&u, c, user, at).is_ok());
    }
    assert!(
        b.windows_kept() < 13_000,
        "windows of users with nothing in the last minute are pruned: {}",
        b.windows_kept()
    );
}

#[test]
fn a_budget_of_no_requests_throttles_every_one_without_panicking() {
    let u = UniverseId::from(1);
    let mut b = RateBudget::new(RateLimits::unlimited().with(
        ThrottleCategory::Publish,
        CategoryLimit {
            requests: 0,
            bytes: 0,
        },
    ));
    assert_eq!(
        acq(&mut b, &u, ThrottleCategory::Publish, 0, t(0.0)),
        Err(Duration::from_secs(60))
    );
    assert!(
        b.try_reserve(&u, ThrottleCategory::Publish, 5, t(1.0))
            .is_err()
    );
}

#[test]
fn reservations_hold_their_slot_until_settled() {
    let u = UniverseId::from(1);
    let mut b = RateBudget::new(RateLimits::uniform(CategoryLimit {
        requests: 1,
        bytes: 1000,
    }));
    let r1 = b
        .try_reserve(&u, ThrottleCategory::Read, 0, t(0.0))
        .unwrap();
    // Still in flight a minute later: the slot is held, and the caller polls.
    assert_eq!(
        acq(&mut b, &u, ThrottleCategory::Read, 0, t(61.0)),
        Err(opencloud_core::PENDING_POLL)
    );
    // Its response arrived at t=10: the slot frees at t=70, not t=60.
    b.settle(&r1, 300, t(10.0));
    assert_eq!(
        b.used(&u, ThrottleCategory::Read, t(10.0)),
        (1, 300),
        "response bytes count for reads"
    );
    assert_eq!(
        acq(&mut b, &u, ThrottleCategory::Read, 0, t(62.0)),
        Err(Duration::from_secs(8))
    );
    assert!(acq(&mut b, &u, ThrottleCategory::Read, 0, t(70.0)).is_ok());
    // A reservation never settled (its caller went away) holds the slot for PENDING_TIMEOUT,
    // then counts as settled at that time.
    let mut b = RateBudget::new(RateLimits::uniform(CategoryLimit {
        requests: 1,
        bytes: 1000,
    }));
    let _lost = b
        .try_reserve(&u, ThrottleCategory::Write, 0, t(0.0))
        .unwrap();
    assert_eq!(
        acq(&mut b, &u, ThrottleCategory::Write, 0, t(599.0)),
        Err(opencloud_core::PENDING_POLL)
    );
    assert_eq!(
        acq(&mut b, &u, ThrottleCategory::Write, 0, t(600.0)),
        Err(Duration::from_secs(60))
    );
    assert!(acq(&mut b, &u, ThrottleCategory::Write, 0, t(660.0)).is_ok());
}
