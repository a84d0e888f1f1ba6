// The legacy v1 suite shared by opencloud-async and opencloud-blocking, included after the
// scenario suite (it uses the same `run!`, `collect!`, `scenario!` and `Env`). Every flow goes
// through v1 and v2 against the same emulator: what one writes, the other reads.

/// Strict mode refuses a v1 write without `content-md5`: a write that passes proves the client
/// sent one, computed over the exact bytes.
fn strict() -> EmulatorConfig {
    EmulatorConfig {
        strict: true,
        ..EmulatorConfig::unthrottled()
    }
}

fn v1_code(e: &Error) -> Option<String> {
    match e {
        Error::Service(s) => s.datastore_error_code.clone(),
        _ => None,
    }
}

scenario!(v1_standard_entries_are_v2_entries, strict(), |env| {
    let c = env.client(|b| b);
    let v1 = c.v1();
    let e = v1.data_store("Inv").scope("s1").entry("player");
    let v2 = c.data_store("Inv").scope("s1").entry("player");
    let attrs = Attributes::from_value(json!({"tier": "gold"})).unwrap();
    let first = run!(e.set_with(
        EntryWrite::new(json!({"gold": 5})).users([UserId(42)]).attributes(attrs.clone()),
        |s| s.exclusive_create(true)
    ))
    .unwrap();
    assert!(!first.deleted);
    assert_eq!(first.content_length, br#"{"gold":5}"#.len() as u64);
    assert_eq!(first.created_time, first.object_created_time);

    // v1 write, v1 and v2 reads: the same value, users, attributes and revision.
    let got = run!(e.get()).unwrap();
    assert_eq!(got.value, Some(json!({"gold": 5})));
    assert_eq!(got.users, vec![UserId(42)]);
    assert_eq!(got.attributes.as_ref(), Some(attrs.as_map()));
    assert_eq!(got.revision_id.as_deref(), Some(first.version.as_str()));
    assert_eq!(got.scope_or_global(), "s1");
    let seen = run!(v2.get()).unwrap();
    assert_eq!((seen.value.clone(), seen.users.clone()), (got.value.clone(), got.users.clone()));
    assert_eq!(seen.attributes, got.attributes);
    assert_eq!(seen.revision_id, got.revision_id);
    assert_eq!(seen.create_time, got.create_time);

    // v2 write, v1 read: the v2 revision is the v1 version.
    let updated = run!(v2.update(&json!({"gold": 6}))).unwrap();
    let got = run!(e.get()).unwrap();
    assert_eq!(got.value, Some(json!({"gold": 6})));
    assert_eq!(got.revision_id, updated.revision_id);
    assert!(got.users.is_empty(), "an update without users clears them");

    // Conditional writes: a second exclusive create and a stale version fail their precondition.
    let again = run!(e.set_with(EntryWrite::new(json!(1)), |s| s.exclusive_create(true))).unwrap_err();
    assert!(again.is_precondition_failed(), "{again}");
    let stale = RevisionId::new(first.version.clone()).unwrap();
    let err = run!(e.set_with(EntryWrite::new(json!(1)), |s| s.match_version(stale))).unwrap_err();
    assert!(err.is_precondition_failed(), "{err}");
    let current = RevisionId::new(updated.revision_id.clone().unwrap()).unwrap();
    let third = run!(e.set_with(EntryWrite::new(json!({"gold": 7})), |s| s.match_version(current))).unwrap();

    // Versions are revisions, over pages of one, in either order.
    let versions = collect!(e.versions(|l| l.limit(1))).unwrap();
    let revisions = collect!(v2.revisions(|l| l)).unwrap();
    let ids: Vec<String> = versions.iter().map(|v| v.version.clone()).collect();
    let rev_ids: Vec<String> = revisions.iter().map(|r| r.revision_id.clone().unwrap()).collect();
    assert_eq!(ids, rev_ids);
    assert_eq!(ids.len(), 3);
    assert_eq!(ids.last(), Some(&third.version));
    let mut newest_first = collect!(e.versions(|l| l.order(Order::Descending).limit(2))).unwrap();
    newest_first.reverse();
    assert_eq!(newest_first, versions);
    let old = run!(e.version(RevisionId::new(ids[0].clone()).unwrap())).unwrap();
    assert_eq!(old.value, Some(json!({"gold": 5})));
    assert_eq!(old.users, vec![UserId(42)]);

    // Errors keep the v1 datastoreErrorCode.
    let missing = run!(v1.data_store("Inv").entry("nobody").get()).unwrap_err();
    assert!(missing.is_not_found());
    assert_eq!(v1_code(&missing).as_deref(), Some("EntryNotFound"));

    // Increment, and a delete seen by both.
    let n = v1.data_store("Inv").entry("n");
    assert_eq!(run!(n.increment(5)).unwrap().value, Some(json!(5)));
    assert_eq!(run!(n.increment(-7)).unwrap().value, Some(json!(-2)));
    assert_eq!(run!(c.data_store("Inv").entry("n").get()).unwrap().value, Some(json!(-2)));
    run!(e.delete()).unwrap();
    assert!(run!(e.get()).unwrap_err().is_not_found());
    assert!(run!(v2.get()).unwrap_err().is_not_found());
    let last = collect!(e.versions(|l| l.order(Order::Descending))).unwrap();
    assert!(last[0].deleted && last[0].content_length == 0);
});

scenario!(v1_cursors_page_keys_in_one_scope_and_in_all_scopes, |env| {
    let c = env.client(|b| b);
    // Written through v2, listed through v1.
    let store = c.data_store("Keys");
    for (scope, key) in [("global", "a1"), ("global", "a2"), ("global", "b1"), ("s1", "a1"), ("s2", "a3"), ("s2", "c1"), ("s2", "c2")] {
        run!(store.scope(scope).entry(key).set(&json!(1))).unwrap();
    }
    let v1 = c.v1().data_store("Keys");
    let pairs = |keys: Vec<DataStoreEntry>| -> Vec<String> {
        keys.iter().map(|k| format!("{}/{}", k.scope_or_global(), k.key())).collect()
    };
    let all = collect!(v1.keys(|l| l.all_scopes(true).limit(2))).unwrap();
    assert_eq!(pairs(all), ["global/a1", "global/a2", "global/b1", "s1/a1", "s2/a3", "s2/c1", "s2/c2"]);
    let global = collect!(v1.keys(|l| l.limit(2))).unwrap();
    assert_eq!(pairs(global), ["global/a1", "global/a2", "global/b1"]);
    let s2 = collect!(v1.scope("s2").keys(|l| l.limit(1))).unwrap();
    assert_eq!(pairs(s2), ["s2/a3", "s2/c1", "s2/c2"]);
    let prefixed = collect!(v1.keys(|l| l.all_scopes(true).prefix("a").limit(2))).unwrap();
    assert_eq!(pairs(prefixed), ["global/a1", "global/a2", "s1/a1", "s2/a3"]);
    // A page at a time: the listing's own cursor resumes it.
    let op = V1ListEntries::new(UniverseId::from(1), DataStoreName::new("Keys").unwrap());
    let mut listing = c.listing(op.all_scopes(true).limit(3));
    let page = run!(listing.next_page()).unwrap().unwrap();
    assert_eq!(page.keys.len(), 3);
    assert!(page.next_page_cursor.is_some());
    let rest = run!(listing.next_page()).unwrap().unwrap();
    assert_eq!(pairs([page.keys, rest.keys].concat())[..6], ["global/a1", "global/a2", "global/b1", "s1/a1", "s2/a3", "s2/c1"]);
    // Scope with all scopes is refused before sending.
    let refused = collect!(v1.scope("s1").keys(|l| l.all_scopes(true))).unwrap_err();
    assert!(matches!(refused, Error::InvalidInput(_)), "{refused}");
    // Data stores, one per page by default.
    run!(c.data_store("Other").entry("k").set(&json!(1))).unwrap();
    let stores = collect!(c.v1().data_stores(|l| l)).unwrap();
    assert_eq!(stores.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["Keys", "Other"]);
    assert!(stores.iter().all(|s| s.create_time.is_some()));
});

scenario!(v1_ordered_entries_with_filters_at_and_below_zero, |env| {
    let c = env.client(|b| b);
    let board = c.v1().ordered_data_store("Scores", "global");
    for (id, v) in [("a", -10), ("b", -5), ("c", 0), ("d", 7), ("e", 20)] {
        assert_eq!(run!(board.create(id, v)).unwrap().value, v);
    }
    assert_eq!(run!(board.create("a", 1)).unwrap_err().status().unwrap().as_u16(), 400);
    let ids = |entries: Vec<OrderedEntry>| -> Vec<String> {
        entries.iter().map(|e| format!("{}={}", e.id, e.value)).collect()
    };
    let asc = collect!(board.entries(|l| l.max_page_size(2))).unwrap();
    assert_eq!(ids(asc), ["a=-10", "b=-5", "c=0", "d=7", "e=20"]);
    let desc = collect!(board.entries(|l| l.order(Order::Descending).max_page_size(2))).unwrap();
    assert_eq!(ids(desc), ["e=20", "d=7", "c=0", "b=-5", "a=-10"]);
    let at_or_below_zero = collect!(board.entries(|l| l.range(OrderedRange::new(None, Some(0)).unwrap()).max_page_size(2))).unwrap();
    assert_eq!(ids(at_or_below_zero), ["a=-10", "b=-5", "c=0"]);
    let between = collect!(board.entries(|l| l.range(OrderedRange::new(Some(-5), Some(0)).unwrap()).order(Order::Descending))).unwrap();
    assert_eq!(ids(between), ["c=0", "b=-5"]);
    // The same entries through v2.
    let v2 = c.ordered_data_store("Scores", "global");
    assert_eq!(run!(v2.entry("b").get()).unwrap().value, -5);
    run!(v2.entry("b").increment(6)).unwrap();
    assert_eq!(run!(board.get("b")).unwrap().value, 1);
    // Set creates, increment adds, delete succeeds whether or not the entry exists.
    assert_eq!(run!(board.set("z", -3)).unwrap().value, -3);
    assert_eq!(run!(board.increment("z", -4)).unwrap().value, -7);
    run!(board.delete("z")).unwrap();
    run!(board.delete("z")).unwrap();
    assert!(run!(board.get("z")).unwrap_err().is_not_found());
});

scenario!(v1_reads_refuse_a_body_corrupted_in_transit, |env| {
    let c = env.client(|b| b);
    let e = c.v1().data_store("Inv").entry("k");
    run!(e.set(&json!(750))).unwrap();
    env.app().inject(Fault {
        status: None,
        corrupt_body: true,
        ..Fault::status(Some("GET"), "/datastores/v1/*", 200)
    });
    // The answer says 750 with 750's checksum, but 650 arrives.
    match run!(e.get()).unwrap_err() {
        Error::Decode(d) => {
            assert_eq!(d.path, "content-md5");
            assert_eq!(d.body, b"650");
        }
        other => panic!("expected a checksum error, got {other}"),
    }
    assert_eq!(run!(e.get()).unwrap().value, Some(json!(750)));
});
