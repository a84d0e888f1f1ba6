//! Where commands run (the service, an emulator, or the embedded one), and errors a person can act on.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use opencloud_blocking::{Client, Error, Operation, RateLimits, UniverseId};
use opencloud_core::RetryClass;
use opencloud_emulator::{BackgroundEmulator, EmulatorConfig, KeyConfig};

use crate::calls;
use crate::cli::{Global, Output, RateLimit};
use crate::status;

/// Exit codes, documented in `docs/cli.md` and in every `--help`.
pub mod exit {
    /// Success.
    pub const OK: i32 = 0;
    /// Anything else (files, the transform command, the embedded emulator).
    pub const OTHER: i32 = 1;
    /// The command line is wrong (clap's own code).
    pub const USAGE: i32 = 2;
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
    /// A write may have been applied: check before retrying.
    pub const UNKNOWN: i32 = 9;
    /// A bulk command was interrupted; its summary says how to resume.
    pub const INTERRUPTED: i32 = 130;
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
        Self::with_code(exit::OTHER, message)
    }

    pub fn input(message: impl Into<String>) -> Self {
        Self::with_code(exit::INVALID_INPUT, message)
    }

    pub fn with_code(code: i32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            sent: None,
            hint: None,
        }
    }

    /// A reader of the output went away (`| head`): the command ends quietly with exit 0.
    pub fn broken_pipe() -> Self {
        Self::with_code(exit::OK, "")
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Classifies a client error and adds a hint. `retry` is the retry class of the operation
    /// that failed: a failed non-idempotent write may still have been applied.
    pub fn api(e: Error, sent: Option<String>, retry: Option<RetryClass>) -> Self {
        let status = e.status().map(|s| s.as_u16());
        // What the client itself says was sent (attempts, why retrying stopped) wins over a
        // description rebuilt from the operation.
        let sent = e
            .request()
            .map(|r| crate::status::escape(&r.to_string()))
            .or(sent);
        let maybe_applied = e.is_outcome_unknown()
            || (retry == Some(RetryClass::UnappliedOnly)
                && match (&e, status) {
                    (Error::Transport(t), _) => !t.certainly_not_sent(),
                    (_, Some(s)) => s >= 500,
                    _ => false,
                });
        let code = match (&e, status) {
            _ if maybe_applied => exit::UNKNOWN,
            (Error::InvalidInput(_), _) => exit::INVALID_INPUT,
            (_, Some(404)) => exit::NOT_FOUND,
            (_, Some(401 | 403)) => exit::DENIED,
            (_, Some(400 | 409)) | (Error::UpdateConflict { .. }, _) => exit::REFUSED,
            (Error::Transport(_), _) | (_, Some(429 | 500..=599)) => exit::UNAVAILABLE,
            _ => exit::OTHER,
        };
        let hint = match status {
            _ if maybe_applied => Some(
                "the write may have been applied: check the entry (entries get, or entries revisions) before retrying"
                    .to_string(),
            ),
            Some(401) => Some(
                "check the API key (--api-key, --api-key-file or OPENCLOUD_API_KEY)".to_string(),
            ),
            Some(403) => {
                let scopes = e
                    .as_service()
                    .and_then(|s| s.route)
                    .map(|r| r.route().scopes.join(" and "));
                Some(match scopes {
                    Some(s) => {
                        format!("the API key needs the scope {s} for this universe and data store")
                    }
                    None => "the API key lacks a permission this operation needs".to_string(),
                })
            }
            Some(404) => Some(
                "the universe, data store or entry does not exist (`opencloud datastores list` and `opencloud entries list --show-deleted` show what does)"
                    .to_string(),
            ),
            Some(429) => Some(
                "the universe's request budget is spent; retries gave up: try again in a minute, or slow down with --rate-limit N"
                    .to_string(),
            ),
            _ => match &e {
                Error::InvalidInput(i) if i.to_string().contains("plain http") => Some(
                    "use https, a loopback host, or opt in with --allow-http (the key then crosses the network in clear text)"
                        .to_string(),
                ),
                Error::Transport(_) => Some(
                    "check --base-url and the network; --timeout and --retries change how long each try lasts and how many are made"
                        .to_string(),
                ),
                _ => None,
            },
        };
        let message = match &e {
            // The core names its own builder method; the CLI's option is --allow-http.
            Error::InvalidInput(i) => i.to_string().replace(
                "opt in with with_base_url_insecure",
                "opt in with --allow-http",
            ),
            _ => e.to_string(),
        };
        let sent = if matches!(e, Error::InvalidInput(_)) {
            None
        } else {
            sent
        };
        Self {
            code,
            message: if maybe_applied {
                format!("outcome unknown, the write may have been applied: {message}")
            } else {
                message
            },
            sent,
            hint,
        }
    }

    /// The error as JSON, for `-o json`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"error": {
            "exitCode": self.code,
            "message": self.message,
            "sent": self.sent,
            "hint": self.hint,
        }})
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
    /// The base URL, for journals (which job is which).
    pub target: String,
    /// Where the client-side rate limit comes from, for bulk summaries.
    pub budget_note: String,
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

/// The API key: `--api-key-file` wins, then `--api-key`, then `OPENCLOUD_API_KEY`.
fn api_key(g: &Global) -> Result<Option<String>, CliError> {
    if let Some(f) = &g.api_key_file {
        let text = std::fs::read_to_string(f).map_err(|e| {
            let why = if e.kind() == std::io::ErrorKind::NotFound {
                "file not found".to_string()
            } else {
                e.to_string()
            };
            CliError::input(format!(
                "cannot read the API key file {}: {why}",
                f.display()
            ))
        })?;
        let key = text.lines().next().unwrap_or("").trim().to_string();
        if key.is_empty() {
            return Err(CliError::input(format!(
                "the API key file {} is empty (the key is its first line)",
                f.display()
            )));
        }
        return Ok(Some(key));
    }
    let key = g
        .api_key
        .clone()
        .or_else(|| std::env::var(opencloud_blocking::ENV_API_KEY).ok());
    Ok(key
        .filter(|k| !k.trim().is_empty())
        .map(|k| k.trim().to_string()))
}

impl Ctx {
    /// Resolves the target. `bulk` asks an emulator for its budget (one request).
    pub fn new(g: &Global, bulk: bool) -> Result<Self, CliError> {
        let key = api_key(g)?;
        if let Some(k) = &key {
            status::redact(k);
        }
        let base_url = g.base_url.clone().filter(|u| !u.trim().is_empty());
        let mut emulator = None;
        let (key, base_url, auto_limits, auto_note) = match (key, base_url) {
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
                    status::eprint(&format!(
                        "note: no API key or base URL given: using the local emulator with data in {}",
                        dir.display()
                    ));
                }
                let url = em.base_url().to_string();
                emulator = Some(em);
                (
                    opencloud_emulator::DEV_API_KEY.to_string(),
                    url,
                    None,
                    "the embedded emulator does not throttle: no client-side limit".to_string(),
                )
            }
            (None, Some(url)) => {
                return Err(CliError::input(format!(
                    "an API key is required for {url} (--api-key, --api-key-file or OPENCLOUD_API_KEY)"
                )));
            }
            // The real service: keep bulk work under the documented per-universe budget.
            (Some(k), None) => (
                k,
                opencloud_core::DEFAULT_BASE_URL.to_string(),
                Some(RateLimits::documented_defaults()),
                "client-side limit: the service's documented budget".to_string(),
            ),
            (Some(k), Some(url)) => {
                let (limits, note) = if bulk && g.rate_limit == RateLimit::Auto {
                    match calls::announced_budget(&url, g.allow_http) {
                        Some(Some(l)) => (
                            Some(l),
                            "client-side limit: the budget the emulator announces".to_string(),
                        ),
                        Some(None) => (
                            None,
                            "the emulator does not throttle: no client-side limit".to_string(),
                        ),
                        None => (
                            None,
                            format!(
                                "the budget of {url} is unknown: no client-side limit (set one with --rate-limit N)"
                            ),
                        ),
                    }
                } else {
                    (None, String::new())
                };
                (k, url, limits, note)
            }
        };
        let (limits, budget_note) = match g.rate_limit {
            RateLimit::Auto => (auto_limits, auto_note),
            RateLimit::Off => (None, "client-side limit off (--rate-limit off)".to_string()),
            RateLimit::PerMinute(n) => (
                Some(RateLimits::uniform(opencloud_blocking::CategoryLimit {
                    requests: n,
                    bytes: u64::MAX,
                })),
                format!("client-side limit: {n} requests per minute per category (--rate-limit)"),
            ),
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
        let client = calls::build_client(calls::ClientOptions {
            key,
            base_url: base_url.clone(),
            universe: universe.clone(),
            allow_http: g.allow_http,
            timeout: Duration::from_secs_f64(g.timeout),
            retries: g.retries,
            limits,
            verbose: g.verbose > 0,
        })
        .map_err(|e| CliError::api(e, None, None))?;
        Ok(Self {
            client,
            universe,
            output: g.output,
            quiet: g.quiet,
            target: base_url,
            budget_note,
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
            if body.chars().count() > 300 {
                s.push('…');
            }
        }
        Some(status::escape(&s))
    }

    /// Sends an operation, turning a failure into an actionable error.
    pub fn send<O>(&self, op: &O) -> Result<O::Output, CliError>
    where
        O: Operation + Sync,
        O::Output: Send,
    {
        calls::send(self, op)
            .map_err(|e| CliError::api(e, self.describe(op), Some(op.route().route().retry)))
    }
}
