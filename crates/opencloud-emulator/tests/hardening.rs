//! An emulator that cannot be killed or starved: checked control-plane numbers, panics that
//! become 500s, a bounded log, connection timeouts, authentication before validation, and a
//! property test over the whole pipeline.

mod common;

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use opencloud_core::http;
use opencloud_emulator::control::{parse_clock_command, parse_fault, parse_throttle_command};
use opencloud_emulator::{ApiRequest, App, EmulatorConfig, Fault};
use proptest::prelude::*;
use serde_json::json;

#[test]
fn control_plane_numbers_are_checked_not_trusted() {
    let h = Http::unthrottled();
    for body in [
        json!({"advance_seconds": 9e12}),
        json!({"advance_seconds": -1}),
        json!({"advance_seconds": 1e308}),
        json!({"advance_seconds": "soon"}),
    ] {
        let r = h.control("POST", "/_emulator/clock", Some(body.clone()));
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert!(
            r.body["message"]
                .as_str()
                .unwrap()
                .contains("advance_seconds"),
            "{}",
            r.text
        );
    }
    let r = h.send(
        None,
        "POST",
        "/_emulator/clock",
        Some("{\"advance_seconds\": NaN}".into()),
        true,
    );
    assert_eq!(r.status, 400, "{}", r.text);
    for body in [
        json!({"path": "*", "delay_ms": u64::MAX}),
        json!({"path": "*", "delay_ms": -5}),
        json!({"path": "*", "status": 200, "count": 0}),
        json!({"path": "*", "panic": true, "when": "after"}),
    ] {
        let r = h.control("POST", "/_emulator/faults", Some(body.clone()));
        assert_eq!(r.status, 400, "{body}: {}", r.text);
    }
    let r = h.control(
        "POST",
        "/_emulator/throttle",
        Some(json!({"concurrent_users": u64::MAX})),
    );
    assert_eq!(r.status, 400, "{}", r.text);
    // The emulator still serves.
    assert_eq!(h.control("GET", "/_emulator/health", None).status, 200);
    let ok = h.control(
        "POST",
        "/_emulator/clock",
        Some(json!({"advance_seconds": 60.5})),
    );
    assert_eq!(ok.status, 200, "{}", ok.text);
}

#[test]
fn a_panicking_handler_answers_500_and_poisons_nothing() {
    let h = Http::unthrottled();
    assert_eq!(
        h.post(&format!("{E}?id=k"), json!({"value": 1})).status,
        200
    );
    h.em.app().inject(Fault {
        panic: true,
        status: None,
        ..Fault::status(Some("PATCH"), "*", 200)
    });
    let r = h.patch(&format!("{E}/k"), json!({"value": 2}));
    assert_error(&r, 500, "INTERNAL");
    // Storage, throttle, faults and the log all still work, and nothing was applied.
    assert_eq!(h.get(&format!("{E}/k")).body["value"], 1);
    assert_eq!(h.patch(&format!("{E}/k"), json!({"value": 3})).status, 200);
    assert_eq!(h.get(&format!("{E}/k")).body["value"], 3);
    let log = h.em.app().requests();
    assert!(log.iter().any(|l| l.status == 500 && l.method == "PATCH"));
    assert_eq!(h.control("POST", "/_emulator/reset", None).status, 200);
}

#[test]
fn only_the_fault_that_answered_is_consumed() {
    let h = Http::unthrottled();
    h.post(&format!("{E}?id=k"), json!({"value": 1}));
    h.em.app()
        .inject(Fault::status(Some("GET"), "*/entries/k", 503));
    h.em.app()
        .inject(Fault::status(Some("GET"), "*/entries/k", 500).after());
    assert_error(&h.get(&format!("{E}/k")), 503, "UNAVAILABLE");
    // The "after" fault was not used up by the request the "before" fault answered.
    assert_error(&h.get(&format!("{E}/k")), 500, "INTERNAL");
    assert_eq!(h.get(&format!("{E}/k")).status, 200);
}

#[test]
fn the_log_keeps_sizes_not_whole_large_requests() {
    let h = Http::unthrottled();
    let long = "x".repeat(20_000);
    h.get(&format!("{E}?filter={long}"));
    let log = h.em.app().requests();
    let line = log.last().unwrap();
    assert!(line.query.len() <= opencloud_emulator::control::LOG_FIELD_MAX_BYTES);
    assert_eq!(line.query_bytes, "filter=".len() + long.len());
    h.post(
        &format!("{E}?id=big"),
        json!({"value": "y".repeat(100_000)}),
    );
    let line = h.em.app().requests().pop().unwrap();
    assert!(line.body_bytes > 100_000);
    let mut log = opencloud_emulator::control::RequestLog::default();
    for _ in 0..50_000 {
        log.push(opencloud_emulator::LoggedRequest::new(
            opencloud_core::jiff::Timestamp::UNIX_EPOCH,
            &http::Method::GET,
            &"p".repeat(5_000),
            &"q".repeat(5_000),
            0,
        ));
    }
    assert!(log.bytes() <= opencloud_emulator::control::LOG_MAX_BYTES);
    assert!(log.entries().count() < 10_000);
}

#[test]
fn authentication_comes_before_any_validation() {
    let h = Http::unthrottled();
    for (method, path, body) in [
        (
            "GET",
            "/cloud/v2/universes/abc/data-stores".to_string(),
            None,
        ),
        ("GET", format!("{E}?pageToken=a&pageToken=b"), None),
        ("GET", format!("{E}/%FF"), None),
        ("POST", format!("{E}?id=k"), Some("not json".to_string())),
    ] {
        let r = h.send(None, method, &path, body, false);
        assert_eq!(r.status, 401, "{path}: {}", r.text);
        assert!(r.body["errors"][0]["message"].is_string(), "{}", r.text);
    }
}

#[test]
fn wal_mode_is_checked_and_reported() {
    let dir = std::env::temp_dir().join(format!("oc-emu-wal-{}", std::process::id()));
    let app = App::new(&EmulatorConfig {
        data_dir: Some(dir.clone()),
        ..EmulatorConfig::unthrottled()
    })
    .unwrap();
    assert_eq!(app.journal_mode(), "wal");
    drop(app);
    let _ = std::fs::remove_dir_all(&dir);
}

fn read_until_closed(mut s: std::net::TcpStream) -> Result<Vec<u8>, std::io::Error> {
    // Generous: the point is that the server closes, not when.
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut out = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Ok(out),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Ok(out),
            Err(e) => return Err(e),
        }
    }
}

#[test]
fn slow_and_idle_connections_are_closed() {
    let h = Http::start(EmulatorConfig {
        header_read_timeout: Duration::from_millis(300),
        idle_timeout: Duration::from_millis(600),
        ..EmulatorConfig::unthrottled()
    });
    let addr = h.em.base_url().trim_start_matches("http://").to_string();
    // Headers that never end.
    let mut slow = std::net::TcpStream::connect(&addr).unwrap();
    slow.write_all(b"GET /_emulator/health HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let got = read_until_closed(slow).expect("the server closes a slow client");
    assert!(
        !got.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&got)
    );
    // A client that connects and says nothing.
    let idle = std::net::TcpStream::connect(&addr).unwrap();
    read_until_closed(idle).expect("the server closes an idle client");
    // A prompt client is served, and its kept-alive connection is closed when idle.
    let mut ok = std::net::TcpStream::connect(&addr).unwrap();
    ok.write_all(b"GET /_emulator/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let got = read_until_closed(ok).expect("served, then closed when idle");
    assert!(
        got.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&got)
    );
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn path_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("cloud".to_string()),
        Just("v2".to_string()),
        Just("universes".to_string()),
        Just("1".to_string()),
        Just("data-stores".to_string()),
        Just("data-stores:snapshot".to_string()),
        Just("ordered-data-stores".to_string()),
        Just("scopes".to_string()),
        Just("-".to_string()),
        Just("global".to_string()),
        Just("entries".to_string()),
        Just("k:increment".to_string()),
        Just("k:listRevisions".to_string()),
        Just("d:undelete".to_string()),
        Just("k@latest:2024-01-01T00:00:00Z".to_string()),
        Just("k@0000000000000000.0000000001.0000000000000000.01".to_string()),
        Just("%FF%FE".to_string()),
        Just("..".to_string()),
        "[a-zA-Z0-9%@:._~-]{0,12}",
    ]
}

fn query() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("id"),
        Just("filter"),
        Just("maxPageSize"),
        Just("pageToken"),
        Just("showDeleted"),
        Just("allowMissing"),
        Just("orderBy"),
        Just("junk"),
    ];
    let value = prop_oneof![
        Just("k".to_string()),
        Just("True".to_string()),
        Just("-1".to_string()),
        Just("99999999999999999999999".to_string()),
        Just("id.startsWith(%22a%22)".to_string()),
        Just("entry%20%3E%3D%201e400".to_string()),
        Just("value%20desc".to_string()),
        Just("eyJxIjoiYSIsImMiOjF9".to_string()),
        "[a-zA-Z0-9%+=&]{0,10}",
    ];
    proptest::collection::vec((key, value), 0..4).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        Just(b"{}".to_vec()),
        Just(br#"{"value": 1}"#.to_vec()),
        Just(br#"{"value": 5.5, "users": ["users/1"], "attributes": {"a": 1}}"#.to_vec()),
        Just(br#"{"amount": 1e300}"#.to_vec()),
        Just(br#"{"amount": 9007199254740993}"#.to_vec()),
        Just(br#"{"value": -1.7976931348623157e308}"#.to_vec()),
        Just(br#"{"value": {"deep": [[[[[]]]]]}, "etag": 5}"#.to_vec()),
        proptest::collection::vec(any::<u8>(), 0..64),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Random requests through the whole pipeline never get a 5xx (no fault is injected) and
    /// never panic.
    #[test]
    fn the_pipeline_never_fails_on_bad_input(
        method in prop_oneof![Just("GET"), Just("POST"), Just("PATCH"), Just("DELETE"), Just("PUT")],
        pieces in proptest::collection::vec(path_piece(), 0..9),
        query in query(),
        body in body(),
        key in prop_oneof![Just(Some(KEY)), Just(None), Just(Some("wrong"))],
        json_type in any::<bool>(),
        strict in any::<bool>(),
    ) {
        thread_local! {
            static APPS: (tokio::runtime::Runtime, Arc<App>, Arc<App>) = (
                runtime(),
                Arc::new(App::new(&EmulatorConfig::unthrottled()).unwrap()),
                Arc::new(App::new(&EmulatorConfig { strict: true, ..EmulatorConfig::unthrottled() }).unwrap()),
            );
        }
        let mut path = String::from("/cloud/v2/universes/1");
        for p in &pieces {
            path.push('/');
            path.push_str(p);
        }
        let mut headers = http::HeaderMap::new();
        if let Some(k) = key {
            headers.insert("x-api-key", http::HeaderValue::from_static(k));
        }
        if json_type {
            headers.insert("content-type", http::HeaderValue::from_static("application/json"));
        }
        let req = ApiRequest {
            method: http::Method::from_bytes(method.as_bytes()).unwrap(),
            path: path.clone(),
            query: query.clone(),
            headers,
            body: body.clone().into(),
        };
        let reply = APPS.with(|(rt, lax, strict_app)| {
            let app = if strict { strict_app } else { lax };
            rt.block_on(app.handle(req))
        });
        prop_assert!(
            reply.status.as_u16() < 500,
            "{method} {path}?{query} -> {} {:?}",
            reply.status,
            reply.json_body()
        );
    }

    /// The control-plane parsers take any JSON without panicking, and whatever they accept can
    /// be applied.
    #[test]
    fn control_parsers_never_panic(
        advance in prop_oneof![any::<f64>().prop_map(|f| json!(f)), any::<i64>().prop_map(|i| json!(i)), Just(json!(u64::MAX))],
        delay in prop_oneof![any::<u64>().prop_map(|n| json!(n)), any::<i64>().prop_map(|n| json!(n)), any::<f64>().prop_map(|f| json!(f))],
        status in any::<i64>(),
        users in any::<u64>(),
        category in proptest::sample::select(opencloud_core::ThrottleCategory::ALL.to_vec()),
        raw in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let app = App::new(&EmulatorConfig::unthrottled()).unwrap();
        if let Ok(c) = parse_clock_command(json!({"advance_seconds": advance}).to_string().as_bytes()) {
            let s = c.advance_seconds.unwrap();
            let _ = app.clock.try_advance(Duration::from_secs_f64(s));
        }
        if let Ok(f) = parse_fault(json!({"path": "*", "delay_ms": delay, "status": status}).to_string().as_bytes()) {
            prop_assert!(f.delay_ms <= opencloud_emulator::control::MAX_FAULT_DELAY_MS);
        }
        let current = opencloud_core::RateLimits::documented_defaults();
        if let Ok((e, l)) = parse_throttle_command(json!({"concurrent_users": users}).to_string().as_bytes(), &current) {
            app.set_throttle(e, l);
        }
        let per = json!({"enforce": true, "limits": {category.as_str(): {"requests": users % 3, "bytes": users}}});
        let (e, l) = parse_throttle_command(per.to_string().as_bytes(), &current)
            .map_err(TestCaseError::fail)?;
        prop_assert_eq!(l.as_ref().map(|l| l.get(category).requests), Some(users % 3));
        app.set_throttle(e, l);
        let _ = parse_clock_command(&raw);
        let _ = parse_fault(&raw);
        let _ = parse_throttle_command(&raw, &current);
    }
}
