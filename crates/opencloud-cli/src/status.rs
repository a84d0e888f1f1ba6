//! Everything that goes to stderr: notes that do not tear the progress bar, what the bar says
//! about waits (the rate budget, a `Retry-After`), logs (`RUST_LOG`) with the API key redacted,
//! and escaping of text that came from outside.

use std::io::Write;
use std::sync::{Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);
static WAIT: Mutex<Option<(String, Instant)>> = Mutex::new(None);
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());
static VERBOSE: OnceLock<bool> = OnceLock::new();

/// Never prints `secret` in logs (every log line is searched and rewritten).
pub fn redact(secret: &str) {
    if secret.len() >= 4 {
        SECRETS
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(secret.to_string());
    }
}

fn redacted(s: &str) -> String {
    let secrets = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    let mut out = s.to_string();
    for k in secrets.iter() {
        out = out.replace(k.as_str(), "[redacted]");
    }
    out
}

/// Prints a line on stderr without tearing the progress bar; a closed stderr is ignored.
pub fn eprint(msg: &str) {
    let bar = BAR.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let line = redacted(msg);
    let write = || {
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    };
    match bar {
        Some(b) => b.suspend(write),
        None => write(),
    }
}

/// Shows on the progress bar that the job waits, and why, for about `d`.
pub fn waiting(why: &str, d: Duration) {
    *WAIT.lock().unwrap_or_else(|e| e.into_inner()) = Some((
        why.to_string(),
        Instant::now() + d.max(Duration::from_millis(300)),
    ));
}

fn wait_text() -> String {
    let now = Instant::now();
    match &*WAIT.lock().unwrap_or_else(|e| e.into_inner()) {
        Some((why, until)) if *until > now => {
            format!(" | {why}, {:.0}s left", (*until - now).as_secs_f64().ceil())
        }
        _ => String::new(),
    }
}

/// A progress bar on stderr (hidden with `quiet` or when stderr is not a terminal), with the
/// total when known, the rate, the ETA, and what the job waits on.
pub fn bar(quiet: bool, total: Option<u64>, what: &str) -> ProgressBar {
    let pb = match total {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::new_spinner(),
    };
    pb.set_draw_target(if quiet {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    });
    let template = if total.is_some() {
        "{msg} [{bar:20}] {pos}/{len} {per_sec:0} eta {eta}{wait}"
    } else {
        "{spinner} {msg} {pos} entries (total unknown), {per_sec:0}, {elapsed}{wait}"
    };
    let style = ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
        .with_key("wait", |_: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = w.write_str(&wait_text());
        });
    pb.set_style(style);
    pb.set_message(what.to_string());
    pb.enable_steady_tick(Duration::from_millis(250));
    *BAR.lock().unwrap_or_else(|e| e.into_inner()) = Some(pb.clone());
    pb
}

/// Removes the bar (before a summary).
pub fn clear_bar() {
    if let Some(b) = BAR.lock().unwrap_or_else(|e| e.into_inner()).take() {
        b.finish_and_clear();
    }
}

/// Text from outside (keys, paths, values) made safe for a terminal: control characters are
/// escaped (`\n`, `\t`, `\u{1b}`), everything else is kept.
pub fn escape(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Writes log lines to stderr with every secret redacted.
struct RedactingWriter;

impl Write for RedactingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let line = redacted(&text);
        let bar = BAR.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let write = || {
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
        };
        match bar {
            Some(b) => b.suspend(write),
            None => write(),
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Picks up the client's "waiting for the rate budget" and "retrying" events for the bar and
/// for `-v`.
struct Waits;

#[derive(Default)]
struct WaitFields {
    message: String,
    ms: Option<u64>,
}

impl Visit for WaitFields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if matches!(field.name(), "wait_ms" | "delay_ms") {
            self.ms = Some(value);
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for Waits {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut f = WaitFields::default();
        event.record(&mut f);
        let Some(ms) = f.ms else { return };
        let d = Duration::from_millis(ms);
        let what = if f.message.contains("rate budget") {
            "waiting for the rate budget"
        } else if f.message.contains("retrying") {
            "waiting to retry"
        } else {
            return;
        };
        // Budget waits can be many short sleeps: the bar shows them; -v prints retries.
        if f.message.contains("retrying") && *VERBOSE.get().unwrap_or(&false) {
            eprint(&format!("retrying in {:.1}s", d.as_secs_f64()));
        }
        waiting(what, d);
    }
}

/// Installs the tracing subscriber: `RUST_LOG` (or `-vv`: debug) to stderr with secrets
/// redacted, and the waits to the progress bar.
pub fn init_tracing(verbose: u8) {
    let _ = VERBOSE.set(verbose > 0);
    let filter = match std::env::var("RUST_LOG") {
        Ok(s) if !s.trim().is_empty() => EnvFilter::try_new(s).unwrap_or_else(|e| {
            eprint(&format!("note: RUST_LOG ignored: {e}"));
            EnvFilter::new("warn")
        }),
        _ if verbose > 1 => EnvFilter::new("debug"),
        _ => EnvFilter::new("warn"),
    };
    let logs = tracing_subscriber::fmt::layer()
        .with_writer(|| RedactingWriter)
        .with_ansi(false)
        .with_filter(filter);
    // Events only: the client's per-request spans stay disabled unless RUST_LOG asks for them.
    let waits = Waits.with_filter(tracing_subscriber::filter::filter_fn(|m| {
        m.is_event()
            && m.target().starts_with("opencloud_blocking")
            && *m.level() <= tracing::Level::DEBUG
    }));
    let _ = tracing_subscriber::registry()
        .with(logs)
        .with(waits)
        .try_init();
}
