//! The `opencloud` binary against an in-process emulator: every command, bulk round trips,
//! errors people can act on.

mod common;

use assert_cmd::Command;
use common::{Env, json_lines};
use opencloud_blocking::Client;
use opencloud_emulator::{DEV_API_KEY, EmulatorConfig, KeyConfig};
use serde_json::Value;

#[test]
fn every_entries_and_datastores_command() {
    let env = Env::new();
    let created = env.run(&[
        "--output",
        "json",
        "entries",
        "create",
        "--data-store",
        "Inv",
        "user_1",
        r#"{"currency":5}"#,
        "--user",
        "7",
        "--attributes",
        r#"{"v":1}"#,
    ]);
    let created: Value = serde_json::from_str(&created).unwrap();
    assert_eq!(created["users"], serde_json::json!(["users/7"]));
    assert_eq!(
        env.run(&["entries", "get", "--data-store", "Inv", "user_1"])
            .trim(),
        "{\n  \"currency\": 5\n}"
    );
    let etag = created["etag"].as_str().unwrap();
    env.run(&[
        "entries",
        "update",
        "--data-store",
        "Inv",
        "user_1",
        r#"{"currency":6}"#,
        "--etag",
        etag,
    ]);
    let stale = env
        .cmd()
        .args([
            "entries",
            "update",
            "--data-store",
            "Inv",
            "user_1",
            "1",
            "--etag",
            etag,
        ])
        .output()
        .unwrap();
    assert_eq!(stale.status.code(), Some(6), "a stale etag is refused");
    env.run(&[
        "entries",
        "update",
        "--data-store",
        "Inv",
        "--scope",
        "s2",
        "other",
        "\"text\"",
        "--allow-missing",
    ]);
    assert!(
        env.run(&[
            "--output",
            "json",
            "entries",
            "increment",
            "--data-store",
            "Inv",
            "n",
            "-3"
        ])
        .contains("\"value\":-3")
    );
    let listed = json_lines(&env.run(&[
        "--output",
        "json",
        "entries",
        "list",
        "--data-store",
        "Inv",
        "--all-scopes",
    ]));
    let keys: Vec<(String, String)> = listed
        .iter()
        .map(|v| {
            (
                v["scope"].as_str().unwrap().into(),
                v["key"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            ("global".into(), "n".into()),
            ("global".into(), "user_1".into()),
            ("s2".into(), "other".into())
        ]
    );
    let table = env.run(&["entries", "list", "--data-store", "Inv", "--prefix", "user"]);
    assert_eq!(table.lines().count(), 2, "{table}");
    let revs = json_lines(&env.run(&[
        "--output",
        "json",
        "entries",
        "revisions",
        "--data-store",
        "Inv",
        "user_1",
    ]));
    assert_eq!(revs.len(), 2);
    let first = revs[0]["revisionId"].as_str().unwrap();
    assert!(
        env.run(&[
            "entries",
            "get",
            "--data-store",
            "Inv",
            "user_1",
            "--revision",
            first
        ])
        .contains("5")
    );
    let now = jiff::Timestamp::now().to_string();
    assert!(
        env.run(&[
            "entries",
            "get",
            "--data-store",
            "Inv",
            "user_1",
            "--as-of",
            &now
        ])
        .contains("6")
    );
    env.run(&["entries", "delete", "--data-store", "Inv", "user_1"]);
    let gone = env
        .cmd()
        .args(["entries", "get", "--data-store", "Inv", "user_1"])
        .output()
        .unwrap();
    assert_eq!(gone.status.code(), Some(4));
    // Data stores.
    let stores = json_lines(&env.run(&["--output", "json", "datastores", "list"]));
    assert_eq!(stores[0]["id"], "Inv");
    assert!(
        env.run(&["datastores", "delete", "Inv", "--yes"])
            .contains("scheduled for deletion")
    );
    assert!(
        env.run(&["datastores", "list"]).lines().count() == 1,
        "only the header"
    );
    assert!(
        env.run(&["datastores", "list", "--show-deleted"])
            .contains("DELETED")
    );
    assert!(
        env.run(&["datastores", "undelete", "Inv"])
            .contains("restored")
    );
    assert!(
        env.run(&["datastores", "snapshot"])
            .contains("snapshot taken")
    );
    assert!(
        env.run(&["datastores", "snapshot"])
            .contains("already taken today")
    );
}

#[test]
fn every_ordered_command() {
    let env = Env::new();
    for (id, v) in [("Ava", "10"), ("Bo", "-5"), ("Cy", "0"), ("Di", "55")] {
        env.run(&["ordered", "create", "--data-store", "Scores", id, v]);
    }
    let desc = env.run(&["ordered", "list", "--data-store", "Scores", "--desc"]);
    let ids: Vec<&str> = desc
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(ids, ["Di", "Ava", "Cy", "Bo"]);
    let bounded = json_lines(&env.run(&[
        "--output",
        "json",
        "ordered",
        "list",
        "--data-store",
        "Scores",
        "--min",
        "0",
        "--max",
        "10",
    ]));
    assert_eq!(
        bounded
            .iter()
            .map(|v| v["id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["Cy", "Ava"],
        "0 is a real bound"
    );
    let neg = json_lines(&env.run(&[
        "--output",
        "json",
        "ordered",
        "list",
        "--data-store",
        "Scores",
        "--max",
        "-1",
    ]));
    assert_eq!(neg.len(), 1);
    assert!(
        env.run(&["ordered", "get", "--data-store", "Scores", "Ava"])
            .contains("10")
    );
    assert!(
        env.run(&["ordered", "update", "--data-store", "Scores", "Ava", "12"])
            .contains("12")
    );
    assert!(
        env.run(&[
            "ordered",
            "update",
            "--data-store",
            "Scores",
            "New",
            "1",
            "--allow-missing"
        ])
        .contains("New")
    );
    assert!(
        env.run(&[
            "ordered",
            "increment",
            "--data-store",
            "Scores",
            "Ava",
            "-2"
        ])
        .contains("10")
    );
    env.run(&["ordered", "delete", "--data-store", "Scores", "Ava"]);
    assert_eq!(
        env.cmd()
            .args(["ordered", "get", "--data-store", "Scores", "Ava"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(4)
    );
    assert_eq!(
        env.run(&["ordered", "list", "--data-store", "Scores", "--limit", "2"])
            .lines()
            .count(),
        3
    );
}

fn strip_times(v: &mut Value) {
    for f in ["revisionId", "createTime", "revisionCreateTime"] {
        v.as_object_mut().unwrap().remove(f);
    }
}

#[test]
fn export_ten_thousand_entries_import_them_elsewhere_and_compare() {
    let env = Env::new();
    let c = env.client();
    std::thread::scope(|s| {
        for t in 0..8 {
            let c = c.clone();
            s.spawn(move || {
                for i in (t..10_000).step_by(8) {
                    let scope = if i % 10 == 0 { "vip" } else { "global" };
                    let e = c
                        .data_store("Source")
                        .scope(scope)
                        .entry(&format!("user_{i:05}"));
                    e.create_with(
                        opencloud_blocking::EntryWrite::new(
                            serde_json::json!({"i": i, "name": format!("player {i}")}),
                        )
                        .users([opencloud_blocking::UserId(i as u64)]),
                    )
                    .unwrap();
                }
            });
        }
    });
    let dir = std::env::temp_dir().join(format!("oc-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("source.jsonl");
    let out = env
        .cmd()
        .args(["export", "--data-store", "Source", "-f"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("exported 10000 entries"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = env
        .cmd()
        .args(["import", "--data-store", "Copy", "--mode", "create"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let copy = env.run(&["export", "--data-store", "Copy"]);
    let mut a = json_lines(&std::fs::read_to_string(&file).unwrap());
    let mut b = json_lines(&copy);
    assert_eq!(a.len(), 10_000);
    a.iter_mut().chain(b.iter_mut()).for_each(strip_times);
    assert!(a == b, "the copy differs from the source");
    assert_eq!(a.iter().filter(|v| v["scope"] == "vip").count(), 1000);
    // Importing in create mode again fails for every entry, each reported, exit code 8.
    let small = dir.join("small.jsonl");
    std::fs::write(
        &small,
        a[..3]
            .iter()
            .map(|v| v.to_string() + "\n")
            .collect::<String>(),
    )
    .unwrap();
    let out = env
        .cmd()
        .args([
            "import",
            "--data-store",
            "Copy",
            "--mode",
            "create",
            "--ignore-trailer",
        ])
        .arg(&small)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(8));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("failed: scope").count(), 3, "{stderr}");
    assert!(
        stderr.contains(a[0]["key"].as_str().unwrap()),
        "failures name their key: {stderr}"
    );
    // A line that is not a record stops the import before anything is written, dry run or not.
    let mut bad = std::fs::read_to_string(&small).unwrap();
    bad.push_str("not json\n");
    std::fs::write(&small, bad).unwrap();
    for dry in [true, false] {
        let mut c = env.cmd();
        c.args(["import", "--data-store", "Dry", "--ignore-trailer"]);
        if dry {
            c.arg("--dry-run");
        }
        let out = c.arg(&small).output().unwrap();
        assert_eq!(out.status.code(), Some(3), "the bad line is reported");
        assert!(String::from_utf8_lossy(&out.stderr).contains("line 4: not an export record"));
    }
    assert!(
        env.client()
            .data_store("Dry")
            .entry(a[0]["key"].as_str().unwrap())
            .get()
            .unwrap_err()
            .is_not_found()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn errors_say_what_was_sent_and_what_to_do() {
    let keys = vec![
        KeyConfig {
            scopes: vec!["universe-datastores.objects:list".into()],
            ..KeyConfig::full_access("reader")
        },
        KeyConfig::full_access(DEV_API_KEY),
    ];
    let env = Env::with(EmulatorConfig {
        keys,
        ..EmulatorConfig::unthrottled()
    });
    let out = env
        .cmd_with_key("reader")
        .args(["entries", "get", "--data-store", "Inv", "k"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("403") && err.contains("PERMISSION_DENIED"),
        "{err}"
    );
    assert!(err.contains("sent: GET http://127.0.0.1:"), "{err}");
    assert!(
        err.contains("hint: the API key needs the scope universe-datastores.objects:read"),
        "{err}"
    );
    assert!(!err.contains("reader"), "the key is never printed: {err}");
    let out = env
        .cmd()
        .args(["entries", "get", "--data-store", "Inv", "missing"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("NOT_FOUND"));
    let out = env
        .cmd_with_key("wrong")
        .args(["datastores", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("check the API key"));
    let out = env
        .cmd()
        .args(["entries", "get", "--data-store", &"d".repeat(51), "k"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "invalid input, nothing sent");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("sent:"));
}

#[test]
fn embedded_emulator_is_the_default_and_says_so() {
    let dir = std::env::temp_dir().join(format!("oc-embedded-{}", std::process::id()));
    let cmd = || {
        let mut c = Command::cargo_bin("opencloud").unwrap();
        c.env_remove("OPENCLOUD_API_KEY")
            .env_remove("OPENCLOUD_UNIVERSE_ID")
            .env_remove("OPENCLOUD_BASE_URL")
            .env("OPENCLOUD_EMULATOR_DIR", &dir);
        c
    };
    let out = cmd()
        .args([
            "entries",
            "increment",
            "--data-store",
            "Local",
            "visits",
            "1",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("using the local emulator"));
    // The data persists across invocations.
    let out = cmd()
        .args([
            "-q",
            "entries",
            "increment",
            "--data-store",
            "Local",
            "visits",
            "1",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2");
    assert!(out.stderr.is_empty(), "--quiet silences the note");
    let out = cmd()
        .args(["--base-url", "http://127.0.0.1:1", "datastores", "list"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "a base URL without a key is refused"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn demo_and_completions() {
    let out = Command::cargo_bin("opencloud")
        .unwrap()
        .arg("demo")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("page 3: 5 entries"), "{text}");
    assert_eq!(text.lines().filter(|l| l.starts_with("user_")).count(), 25);
    for line in text.lines().filter(|l| l.starts_with("user_")) {
        let cols: Vec<i64> = line
            .split_whitespace()
            .skip(1)
            .map(|c| c.parse().unwrap())
            .collect();
        assert_eq!(cols[1], cols[0] + 10, "{line}");
    }
    let ranks: Vec<i64> = text
        .lines()
        .skip_while(|l| !l.starts_with("rank"))
        .skip(1)
        .take(4)
        .map(|l| l.split_whitespace().nth(2).unwrap().parse().unwrap())
        .collect();
    assert_eq!(ranks.len(), 4);
    assert!(
        ranks.windows(2).all(|w| w[0] >= w[1]),
        "highest first: {ranks:?}"
    );
    let out = Command::cargo_bin("opencloud")
        .unwrap()
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("opencloud"));
}

#[test]
fn emulator_command_serves_in_the_foreground() {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("opencloud"))
        .args([
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--api-key",
            "k1",
            "--api-key",
            "k2",
            "--throttle",
            "off",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{line:?}"))
        .to_string();
    let c = |key: &str| {
        Client::builder()
            .api_key(key)
            .base_url(&url)
            .universe(1)
            .build()
            .unwrap()
    };
    c("k2").data_store("D").entry("k").set(&1).unwrap();
    assert_eq!(
        c("k1")
            .data_store("D")
            .entry("k")
            .get_json::<i64>()
            .unwrap(),
        1
    );
    assert_eq!(
        c(DEV_API_KEY)
            .data_store("D")
            .entry("k")
            .get()
            .unwrap_err()
            .status()
            .unwrap()
            .as_u16(),
        401,
        "configured keys replace the dev key"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn the_api_key_can_come_from_a_file_or_the_environment() {
    let env = Env::with(EmulatorConfig {
        keys: vec![KeyConfig::full_access("from-file")],
        ..EmulatorConfig::unthrottled()
    });
    let file = std::env::temp_dir().join(format!("oc-key-{}", std::process::id()));
    std::fs::write(&file, "from-file\n").unwrap();
    let bare = || {
        let mut c = Command::cargo_bin("opencloud").unwrap();
        c.env_remove("OPENCLOUD_API_KEY")
            .env_remove("OPENCLOUD_UNIVERSE_ID")
            .env_remove("OPENCLOUD_BASE_URL");
        c
    };
    let out = bare()
        .args([
            "--base-url",
            env.em.base_url(),
            "--universe",
            "1",
            "--api-key-file",
        ])
        .arg(&file)
        .args(["entries", "increment", "--data-store", "D", "n", "1"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = bare()
        .env("OPENCLOUD_API_KEY", "from-file")
        .env("OPENCLOUD_BASE_URL", env.em.base_url())
        .env("OPENCLOUD_UNIVERSE_ID", "1")
        .args(["-q", "entries", "increment", "--data-store", "D", "n", "1"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "2",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = bare()
        .args([
            "--base-url",
            env.em.base_url(),
            "--universe",
            "1",
            "--api-key-file",
            "/nonexistent/key",
        ])
        .args(["datastores", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let _ = std::fs::remove_file(&file);
}

#[test]
fn messaging_and_bans_commands() {
    let env = Env::new();
    env.run(&["messaging", "publish", "news", "restart at noon"]);
    let msg = env.file("msg.txt", "from a file");
    env.run(&[
        "messaging",
        "publish",
        "news",
        "--file",
        msg.to_str().unwrap(),
    ]);
    let seen = env.http("GET", "/_emulator/messages?topic=news", "");
    assert!(
        seen.contains("restart at noon") && seen.contains("from a file"),
        "{seen}"
    );
    // A message over the limit is refused before anything is sent.
    let big = "x".repeat(2000);
    let out = env
        .cmd()
        .args(["messaging", "publish", "news", &big])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("message"));
    let log = env.http("GET", "/_emulator/requests", "");
    assert!(!log.contains(&big[..100]), "nothing was sent");

    let banned = json_lines(&env.run(&[
        "bans",
        "ban",
        "42",
        "--duration",
        "7d",
        "--reason",
        "Exploiting",
        "--yes",
        "-o",
        "json",
    ]));
    let g = &banned[0]["gameJoinRestriction"];
    assert_eq!(g["active"], true);
    assert_eq!(g["duration"], "604800s");
    assert_eq!(g["displayReason"], "Exploiting");
    let got = json_lines(&env.run(&["bans", "get", "42", "-o", "json"]));
    assert_eq!(got[0]["gameJoinRestriction"]["active"], true);
    env.run(&["bans", "ban", "7", "--place", "99", "--yes"]);
    let place = env.run(&["bans", "list", "--place", "99"]);
    assert!(place.lines().any(|l| l.starts_with("7 ")), "{place}");
    env.run(&["bans", "unban", "42"]);
    let got = json_lines(&env.run(&["bans", "get", "42", "-o", "json"]));
    assert_eq!(got[0]["gameJoinRestriction"]["active"], false);
    let logs = json_lines(&env.run(&["bans", "logs", "--user", "42", "-o", "json"]));
    assert_eq!(logs.len(), 2, "{logs:?}");
    let out = env
        .cmd()
        .args(["bans", "ban", "1", "--duration", "7x", "--yes"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--duration"));
}

#[test]
fn every_v1_command_reads_and_writes_the_entries_v2_sees() {
    let env = Env::new();
    let d = ["--data-store", "Inv"];
    let json = |args: &[&str]| -> Value {
        let mut all = vec!["-o", "json"];
        all.extend_from_slice(args);
        let out = env.run(&all);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
    };
    // Set through v1 (the bytes as given, with their content-md5), read through v2.
    let v = json(&[
        "v1",
        "entries",
        "set",
        d[0],
        d[1],
        "--scope",
        "s1",
        "p1",
        r#"{ "gold": 5 }"#,
        "--user",
        "42",
        "--attributes",
        r#"{"tier":"gold"}"#,
        "--exclusive-create",
    ]);
    let version = v["version"].as_str().unwrap().to_string();
    assert_eq!(v["contentLength"], r#"{ "gold": 5 }"#.len(), "{v}");
    let seen = json(&["entries", "get", d[0], d[1], "--scope", "s1", "p1"]);
    assert_eq!(seen["value"], serde_json::json!({"gold": 5}));
    assert_eq!(seen["users"], serde_json::json!(["users/42"]));
    assert_eq!(seen["revisionId"], version.as_str());
    // A second exclusive create and a stale version are refused.
    let refused = env
        .cmd()
        .args([
            "v1",
            "entries",
            "set",
            d[0],
            d[1],
            "--scope",
            "s1",
            "p1",
            "1",
            "--exclusive-create",
        ])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("412"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    env.run(&[
        "v1",
        "entries",
        "set",
        d[0],
        d[1],
        "--scope",
        "s1",
        "p1",
        "6",
        "--match-version",
        &version,
    ]);
    let stale = env
        .cmd()
        .args([
            "v1",
            "entries",
            "set",
            d[0],
            d[1],
            "--scope",
            "s1",
            "p1",
            "7",
            "--match-version",
            &version,
        ])
        .output()
        .unwrap();
    assert!(!stale.status.success());
    // Get (latest, a version), versions newest first, increment, keys, stores, delete.
    assert_eq!(
        env.run(&["v1", "entries", "get", d[0], d[1], "--scope", "s1", "p1"])
            .trim(),
        "6"
    );
    let old = json(&[
        "v1",
        "entries",
        "get",
        d[0],
        d[1],
        "--scope",
        "s1",
        "p1",
        "--version-id",
        &version,
    ]);
    assert_eq!(old["value"], serde_json::json!({"gold": 5}));
    let versions = json_lines(&env.run(&[
        "-o", "json", "v1", "entries", "versions", d[0], d[1], "--scope", "s1", "p1", "--desc",
    ]));
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[1]["version"], version.as_str());
    assert_eq!(
        env.run(&["v1", "entries", "increment", d[0], d[1], "n", "3"])
            .trim(),
        "3"
    );
    let keys = json_lines(&env.run(&[
        "-o",
        "json",
        "v1",
        "entries",
        "list",
        d[0],
        d[1],
        "--all-scopes",
        "--page-size",
        "1",
    ]));
    let pairs: Vec<String> = keys
        .iter()
        .map(|k| {
            format!(
                "{}/{}",
                k["scope"].as_str().unwrap(),
                k["key"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(pairs, ["global/n", "s1/p1"]);
    assert!(env.run(&["v1", "stores"]).contains("Inv"));
    env.run(&["v1", "entries", "delete", d[0], d[1], "n"]);
    let gone = env
        .cmd()
        .args(["entries", "get", d[0], d[1], "n"])
        .output()
        .unwrap();
    assert_eq!(gone.status.code(), Some(4));
    // Ordered through v1, read through v2.
    env.run(&[
        "v1",
        "ordered",
        "create",
        "--data-store",
        "Scores",
        "a",
        "-3",
    ]);
    env.run(&[
        "v1",
        "ordered",
        "update",
        "--data-store",
        "Scores",
        "b",
        "9",
        "--allow-missing",
    ]);
    assert!(
        env.run(&[
            "v1",
            "ordered",
            "increment",
            "--data-store",
            "Scores",
            "a",
            "1"
        ])
        .contains("-2")
    );
    let top = json_lines(&env.run(&[
        "-o",
        "json",
        "v1",
        "ordered",
        "list",
        "--data-store",
        "Scores",
        "--desc",
        "--max",
        "0",
    ]));
    assert_eq!(top.len(), 1);
    assert_eq!(top[0]["id"], "a");
    assert!(
        env.run(&["ordered", "get", "--data-store", "Scores", "b"])
            .contains('9')
    );
    env.run(&["v1", "ordered", "delete", "--data-store", "Scores", "b"]);
    env.run(&["v1", "ordered", "delete", "--data-store", "Scores", "b"]);
    // Bad input is refused before sending.
    let bad = env
        .cmd()
        .args(["v1", "entries", "set", d[0], d[1], "k", "not json"])
        .output()
        .unwrap();
    assert_eq!(
        bad.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("value"));
}
