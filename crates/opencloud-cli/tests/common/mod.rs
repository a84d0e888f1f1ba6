//! Shared by the CLI test files: an emulator and the `opencloud` binary pointed at it.
#![allow(dead_code)]

use assert_cmd::Command;
use opencloud_blocking::Client;
use opencloud_emulator::{BackgroundEmulator, DEV_API_KEY, EmulatorConfig};
use serde_json::Value;

pub struct Env {
    pub em: BackgroundEmulator,
    /// Where this test's journals and files go.
    pub dir: std::path::PathBuf,
}

static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

impl Env {
    pub fn new() -> Self {
        Self::with(EmulatorConfig::unthrottled())
    }
    pub fn with(config: EmulatorConfig) -> Self {
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("oc-cli-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self {
            em: BackgroundEmulator::start(config).unwrap(),
            dir,
        }
    }
    /// `opencloud` pointed at the emulator, with a clean environment.
    pub fn cmd(&self) -> Command {
        self.cmd_with_key(DEV_API_KEY)
    }
    pub fn cmd_with_key(&self, key: &str) -> Command {
        let mut c = Command::cargo_bin("opencloud").unwrap();
        c.env_remove("OPENCLOUD_API_KEY")
            .env_remove("OPENCLOUD_UNIVERSE_ID")
            .env_remove("OPENCLOUD_BASE_URL")
            .env("OPENCLOUD_JOURNAL_DIR", self.dir.join("journals"));
        c.args([
            "--base-url",
            self.em.base_url(),
            "--api-key",
            key,
            "--universe",
            "1",
        ]);
        c
    }
    pub fn run(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
    pub fn client(&self) -> Client {
        Client::builder()
            .api_key(DEV_API_KEY)
            .base_url(self.em.base_url())
            .universe(1)
            .build()
            .unwrap()
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Env {
    /// The journals left in this test's journal directory.
    pub fn journals(&self) -> Vec<std::path::PathBuf> {
        match std::fs::read_dir(self.dir.join("journals")) {
            Ok(d) => d.map(|e| e.unwrap().path()).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// A raw request to the emulator (the control plane), over loopback.
    pub fn http(&self, method: &str, path: &str, body: &str) -> String {
        use std::io::{Read, Write};
        let addr = self.em.base_url().trim_start_matches("http://").to_string();
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    /// Writes a file in this test's directory.
    pub fn file(&self, name: &str, text: &str) -> std::path::PathBuf {
        let p = self.dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// The `opencloud` binary as a plain process (to signal it), pointed at the emulator.
    pub fn process(&self, args: &[&str]) -> std::process::Command {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("opencloud"));
        c.env_remove("OPENCLOUD_API_KEY")
            .env_remove("OPENCLOUD_UNIVERSE_ID")
            .env_remove("OPENCLOUD_BASE_URL")
            .env("OPENCLOUD_JOURNAL_DIR", self.dir.join("journals"))
            .args([
                "--base-url",
                self.em.base_url(),
                "--api-key",
                DEV_API_KEY,
                "--universe",
                "1",
            ])
            .args(args);
        c
    }
}

/// JSON lines, or the items of one JSON array; trailer lines of exports are left out.
pub fn json_lines(s: &str) -> Vec<Value> {
    if s.trim_start().starts_with('[') {
        return serde_json::from_str::<Vec<Value>>(s).unwrap();
    }
    s.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v.get("trailer").is_none())
        .collect()
}

/// The text of an output.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
