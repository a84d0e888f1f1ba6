//! `opencloud-emulator`: a local Roblox Open Cloud data stores server.
//!
//! Logs go to stderr through `tracing`, filtered by `RUST_LOG` (`warn` when unset). Every
//! configured API key is replaced by `[redacted]` in them, whatever the level.

use std::io::Write;
use std::sync::Arc;

use clap::Parser;
use tracing_subscriber::EnvFilter;

/// A local Roblox Open Cloud data stores server on SQLite.
#[derive(Debug, Parser)]
#[command(name = "opencloud-emulator", version, about)]
struct Cli {
    #[command(flatten)]
    serve: opencloud_emulator::ServeArgs,
}

/// Stderr with every configured key replaced: one formatted event arrives in one `write`.
struct Redacting {
    secrets: Arc<Vec<String>>,
}

impl Write for Redacting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut text = String::from_utf8_lossy(buf).into_owned();
        for s in self.secrets.iter() {
            if !s.is_empty() && text.contains(s.as_str()) {
                text = text.replace(s.as_str(), "[redacted]");
            }
        }
        std::io::stderr().lock().write_all(text.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Installs the subscriber: `RUST_LOG` (default `warn`) to stderr, keys redacted.
fn init_tracing(secrets: Vec<String>) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(s) if !s.trim().is_empty() => EnvFilter::try_new(&s).unwrap_or_else(|e| {
            eprintln!("opencloud-emulator: RUST_LOG ignored: {e}");
            EnvFilter::new("warn")
        }),
        _ => EnvFilter::new("warn"),
    };
    let secrets = Arc::new(secrets);
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(move || Redacting {
            secrets: secrets.clone(),
        })
        .try_init();
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // The keys to hide; a configuration error is reported by `run_foreground` below.
    let secrets = cli
        .serve
        .to_config()
        .map(|c| c.keys.into_iter().map(|k| k.key).collect())
        .unwrap_or_default();
    init_tracing(secrets);
    match opencloud_emulator::serve::run_foreground(&cli.serve) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("opencloud-emulator: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
