//! Starting emulators: in-process on a tokio runtime, in a background thread for blocking code,
//! or in the foreground as the `opencloud-emulator` binary.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use opencloud_core::{CategoryLimit, RateLimits};
use tokio::sync::oneshot;

use crate::conn::TimedListener;
use crate::error::EmulatorError;
use crate::{App, EmulatorConfig, keys};

/// A running emulator on the current tokio runtime. It stops when dropped.
#[derive(Debug)]
pub struct Emulator {
    addr: SocketAddr,
    app: Arc<App>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Emulator {
    /// Binds and starts serving. Returns once the socket listens.
    pub async fn start(config: EmulatorConfig) -> Result<Self, EmulatorError> {
        let app = Arc::new(App::new(&config)?);
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| EmulatorError::Listen {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr()?;
        let listener =
            TimedListener::new(listener, config.header_read_timeout, config.idle_timeout);
        let (tx, rx) = oneshot::channel();
        let router = crate::router(app.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Self {
            addr,
            app,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The state, to drive the clock, inject faults or read the log without HTTP.
    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    /// Stops serving and waits for the server to finish.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// An emulator on its own thread and runtime, for blocking code and tests. Stops when dropped.
#[derive(Debug)]
pub struct BackgroundEmulator {
    base_url: String,
    app: Arc<App>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BackgroundEmulator {
    /// Starts an emulator on a new thread and waits until it listens.
    pub fn start(config: EmulatorConfig) -> Result<Self, EmulatorError> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("opencloud-emulator".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(EmulatorError::Runtime(e.to_string())));
                        return;
                    }
                };
                rt.block_on(async move {
                    match Emulator::start(config).await {
                        Ok(em) => {
                            let _ = ready_tx.send(Ok((em.base_url(), em.app().clone())));
                            let _ = stop_rx.await;
                            em.shutdown().await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
            })
            .map_err(|e| EmulatorError::Runtime(e.to_string()))?;
        let (base_url, app) = ready_rx
            .recv()
            .map_err(|e| EmulatorError::Runtime(e.to_string()))??;
        Ok(Self {
            base_url,
            app,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The state, to drive the clock, inject faults or read the log.
    pub fn app(&self) -> &Arc<App> {
        &self.app
    }
}

impl Drop for BackgroundEmulator {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Throttle setting on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ThrottleMode {
    /// Enforce the per-universe budgets and answer 429 past them.
    Enforce,
    /// Never throttle.
    Off,
}

/// The emulator's command-line flags, shared by `opencloud-emulator` and `opencloud emulator`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:7357")]
    pub listen: SocketAddr,
    /// Directory for the SQLite database; in memory when absent.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// An API key with every scope on every universe (repeatable).
    #[arg(long = "api-key")]
    pub api_keys: Vec<String>,
    /// A TOML file of scoped keys (see docs/emulator.md).
    #[arg(long)]
    pub keys_file: Option<PathBuf>,
    /// Throttling: enforce the documented per-universe budgets, or off.
    #[arg(long, value_enum, default_value_t = ThrottleMode::Enforce)]
    pub throttle: ThrottleMode,
    /// Requests per minute per universe for every per-minute category, instead of the documented
    /// defaults (the per-second user restriction budgets stay as documented).
    #[arg(long)]
    pub requests_per_minute: Option<u64>,
    /// Allow listening on an address that is not loopback.
    #[arg(long)]
    pub allow_non_loopback: bool,
    /// Strict mode: answer 400 for what the live service tolerates (unknown query parameters,
    /// booleans not in lowercase, a missing body or content type).
    #[arg(long)]
    pub strict: bool,
    /// Seconds a connection has to send a request's headers once it started.
    #[arg(long, default_value_t = crate::DEFAULT_HEADER_READ_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_read_timeout: u64,
    /// Seconds of silence after which a connection is closed.
    #[arg(long, default_value_t = crate::DEFAULT_IDLE_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub idle_timeout: u64,
}

impl ServeArgs {
    /// Turns the flags into a configuration.
    pub fn to_config(&self) -> Result<EmulatorConfig, EmulatorError> {
        if !self.listen.ip().is_loopback() && !self.allow_non_loopback {
            return Err(EmulatorError::NotLoopback(self.listen));
        }
        let mut keys: Vec<keys::KeyConfig> = self
            .api_keys
            .iter()
            .map(keys::KeyConfig::full_access)
            .collect();
        if let Some(f) = &self.keys_file {
            keys.extend(keys::load_keys_file(f)?);
        }
        let limits = match self.requests_per_minute {
            Some(n) => RateLimits::uniform(CategoryLimit {
                requests: n,
                bytes: u64::MAX,
            }),
            None => RateLimits::documented_defaults(),
        };
        Ok(EmulatorConfig {
            listen: self.listen,
            data_dir: self.data_dir.clone(),
            keys,
            throttle: self.throttle == ThrottleMode::Enforce,
            limits,
            frozen_at: None,
            strict: self.strict,
            header_read_timeout: std::time::Duration::from_secs(self.header_read_timeout),
            idle_timeout: std::time::Duration::from_secs(self.idle_timeout),
        })
    }
}

/// Runs an emulator in the foreground until Ctrl-C: prints `listening on http://HOST:PORT` on
/// stdout once ready, and notes (key, storage) on stderr.
pub fn run_foreground(args: &ServeArgs) -> Result<(), EmulatorError> {
    let config = args.to_config()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| EmulatorError::Runtime(e.to_string()))?;
    rt.block_on(async move {
        let em = Emulator::start(config.clone()).await?;
        if em.app().dev_key_only() {
            eprintln!(
                "no key configured: accepting the development key {}",
                keys::DEV_API_KEY
            );
        }
        match &config.data_dir {
            Some(d) => eprintln!("storing data in {}", d.display()),
            None => eprintln!("storing data in memory"),
        }
        eprintln!(
            "throttling {}",
            if config.throttle { "enforced" } else { "off" }
        );
        if config.strict {
            eprintln!("strict mode: refusing what the live service tolerates");
        }
        println!("listening on {}", em.base_url());
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let _ = tokio::signal::ctrl_c().await;
        em.shutdown().await;
        Ok(())
    })
}
