//! The CLI as people and scripts use it: options anywhere, output formats, values from files,
//! the key's sources, closed pipes, long values, odd keys, failures whose outcome is unknown.

mod common;

use std::io::{BufRead, BufReader};

use common::{Env, json_lines, text};
use opencloud_emulator::{EmulatorConfig, Fault, FaultTiming, KeyConfig};
use serde_json::{Value, json};

#[test]
fn global_options_go_anywhere_and_errors_are_json_under_o_json() {
    let env = Env::new();
    env.client()
        .data_store("D")
        .entry("k")
        .set(&json!({"a": 1}))
        .unwrap();
    let out = env.run(&["entries", "get", "--data-store", "D", "k", "-o", "json"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["value"], json!({"a": 1}));
    let out = env.run(&[
        "entries",
        "--output",
        "json",
        "get",
        "--data-store",
        "D",
        "k",
    ]);
    assert!(out.contains("\"etag\""));
    // A listing: one array with -o json, lines with -o jsonl.
    env.client().data_store("D").entry("k2").set(&1).unwrap();
    let arr: Value =
        serde_json::from_str(&env.run(&["entries", "list", "--data-store", "D", "-o", "json"]))
            .unwrap();
    assert_eq!(arr.as_array().unwrap().len(), 2);
    let lines = env.run(&["entries", "list", "--data-store", "D", "-o", "jsonl"]);
    assert_eq!(lines.lines().count(), 2);
    // Paging: --limit with --page-size stops at a page and says how to continue.
    let out = env
        .cmd()
        .args([
            "entries",
            "list",
            "--data-store",
            "D",
            "-o",
            "jsonl",
            "--limit",
            "1",
        ])
        .output()
        .unwrap();
    assert_eq!(json_lines(&text(&out.stdout)).len(), 1);
    let err = text(&out.stderr);
    let token = err
        .split("--page-token ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .unwrap_or_else(|| panic!("{err}"));
    assert!(err.contains("--page-size 1 --page-token"), "{err}");
    let rest = env.run(&[
        "entries",
        "list",
        "--data-store",
        "D",
        "-o",
        "jsonl",
        "--page-size",
        "1",
        "--cursor",
        token,
    ]);
    assert_eq!(json_lines(&rest)[0]["key"], "k2");
    // An error under -o json is a JSON document on stderr.
    let out = env
        .cmd()
        .args([
            "entries",
            "get",
            "--data-store",
            "D",
            "missing",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let e: Value = serde_json::from_str(text(&out.stderr).trim()).unwrap();
    assert_eq!(e["error"]["exitCode"], 4);
    assert!(
        e["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("datastores list")
    );
}

#[test]
fn values_come_from_files_and_stdin_up_to_the_service_limit() {
    let env = Env::new();
    // 200 KB, more than a command line holds.
    let big = "x".repeat(200_000);
    let file = env.file("big.json", &format!("\"{big}\""));
    let out = env
        .cmd()
        .args([
            "entries",
            "update",
            "--data-store",
            "D",
            "big",
            "--allow-missing",
            "--value-file",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The table of the written entry prints the long value whole, without a panic.
    assert!(text(&out.stdout).contains(&big));
    let got: String = env
        .client()
        .data_store("D")
        .entry("big")
        .get_json()
        .unwrap();
    assert_eq!(got.len(), 200_000);
    // From stdin, with `-`.
    let out = env
        .cmd()
        .args(["entries", "create", "--data-store", "D", "piped", "-"])
        .write_stdin("{\"from\": \"stdin\"}")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        env.client()
            .data_store("D")
            .entry("piped")
            .get_json::<Value>()
            .unwrap(),
        json!({"from": "stdin"})
    );
    // Over the limit: refused before sending.
    let huge = env.file("huge.json", &format!("\"{}\"", "y".repeat(4_194_304)));
    let out = env
        .cmd()
        .args([
            "entries",
            "create",
            "--data-store",
            "D",
            "huge",
            "--value-file",
        ])
        .arg(&huge)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let out = env
        .cmd()
        .args([
            "entries",
            "create",
            "--data-store",
            "D",
            "x",
            "--value-file",
            "/nonexistent/v",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("file not found"));
}

#[test]
fn the_key_file_wins_over_the_environment_and_a_missing_one_says_so() {
    let env = Env::with(EmulatorConfig {
        keys: vec![KeyConfig::full_access("right-key")],
        ..EmulatorConfig::unthrottled()
    });
    let file = env.file("key", "right-key\n");
    let bare = || {
        let mut c = assert_cmd::Command::cargo_bin("opencloud").unwrap();
        c.env("OPENCLOUD_API_KEY", "wrong-key")
            .env("OPENCLOUD_BASE_URL", env.em.base_url())
            .env("OPENCLOUD_UNIVERSE_ID", "1");
        c
    };
    let out = bare()
        .args([
            "entries",
            "increment",
            "--data-store",
            "D",
            "n",
            "1",
            "--api-key-file",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = bare()
        .args(["datastores", "list", "--api-key-file", "/nonexistent/key"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("file not found"),
        "{}",
        text(&out.stderr)
    );
    let out = bare().args(["datastores", "list"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(5),
        "the environment's key is used otherwise"
    );
}

#[test]
fn the_api_key_never_appears_in_any_output_even_at_trace_level() {
    let secret = "sk-do-not-print-7f3a91c2";
    let env = Env::with(EmulatorConfig {
        keys: vec![KeyConfig::full_access(secret)],
        ..EmulatorConfig::unthrottled()
    });
    let runs: [&[&str]; 4] = [
        &[
            "entries",
            "update",
            "--data-store",
            "D",
            "k",
            "1",
            "--allow-missing",
            "-v",
        ],
        &["entries", "get", "--data-store", "D", "k", "-vv"],
        &["entries", "get", "--data-store", "D", "missing"],
        &["export", "--data-store", "D", "-v"],
    ];
    for args in runs {
        let out = env
            .cmd_with_key(secret)
            .env("RUST_LOG", "trace")
            .args(args)
            .output()
            .unwrap();
        let (o, e) = (text(&out.stdout), text(&out.stderr));
        assert!(
            !o.contains(secret) && !e.contains(secret),
            "{args:?}: {o}\n{e}"
        );
        assert!(!e.contains("panicked"), "{e}");
    }
    // -v shows each attempt.
    let out = env
        .cmd_with_key(secret)
        .args(["entries", "get", "--data-store", "D", "k", "-v"])
        .output()
        .unwrap();
    assert!(
        text(&out.stderr).contains("GET /cloud/v2/universes/1/data-stores/D/"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stderr).contains("-> 200"));
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let env = Env::new();
    let c = env.client();
    for i in 0..600 {
        c.data_store("P")
            .entry(&format!("k{i:04}"))
            .set(&i)
            .unwrap();
    }
    for args in [
        &["entries", "list", "--data-store", "P"][..],
        &["entries", "list", "--data-store", "P", "-o", "json"],
        &["export", "--data-store", "P"],
    ] {
        let mut child = env
            .process(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        // The reader is gone (like `| head -1`).
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            !text(&out.stderr).contains("panicked"),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn keys_with_control_characters_are_printed_escaped() {
    let env = Env::new();
    let key = "evil\n\u{1b}[31mred";
    env.client().data_store("E").entry(key).set(&1).unwrap();
    let out = env.run(&["entries", "list", "--data-store", "E"]);
    assert!(!out.contains('\u{1b}'), "{out:?}");
    assert!(out.contains(r"evil\n\u{1b}[31mred"), "{out:?}");
    // JSON output keeps the key exact (escaped by JSON itself).
    let j = env.run(&["entries", "list", "--data-store", "E", "-o", "jsonl"]);
    assert_eq!(json_lines(&j)[0]["key"], key);
}

#[test]
fn a_write_that_may_have_been_applied_has_its_own_exit_code() {
    let env = Env::new();
    env.em.app().inject(Fault {
        method: Some("POST".into()),
        path: "*:increment".into(),
        status: Some(500),
        delay_ms: 0,
        drop_connection: false,
        panic: false,
        corrupt_body: false,
        count: 1,
        when: FaultTiming::After,
    });
    let out = env
        .cmd()
        .args(["entries", "increment", "--data-store", "D", "n", "5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(9), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("may have been applied"), "{err}");
    assert!(err.contains("check the entry"), "{err}");
    // It was, indeed: a blind re-run would have doubled it.
    assert_eq!(
        env.client()
            .data_store("D")
            .entry("n")
            .get_json::<i64>()
            .unwrap(),
        5
    );
    // An idempotent write that fails the same way is a plain "unavailable".
    env.em
        .app()
        .inject(Fault::status(Some("PATCH"), "*", 500).times(20));
    let out = env
        .cmd()
        .args([
            "entries",
            "update",
            "--data-store",
            "D",
            "n",
            "1",
            "--retries",
            "1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
}

#[test]
fn etags_that_start_with_a_dash_and_confirmations() {
    let env = Env::new();
    env.client().data_store("D").entry("k").set(&1).unwrap();
    let out = env
        .cmd()
        .args([
            "entries",
            "update",
            "--data-store",
            "D",
            "k",
            "2",
            "--etag",
            "-stale",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(6),
        "parsed, sent, refused: {}",
        text(&out.stderr)
    );
    // Without a terminal, deleting a data store needs --yes.
    let out = env
        .cmd()
        .args(["datastores", "delete", "D"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("--yes"));
}

#[test]
fn entries_restore_undeletes_from_the_last_revision() {
    let env = Env::new();
    let e = env.client().data_store("D").entry("k");
    e.set(&json!({"v": 1})).unwrap();
    e.set(&json!({"v": 2})).unwrap();
    e.delete().unwrap();
    let out = env.run(&["entries", "restore", "--data-store", "D", "k", "-o", "json"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["value"], json!({"v": 2}));
    assert_eq!(e.get_json::<Value>().unwrap(), json!({"v": 2}));
    let out = env
        .cmd()
        .args(["entries", "restore", "--data-store", "D", "k"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(6),
        "not deleted: nothing to restore"
    );
}

#[test]
fn bulk_jobs_take_the_budget_an_emulator_announces_or_the_one_given() {
    let env = Env::with(EmulatorConfig {
        throttle: true,
        ..EmulatorConfig::default()
    });
    env.client().data_store("B").entry("k").set(&1).unwrap();
    let out = env
        .cmd()
        .args(["export", "--data-store", "B"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("the budget the emulator announces"),
        "{}",
        text(&out.stderr)
    );
    let out = env
        .cmd()
        .args(["export", "--data-store", "B", "--rate-limit", "120"])
        .output()
        .unwrap();
    assert!(
        text(&out.stderr).contains("120 requests per minute"),
        "{}",
        text(&out.stderr)
    );
    let out = env
        .cmd()
        .args(["export", "--data-store", "B", "--rate-limit", "fast"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
