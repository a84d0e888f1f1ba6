//! Each way the bulk commands used to lose or corrupt data, reproduced against the emulator and
//! shown impossible now: concurrent writes during a migration, transforms matched by position,
//! repeated keys in an import, truncated exports, interrupted jobs.

mod common;

use common::{Env, json_lines, text};
use opencloud_emulator::{Fault, FaultTiming};
use serde_json::{Value, json};

/// Appends `+` to every string value: applied twice, it shows (`v++`).
const PLUS: &str = r#"sed 's/"value":"\([^"]*\)"/"value":"\1+"/'"#;

fn seed(env: &Env, store: &str, n: usize) {
    let c = env.client();
    for i in 0..n {
        c.data_store(store)
            .entry(&format!("k{i:03}"))
            .set(&json!("v"))
            .unwrap();
    }
}

fn value(env: &Env, store: &str, scope: &str, key: &str) -> Option<Value> {
    match env.client().data_store(store).scope(scope).entry(key).get() {
        Ok(e) => e.value,
        Err(e) if e.is_not_found() => None,
        Err(e) => panic!("{e}"),
    }
}

/// The job succeeded and left no entry with an unknown outcome.
fn assert_settled(out: &std::process::Output) {
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("outcome unknown"),
        "{}",
        text(&out.stderr)
    );
}

fn values(env: &Env, store: &str, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| value(env, store, "global", &format!("k{i:03}")).unwrap_or(Value::Null))
        .collect()
}

#[test]
fn migrate_keeps_a_write_made_while_it_runs() {
    let env = Env::new();
    seed(&env, "Live", 10);
    // The transform itself writes k005 the first time it sees it: between the migration's read
    // and its write, as a game server would.
    let marker = env.dir.join("written");
    let bin = assert_cmd::cargo::cargo_bin("opencloud");
    let transform = format!(
        r#"while IFS= read -r line; do case "$line" in *'"key":"k005"'*) if [ ! -e '{m}' ]; then touch '{m}'; '{bin}' -q --base-url {url} --api-key {key} --universe 1 entries update --data-store Live k005 '"999"' >/dev/null; fi;; esac; printf '%s\n' "$line" | {PLUS}; done"#,
        m = marker.display(),
        bin = bin.display(),
        url = env.em.base_url(),
        key = opencloud_emulator::DEV_API_KEY,
    );
    let out = env
        .cmd()
        .args([
            "migrate",
            "--data-store",
            "Live",
            "--to",
            "Live",
            "--transform",
        ])
        .arg(&transform)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(marker.exists(), "the concurrent write happened");
    let v = values(&env, "Live", 10);
    assert_eq!(
        v[5],
        json!("999+"),
        "the concurrent write was kept, then migrated"
    );
    for (i, x) in v.iter().enumerate().filter(|(i, _)| *i != 5) {
        assert_eq!(x, &json!("v+"), "k{i:03}");
    }
    assert!(
        env.journals().is_empty(),
        "a finished job leaves no journal"
    );
}

#[test]
fn migrate_matches_answers_by_key_and_refuses_lines_without_one() {
    let env = Env::new();
    seed(&env, "Live", 40);
    // Entries of a second scope share keys with the first.
    let c = env.client();
    c.data_store("Live")
        .scope("eu")
        .entry("k000")
        .set(&json!("eu"))
        .unwrap();
    // Reversed output: every answer is matched to its own entry.
    let out = env
        .cmd()
        .args([
            "migrate",
            "--data-store",
            "Live",
            "--to",
            "Copy",
            "--transform",
        ])
        .arg(format!("{PLUS} | tac"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(values(&env, "Copy", 40), vec![json!("v+"); 40]);
    assert_eq!(value(&env, "Copy", "eu", "k000"), Some(json!("eu+")));

    // Answers that lost their key stop the job before anything is written.
    let out = env
        .cmd()
        .args([
            "migrate",
            "--data-store",
            "Live",
            "--to",
            "Keyless",
            "--transform",
        ])
        .arg(r#"sed 's/.*"value":\("[^"]*"\).*/{"value":\1}/'"#)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("names no \"key\""),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(values(&env, "Keyless", 40), vec![Value::Null; 40]);

    // An answer for a key that is not waiting (unknown, or answered twice) stops it too.
    for (store, transform) in [
        (
            "Unknown",
            r#"sed 's/"key":"k000"/"key":"nope"/'"#.to_string(),
        ),
        (
            "Twice",
            format!(r#"{PLUS} | sed 's/"key":"k001"/"key":"k002"/'"#),
        ),
    ] {
        let out = env
            .cmd()
            .args([
                "migrate",
                "--data-store",
                "Live",
                "--to",
                store,
                "--scope",
                "global",
            ])
            .args(["--concurrency", "1", "--transform", &transform])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{store}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("not an entry waiting for an answer"),
            "{store}: {}",
            text(&out.stderr)
        );
        // Nothing is written for the line that named the wrong key, nor after it.
        let written = values(&env, store, 40)
            .iter()
            .filter(|v| !v.is_null())
            .count();
        assert!(written < 40, "{store}: the job stopped ({written} written)");
        assert_eq!(value(&env, store, "global", "nope"), None);
    }

    // Without a scope, a key waiting in two scopes is ambiguous.
    let out = env
        .cmd()
        .args([
            "migrate",
            "--data-store",
            "Live",
            "--to",
            "Ambiguous",
            "--transform",
        ])
        .arg(r#"sed 's/"scope":"[^"]*",//'"#)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("name the scope"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn migrate_never_transforms_twice_a_write_whose_outcome_is_unknown() {
    let env = Env::new();
    seed(&env, "Live", 10);
    let lost_answer = |path: &str| Fault {
        method: Some("PATCH".into()),
        path: path.into(),
        status: Some(500),
        delay_ms: 0,
        drop_connection: false,
        panic: false,
        corrupt_body: false,
        count: 1,
        when: FaultTiming::After,
    };
    let run = |resume: bool| {
        let mut c = env.cmd();
        c.args([
            "migrate",
            "--data-store",
            "Live",
            "--to",
            "Live",
            "--transform",
            PLUS,
        ]);
        if resume {
            c.arg("--resume");
        }
        c.output().unwrap()
    };
    // The write of k003 is applied, then answered 500: the client retries it and finds the
    // etag changed. The revision history shows that the revision after the one read is the
    // migration's own: written, once.
    env.em.app().inject(lost_answer("*/entries/k003"));
    let out = run(false);
    assert_settled(&out);
    assert_eq!(
        values(&env, "Live", 10),
        vec![json!("v+"); 10],
        "applied once"
    );

    // When the history cannot answer (here the key may not list revisions), the outcome is
    // reported unknown (exit 9), and nothing is transformed twice.
    env.em.app().inject(lost_answer("*/entries/k005"));
    env.em.app().inject(Fault {
        method: Some("GET".into()),
        status: Some(403),
        count: 50,
        when: FaultTiming::Before,
        ..lost_answer("*/entries/k005:listRevisions")
    });
    let out = run(false);
    assert_eq!(out.status.code(), Some(9), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("outcome unknown: scope \"global\" key \"k005\""),
        "{err}"
    );
    assert!(err.contains("revision history could not tell"), "{err}");
    assert!(
        err.contains("check those entries before writing them again"),
        "{err}"
    );
    let want = vec![json!("v++"); 10];
    assert_eq!(values(&env, "Live", 10), want, "applied once");
    // A resume leaves it alone (and has nothing else to do), and says which it is.
    let out = run(true);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr)
            .contains("9 done in an earlier run, 1 left with an unknown outcome by an earlier run"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(values(&env, "Live", 10), want);
    assert!(env.journals().is_empty());
}

#[test]
fn import_refuses_repeated_keys_unless_told_which_line_wins() {
    let env = Env::new();
    let lines: String = [1, 2, 3]
        .iter()
        .map(|v| format!("{{\"key\":\"a\",\"value\":{v}}}\n"))
        .chain((0..50).map(|i| format!("{{\"key\":\"b{i}\",\"value\":{i}}}\n")))
        .collect();
    let file = env.file("dups.jsonl", &lines);
    let import = |extra: &[&str]| {
        env.cmd()
            .args([
                "import",
                "--data-store",
                "D",
                "--ignore-trailer",
                "--concurrency",
                "16",
            ])
            .args(extra)
            .arg(&file)
            .output()
            .unwrap()
    };
    let out = import(&[]);
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert!(
        err.contains("scope \"global\" key \"a\": 3 lines (first line 1, last line 3)"),
        "{err}"
    );
    assert!(err.contains("--on-duplicate"), "{err}");
    assert_eq!(value(&env, "D", "global", "a"), None, "nothing written");
    assert_eq!(value(&env, "D", "global", "b0"), None, "nothing written");
    for _ in 0..3 {
        let out = import(&["--on-duplicate", "last"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("2 repeated lines left out"));
        assert_eq!(value(&env, "D", "global", "a"), Some(json!(3)));
    }
    let out = import(&["--on-duplicate", "first"]);
    assert!(out.status.success());
    assert_eq!(value(&env, "D", "global", "a"), Some(json!(1)));
}

#[test]
fn import_modes_create_overwrite_skip_existing() {
    let env = Env::new();
    let c = env.client();
    c.data_store("M").entry("old").set(&json!("kept?")).unwrap();
    let file = env.file(
        "m.jsonl",
        "{\"key\":\"old\",\"value\":\"new\"}\n{\"key\":\"fresh\",\"value\":\"new\"}\n",
    );
    let import = |mode: &str| {
        env.cmd()
            .args([
                "import",
                "--data-store",
                "M",
                "--ignore-trailer",
                "--mode",
                mode,
            ])
            .arg(&file)
            .output()
            .unwrap()
    };
    let out = import("skip-existing");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("imported 1 entries"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stderr).contains("1 skipped"));
    assert_eq!(value(&env, "M", "global", "old"), Some(json!("kept?")));
    assert_eq!(value(&env, "M", "global", "fresh"), Some(json!("new")));
    let out = import("create");
    assert_eq!(out.status.code(), Some(8));
    assert_eq!(text(&out.stderr).matches("already exists").count(), 2);
    // The failed run left a journal: a plain re-run says how to continue.
    let out = import("create");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("add --resume"),
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_file(&env.journals()[0]).unwrap();
    let out = import("overwrite");
    assert!(out.status.success());
    assert_eq!(value(&env, "M", "global", "old"), Some(json!("new")));
}

#[test]
fn export_covers_every_scope_ends_with_a_trailer_and_a_cut_file_is_refused() {
    let env = Env::new();
    seed(&env, "S", 300);
    let c = env.client();
    for i in 0..50 {
        c.data_store("S")
            .scope("eu")
            .entry(&format!("e{i}"))
            .set(&json!(i))
            .unwrap();
    }
    let file = env.dir.join("s.jsonl");
    let out = env
        .cmd()
        .args(["export", "--data-store", "S", "-f"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let body = std::fs::read_to_string(&file).unwrap();
    let last: Value = serde_json::from_str(body.lines().last().unwrap()).unwrap();
    assert_eq!(last["trailer"]["entries"], 350);
    let records = json_lines(&body);
    assert_eq!(records.len(), 350, "every scope by default");
    assert_eq!(records.iter().filter(|r| r["scope"] == "eu").count(), 50);
    // Only the final file exists: no temporary left behind.
    let files: Vec<_> = std::fs::read_dir(&env.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "journals")
        .collect();
    assert_eq!(files, ["s.jsonl"]);
    assert!(env.journals().is_empty());
    // --scope narrows.
    let eu = env.run(&["export", "--data-store", "S", "--scope", "eu"]);
    assert_eq!(json_lines(&eu).len(), 50);

    // Cut in the middle of a line, as an interrupted copy would leave it.
    // (Cut just before the end of the line that crosses 60%, so the cut never falls on a line
    // boundary, whatever the lines' lengths.)
    let mid = body.len() * 6 / 10;
    let eol = mid + body[mid..].find('\n').unwrap();
    let cut = env.file("cut.jsonl", &body[..eol - 1]);
    // Whole lines, but the trailer lost.
    let whole: String = body.lines().take(200).map(|l| format!("{l}\n")).collect();
    let short = env.file("short.jsonl", &whole);
    // A trailer that does not match.
    let edited = env.file("edited.jsonl", &body.replacen("\"v\"", "\"w\"", 1));
    for (f, why) in [
        (&cut, "ends in the middle of a line"),
        (&short, "no trailer"),
        (&edited, "checksum"),
    ] {
        let out = env
            .cmd()
            .args(["import", "--data-store", "Restored"])
            .arg(f)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains(why), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("nothing was written"));
    }
    // Told to ignore the trailer, a line cut in the middle is still refused.
    let out = env
        .cmd()
        .args(["import", "--data-store", "Restored", "--ignore-trailer"])
        .arg(&cut)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("ends in the middle of a line"));
    assert_eq!(
        env.run(&[
            "entries",
            "list",
            "--data-store",
            "Restored",
            "--all-scopes",
            "-o",
            "jsonl"
        ]),
        "",
        "nothing was imported"
    );
    // The whole file goes in.
    let out = env
        .cmd()
        .args(["import", "--data-store", "Restored"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(value(&env, "Restored", "eu", "e7"), Some(json!(7)));

    // A data store that does not exist is an error, unless an empty export is wanted.
    let missing = env.dir.join("missing.jsonl");
    let out = env
        .cmd()
        .args(["export", "--data-store", "Misspelled", "-f"])
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stderr).contains("--allow-empty"));
    assert!(!missing.exists());
    let out = env
        .cmd()
        .args([
            "export",
            "--data-store",
            "Misspelled",
            "--allow-empty",
            "-f",
        ])
        .arg(&missing)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        std::fs::read_to_string(&missing)
            .unwrap()
            .contains("\"entries\":0")
    );
}

/// Starts a job, waits until its journal shows progress, sends SIGINT, and returns its output.
fn interrupt(env: &Env, args: &[&str], progress: usize) -> std::process::Output {
    let mut child = env
        .process(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let lines = || {
        env.journals()
            .first()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .map_or(0, |t| t.lines().count())
    };
    // (If the job ends first, the exit status below says so instead of a hang.)
    while lines() < progress && child.try_wait().unwrap().is_none() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    child.wait_with_output().unwrap()
}

fn slow_writes(env: &Env) {
    env.em.app().inject(Fault {
        method: Some("PATCH".into()),
        path: "*".into(),
        status: None,
        delay_ms: 30,
        drop_connection: false,
        panic: false,
        corrupt_body: false,
        count: u32::MAX,
        when: FaultTiming::Before,
    });
}

fn fast_writes(env: &Env) {
    assert!(
        env.http("DELETE", "/_emulator/faults", "")
            .contains("200 OK")
    );
}

#[test]
fn ctrl_c_stops_an_import_cleanly_and_resume_finishes_it_exactly() {
    let env = Env::new();
    let lines: String = (0..300)
        .map(|i| format!("{{\"key\":\"k{i:03}\",\"value\":{i}}}\n"))
        .collect();
    let file = env.file("in.jsonl", &lines);
    slow_writes(&env);
    let path = file.to_str().unwrap();
    let args = [
        "import",
        "--data-store",
        "I",
        "--ignore-trailer",
        "--mode",
        "create",
        "--concurrency",
        "4",
        path,
    ];
    let out = interrupt(&env, &args, 20);
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("interrupted: imported"), "{err}");
    assert!(err.contains("--resume"), "{err}");
    let journal = std::fs::read_to_string(&env.journals()[0]).unwrap();
    let done = journal
        .lines()
        .filter(|l| l.contains("\"o\":\"done\""))
        .count();
    assert!((19..300).contains(&done), "{done} done");
    assert_eq!(
        env.client().data_store("I").entries(|l| l).count(),
        done,
        "the journal holds exactly what was written"
    );
    // --mode create would fail for every entry already written: the resume skips them.
    fast_writes(&env);
    let out = env.cmd().args(args).arg("--resume").output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(&format!("{done} done in an earlier run")),
        "{}",
        text(&out.stderr)
    );
    for i in [0, 150, 299] {
        assert_eq!(
            value(&env, "I", "global", &format!("k{i:03}")),
            Some(json!(i))
        );
    }
    assert_eq!(env.client().data_store("I").entries(|l| l).count(), 300);
    assert!(env.journals().is_empty());
}

#[test]
fn ctrl_c_stops_a_migration_cleanly_and_resume_transforms_each_entry_once() {
    let env = Env::new();
    seed(&env, "Live", 200);
    slow_writes(&env);
    let args = [
        "migrate",
        "--data-store",
        "Live",
        "--to",
        "Live",
        "--concurrency",
        "4",
        "--transform",
        PLUS,
    ];
    let out = interrupt(&env, &args, 30);
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("interrupted: migrated"), "{err}");
    assert!(err.contains("--resume"), "{err}");
    let migrated = values(&env, "Live", 200)
        .iter()
        .filter(|v| **v == json!("v+"))
        .count();
    assert!(migrated > 0 && migrated < 200, "{migrated}");
    // Re-running an in-place migration without --resume would transform entries twice: it
    // is refused.
    let out = env.cmd().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("add --resume"));
    fast_writes(&env);
    let out = env.cmd().args(args).arg("--resume").output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        values(&env, "Live", 200),
        vec![json!("v+"); 200],
        "each once"
    );
    assert!(env.journals().is_empty());
}

#[test]
fn ctrl_c_stops_an_export_and_resume_continues_from_the_last_complete_page() {
    let env = Env::new();
    seed(&env, "X", 1000);
    let whole = env.dir.join("whole.jsonl");
    let out = env
        .cmd()
        .args(["export", "--data-store", "X", "-f"])
        .arg(&whole)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    env.em.app().inject(Fault {
        method: Some("GET".into()),
        path: "*/entries/*".into(),
        status: None,
        delay_ms: 20,
        drop_connection: false,
        panic: false,
        corrupt_body: false,
        count: u32::MAX,
        when: FaultTiming::Before,
    });
    let file = env.dir.join("x.jsonl");
    let path = file.to_str().unwrap().to_string();
    let args = [
        "export",
        "--data-store",
        "X",
        "--concurrency",
        "4",
        "-f",
        &path,
    ];
    // The header and one checkpoint: at least one page is safely written.
    let out = interrupt(&env, &args, 2);
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("--resume"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        !file.exists(),
        "no file under the final name until it is complete"
    );
    fast_writes(&env);
    let out = env.cmd().args(args).arg("--resume").output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("done in an earlier run"),
        "{}",
        text(&out.stderr)
    );
    let strip =
        |p: &std::path::Path| -> Vec<Value> { json_lines(&std::fs::read_to_string(p).unwrap()) };
    assert_eq!(
        strip(&file),
        strip(&whole),
        "the same records, in the same order"
    );
    // Its trailer is right: import takes it.
    let out = env
        .cmd()
        .args(["import", "--data-store", "Y"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(env.journals().is_empty());
}

/// The journal of the in-place PLUS migration of `Live` with these entry lines, as a run killed
/// with writes in flight leaves it.
fn crash_journal(env: &Env, lines: &[Value]) -> std::path::PathBuf {
    let header = json!({"journal": {
        "job": "migrate", "target": env.em.base_url(), "universe": "1", "from": "Live",
        "to": "Live", "scope": null, "transform": PLUS,
    }});
    let mut text = format!("{header}\n");
    for l in lines {
        text.push_str(&format!("{l}\n"));
    }
    env.file("crash.journal", &text)
}

/// `migrate --resume` of the in-place PLUS migration of `Live` from `journal`.
fn resume_in_place_plus(env: &Env, journal: &std::path::Path) -> std::process::Output {
    env.cmd()
        .args([
            "migrate",
            "--data-store",
            "Live",
            "--to",
            "Live",
            "--transform",
            PLUS,
        ])
        .arg("--resume")
        .arg("--journal")
        .arg(journal)
        .output()
        .unwrap()
}

#[test]
fn resume_after_a_crash_mid_write_decides_by_the_etag_and_never_transforms_twice() {
    let env = Env::new();
    seed(&env, "Live", 3);
    let c = env.client();
    let etag = |k: &str| c.data_store("Live").entry(k).get().unwrap().etag.unwrap();
    let (e0, e1) = (etag("k000"), etag("k001"));
    // A journal of an older version, which recorded only the etag of a guarded write. The run
    // was killed (kill -9) with two guarded writes sent and not answered: k000's landed (its
    // etag changed), k001's did not. Without the fingerprint k000's outcome stays unknown.
    c.data_store("Live")
        .entry("k000")
        .set(&json!("v+"))
        .unwrap();
    let journal = crash_journal(
        &env,
        &[
            json!({"s": "global", "k": "k000", "o": "writing", "e": e0}),
            json!({"s": "global", "k": "k001", "o": "writing", "e": e1}),
        ],
    );
    let out = resume_in_place_plus(&env, &journal);
    assert_eq!(out.status.code(), Some(9), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("outcome unknown: scope \"global\" key \"k000\""),
        "{err}"
    );
    assert!(
        err.contains("1 with an unknown outcome") && !err.contains("done in an earlier run"),
        "k000 is counted once, as unknown: {err}"
    );
    assert_eq!(
        values(&env, "Live", 3),
        vec![json!("v+"); 3],
        "each transformed once"
    );
    // Resumed again, k000 is left alone and reported as unknown from the earlier run, not as
    // done; the other two were done.
    let out = resume_in_place_plus(&env, &journal);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("2 done in an earlier run, 1 left with an unknown outcome by an earlier run"),
        "{err}"
    );
    assert_eq!(values(&env, "Live", 3), vec![json!("v+"); 3]);
}

#[test]
fn resume_after_a_crash_mid_write_settles_each_write_from_the_revision_history() {
    use opencloud_blocking::{DataStoreEntry, EntryWrite, WriteFingerprint};
    let env = Env::new();
    seed(&env, "Live", 3);
    let c = env.client();
    let store = c.data_store("Live");
    let bases: Vec<DataStoreEntry> = (0..3)
        .map(|i| store.entry(&format!("k{i:03}")).get().unwrap())
        .collect();
    // The run was killed (kill -9) with three guarded writes sent and not answered, each
    // journaled with its base revision and the fingerprint of what it sent ("v+"):
    // k000's landed; k001's did not (nothing after its base); k002's did not either, because
    // another writer's revision followed its base.
    store.entry("k000").set(&json!("v+")).unwrap();
    store.entry("k002").set(&json!("other")).unwrap();
    let sent = WriteFingerprint::of_write(&EntryWrite::new(json!("v+")));
    let writing = |b: &DataStoreEntry| {
        json!({
            "s": "global", "k": b.id, "o": "writing", "e": b.etag,
            "r": b.revision_id, "t": b.revision_create_time, "f": sent.as_str(),
        })
    };
    let journal = crash_journal(&env, &bases.iter().map(writing).collect::<Vec<_>>());
    let out = resume_in_place_plus(&env, &journal);
    assert_settled(&out);
    assert_eq!(
        values(&env, "Live", 3),
        vec![json!("v+"), json!("v+"), json!("other+")],
        "k000 not transformed twice, k001 written, k002 transformed from the other writer's value"
    );
    assert!(
        text(&out.stderr).contains("1 done in an earlier run"),
        "{}",
        text(&out.stderr)
    );
    // Each write that landed made exactly one revision.
    let revisions = |k: &str| store.entry(k).revisions(|l| l).count();
    assert_eq!(revisions("k000"), 2, "the seed and the landed write");
    assert_eq!(revisions("k001"), 2);
    assert_eq!(
        revisions("k002"),
        3,
        "the seed, the other writer, the migration"
    );
}
