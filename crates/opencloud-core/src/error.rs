//! Errors, classified by where the request failed.
//!
//! * [`InvalidInput`]: the input broke a documented rule; nothing was sent.
//! * [`ServiceError`]: the service answered with a non-success status.
//! * [`DecodeError`]: the service answered with success, but the body did not parse.
//! * [`TransportError`]: the bytes did not make the round trip.

use std::fmt;
use std::time::Duration;

use http::{HeaderMap, StatusCode};
use jiff::Timestamp;
use serde_json::Value;

use crate::routes::RouteId;

/// Every error this workspace returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input broke a documented rule; nothing was sent.
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),
    /// The service answered with a non-success status.
    #[error(transparent)]
    Service(Box<ServiceError>),
    /// The service answered with success but the body did not parse.
    #[error(transparent)]
    Decode(Box<DecodeError>),
    /// The request or response did not make the round trip.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A read-modify-write kept losing the race to other writers and gave up.
    #[error("gave up after {attempts} attempts: the entry kept changing between read and write")]
    UpdateConflict {
        /// How many read-modify-write rounds were tried.
        attempts: u32,
    },
    /// A write's answer was lost (a 5xx, a timeout or a dropped connection after sending) and
    /// the client could not find out whether the service applied it. Check before writing again.
    #[error("outcome unknown: the write may have been applied; check before retrying ({cause})")]
    OutcomeUnknown {
        /// The failure that left the outcome unknown, or the one that stopped the check.
        cause: Box<Error>,
    },
    /// The change function of a read-modify-write declined to write, with its own error.
    #[error("the change was aborted: {0}")]
    Aborted(Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl Error {
    /// The HTTP status, when the service answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Service(e) => Some(e.status),
            Error::Decode(e) => Some(e.status),
            _ => None,
        }
    }

    /// Whether trying again later could succeed: 429, 5xx and transport failures. Whether it
    /// is *safe* to retry also depends on the operation (see [`crate::RetryPolicy`]).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Service(e) => is_retryable_status(e.status),
            Error::Transport(_) => true,
            _ => false,
        }
    }

    /// The delay the service asked for with `Retry-After`, if any.
    pub fn retry_after(&self) -> Option<RetryAfter> {
        match self {
            Error::Service(e) => e.retry_after(),
            _ => None,
        }
    }

    /// The service error, if the service said no.
    pub fn as_service(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the service answered 404.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// Whether the service answered 409: for a guarded write, the etag no longer matched.
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(StatusCode::CONFLICT)
    }

    /// Whether a create was refused because the resource exists (`ALREADY_EXISTS`, or the 400
    /// the data store APIs answer for an existing entry).
    pub fn is_already_exists(&self) -> bool {
        match self.as_service() {
            Some(e) => {
                e.code.as_deref() == Some("ALREADY_EXISTS")
                    || (e.status == StatusCode::BAD_REQUEST
                        && e.message
                            .as_deref()
                            .is_some_and(|m| m.to_ascii_lowercase().contains("already exists")))
            }
            None => false,
        }
    }

    /// Whether a precondition failed: 412, or `FAILED_PRECONDITION`.
    pub fn is_precondition_failed(&self) -> bool {
        self.status() == Some(StatusCode::PRECONDITION_FAILED)
            || self.as_service().and_then(|e| e.code.as_deref()) == Some("FAILED_PRECONDITION")
    }

    /// Whether the service throttled the request (429).
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(StatusCode::TOO_MANY_REQUESTS)
    }

    /// Whether the key lacks a scope or access to the resource (403).
    pub fn is_permission_denied(&self) -> bool {
        self.status() == Some(StatusCode::FORBIDDEN)
    }

    /// Whether the key was missing, unknown or expired (401).
    pub fn is_unauthenticated(&self) -> bool {
        self.status() == Some(StatusCode::UNAUTHORIZED)
    }

    /// Whether a write may have been applied although it failed: its answer was lost after it
    /// was sent, and it was not retried because repeating it could apply it twice. Check the
    /// state (read the entry, its revisions) before writing again.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, Error::OutcomeUnknown { .. })
            || self.request().and_then(|r| r.gave_up) == Some(crate::retry::GiveUp::MayHaveApplied)
    }

    /// What was sent, when the error came from a request: method, URI, route, attempts and why
    /// retrying stopped. Never the key.
    pub fn request(&self) -> Option<&RequestSummary> {
        match self {
            Error::Service(e) => e.request.as_deref(),
            Error::Decode(e) => e.request.as_deref(),
            Error::Transport(e) => e.request.as_deref(),
            Error::OutcomeUnknown { cause } => cause.request(),
            _ => None,
        }
    }

    /// How many attempts were made, when the error came from a request.
    pub fn attempts(&self) -> Option<u32> {
        self.request().map(|r| r.attempts)
    }

    /// Attaches what was sent to an error that came from a request (keeps one already there).
    pub fn with_request(mut self, summary: &RequestSummary) -> Self {
        let slot = match &mut self {
            Error::Service(e) => &mut e.request,
            Error::Decode(e) => &mut e.request,
            Error::Transport(e) => &mut e.request,
            _ => return self,
        };
        if slot.is_none() {
            *slot = Some(Box::new(summary.clone()));
        }
        self
    }
}

/// What was sent, for errors and logs: method, URI (which never holds the key), route, how many
/// attempts were made and why retrying stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestSummary {
    /// The route called.
    pub route: RouteId,
    /// The method.
    pub method: http::Method,
    /// The absolute URI.
    pub uri: http::Uri,
    /// Attempts made, the first one included.
    pub attempts: u32,
    /// Why no further attempt was made, when the last one failed.
    pub gave_up: Option<crate::retry::GiveUp>,
}

impl RequestSummary {
    /// A summary of `request` to `route` after `attempts` attempts.
    pub fn new(
        route: RouteId,
        request: &http::Request<Vec<u8>>,
        attempts: u32,
        gave_up: Option<crate::retry::GiveUp>,
    ) -> Self {
        Self {
            route,
            method: request.method().clone(),
            uri: request.uri().clone(),
            attempts,
            gave_up,
        }
    }
}

impl fmt::Display for RequestSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} ({:?}), {} attempt{}",
            self.method,
            self.uri,
            self.route,
            self.attempts,
            if self.attempts == 1 { "" } else { "s" }
        )?;
        if let Some(g) = self.gave_up {
            write!(f, "; {g}")?;
        }
        Ok(())
    }
}

impl From<ServiceError> for Error {
    fn from(e: ServiceError) -> Self {
        Error::Service(Box::new(e))
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::Decode(Box::new(e))
    }
}

/// Statuses worth trying again: 408, 429 and 5xx.
pub fn is_retryable_status(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || status.is_server_error()
}

/// An input broke a documented rule. Nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {rule}")]
pub struct InvalidInput {
    /// The field that is wrong, as named in the API (`entry_key`, `scope`, `attributes`...).
    pub field: &'static str,
    /// The rule it broke, in words.
    pub rule: String,
}

impl InvalidInput {
    /// Makes an error for a field and a rule.
    pub fn new(field: &'static str, rule: impl Into<String>) -> Self {
        Self {
            field,
            rule: rule.into(),
        }
    }
}

/// Which of the service's error body shapes a response used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorShape {
    /// v2 and ordered: `{"code": "NOT_FOUND", "message": "...", "details": [...]}`.
    Code,
    /// The gateway: `{"errors": [{"code": 0, "message": "..."}]}`.
    Gateway,
    /// Legacy v1 standard: `{"error": "...", "message": "...", "errorDetails": [...]}`.
    V1,
    /// ASP.NET problem details: `{"title": "...", "status": 400, "errors": {...}}`.
    ProblemDetails,
    /// Anything else: HTML, plain text, an empty body.
    Unstructured,
}

/// The service said no.
#[derive(Clone)]
#[non_exhaustive]
pub struct ServiceError {
    /// The route that was called, when known.
    pub route: Option<RouteId>,
    /// The HTTP status.
    pub status: StatusCode,
    /// The error code: `NOT_FOUND`, `RESOURCE_EXHAUSTED`... (a number, as text, for the gateway).
    pub code: Option<String>,
    /// The service's message.
    pub message: Option<String>,
    /// The legacy v1 `datastoreErrorCode`, when present.
    pub datastore_error_code: Option<String>,
    /// The `details` / `errorDetails` / `errors` part of the body.
    pub details: Vec<Value>,
    /// Which body shape was recognised.
    pub shape: ErrorShape,
    /// Every response header.
    pub headers: HeaderMap,
    /// The raw body.
    pub body: Vec<u8>,
    /// What was sent, when known.
    pub request: Option<Box<RequestSummary>>,
}

impl ServiceError {
    /// Reads a non-success response. Never fails: an unrecognised body is kept as it is.
    pub fn from_parts(
        route: Option<RouteId>,
        status: StatusCode,
        headers: HeaderMap,
        body: &[u8],
    ) -> Self {
        let mut e = ServiceError {
            route,
            status,
            code: None,
            message: None,
            datastore_error_code: None,
            details: Vec::new(),
            shape: ErrorShape::Unstructured,
            headers,
            body: body.to_vec(),
            request: None,
        };
        let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) else {
            return e;
        };
        let text = |v: Option<&Value>| -> Option<String> {
            match v? {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            }
        };
        if let Some(Value::Array(errors)) = obj.get("errors") {
            e.shape = ErrorShape::Gateway;
            if let Some(first) = errors.first() {
                e.code = text(first.get("code"));
                e.message = text(first.get("message"));
            }
            e.details = errors.clone();
        } else if obj.contains_key("error") {
            e.shape = ErrorShape::V1;
            e.code = text(obj.get("error"));
            e.message = text(obj.get("message"));
            if let Some(Value::Array(d)) = obj.get("errorDetails") {
                e.datastore_error_code = d.iter().find_map(|x| text(x.get("datastoreErrorCode")));
                e.details = d.clone();
            }
        } else if obj.contains_key("title") && obj.contains_key("status") {
            e.shape = ErrorShape::ProblemDetails;
            e.message = text(obj.get("title"));
            if let Some(errors) = obj.get("errors") {
                e.details = vec![errors.clone()];
            }
        } else if obj.contains_key("code") || obj.contains_key("message") {
            e.shape = ErrorShape::Code;
            e.code = text(obj.get("code"));
            e.message = text(obj.get("message"));
            if let Some(Value::Array(d)) = obj.get("details") {
                e.details = d.clone();
            }
        }
        e
    }

    /// The `Retry-After` header, as seconds or an HTTP date.
    pub fn retry_after(&self) -> Option<RetryAfter> {
        RetryAfter::from_headers(&self.headers)
    }

    /// The per-field messages of a problem-details body (`{"errors": {"assetId": ["The value
    /// 'a' is not valid."]}}`), as (field, message) pairs in the body's order; empty for other
    /// shapes.
    pub fn field_errors(&self) -> Vec<(String, String)> {
        if self.shape != ErrorShape::ProblemDetails {
            return Vec::new();
        }
        let Some(Value::Object(fields)) = self.details.first() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (field, messages) in fields {
            match messages {
                Value::Array(list) => out.extend(
                    list.iter()
                        .filter_map(Value::as_str)
                        .map(|m| (field.clone(), m.to_string())),
                ),
                Value::String(m) => out.push((field.clone(), m.clone())),
                _ => {}
            }
        }
        out
    }

    /// The body as (lossy) text, for messages.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl fmt::Debug for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceError")
            .field("route", &self.route)
            .field("status", &self.status)
            .field("code", &self.code)
            .field("message", &self.message)
            .field("datastore_error_code", &self.datastore_error_code)
            .field("shape", &self.shape)
            .field("body", &self.body_text())
            .field("request", &self.request)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the service answered {}", self.status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        if let Some(dc) = &self.datastore_error_code {
            write!(f, " ({dc})")?;
        }
        let fields = self.field_errors();
        if !fields.is_empty() {
            let list: Vec<String> = fields.iter().map(|(k, m)| format!("{k}: {m}")).collect();
            let title = self.message.as_deref().unwrap_or("validation failed");
            return write!(f, ": {title} ({})", list.join("; "));
        }
        match &self.message {
            Some(m) => write!(f, ": {m}"),
            None if self.body.is_empty() => Ok(()),
            None => {
                let text = self.body_text();
                let short: String = text.chars().take(200).collect();
                write!(f, ": {}", short.trim())
            }
        }
    }
}

impl std::error::Error for ServiceError {}

/// A `Retry-After` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// A delay in seconds.
    Delay(Duration),
    /// An HTTP date.
    At(Timestamp),
}

impl RetryAfter {
    /// Reads the `Retry-After` header: seconds (integer or decimal) or an HTTP date.
    pub fn from_headers(headers: &HeaderMap) -> Option<RetryAfter> {
        let v = headers
            .get(http::header::RETRY_AFTER)?
            .to_str()
            .ok()?
            .trim();
        Self::parse(v)
    }

    /// Parses a `Retry-After` value: whole or decimal seconds, or an HTTP date. Never panics: a
    /// number of seconds too large for a `Duration` reads as [`Duration::MAX`], which no retry
    /// deadline accepts, so the call gives up saying so.
    pub fn parse(v: &str) -> Option<RetryAfter> {
        let v = v.trim();
        if v.is_empty() {
            return None;
        }
        if v.bytes().all(|b| b.is_ascii_digit()) {
            // All digits: too many of them is still a (huge) delay, not garbage.
            return Some(RetryAfter::Delay(
                v.parse::<u64>()
                    .map(Duration::from_secs)
                    .unwrap_or(Duration::MAX),
            ));
        }
        if let Ok(secs) = v.parse::<f64>() {
            if !secs.is_finite() || secs < 0.0 {
                return None;
            }
            return Some(RetryAfter::Delay(
                Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX),
            ));
        }
        jiff::fmt::rfc2822::parse(v)
            .ok()
            .map(|z| RetryAfter::At(z.timestamp()))
    }

    /// The delay from `now` (zero if the date has passed).
    pub fn delay_from(self, now: Timestamp) -> Duration {
        match self {
            RetryAfter::Delay(d) => d,
            RetryAfter::At(t) => {
                let ms = t.as_millisecond().saturating_sub(now.as_millisecond());
                Duration::from_millis(u64::try_from(ms).unwrap_or(0))
            }
        }
    }
}

/// The service answered with success, but the body did not parse.
#[derive(Debug, Clone, thiserror::Error)]
#[error("could not read the {status} response to {route:?}: {message} (at `{path}`)")]
#[non_exhaustive]
pub struct DecodeError {
    /// The route that was called.
    pub route: RouteId,
    /// The HTTP status.
    pub status: StatusCode,
    /// The path of the field that failed, such as `dataStoreEntries[3].users[0]`.
    pub path: String,
    /// What was wrong.
    pub message: String,
    /// The raw body.
    pub body: Vec<u8>,
    /// What was sent, when known.
    pub request: Option<Box<RequestSummary>>,
}

impl DecodeError {
    /// A body of a success response to `route` that did not parse: `path` is the field that
    /// failed, `message` what was wrong.
    pub fn new(
        route: RouteId,
        status: StatusCode,
        path: impl Into<String>,
        message: impl Into<String>,
        body: &[u8],
    ) -> Self {
        Self {
            route,
            status,
            path: path.into(),
            message: message.into(),
            body: body.to_vec(),
            request: None,
        }
    }
}

/// What went wrong in moving the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection was made: the request was certainly not sent.
    Connect,
    /// The request timed out: it may or may not have been applied.
    Timeout,
    /// The connection failed after the request may have been sent.
    Io,
    /// Anything else (TLS, a malformed response, a refused redirect...).
    Other,
}

impl TransportErrorKind {
    /// The kind of an `std::io::Error` from a socket.
    pub fn of_io(e: &std::io::Error) -> Self {
        use std::io::ErrorKind::*;
        match e.kind() {
            ConnectionRefused | AddrNotAvailable | NotFound | HostUnreachable
            | NetworkUnreachable => TransportErrorKind::Connect,
            TimedOut | WouldBlock => TransportErrorKind::Timeout,
            _ => TransportErrorKind::Io,
        }
    }
}

/// The request or response did not make the round trip.
#[derive(Debug, Clone, thiserror::Error)]
#[error("transport error ({kind:?}): {message}")]
#[non_exhaustive]
pub struct TransportError {
    /// What kind of failure it was.
    pub kind: TransportErrorKind,
    /// The transport's own description, without any secret.
    pub message: String,
    /// The underlying error, for [`std::error::Error::source`].
    #[source]
    pub source: Option<std::sync::Arc<dyn std::error::Error + Send + Sync + 'static>>,
    /// What was sent, when known.
    pub request: Option<Box<RequestSummary>>,
}

impl TransportError {
    /// Makes a transport error.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
            request: None,
        }
    }

    /// Keeps the underlying error as this one's [`source`](std::error::Error::source).
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(std::sync::Arc::new(source));
        self
    }

    /// Whether the request certainly never reached the service.
    pub fn certainly_not_sent(&self) -> bool {
        self.kind == TransportErrorKind::Connect
    }
}
