//! The emulator binary logs through `RUST_LOG` to stderr and never prints an API key: not a
//! configured one, not one a client sent, not one in a malformed keys file.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const SECRET: &str = "sk-emu-secret-9b7e51d3c4";
const WRONG: &str = "sk-emu-wrong-2f60aa18e7";

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "oc-logs-{}-{}-{name}",
        std::process::id(),
        jiff::Timestamp::now().as_nanosecond()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

fn status(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> u16 {
    r.expect("a response").status().as_u16()
}

fn emulator(keys_file: &Path, stderr: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_opencloud-emulator"));
    c.args([
        "--listen",
        "127.0.0.1:0",
        "--throttle",
        "off",
        "--keys-file",
    ])
    .arg(keys_file)
    .env("RUST_LOG", "trace")
    .stdout(Stdio::piped())
    .stderr(std::fs::File::create(stderr).unwrap());
    c
}

#[test]
fn keys_never_appear_in_stdout_or_stderr_even_at_trace_level() {
    let dir = temp("trace");
    let keys = dir.join("keys.toml");
    std::fs::write(
        &keys,
        format!("[[key]]\nkey = \"{SECRET}\"\nscopes = [\"*\"]\n"),
    )
    .unwrap();
    let err_path = dir.join("stderr");
    let mut child = emulator(&keys, &err_path).spawn().expect("starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let url = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_string();
    let e = format!("{url}/cloud/v2/universes/7/data-stores/D/entries");
    let a = agent();
    let created = a
        .post(&format!("{e}?id=k"))
        .header("x-api-key", SECRET)
        .header("content-type", "application/json")
        .send(r#"{"value": 1}"#);
    assert_eq!(status(created), 200, "the configured key works");
    assert_eq!(
        status(a.get(&format!("{e}/k")).header("x-api-key", SECRET).call()),
        200
    );
    assert_eq!(
        status(a.get(&format!("{e}/k")).header("x-api-key", WRONG).call()),
        401,
        "an unknown key is refused"
    );
    assert_eq!(
        status(
            a.get(&format!("{e}/k"))
                .header("x-api-key", format!("{SECRET}x"))
                .call()
        ),
        401,
        "a key that only starts like a configured one is refused"
    );
    // A request line that is not HTTP at all, and a connection cut mid-headers.
    {
        use std::io::Write;
        let addr = url.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        let _ = s.write_all(format!("GET / HTTP/1.1\r\nx-api-key: {SECRET}\r\n").as_bytes());
        drop(s);
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        let _ = s.write_all(format!("{WRONG}\r\n\r\n").as_bytes());
        let _ = s.read(&mut [0u8; 256]);
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let mut out = first;
    stdout.read_to_string(&mut out).unwrap();
    let err = std::fs::read_to_string(&err_path).unwrap();
    assert!(
        out.contains("listening on"),
        "stdout is read for real: {out:?}"
    );
    assert!(
        err.contains("throttling off"),
        "stderr is read for real: {err:?}"
    );
    for secret in [SECRET, WRONG] {
        assert!(
            !out.contains(secret) && !err.contains(secret),
            "{secret} printed:\nstdout: {out}\nstderr: {err}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_malformed_keys_file_names_the_line_and_never_its_text() {
    let dir = temp("malformed");
    let keys = dir.join("keys.toml");
    // Line 4: a key whose string never ends.
    std::fs::write(
        &keys,
        format!("# keys\n[[key]]\nscopes = [\"*\"]\nkey = \"{SECRET}\nname = \"x\"\n"),
    )
    .unwrap();
    let err_path = dir.join("stderr");
    let out = emulator(&keys, &err_path).output().expect("runs");
    assert!(!out.status.success(), "a malformed keys file is refused");
    let err = std::fs::read_to_string(&err_path).unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(err.contains("line 4"), "the line is named: {err:?}");
    assert!(!err.contains(SECRET) && !stdout.contains(SECRET), "{err}");

    // Line 3: a value of the wrong type (the parser would quote it).
    std::fs::write(
        &keys,
        format!("[[key]]\nkey = \"k\"\nscopes = \"{SECRET}\"\n"),
    )
    .unwrap();
    let out = emulator(&keys, &err_path).output().expect("runs");
    assert!(!out.status.success());
    let err = std::fs::read_to_string(&err_path).unwrap();
    assert!(err.contains("line 3"), "the line is named: {err:?}");
    assert!(!err.contains(SECRET), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
