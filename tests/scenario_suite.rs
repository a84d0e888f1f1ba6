// The scenario suite shared by opencloud-async and opencloud-blocking. Each crate includes this
// file after defining:
//   run!(expr)        -> `expr.await` or `expr`
//   collect!(listing) -> Result<Vec<_>, Error> from a stream or an iterator
//   scenario!(name, |env| body)  -> a test function with `env: Env`
//   Env { client(...), em (emulator app), base_url }
// so every scenario runs once through each transport, over HTTP, against the emulator.

use opencloud_emulator::Fault;
use serde_json::{Value, json};

fn count_logged(env: &Env, method: &str, route: &str) -> usize {
    env.app().requests().iter().filter(|r| r.method == method && r.route.as_deref() == Some(route)).count()
}

scenario!(every_standard_operation, |env| {
    let c = env.client(|b| b);
    let inv = c.data_store("Inventory");
    let e = inv.entry("user_1");
    let created = run!(e.create(&json!({"currency": 5}))).unwrap();
    assert_eq!(created.value, Some(json!({"currency": 5})));
    assert!(run!(e.create(&json!(1))).unwrap_err().status().unwrap().as_u16() == 400, "create refuses an existing entry");
    #[derive(serde::Deserialize, serde::Serialize, Debug, PartialEq)]
    struct Inv {
        currency: i64,
    }
    assert_eq!(run!(e.get_json::<Inv>()).unwrap(), Inv { currency: 5 });
    let updated = run!(e.update(&Inv { currency: 6 })).unwrap();
    assert_eq!(updated.create_time, created.create_time);
    assert_ne!(updated.revision_id, created.revision_id);
    // Etag-guarded update: the stale etag is refused, the current one accepted.
    let stale = run!(e.update_with_options(EntryWrite::new(json!(0)), false, created.etag.as_deref())).unwrap_err();
    assert_eq!(stale.status().unwrap().as_u16(), 409);
    run!(e.update_with_options(EntryWrite::new(json!({"currency": 7})).users([UserId(42)]), false, updated.etag.as_deref())).unwrap();
    assert_eq!(run!(e.get()).unwrap().users, vec![UserId(42)]);
    // Read an old revision.
    let rev = RevisionId::new(created.revision_id.clone().unwrap()).unwrap();
    assert_eq!(run!(e.get_at(RevisionSelector::Revision(rev))).unwrap().value, Some(json!({"currency": 5})));
    // set = upsert; update of a missing entry is 404.
    run!(inv.entry("fresh").set(&json!("x"))).unwrap();
    assert!(run!(inv.entry("missing").update(&json!(1))).unwrap_err().is_not_found());
    // increment, with metadata.
    let counter = inv.entry("counter");
    assert_eq!(run!(counter.increment(3)).unwrap().value, Some(json!(3)));
    let attrs = Attributes::from_value(json!({"source": "test"})).unwrap();
    let inc = run!(counter.increment_with(-1, vec![UserId(1)], Some(attrs))).unwrap();
    assert_eq!((inc.value, inc.users), (Some(json!(2)), vec![UserId(1)]));
    assert!(run!(inv.entry("fresh").increment(1)).is_err(), "a string value does not increment");
    // revisions, oldest first.
    let revs = collect!(e.revisions(|l| l.max_page_size(2))).unwrap();
    assert_eq!(revs.len(), 3);
    assert!(revs.iter().all(|r| r.key() == "user_1" && r.value.is_none()));
    // delete.
    run!(e.delete()).unwrap();
    assert!(run!(e.get()).unwrap_err().is_not_found());
    assert!(run!(e.delete()).unwrap_err().is_not_found());
    // list data stores, delete, undelete, snapshot.
    let stores = collect!(c.data_stores(|l| l)).unwrap();
    assert_eq!(stores.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["Inventory"]);
    let d = run!(inv.delete()).unwrap();
    assert_eq!(d.state, State::Deleted);
    assert!(d.expire_time.is_some());
    assert!(run!(counter.get()).unwrap_err().is_not_found(), "a deleted store's entries are inaccessible");
    assert!(collect!(c.data_stores(|l| l)).unwrap().is_empty());
    assert_eq!(collect!(c.data_stores(|l| l.show_deleted(true))).unwrap().len(), 1);
    assert_eq!(run!(inv.undelete()).unwrap().state, State::Active);
    assert_eq!(run!(counter.get()).unwrap().value, Some(json!(2)));
    let snap = run!(c.snapshot()).unwrap();
    assert!(snap.new_snapshot_taken);
    assert!(!run!(c.snapshot()).unwrap().new_snapshot_taken);
    // Any core operation can be sent directly.
    let page = run!(c.send(&ListEntries::new(UniverseId::from(1), DataStoreName::new("Inventory").unwrap()))).unwrap();
    assert_eq!(page.data_store_entries.len(), 2);
});

scenario!(paging_a_thousand_entries_at_page_size_seven, |env| {
    let c = env.client(|b| b);
    let store = c.data_store("Big");
    for i in 0..1000 {
        run!(store.entry(&format!("k{i:04}")).set(&json!(i))).unwrap();
    }
    let ids: Vec<String> = collect!(store.entries(|l| l.max_page_size(7))).unwrap().into_iter().map(|e| e.id).collect();
    let expected: Vec<String> = (0..1000).map(|i| format!("k{i:04}")).collect();
    assert_eq!(ids, expected, "nothing missed or repeated");
    let list_calls = count_logged(&env, "GET", "ListEntries");
    assert_eq!(list_calls, 143, "ceil(1000 / 7) pages");
    // Resume from a saved token: the first 10 pages, then the rest from the token.
    let pages = collect!(store.entry_pages(|l| l.max_page_size(7))).unwrap();
    let token = pages[9].next_page_token.clone().unwrap();
    let first: Vec<String> = pages[..10].iter().flat_map(|p| p.data_store_entries.iter().map(|e| e.id.clone())).collect();
    let mut op = store.list().unwrap().max_page_size(7);
    op.page_token = Some(PageToken::new(token).unwrap());
    let rest: Vec<String> = collect!(c.items(op)).unwrap().into_iter().map(|e| e.id).collect();
    assert_eq!([first, rest].concat(), expected);
    // Prefix filter.
    assert_eq!(collect!(store.entries(|l| l.prefix("k09").max_page_size(7))).unwrap().len(), 100);
});

// The service checks at most 512 data stores per listing call when it leaves out the deleted
// ones, and answers an empty page with a token when all of them were deleted: the listing goes on.
scenario!(data_store_listing_goes_on_past_a_page_emptied_by_deleted_stores, |env| {
    let c = env.client(|b| b);
    for i in 0..515 {
        let s = c.data_store(&format!("A{i:03}"));
        run!(s.entry("k").set(&json!(1))).unwrap();
        run!(s.delete()).unwrap();
    }
    for i in 0..4 {
        run!(c.data_store(&format!("B{i}")).entry("k").set(&json!(1))).unwrap();
    }
    let first = run!(c.send(&ListDataStores::new(UniverseId::from(1)).max_page_size(3))).unwrap();
    assert!(first.data_stores.is_empty());
    assert!(first.next_page_token().is_some(), "an empty page is not the end");
    let before = count_logged(&env, "GET", "ListDataStores");
    let ids: Vec<String> = collect!(c.data_stores(|l| l.max_page_size(3))).unwrap().into_iter().map(|d| d.id).collect();
    assert_eq!(ids, ["B0", "B1", "B2", "B3"]);
    assert_eq!(count_logged(&env, "GET", "ListDataStores") - before, 3, "the empty page, then B0-B2, then B3");
    assert_eq!(collect!(c.data_stores(|l| l.show_deleted(true).max_page_size(100))).unwrap().len(), 519);
});

scenario!(keys_with_reserved_characters_round_trip, |env| {
    let c = env.client(|b| b);
    let store = c.data_store("Odd/Store?");
    let keys = ["a/b", "user@home", "50%", "why?", "#tag", "with space", "ключ", "a@b@c", "x:increment", "..a", "日本"];
    for (i, k) in keys.iter().enumerate() {
        let e = store.scope("sc/ope").entry(k);
        run!(e.create(&json!({"i": i}))).unwrap();
        assert_eq!(run!(e.get()).unwrap().id, *k);
        assert_eq!(run!(e.get_json::<Value>()).unwrap(), json!({"i": i}));
        let inc = store.scope("sc/ope").entry(&format!("{k}#n"));
        assert_eq!(run!(inc.increment(2)).unwrap().id, format!("{k}#n"));
        run!(e.update(&json!({"i": i, "updated": true}))).unwrap();
    }
    let mut listed: Vec<String> = collect!(store.scope("sc/ope").entries(|l| l)).unwrap().into_iter().map(|e| e.id).collect();
    let mut want: Vec<String> = keys.iter().flat_map(|k| [k.to_string(), format!("{k}#n")]).collect();
    listed.sort();
    want.sort();
    assert_eq!(listed, want);
    assert!(run!(store.scope("sc/ope").entry("user@home").delete()).is_ok());
    assert!(run!(store.scope("sc/ope").entry("user@home").get()).unwrap_err().is_not_found());
    // Invalid names fail before any request is sent.
    let before = env.app().requests().len();
    assert!(matches!(run!(store.entry(&"k".repeat(51)).get()), Err(Error::InvalidInput(_))));
    assert!(matches!(run!(c.data_store("").entry("k").get()), Err(Error::InvalidInput(_))));
    assert!(matches!(run!(store.scope("-").entry("k").get()), Err(Error::InvalidInput(_))));
    assert_eq!(env.app().requests().len(), before, "nothing was sent");
});

scenario!(scopes_and_the_wildcard, |env| {
    let c = env.client(|b| b);
    let s = c.data_store("Scoped");
    run!(s.entry("g1").set(&json!(1))).unwrap();
    run!(s.scope("global").entry("g2").set(&json!(2))).unwrap();
    run!(s.scope("season1").entry("p1").set(&json!(3))).unwrap();
    run!(s.scope("season2").entry("p1").set(&json!(4))).unwrap();
    let global: Vec<String> = collect!(s.entries(|l| l)).unwrap().into_iter().map(|e| e.id).collect();
    assert_eq!(global, ["g1", "g2"], "the unscoped path is the global scope");
    assert_eq!(run!(s.scope("global").entry("g1").get()).unwrap().path, "universes/1/data-stores/Scoped/entries/g1");
    let all: Vec<(String, String)> = collect!(s.all_scopes()).unwrap().into_iter().map(|e| (e.scope_or_global().to_string(), e.id)).collect();
    assert_eq!(all, [("global".into(), "g1".into()), ("global".into(), "g2".into()), ("season1".into(), "p1".into()), ("season2".into(), "p1".into())]);
    assert_eq!(run!(s.scope("season2").entry("p1").get()).unwrap().value, Some(json!(4)));
});

scenario!(revisions_and_reads_at_a_time, |env| {
    env.app().clock.freeze();
    env.app().clock.set("2024-03-01T12:00:00Z".parse().unwrap());
    let c = env.client(|b| b);
    let e = c.data_store("Timed").entry("k");
    run!(e.set(&json!("v1"))).unwrap();
    env.app().clock.advance(std::time::Duration::from_secs(3600));
    run!(e.set(&json!("v2"))).unwrap();
    env.app().clock.advance(std::time::Duration::from_secs(3600));
    run!(e.set(&json!("v3"))).unwrap();
    let now = env.app().clock.now();
    let at = |s: &str| RevisionSelector::AsOf(AsOfTime::new(s.parse().unwrap(), now).unwrap());
    assert_eq!(run!(e.get_at(at("2024-03-01T12:30:00Z"))).unwrap().value, Some(json!("v1")));
    assert_eq!(run!(e.get_at(at("2024-03-01T13:30:00Z"))).unwrap().value, Some(json!("v2")));
    assert!(AsOfTime::new("2024-03-01T14:10:01Z".parse().unwrap(), now).is_err(), "more than ten minutes ahead is refused before sending");
    let range = RevisionTimeRange::new(Some("2024-03-01T12:30:00Z".parse().unwrap()), None).unwrap();
    let revs = collect!(e.revisions(|l| l.range(range))).unwrap();
    assert_eq!(revs.len(), 2);
    let first = RevisionId::new(revs[0].revision_id.clone().unwrap()).unwrap();
    assert_eq!(run!(e.get_at(RevisionSelector::Revision(first))).unwrap().value, Some(json!("v2")));
});

scenario!(soft_delete_and_undelete, |env| {
    let c = env.client(|b| b);
    let s = c.data_store("Soft");
    run!(s.entry("a").set(&json!(1))).unwrap();
    run!(s.entry("b").set(&json!(2))).unwrap();
    run!(s.entry("a").delete()).unwrap();
    assert_eq!(collect!(s.entries(|l| l)).unwrap().len(), 1);
    assert_eq!(collect!(s.entries(|l| l.show_deleted(true))).unwrap().len(), 2);
    let revs = collect!(s.entry("a").revisions(|l| l)).unwrap();
    assert_eq!(revs.last().unwrap().state, State::Deleted);
    run!(s.delete()).unwrap();
    assert!(run!(s.entry("b").get()).unwrap_err().is_not_found());
    run!(s.undelete()).unwrap();
    assert_eq!(run!(s.entry("b").get()).unwrap().value, Some(json!(2)));
});

scenario!(an_injected_503_on_a_get_is_retried, |env| {
    let c = env.client(|b| b);
    let e = c.data_store("Retry").entry("k");
    run!(e.set(&json!(1))).unwrap();
    env.app().inject(Fault::status(Some("GET"), "*/entries/k", 503).times(2));
    assert_eq!(run!(e.get()).unwrap().value, Some(json!(1)));
    assert_eq!(count_logged(&env, "GET", "GetEntry"), 1, "fault answers carry no route");
    let gets = env.app().requests().iter().filter(|r| r.method == "GET" && r.path.ends_with("/entries/k")).count();
    assert_eq!(gets, 3, "two failures, then success");
    // A dropped connection on an idempotent read is retried too.
    env.app().inject(Fault { drop_connection: true, ..Fault::status(Some("GET"), "*/entries/k", 200) });
    assert_eq!(run!(e.get()).unwrap().value, Some(json!(1)));
});

scenario!(an_injected_500_after_an_increment_is_not_retried, |env| {
    let c = env.client(|b| b);
    let e = c.data_store("Once").entry("n");
    run!(e.increment(10)).unwrap();
    env.app().inject(Fault::status(Some("POST"), "*:increment", 500).after());
    let err = run!(e.increment(1)).unwrap_err();
    assert_eq!(err.status().unwrap().as_u16(), 500);
    assert_eq!(run!(e.get()).unwrap().value, Some(json!(11)), "the value moved exactly once");
    assert_eq!(count_logged(&env, "POST", "IncrementEntry"), 2);
    // A 429 before applying is retried: the increment lands once.
    env.app().inject(Fault::status(Some("POST"), "*:increment", 429));
    assert_eq!(run!(e.increment(1)).unwrap().value, Some(json!(12)));
    // A dropped connection after applying is not retried either.
    env.app().inject(Fault { drop_connection: true, ..Fault::status(Some("POST"), "*:increment", 200) }.after());
    assert!(matches!(run!(e.increment(1)), Err(Error::Transport(_))));
    assert_eq!(run!(e.get()).unwrap().value, Some(json!(13)));
});

scenario!(errors_carry_the_service_code_and_message, |env| {
    let c = env.client(|b| b);
    let err = run!(c.data_store("Nope").entry("k").get()).unwrap_err();
    let s = err.as_service().unwrap();
    assert_eq!((s.status.as_u16(), s.code.as_deref()), (404, Some("NOT_FOUND")));
    assert!(err.to_string().contains("NOT_FOUND"), "{err}");
    let bad = env.client(|b| b.api_key("wrong-key"));
    let err = run!(bad.data_store("Nope").entry("k").get()).unwrap_err();
    assert_eq!(err.status().unwrap().as_u16(), 401);
    assert_eq!(err.as_service().unwrap().shape, ErrorShape::Gateway);
});

scenario!(ordered_every_operation_with_filters_and_paging, |env| {
    let c = env.client(|b| b);
    let board = c.ordered_data_store("PlayerScores", "global");
    for (id, v) in [("Ava", 10), ("Bo", -5), ("Cy", 0), ("Di", 10), ("Ed", 55), ("Fi", -1)] {
        assert_eq!(run!(board.entry(id).create(v)).unwrap().value, v);
    }
    assert!(run!(board.entry("Ava").create(1)).unwrap_err().status().unwrap().as_u16() == 400);
    let ids = |v: Vec<OrderedEntry>| v.into_iter().map(|e| format!("{}={}", e.id, e.value)).collect::<Vec<_>>();
    let asc = collect!(board.entries(|l| l.max_page_size(2))).unwrap();
    assert_eq!(ids(asc), ["Bo=-5", "Fi=-1", "Cy=0", "Ava=10", "Di=10", "Ed=55"]);
    let desc = collect!(board.entries(|l| l.order(Order::Descending).max_page_size(4))).unwrap();
    assert_eq!(ids(desc), ["Ed=55", "Ava=10", "Di=10", "Cy=0", "Fi=-1", "Bo=-5"]);
    let zero_up = collect!(board.entries(|l| l.range(OrderedRange::new(Some(0), None).unwrap()))).unwrap();
    assert_eq!(ids(zero_up), ["Cy=0", "Ava=10", "Di=10", "Ed=55"], "0 is a real bound");
    let negatives = collect!(board.entries(|l| l.range(OrderedRange::new(None, Some(-1)).unwrap()).order(Order::Descending))).unwrap();
    assert_eq!(ids(negatives), ["Fi=-1", "Bo=-5"]);
    let band = collect!(board.entries(|l| l.range(OrderedRange::new(Some(-5), Some(0)).unwrap()).max_page_size(1))).unwrap();
    assert_eq!(ids(band), ["Bo=-5", "Fi=-1", "Cy=0"]);
    assert_eq!(run!(board.entry("Ava").get()).unwrap().value, 10);
    assert_eq!(run!(board.entry("Ava").update(12)).unwrap().value, 12);
    assert!(run!(board.entry("Zed").update(1)).unwrap_err().is_not_found());
    assert_eq!(run!(board.entry("Zed").set(1)).unwrap().value, 1);
    assert_eq!(run!(board.entry("Zed").increment(-3)).unwrap().value, -2);
    assert_eq!(run!(board.entry("New").increment(7)).unwrap().value, 7);
    run!(board.entry("Zed").delete()).unwrap();
    assert!(run!(board.entry("Zed").get()).unwrap_err().is_not_found());
    assert!(run!(board.entry("Zed").delete()).unwrap_err().is_not_found());
    assert!(matches!(run!(board.entry("Big").set(1 << 60)), Err(Error::InvalidInput(_))), "beyond 2^53 is refused before sending");
    assert!(matches!(run!(board.entry(&"x".repeat(64)).get()), Err(Error::InvalidInput(_))));
    assert_eq!(run!(board.entry(&"x".repeat(63)).set(1)).unwrap().value, 1);
    let other_scope = c.ordered_data_store("PlayerScores", "weekly");
    assert!(collect!(other_scope.entries(|l| l)).unwrap().is_empty());
});

// ---- Messaging and user restrictions ----

/// One raw HTTP/1.1 request to the emulator on loopback (`Connection: close`): status and body.
fn raw_http(base_url: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let addr = base_url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap();
    let body = out.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

/// The messages `GET /_emulator/messages?topic=...` reports, in order.
fn published_messages(base_url: &str, topic: &str) -> Vec<String> {
    let (status, body) = raw_http(base_url, "GET", &format!("/_emulator/messages?topic={topic}"), &[], "");
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    v["messages"].as_array().unwrap().iter().map(|m| m["message"].as_str().unwrap().to_string()).collect()
}

scenario!(publish_is_recorded_and_streamed_to_subscribers, |env| {
    use std::io::{Read, Write};
    let c = env.client(|b| b);
    let base = env.em.base_url().to_string();
    // A subscriber of the event stream, connected before the publish.
    let addr = base.trim_start_matches("http://").trim_end_matches('/').to_string();
    let mut sub = std::net::TcpStream::connect(&addr).unwrap();
    sub.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    sub.write_all(format!("GET /_emulator/messages/stream?topic=news HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes()).unwrap();
    let mut seen = Vec::new();
    let mut read_until = |sub: &mut std::net::TcpStream, needle: &str| {
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&seen).contains(needle) {
            let n = sub.read(&mut buf).unwrap();
            assert!(n > 0, "the stream ended before {needle:?}: {}", String::from_utf8_lossy(&seen));
            seen.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&seen).to_string()
    };
    let head = read_until(&mut sub, ": subscribed");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.to_ascii_lowercase().contains("content-type: text/event-stream"), "{head}");
    run!(c.messaging().publish("other", "not for this subscriber")).unwrap();
    run!(c.messaging().publish("news", "first")).unwrap();
    run!(c.messaging().publish_json("news", &json!({"n": 2}))).unwrap();
    run!(c.messaging().publish_v1("news", "third, through v1")).unwrap();
    let text = read_until(&mut sub, "third, through v1");
    let events: Vec<Value> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    let got: Vec<&str> = events.iter().map(|e| e["message"].as_str().unwrap()).collect();
    assert_eq!(got, ["first", r#"{"n":2}"#, "third, through v1"]);
    assert!(events.iter().all(|e| e["topic"] == "news" && e["universe"] == "1"));
    assert_eq!(published_messages(&base, "news"), ["first", r#"{"n":2}"#, "third, through v1"]);
    assert_eq!(published_messages(&base, "other"), ["not for this subscriber"]);
    assert!(published_messages(&base, "silent").is_empty());
});

scenario!(an_oversized_message_or_a_bad_topic_is_refused, |env| {
    let c = env.client(|b| b);
    let before = env.app().requests().len();
    let e = run!(c.messaging().publish("news", "x".repeat(1025))).unwrap_err();
    assert!(matches!(e, Error::InvalidInput(ref i) if i.field == "message"), "{e}");
    assert!(matches!(run!(c.messaging().publish(&"t".repeat(81), "hi")), Err(Error::InvalidInput(_))));
    assert_eq!(env.app().requests().len(), before, "refused before any request");
    // The emulator checks too, with the v2 error shape.
    let base = env.em.base_url().to_string();
    let body = json!({"topic": "news", "message": "é".repeat(513)}).to_string();
    let (status, reply) = raw_http(&base, "POST", "/cloud/v2/universes/1:publishMessage", &[("x-api-key", opencloud_emulator::DEV_API_KEY), ("content-type", "application/json")], &body);
    assert_eq!(status, 400, "{reply}");
    let v: Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(v["code"], "INVALID_ARGUMENT");
    assert!(v["message"].as_str().unwrap().contains("message"), "{v}");
    let body = json!({"topic": "", "message": "hi"}).to_string();
    let (status, _) = raw_http(&base, "POST", "/cloud/v2/universes/1:publishMessage", &[("x-api-key", opencloud_emulator::DEV_API_KEY), ("content-type", "application/json")], &body);
    assert_eq!(status, 400);
    assert!(published_messages(&base, "news").is_empty());
});

scenario!(a_timed_ban_expires_on_the_emulator_clock_and_is_logged, |env| {
    let c = env.client(|b| b);
    let bans = c.user_restrictions();
    env.app().clock.freeze();
    // Never banned: an inactive restriction.
    let never = run!(bans.get(UserId(7))).unwrap();
    assert!(!never.is_active());
    assert_eq!(never.user_id(), Some(UserId(7)));
    let start = env.app().clock.now();
    let ban = RestrictionWrite::ban()
        .duration(RestrictionDuration::from_secs(3600).unwrap())
        .display_reason("Exploiting")
        .private_reason("teleport hack");
    let made = run!(bans.ban(UserId(7), ban)).unwrap();
    let g = made.game_join_restriction.clone().unwrap();
    assert!(g.active);
    assert_eq!(g.start_time, Some(start), "start time is the emulator's clock when applied");
    assert_eq!(g.duration.map(|d| d.as_secs()), Some(3600));
    assert_eq!(g.display_reason, "Exploiting");
    let got = run!(bans.get(UserId(7))).unwrap();
    assert!(got.is_active());
    assert_eq!(got.path, "universes/1/user-restrictions/7");
    run!(bans.ban(UserId(8), RestrictionWrite::ban())).unwrap();
    run!(bans.ban(UserId(9), RestrictionWrite::ban())).unwrap();
    let listed: Vec<Option<UserId>> = collect!(bans.list(|l| l.max_page_size(2))).unwrap().iter().map(|r| r.user_id()).collect();
    assert_eq!(listed, [Some(UserId(7)), Some(UserId(8)), Some(UserId(9))]);
    // One second before the end it is still in force; at the end it is not.
    env.app().clock.advance(std::time::Duration::from_secs(3599));
    assert!(run!(bans.get(UserId(7))).unwrap().is_active());
    env.app().clock.advance(std::time::Duration::from_secs(1));
    assert!(!run!(bans.get(UserId(7))).unwrap().is_active(), "expired");
    assert!(run!(bans.get(UserId(8))).unwrap().is_active(), "a permanent ban stays");
    // Unban.
    let lifted = run!(bans.unban(UserId(8))).unwrap();
    assert!(!lifted.is_active());
    assert!(!run!(bans.get(UserId(8))).unwrap().is_active());
    // Logs, newest first, across pages, and by user.
    let logs = collect!(bans.logs(|l| l.max_page_size(3))).unwrap();
    let order: Vec<(u64, bool)> = logs.iter().map(|l| (l.user.unwrap().0, l.active)).collect();
    assert_eq!(order, [(8, false), (9, true), (8, true), (7, true)]);
    assert_eq!(logs[3].display_reason, "Exploiting");
    assert_eq!(logs[3].duration.map(|d| d.as_secs()), Some(3600));
    let for_8 = collect!(bans.logs(|l| l.user(UserId(8)))).unwrap();
    assert_eq!(for_8.iter().map(|l| l.active).collect::<Vec<_>>(), [false, true]);
});

scenario!(a_repeated_update_with_the_same_idempotency_key_applies_once, |env| {
    let c = env.client(|b| b);
    env.app().clock.freeze();
    let address = UserRestrictionAddress::new(UniverseId::from(1), UserId(42));
    let key = IdempotencyKey::new("6f1b9e2c-0d1e-4a7b-8c9d-0e1f2a3b4c5d", env.app().clock.now()).unwrap();
    let op = UpdateUserRestriction::new(address, RestrictionWrite::ban(), key);
    let first = run!(c.send(&op)).unwrap();
    env.app().clock.advance(std::time::Duration::from_secs(60));
    let again = run!(c.send(&op)).unwrap();
    assert_eq!(first, again, "the stored answer, with the first start time");
    assert_eq!(collect!(c.user_restrictions().logs(|l| l)).unwrap().len(), 1, "one log entry");
});

scenario!(place_level_bans_and_the_inherited_universe_ban, |env| {
    let c = env.client(|b| b);
    let place = c.place(555).user_restrictions();
    run!(place.ban(UserId(3), RestrictionWrite::ban().display_reason("place only"))).unwrap();
    let got = run!(place.get(UserId(3))).unwrap();
    assert!(got.is_active());
    assert_eq!(got.place(), Some("555"));
    assert!(!got.game_join_restriction.unwrap().inherited);
    assert!(!run!(c.user_restrictions().get(UserId(3))).unwrap().is_active(), "a place ban stays in its place");
    assert!(!run!(c.place(556).user_restrictions().get(UserId(3))).unwrap().is_active());
    // A universe-level ban reads in every place as inherited.
    run!(c.user_restrictions().ban(UserId(4), RestrictionWrite::ban())).unwrap();
    let inherited = run!(c.place(556).user_restrictions().get(UserId(4))).unwrap();
    assert!(inherited.is_active());
    assert_eq!(inherited.path, "universes/1/places/556/user-restrictions/4");
    assert!(inherited.game_join_restriction.unwrap().inherited);
    // Listings are per level; logs of a place handle are of its place.
    let in_place: Vec<Option<UserId>> = collect!(place.list(|l| l)).unwrap().iter().map(|r| r.user_id()).collect();
    assert_eq!(in_place, [Some(UserId(3))]);
    let logs = collect!(place.logs(|l| l)).unwrap();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].place.as_ref().map(|p| p.as_str()), Some("555"));
    assert_eq!(collect!(c.user_restrictions().logs(|l| l)).unwrap().len(), 2, "the universe's log has every change");
});

scenario!(a_key_without_the_restriction_or_messaging_scope_gets_403, |env| {
    let _ = env;
    let limited = opencloud_emulator::KeyConfig {
        key: "read-only-bans".into(),
        name: None,
        scopes: vec!["universe.user-restriction:read".into()],
        universes: None,
        data_stores: None,
        expires: None,
    };
    let env = run!(Env::new(opencloud_emulator::EmulatorConfig {
        keys: vec![limited],
        ..opencloud_emulator::EmulatorConfig::unthrottled()
    }));
    let c = env.client(|b| b.api_key("read-only-bans"));
    assert!(!run!(c.user_restrictions().get(UserId(1))).unwrap().is_active(), "reading is allowed");
    let e = run!(c.user_restrictions().ban(UserId(1), RestrictionWrite::ban())).unwrap_err();
    assert_eq!(e.status().unwrap().as_u16(), 403, "{e}");
    let e = run!(c.messaging().publish("news", "hi")).unwrap_err();
    assert_eq!(e.status().unwrap().as_u16(), 403, "{e}");
    assert!(collect!(c.user_restrictions().logs(|l| l)).unwrap().is_empty(), "nothing was applied");
});

scenario!(
    the_limiter_paces_updates_of_one_user_to_two_a_minute,
    EmulatorConfig { throttle: true, frozen_at: Some(BULK_T0.parse().unwrap()), ..EmulatorConfig::default() },
    |env| {
        // The emulator enforces the documented budgets, 2 updates a minute of one user among
        // them; a client on the same limits waits instead of tripping a 429.
        let t0: jiff::Timestamp = BULK_T0.parse().unwrap();
        let c = env.client(|b| b.rate_limits(RateLimits::documented_defaults()));
        let bans = c.user_restrictions();
        run!(bans.ban(UserId(1), RestrictionWrite::ban())).unwrap();
        run!(bans.unban(UserId(1))).unwrap();
        run!(bans.ban(UserId(2), RestrictionWrite::ban())).unwrap();
        assert_eq!(env.app().clock.now(), t0, "other users and the first two updates do not wait");
        run!(bans.ban(UserId(1), RestrictionWrite::ban())).unwrap();
        let waited = env.app().clock.now().as_second() - t0.as_second();
        assert!((60..=61).contains(&waited), "the third update of user 1 waited a minute, not {waited} s");
        let log = env.app().requests();
        assert_eq!(log.iter().filter(|r| r.status == 429).count(), 0, "no request was throttled");
        assert_eq!(log.iter().filter(|r| r.status == 200).count(), 4);
        assert!(run!(bans.get(UserId(1))).unwrap().is_active());
    }
);

fn write_budget(requests: u64) -> RateLimits {
    RateLimits::unlimited().with(ThrottleCategory::Write, CategoryLimit { requests, bytes: u64::MAX })
}

const BULK_T0: &str = "2024-01-01T00:00:00Z";

scenario!(
    throttled_bulk_writes_finish_with_zero_failures,
    EmulatorConfig { throttle: true, limits: write_budget(100), frozen_at: Some(BULK_T0.parse().unwrap()), ..EmulatorConfig::default() },
    |env| {
        // With the client's limiter on the same budget, no request is throttled at all.
        let t0: jiff::Timestamp = BULK_T0.parse().unwrap();
        let c = env.client(|b| b.rate_limits(write_budget(100)));
        assert_eq!(run!(bulk_set(&c.data_store("Bulk"), 2000, 16)), 0);
        let log = env.app().requests();
        assert_eq!(log.iter().filter(|r| r.status == 429).count(), 0, "the limiter kept under the budget");
        assert_eq!(log.iter().filter(|r| r.status == 200).count(), 2000);
        let minutes = (env.app().clock.now().as_second() - t0.as_second()) as f64 / 60.0;
        assert!(
            (19.0..=30.0).contains(&minutes),
            "2000 writes at 100/min need at least 19 virtual minutes and should not take 30, took {minutes}"
        );
        // Without a limiter the service's 429s and Retry-After are honoured: still zero failures.
        env.app().reset().unwrap();
        let patient = RetryPolicy { max_attempts: 10_000, max_elapsed: None, ..RetryPolicy::default() };
        let c = env.client(|b| b.retry_policy(patient));
        let store = c.data_store("Bulk2");
        assert_eq!(run!(bulk_set(&store, 2000, 16)), 0);
        assert_eq!(collect!(store.entries(|l| l.max_page_size(256))).unwrap().len(), 2000);
    }
);
