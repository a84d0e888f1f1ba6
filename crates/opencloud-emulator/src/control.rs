//! The control plane under `/_emulator/`: health, reset, the clock, fault injection, throttle
//! settings and the request log. It needs no key and is meant for tests on loopback.

use std::collections::VecDeque;
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

use crate::{App, lock};

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
    /// Make the handler panic while it holds the storage lock (with `when: "before"`): to test
    /// that a failing handler answers 500 and leaves the emulator serving.
    #[serde(default)]
    pub panic: bool,
    /// Change one byte of the answer's body and keep its headers (`content-length`,
    /// `content-md5`): corruption in transit, to test that a client checks what it receives.
    #[serde(default)]
    pub corrupt_body: bool,
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
            panic: false,
            corrupt_body: false,
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

/// One line of the request log. Long paths and queries are cut to [`LOG_FIELD_MAX_BYTES`];
/// their full sizes are kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedRequest {
    /// When it arrived (emulated time).
    pub time: Timestamp,
    /// Method.
    pub method: String,
    /// Raw path (cut to [`LOG_FIELD_MAX_BYTES`]).
    pub path: String,
    /// Raw query (cut to [`LOG_FIELD_MAX_BYTES`]).
    pub query: String,
    /// The route it matched.
    pub route: Option<String>,
    /// The status answered (0 for a dropped connection).
    pub status: u16,
    /// Whether an injected fault shaped the answer.
    pub fault: bool,
    /// The full size of the path in bytes.
    #[serde(default)]
    pub path_bytes: usize,
    /// The full size of the query in bytes.
    #[serde(default)]
    pub query_bytes: usize,
    /// The size of the body in bytes (bodies are not logged).
    #[serde(default)]
    pub body_bytes: usize,
    /// What the emulator tolerated in this request (unknown query parameters...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The longest path or query kept in a log line.
pub const LOG_FIELD_MAX_BYTES: usize = 1024;

/// `s` cut to at most `max` bytes at a character boundary.
fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

impl LoggedRequest {
    /// A line for a request just arrived.
    pub fn new(
        time: Timestamp,
        method: &Method,
        path: &str,
        query: &str,
        body_bytes: usize,
    ) -> Self {
        Self {
            time,
            method: cut(method.as_str(), 32),
            path: cut(path, LOG_FIELD_MAX_BYTES),
            query: cut(query, LOG_FIELD_MAX_BYTES),
            route: None,
            status: 0,
            fault: false,
            path_bytes: path.len(),
            query_bytes: query.len(),
            body_bytes,
            warnings: Vec::new(),
        }
    }

    /// About what the line occupies in memory.
    fn size(&self) -> usize {
        const FIXED: usize = 160;
        FIXED
            + self.method.len()
            + self.path.len()
            + self.query.len()
            + self.route.as_ref().map_or(0, String::len)
            + self.warnings.iter().map(String::len).sum::<usize>()
    }
}

/// The request log, bounded by count and by bytes: the oldest lines go first.
#[derive(Debug, Default)]
pub struct RequestLog {
    lines: VecDeque<LoggedRequest>,
    bytes: usize,
}

impl RequestLog {
    /// Appends a line, dropping the oldest past [`LOG_CAPACITY`] or [`LOG_MAX_BYTES`].
    pub fn push(&mut self, mut line: LoggedRequest) {
        line.warnings.truncate(16);
        for w in &mut line.warnings {
            *w = cut(w, LOG_FIELD_MAX_BYTES);
        }
        self.bytes = self.bytes.saturating_add(line.size());
        self.lines.push_back(line);
        while self.lines.len() > LOG_CAPACITY || self.bytes > LOG_MAX_BYTES {
            match self.lines.pop_front() {
                Some(old) => self.bytes = self.bytes.saturating_sub(old.size()),
                None => break,
            }
        }
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.lines.clear();
        self.bytes = 0;
    }

    /// The lines, oldest first.
    pub fn entries(&self) -> impl Iterator<Item = &LoggedRequest> {
        self.lines.iter()
    }

    /// About how many bytes the lines occupy.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

/// The throttle's settings.
#[derive(Debug)]
pub struct Throttle {
    /// Whether budgets are enforced.
    pub enforce: bool,
    /// The budgets.
    pub budget: RateBudget,
}

/// How many requests the log keeps at most.
pub const LOG_CAPACITY: usize = 10_000;
/// About how many bytes the log keeps at most.
pub const LOG_MAX_BYTES: usize = 8 * 1024 * 1024;
/// The longest injected delay.
pub const MAX_FAULT_DELAY_MS: u64 = 600_000;
/// The furthest the clock moves in one step: 100 years.
pub const MAX_CLOCK_STEP_SECONDS: f64 = 100.0 * 365.25 * 86_400.0;
/// The largest `concurrent_users` accepted by the throttle settings.
pub const MAX_CONCURRENT_USERS: u64 = 1_000_000_000;

/// A `POST /_emulator/clock` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockCommand {
    /// Seconds to move forward.
    #[serde(default)]
    pub advance_seconds: Option<f64>,
    /// A time to jump to.
    #[serde(default)]
    pub set: Option<Timestamp>,
    /// Freeze (true) or release (false).
    #[serde(default)]
    pub freeze: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThrottleCommand {
    #[serde(default)]
    enforce: Option<bool>,
    /// A limit for every category counted per minute.
    #[serde(default)]
    requests_per_minute: Option<u64>,
    #[serde(default)]
    bytes_per_minute: Option<u64>,
    /// Reset to the documented defaults (for this many concurrent users).
    #[serde(default)]
    concurrent_users: Option<u64>,
    /// Per category (by name), a limit per the category's window, over what the fields above
    /// set (or over the limits in effect).
    #[serde(default)]
    limits: Option<std::collections::BTreeMap<String, LimitCommand>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitCommand {
    /// Requests per window (unlimited when absent).
    #[serde(default)]
    requests: Option<u64>,
    /// Bytes per window (unlimited when absent).
    #[serde(default)]
    bytes: Option<u64>,
}

fn bad(msg: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "code": "INVALID_ARGUMENT", "message": msg.into() })),
    )
        .into_response()
}

fn internal(msg: impl Into<String>) -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(json!({ "code": "INTERNAL", "message": msg.into() })),
    )
        .into_response()
}

/// Parses and checks a clock command: `advance_seconds` must be a finite number from 0 to
/// [`MAX_CLOCK_STEP_SECONDS`].
pub fn parse_clock_command(body: &[u8]) -> Result<ClockCommand, String> {
    let cmd: ClockCommand = serde_json::from_slice(body).map_err(|e| {
        format!(
            "expected {{\"advance_seconds\": N}}, {{\"set\": TIME}} or {{\"freeze\": BOOL}}: {e}"
        )
    })?;
    if let Some(s) = cmd.advance_seconds
        && !(s.is_finite() && (0.0..=MAX_CLOCK_STEP_SECONDS).contains(&s))
    {
        return Err(format!(
            "advance_seconds must be a number from 0 to {MAX_CLOCK_STEP_SECONDS} (100 years), got {s}"
        ));
    }
    Ok(cmd)
}

/// Parses and checks a fault: status 100 to 599, `delay_ms` at most [`MAX_FAULT_DELAY_MS`],
/// `count` at least 1, `panic` only before the operation.
pub fn parse_fault(body: &[u8]) -> Result<Fault, String> {
    let f: Fault = serde_json::from_slice(body).map_err(|e| format!("invalid fault: {e}"))?;
    if f.status.is_some_and(|s| !(100..=599).contains(&s)) {
        return Err("status must be 100 to 599".into());
    }
    if f.delay_ms > MAX_FAULT_DELAY_MS {
        return Err(format!(
            "delay_ms must be at most {MAX_FAULT_DELAY_MS} (10 minutes), got {}",
            f.delay_ms
        ));
    }
    if f.count == 0 {
        return Err("count must be at least 1".into());
    }
    if f.panic && f.when == FaultTiming::After {
        return Err("panic applies before the operation; leave when at \"before\"".into());
    }
    Ok(f)
}

/// Parses and checks throttle settings into what to apply.
/// `current` is the limits in effect, which a command naming only some categories changes.
pub fn parse_throttle_command(
    body: &[u8],
    current: &RateLimits,
) -> Result<(Option<bool>, Option<RateLimits>), String> {
    let cmd: ThrottleCommand =
        serde_json::from_slice(body).map_err(|e| format!("invalid throttle settings: {e}"))?;
    let limits = if let Some(u) = cmd.concurrent_users {
        if u > MAX_CONCURRENT_USERS {
            return Err(format!(
                "concurrent_users must be at most {MAX_CONCURRENT_USERS}, got {u}"
            ));
        }
        Some(RateLimits::for_concurrent_users(u))
    } else if cmd.requests_per_minute.is_some() || cmd.bytes_per_minute.is_some() {
        Some(RateLimits::uniform(CategoryLimit {
            requests: cmd.requests_per_minute.unwrap_or(u64::MAX),
            bytes: cmd.bytes_per_minute.unwrap_or(u64::MAX),
        }))
    } else {
        None
    };
    let limits = match cmd.limits {
        None => limits,
        Some(per) => {
            let mut l = limits.unwrap_or_else(|| current.clone());
            for (name, limit) in per {
                let category = ThrottleCategory::from_name(&name).ok_or_else(|| {
                    format!(
                        "unknown throttle category {name:?}: one of {}",
                        ThrottleCategory::ALL
                            .map(ThrottleCategory::as_str)
                            .join(", ")
                    )
                })?;
                l = l.with(
                    category,
                    CategoryLimit {
                        requests: limit.requests.unwrap_or(u64::MAX),
                        bytes: limit.bytes.unwrap_or(u64::MAX),
                    },
                );
            }
            Some(l)
        }
    };
    Ok((cmd.enforce, limits))
}

pub(crate) async fn health(State(app): State<Arc<App>>) -> Response {
    Json(json!({
        "status": "ok",
        "now": app.clock.now().to_string(),
        "journal_mode": app.journal_mode(),
    }))
    .into_response()
}

pub(crate) async fn reset(State(app): State<Arc<App>>) -> Response {
    if let Err(e) = app.reset() {
        return internal(e.to_string());
    }
    // Report success only for what holds: nothing left in the log or the faults.
    let left = lock(&app.faults).len() + lock(&app.log).entries().count();
    if left != 0 {
        return internal(format!("reset left {left} faults or log lines behind"));
    }
    Json(json!({ "reset": true })).into_response()
}

pub(crate) async fn clock_get(State(app): State<Arc<App>>) -> Response {
    Json(json!({ "now": app.clock.now().to_string() })).into_response()
}

pub(crate) async fn clock_post(State(app): State<Arc<App>>, body: axum::body::Bytes) -> Response {
    let cmd = match parse_clock_command(&body) {
        Ok(c) => c,
        Err(e) => return bad(e),
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
        // Checked above: finite, non-negative and at most 100 years.
        if let Err(e) = app.clock.try_advance(Duration::from_secs_f64(s)) {
            return bad(e.to_string());
        }
    }
    Json(json!({ "now": app.clock.now().to_string() })).into_response()
}

pub(crate) async fn faults_get(State(app): State<Arc<App>>) -> Response {
    let faults = lock(&app.faults).clone();
    Json(json!({ "faults": faults })).into_response()
}

pub(crate) async fn faults_post(State(app): State<Arc<App>>, body: axum::body::Bytes) -> Response {
    match parse_fault(&body) {
        Ok(f) => {
            app.inject(f);
            Json(json!({ "injected": true })).into_response()
        }
        Err(e) => bad(e),
    }
}

pub(crate) async fn faults_delete(State(app): State<Arc<App>>) -> Response {
    lock(&app.faults).clear();
    Json(json!({ "faults": [] })).into_response()
}

pub(crate) async fn requests_get(State(app): State<Arc<App>>) -> Response {
    Json(json!({ "requests": app.requests() })).into_response()
}

pub(crate) async fn throttle_get(State(app): State<Arc<App>>) -> Response {
    let t = lock(&app.throttle);
    let limits: serde_json::Map<String, serde_json::Value> = ThrottleCategory::ALL
        .iter()
        .map(|c| {
            let l = t.budget.limits().get(*c);
            (
                c.as_str().to_string(),
                json!({
                    "requests": l.requests,
                    "bytes": l.bytes,
                    "window_seconds": c.window().as_secs(),
                }),
            )
        })
        .collect();
    Json(json!({ "enforce": t.enforce, "limits": limits })).into_response()
}

pub(crate) async fn throttle_post(
    State(app): State<Arc<App>>,
    body: axum::body::Bytes,
) -> Response {
    let current = lock(&app.throttle).budget.limits().clone();
    match parse_throttle_command(&body, &current) {
        Ok((enforce, limits)) => {
            app.set_throttle(enforce, limits);
            throttle_get(State(app)).await
        }
        Err(e) => bad(e),
    }
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

/// The query of the messages endpoints: `topic` (required) and `universe` (optional).
#[derive(Debug, Deserialize)]
pub(crate) struct MessagesQuery {
    topic: Option<String>,
    universe: Option<String>,
}

/// `GET /_emulator/messages?topic=T[&universe=U]`: what was published on a topic, in order.
pub(crate) async fn messages_get(
    State(app): State<Arc<App>>,
    axum::extract::Query(q): axum::extract::Query<MessagesQuery>,
) -> Response {
    let Some(topic) = q.topic else {
        return bad("the topic query parameter is required".to_string());
    };
    Json(json!({ "messages": app.published(q.universe.as_deref(), &topic) })).into_response()
}

/// `GET /_emulator/messages/stream?topic=T[&universe=U]`: a server-sent-events stream with one
/// `message` event (data: the message as JSON) per later publish on the topic. It opens with a
/// `: subscribed` comment; a subscriber too slow to keep up gets a `lagged` event with the
/// number of messages it missed.
pub(crate) async fn messages_stream(
    State(app): State<Arc<App>>,
    axum::extract::Query(q): axum::extract::Query<MessagesQuery>,
) -> Response {
    use tokio::sync::broadcast::error::RecvError;
    let Some(topic) = q.topic else {
        return bad("the topic query parameter is required".to_string());
    };
    let rx = lock(&app.messages).subscribe();
    let first = futures_util::stream::once(async {
        Ok::<_, std::convert::Infallible>(axum::body::Bytes::from_static(b": subscribed\n\n"))
    });
    let events = futures_util::stream::unfold(
        (rx, topic, q.universe),
        |(mut rx, topic, universe)| async move {
            loop {
                match rx.recv().await {
                    Ok(m) => {
                        if m.topic != topic || universe.as_ref().is_some_and(|u| *u != m.universe) {
                            continue;
                        }
                        let data = serde_json::to_string(&m).unwrap_or_default();
                        let chunk = format!("event: message\ndata: {data}\n\n");
                        return Some((Ok(axum::body::Bytes::from(chunk)), (rx, topic, universe)));
                    }
                    Err(RecvError::Lagged(n)) => {
                        let chunk = format!("event: lagged\ndata: {n}\n\n");
                        return Some((Ok(axum::body::Bytes::from(chunk)), (rx, topic, universe)));
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    );
    use futures_util::StreamExt;
    let body = axum::body::Body::from_stream(first.chain(events));
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        .body(body)
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
