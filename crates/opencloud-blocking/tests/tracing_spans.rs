//! Tracing: one span per request attempt with the operation, attempt and status, never the key.
//!
//! The only test in its binary, with a global subscriber: tracing caches per-callsite interest
//! process-wide, so a parallel test that meets a callsite first (without a subscriber) could
//! otherwise disable it for this one.

use std::sync::{Arc, Mutex};

use opencloud_blocking::Client;
use opencloud_emulator::{BackgroundEmulator, EmulatorConfig, Fault, KeyConfig};

#[derive(Clone)]
struct SharedWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for SharedWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn spans_name_the_operation_attempt_and_status_never_the_key() {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let writer = {
        let buf = buf.clone();
        move || SharedWriter(buf.clone())
    };
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(writer)
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let secret = "super-secret-key-9f3a";
    let em = BackgroundEmulator::start(EmulatorConfig {
        keys: vec![KeyConfig::full_access(secret)],
        ..EmulatorConfig::unthrottled()
    })
    .unwrap();
    let c = Client::builder()
        .api_key(secret)
        .base_url(em.base_url())
        .universe(1)
        .build()
        .unwrap();
    em.app().inject(Fault::status(Some("GET"), "*", 503));
    c.data_store("D").entry("k").set(&1).unwrap();
    c.data_store("D").entry("k").get().unwrap();

    let log = String::from_utf8(buf.lock().unwrap().clone()).unwrap();
    assert!(log.contains("opencloud.request"), "{log}");
    assert!(
        log.contains("operation=UpdateEntry attempt=1 status=200"),
        "{log}"
    );
    assert!(
        log.contains("operation=GetEntry attempt=1 status=503"),
        "{log}"
    );
    assert!(
        log.contains("operation=GetEntry attempt=2 status=200"),
        "{log}"
    );
    assert!(log.contains("retrying"), "{log}");
    assert!(
        !log.contains(secret),
        "the key leaked into the logs:\n{log}"
    );
}
