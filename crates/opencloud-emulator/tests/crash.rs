//! A write acknowledged with 2xx survives SIGKILL of the emulator.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

fn start(dir: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_opencloud-emulator"))
        .args(["--listen", "127.0.0.1:0", "--throttle", "off", "--data-dir"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the emulator binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    (child, url)
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let dir = std::env::temp_dir().join(format!(
        "oc-crash-{}-{}",
        std::process::id(),
        jiff::Timestamp::now().as_nanosecond()
    ));
    let (mut child, url) = start(&dir);
    let a = agent();
    assert_eq!(
        a.get(&format!("{url}/_emulator/health"))
            .call()
            .unwrap()
            .status(),
        200
    );
    let n = 200;
    let mut acked = Vec::new();
    for i in 0..n {
        let path = if i % 2 == 0 {
            format!("{url}/cloud/v2/universes/7/data-stores/D/entries?id=k{i}")
        } else {
            format!("{url}/cloud/v2/universes/7/data-stores/D/entries/c:increment")
        };
        let body = if i % 2 == 0 {
            json!({"value": {"i": i}})
        } else {
            json!({"amount": 1})
        };
        let r = a
            .post(&path)
            .header("x-api-key", opencloud_emulator::DEV_API_KEY)
            .header("content-type", "application/json")
            .send(body.to_string())
            .unwrap();
        if r.status() == 200 {
            acked.push(i);
        }
    }
    assert_eq!(acked.len(), n);
    child.kill().unwrap(); // SIGKILL on Unix: no chance to flush anything
    child.wait().unwrap();

    let (mut child, url) = start(&dir);
    for i in acked.iter().filter(|i| *i % 2 == 0) {
        let mut r = a
            .get(&format!(
                "{url}/cloud/v2/universes/7/data-stores/D/entries/k{i}"
            ))
            .header("x-api-key", opencloud_emulator::DEV_API_KEY)
            .call()
            .unwrap();
        assert_eq!(r.status(), 200, "k{i} lost");
        let v: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        assert_eq!(v["value"]["i"], *i);
    }
    let mut r = a
        .get(&format!(
            "{url}/cloud/v2/universes/7/data-stores/D/entries/c"
        ))
        .header("x-api-key", opencloud_emulator::DEV_API_KEY)
        .call()
        .unwrap();
    let v: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(
        v["value"],
        n as i64 / 2,
        "every acknowledged increment survived"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
