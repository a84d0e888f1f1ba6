//! Where commands run (the service, an emulator, or the embedded one), and errors a person can act on.

use std::fmt;
use std::path::PathBuf;

use opencloud_blocking::{Client, Error, Operation, Page, PagedOperation, RateLimits, UniverseId};
use opencloud_emulator::{BackgroundEmulator, EmulatorConfig, KeyConfig};

use crate::cli::{Global, Output};

/// Exit codes, documented in `docs/cli.md`.
pub mod exit {
    /// Success.
    pub const OK: i32 = 0;
    /// Anything else (files, the transform command, the embedded emulator).
    pub const OTHER: i32 = 1;
    /// Invalid input: nothing was sent.
    pub const INVALID_INPUT: i32 = 3;
    /// The entry, data store or path does not exist (404).
    pub const NOT_FOUND: i32 = 4;
    /// The API key is missing, wrong or lacks a permission (401, 403).
    pub const DENIED: i32 = 5;
    /// The service refused the request as it stands (400, 409).
    pub const REFUSED: i32 = 6;
    /// Throttled, unavailable or unreachable after retries (429, 5xx, network).
    pub const UNAVAILABLE: i32 = 7;
    /// A bulk command finished, but some entries failed (each is reported).
    pub const PARTIAL: i32 = 8;
}

/// An error with what was sent and a hint.
#[derive(Debug)]
pub struct CliError {
    pub code: i32,
    pub message: String,
    pub sent: Option<String>,
    pub hint: Option<String>,
}

impl CliError {
    pub fn other(message: impl Into<String>) -> Self {
        Self {
            code: exit::OTHER,
            message: message.into(),
            sent: None,
            hint: None,
        }
    }

    pub fn input(message: impl Into<String>) -> Self {
        Self {
            code: exit::INVALID_INPUT,
            message: message.into(),
            sent: None,
            hint: None,
        }
    }

    /// Classifies a client error and adds a hint.
    pub fn api(e: Error, sent: Option<String>) -> Self {
        let status = e.status().map(|s| s.as_u16());
        let code = match (&e, status) {
            (Error::InvalidInput(_), _) => exit::INVALID_INPUT,
            (_, Some(404)) => exit::NOT_FOUND,
            (_, Some(401 | 403)) => exit::DENIED,
            (_, Some(400 | 409)) | (Error::UpdateConflict { .. }, _) => exit::REFUSED,
            (Error::Transport(_), _) | (_, Some(429 | 500..=599)) => exit::UNAVAILABLE,
            _ => exit::OTHER,
        };
        let hint = match status {
            Some(401) => Some("check the API key (--api-key, --api-key-file or OPENCLOUD_API_KEY)".to_string()),
            Some(403) => {
                let scopes = e.as_service().and_then(|s| s.route).map(|r| r.route().scopes.join(" and "));
                Some(match scopes {
                    Some(s) => format!("the API key needs the scope {s} for this universe and data store"),
                    None => "the API key lacks a permission this operation needs".to_string(),
                })
            }
            Some(404) => Some("the universe, data store or entry does not exist (deleted entries show with --show-deleted)".to_string()),
            Some(429) => Some("the universe's request budget is spent; retries gave up, try again in a minute".to_string()),
            _ => None,
        };
        let sent = if matches!(e, Error::InvalidInput(_)) {
            None
        } else {
            sent
        };
        Self {
            code,
            message: e.to_string(),
            sent,
            hint,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.message)?;
        if let Some(s) = &self.sent {
            write!(f, "\n  sent: {s}")?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

/// What a command runs against.
pub struct Ctx {
    pub client: Client,
    pub universe: UniverseId,
    pub output: Output,
    pub quiet: bool,
    /// The embedded emulator, kept alive for the command.
    _emulator: Option<BackgroundEmulator>,
}

/// Where the embedded emulator keeps its data.
pub fn embedded_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("OPENCLOUD_EMULATOR_DIR") {
        return PathBuf::from(d);
    }
    dirs::data_local_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("opencloud-rs")
        .join("emulator")
}

impl Ctx {
    pub fn new(g: &Global) -> Result<Self, CliError> {
        let mut key = g.api_key.clone().filter(|k| !k.trim().is_empty());
        if let Some(f) = &g.api_key_file {
            let text = std::fs::read_to_string(f).map_err(|e| {
                CliError::input(format!("cannot read the API key file {}: {e}", f.display()))
            })?;
            key = Some(text.lines().next().unwrap_or("").trim().to_string());
        }
        let base_url = g.base_url.clone().filter(|u| !u.trim().is_empty());
        let mut emulator = None;
        let (key, base_url, limits) = match (key, base_url) {
            (None, None) => {
                let dir = embedded_dir();
                let config = EmulatorConfig {
                    data_dir: Some(dir.clone()),
                    keys: vec![KeyConfig::full_access(opencloud_emulator::DEV_API_KEY)],
                    throttle: false,
                    ..EmulatorConfig::default()
                };
                let em = BackgroundEmulator::start(config).map_err(|e| {
                    CliError::other(format!(
                        "cannot start the embedded emulator in {}: {e}",
                        dir.display()
                    ))
                })?;
                if !g.quiet {
                    eprintln!(
                        "note: no API key or base URL given: using the local emulator with data in {}",
                        dir.display()
                    );
                }
                let url = em.base_url().to_string();
                emulator = Some(em);
                (opencloud_emulator::DEV_API_KEY.to_string(), Some(url), None)
            }
            (None, Some(url)) => {
                return Err(CliError::input(format!(
                    "an API key is required for {url} (--api-key, --api-key-file or OPENCLOUD_API_KEY)"
                )));
            }
            // The real service: keep bulk work under the documented per-universe budget.
            (Some(k), None) => (k, None, Some(RateLimits::documented_defaults())),
            (Some(k), Some(url)) => (k, Some(url), None),
        };
        let universe = match (&g.universe, &emulator) {
            (Some(u), _) => {
                UniverseId::new(u.trim()).map_err(|e| CliError::input(e.to_string()))?
            }
            (None, Some(_)) => UniverseId::from(1),
            (None, None) => {
                return Err(CliError::input(
                    "a universe id is required (--universe or OPENCLOUD_UNIVERSE_ID)",
                ));
            }
        };
        let mut b = Client::builder().api_key(key).universe(universe.as_str());
        if let Some(u) = base_url {
            b = b.base_url(u);
        }
        if let Some(l) = limits {
            b = b.rate_limits(l);
        }
        let client = b.build().map_err(|e| CliError::api(e, None))?;
        Ok(Self {
            client,
            universe,
            output: g.output,
            quiet: g.quiet,
            _emulator: emulator,
        })
    }

    /// Describes a request for an error message: method, URI and body, never the key (the
    /// headers are left out; `opencloud_core::describe_request` is the full form).
    pub fn describe<O: Operation>(&self, op: &O) -> Option<String> {
        let req = op.to_request(self.client.config()).ok()?;
        let mut s = format!("{} {}", req.method(), req.uri());
        if !req.body().is_empty() {
            let body = String::from_utf8_lossy(req.body());
            let short: String = body.chars().take(300).collect();
            s.push_str(&format!(" {short}"));
        }
        Some(s)
    }

    /// Every item of a listing (at most `limit`), or an actionable error naming the request.
    pub fn list<O>(
        &self,
        op: &O,
        limit: Option<usize>,
    ) -> Result<Vec<<O::Output as Page>::Item>, CliError>
    where
        O: PagedOperation + Send + Sync + 'static,
        O::Output: Page + Send,
        <O::Output as Page>::Item: Send,
    {
        self.client
            .items(op.clone())
            .take(limit.unwrap_or(usize::MAX))
            .collect::<Result<_, _>>()
            .map_err(|e| CliError::api(e, self.describe(op)))
    }

    /// Sends an operation, turning a failure into an actionable error.
    pub fn send<O>(&self, op: &O) -> Result<O::Output, CliError>
    where
        O: Operation + Sync,
        O::Output: Send,
    {
        self.client
            .send(op)
            .map_err(|e| CliError::api(e, self.describe(op)))
    }
}
