//! The control plane under `/_emulator/`: health, reset, the clock, fault injection, throttle
//! settings and the request log. It needs no key and is meant for tests on loopback.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use opencloud_core::{CategoryLimit, RateBudget, RateLimits, ThrottleCategory};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::App;

/// When an injected fault strikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultTiming {
    /// Before the operation runs: nothing is applied.
    #[default]
    Before,
    /// After the operation was applied: the client sees a failure for a write that happened.
    After,
}

/// A fault to inject into the next `count` requests that match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// The HTTP method to match; any when absent.
    #[serde(default)]
    pub method: Option<String>,
    /// The raw request path to match; `*` matches any run of characters.
    pub path: String,
    /// The status to answer with (with the service's error body for it).
    #[serde(default)]
    pub status: Option<u16>,
    /// A delay before answering, in milliseconds.
    #[serde(default)]
    pub delay_ms: u64,
    /// Drop the connection instead of answering.
    #[serde(default)]
    pub drop_connection: bool,
    /// How many matching requests it affects.
    #[serde(default = "one")]
    pub count: u32,
    /// Before or after the operation is applied.
    #[serde(default)]
    pub when: FaultTiming,
}

fn one() -> u32 {
    1
}

impl Fault {
    /// A fault answering `status` to the next matching request, before applying it.
    pub fn status(method: Option<&str>, path: &str, status: u16) -> Self {
        Self {
            method: method.map(String::from),
            path: path.into(),
            status: Some(status),
            delay_ms: 0,
            drop_connection: false,
            count: 1,
            when: FaultTiming::Before,
        }
    }

    /// Applies to the next `n` matching requests.
    pub fn times(mut self, n: u32) -> Self {
        self.count = n;
        self
    }

    /// Strikes after the operation is applied.
    pub fn after(mut self) -> Self {
        self.when = FaultTiming::After;
        self
    }

    pub(crate) fn matches(&self, method: &Method, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method.as_str()))
            && glob(&self.path, path)
    }
}

/// `*` matches any run of characters, everything else itself.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first)
        || !text[first.len()..].ends_with(last)
        || text.len() < first.len() + last.len()
    {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// One line of the request log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedRequest {
    /// When it arrived (emulated time).
    pub time: Timestamp,
    /// Method.
    pub method: String,
    /// Raw path.
    pub path: String,
    /// Raw query.
    pub query: String,
    /// The route it matched.
    pub route: Option<String>,
    /// The status answered (0 for a dropped connection).
    pub status: u16,
    /// Whether an injected fault shaped the answer.
    pub fault: bool,
}

/// The throttle's settings.
#[derive(Debug)]
pub struct Throttle {
    /// Whether budgets are enforced.
    pub enforce: bool,
    /// The budgets.
    pub budget: RateBudget,
}

/// How many requests the log keeps.
pub const LOG_CAPACITY: usize = 10_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClockCommand {
    #[serde(default)]
    advance_seconds: Option<f64>,
    #[serde(default)]
    set: Option<Timestamp>,
    #[serde(default)]
    freeze: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ThrottleCommand {
    #[serde(default)]
    enforce: Option<bool>,
    /// A limit for every category.
    #[serde(default)]
    requests_per_minute: Option<u64>,
    #[serde(default)]
    bytes_per_minute: Option<u64>,
    /// Reset to the documented defaults (for this many concurrent users).
    #[serde(default)]
    concurrent_users: Option<u64>,
}

fn bad(msg: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "code": "INVALID_ARGUMENT", "message": msg.into() })),
    )
        .into_response()
}

pub(crate) async fn health(State(app): State<Arc<App>>) -> Response {
    Json(json!({ "status": "ok", "now": app.clock.now().to_string() })).into_response()
}

pub(crate) async fn reset(State(app): State<Arc<App>>) -> Response {
    match app.reset() {
        Ok(()) => Json(json!({ "reset": true })).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({ "code": "INTERNAL", "message": e })),
        )
            .into_response(),
    }
}

pub(crate) async fn clock_get(State(app): State<Arc<App>>) -> Response {
    Json(json!({ "now": app.clock.now().to_string() })).into_response()
}

pub(crate) async fn clock_post(State(app): State<Arc<App>>, body: axum::body::Bytes) -> Response {
    let cmd: ClockCommand = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => {
            return bad(format!(
                "expected {{\"advance_seconds\": N}}, {{\"set\": TIME}} or {{\"freeze\": BOOL}}: {e}"
            ));
        }
    };
    match cmd.freeze {
        Some(true) => app.clock.freeze(),
        Some(false) => app.clock.resume(),
        None => {}
    }
    if let Some(t) = cmd.set {
        app.clock.set(t);
    }
    if let Some(s) = cmd.advance_seconds {
        if !(s.is_finite() && s >= 0.0) {
            return bad("advance_seconds must be a non-negative number");
        }
        app.clock.advance(Duration::from_secs_f64(s));
    }
    Json(json!({ "now": app.clock.now().to_string() })).into_response()
}

pub(crate) async fn faults_get(State(app): State<Arc<App>>) -> Response {
    Json(json!({ "faults": *app.faults.lock().expect("faults lock") })).into_response()
}

pub(crate) async fn faults_post(State(app): State<Arc<App>>, body: axum::body::Bytes) -> Response {
    match serde_json::from_slice::<Fault>(&body) {
        Ok(f) if f.status.is_some_and(|s| !(100..=599).contains(&s)) => {
            bad("status must be 100 to 599")
        }
        Ok(f) => {
            app.inject(f);
            Json(json!({ "injected": true })).into_response()
        }
        Err(e) => bad(format!("invalid fault: {e}")),
    }
}

pub(crate) async fn faults_delete(State(app): State<Arc<App>>) -> Response {
    app.faults.lock().expect("faults lock").clear();
    Json(json!({ "faults": [] })).into_response()
}

pub(crate) async fn requests_get(State(app): State<Arc<App>>) -> Response {
    Json(json!({ "requests": app.requests() })).into_response()
}

pub(crate) async fn throttle_get(State(app): State<Arc<App>>) -> Response {
    let t = app.throttle.lock().expect("throttle lock");
    let limits: serde_json::Map<String, serde_json::Value> = ThrottleCategory::ALL
        .iter()
        .map(|c| {
            let l = t.budget.limits().get(*c);
            (
                c.as_str().to_string(),
                json!({ "requests_per_minute": l.requests, "bytes_per_minute": l.bytes }),
            )
        })
        .collect();
    Json(json!({ "enforce": t.enforce, "limits": limits })).into_response()
}

pub(crate) async fn throttle_post(
    State(app): State<Arc<App>>,
    body: axum::body::Bytes,
) -> Response {
    let cmd: ThrottleCommand = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => return bad(format!("invalid throttle settings: {e}")),
    };
    let limits = if let Some(u) = cmd.concurrent_users {
        Some(RateLimits::for_concurrent_users(u))
    } else if cmd.requests_per_minute.is_some() || cmd.bytes_per_minute.is_some() {
        Some(RateLimits::uniform(CategoryLimit {
            requests: cmd.requests_per_minute.unwrap_or(u64::MAX),
            bytes: cmd.bytes_per_minute.unwrap_or(u64::MAX),
        }))
    } else {
        None
    };
    app.set_throttle(cmd.enforce, limits);
    throttle_get(State(app)).await
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs() {
        assert!(glob("/a/*/c", "/a/b/x/c"));
        assert!(glob("*", "anything"));
        assert!(glob("/x", "/x"));
        assert!(!glob("/x", "/xy"));
        assert!(glob("*:increment", "/e/k:increment"));
        assert!(!glob("*:increment", "/e/k"));
        assert!(glob("/a*b*c", "/aXbYc"));
        assert!(!glob("/a*b*c", "/aXc"));
    }
}
