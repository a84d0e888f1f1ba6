// The fault suite shared by opencloud-async and opencloud-blocking, included after the scenario
// suite (it uses the same `run!`, `collect!`, `scenario!` and `Env`). For every write operation,
// the emulator applies the write and then loses its answer (a 500, a 503, a dropped connection,
// an answer slower than the client's timeout); the final state must show exactly one application,
// or the call must report that its outcome is unknown. Never two.

use std::time::Duration as FaultDuration;

/// A fault for a method and a path.
type MakeFault = Box<dyn Fn(&str, &str) -> Fault>;

/// The ways an answer gets lost after the write was applied.
fn lost_answer_kinds() -> Vec<(&'static str, MakeFault)> {
    fn base(method: &str, path: &str) -> Fault {
        Fault::status(Some(method), path, 500).after()
    }
    vec![
        ("s500", Box::new(|m: &str, p: &str| base(m, p))),
        ("s503", Box::new(|m: &str, p: &str| Fault { status: Some(503), ..base(m, p) })),
        ("drop", Box::new(|m: &str, p: &str| Fault { status: None, drop_connection: true, ..base(m, p) })),
        ("slow", Box::new(|m: &str, p: &str| Fault { status: None, delay_ms: 1_500, ..base(m, p) })),
    ]
}

fn entry_path(key: &str) -> String {
    format!("/cloud/v2/universes/1/data-stores/Faults/entries/{key}")
}

scenario!(lost_answers_never_apply_a_write_twice, |env| {
    // The timeout is real time; the slow answer takes longer than it.
    let c = env.client(|b| b.timeout(FaultDuration::from_millis(600)));
    let store = c.data_store("Faults");
    for (kind, fault) in lost_answer_kinds() {
        // update_with: applied exactly once, and the call succeeds (it finds its own write).
        let key = format!("uw-{kind}");
        let e = store.entry(&key);
        run!(e.set(&json!(10))).unwrap();
        env.app().inject(fault("PATCH", &entry_path(&key)));
        let calls = std::sync::atomic::AtomicU32::new(0);
        let done = run!(e.update_with(|v: Option<i64>| {
            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            v.unwrap_or(0) + 1
        }))
        .unwrap_or_else(|err| panic!("{kind}: {err:?}"));
        assert_eq!(done.value, Some(json!(11)), "{kind}");
        assert_eq!(run!(e.get()).unwrap().value, Some(json!(11)), "{kind}: applied once");
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1, "{kind}: the change ran once");

        // update_with on a missing entry: the create is found in the history.
        let key = format!("uwc-{kind}");
        let e = store.entry(&key);
        env.app().inject(fault("POST", "/cloud/v2/universes/1/data-stores/Faults/entries"));
        let done = run!(e.update_with(|v: Option<i64>| v.unwrap_or(0) + 1))
            .unwrap_or_else(|err| panic!("{kind}: {err:?}"));
        assert_eq!(done.value, Some(json!(1)), "{kind}");
        assert_eq!(collect!(e.revisions(|l| l)).unwrap().len(), 1, "{kind}: one create");

        // An etag-guarded update: not retried, reported as unknown, applied once.
        let key = format!("etag-{kind}");
        let e = store.entry(&key);
        let first = run!(e.set(&json!(1))).unwrap();
        env.app().inject(fault("PATCH", &entry_path(&key)));
        let err = run!(e.update_with_options(EntryWrite::new(json!(2)), false, first.etag.as_deref()))
            .unwrap_err();
        assert!(err.is_outcome_unknown(), "{kind}: {err:?}");
        assert_eq!(run!(e.get()).unwrap().value, Some(json!(2)), "{kind}");
        assert_eq!(collect!(e.revisions(|l| l)).unwrap().len(), 2, "{kind}: one update");

        // create: not retried, reported as unknown, one revision.
        let key = format!("create-{kind}");
        let e = store.entry(&key);
        env.app().inject(fault("POST", "/cloud/v2/universes/1/data-stores/Faults/entries"));
        let err = run!(e.create(&json!(5))).unwrap_err();
        assert!(err.is_outcome_unknown(), "{kind}: {err:?}");
        assert_eq!(collect!(e.revisions(|l| l)).unwrap().len(), 1, "{kind}");

        // increment: not retried, reported as unknown, applied once.
        let key = format!("inc-{kind}");
        let e = store.entry(&key);
        run!(e.set(&json!(10))).unwrap();
        env.app().inject(fault("POST", &format!("{}:increment", entry_path(&key))));
        let err = run!(e.increment(1)).unwrap_err();
        assert!(err.is_outcome_unknown(), "{kind}: {err:?}");
        assert!(err.to_string().contains("may have applied") || err.request().is_some(), "{kind}");
        assert_eq!(run!(e.get()).unwrap().value, Some(json!(11)), "{kind}: applied once");

        // set: idempotent, retried, succeeds with the value written.
        let key = format!("set-{kind}");
        let e = store.entry(&key);
        env.app().inject(fault("PATCH", &entry_path(&key)));
        run!(e.set(&json!("v"))).unwrap_or_else(|err| panic!("{kind}: {err:?}"));
        assert_eq!(run!(e.get()).unwrap().value, Some(json!("v")), "{kind}");

        // delete: retried; the retry finds the entry gone, which is success.
        let key = format!("del-{kind}");
        let e = store.entry(&key);
        run!(e.set(&json!(1))).unwrap();
        env.app().inject(fault("DELETE", &entry_path(&key)));
        run!(e.delete()).unwrap_or_else(|err| panic!("{kind}: {err:?}"));
        assert!(run!(e.get()).unwrap_err().is_not_found(), "{kind}");

        // ordered increment: not retried, reported as unknown, applied once.
        let board = c.ordered_data_store("FaultBoard", "global");
        let o = board.entry(&format!("o-{kind}"));
        run!(o.set(10)).unwrap();
        env.app().inject(fault(
            "POST",
            &format!("/cloud/v2/universes/1/ordered-data-stores/FaultBoard/scopes/global/entries/o-{kind}:increment"),
        ));
        let err = run!(o.increment(1)).unwrap_err();
        assert!(err.is_outcome_unknown(), "{kind}: {err:?}");
        assert_eq!(run!(o.get()).unwrap().value, 11, "{kind}: applied once");
    }
});
