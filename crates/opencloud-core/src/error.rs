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
        if let Ok(secs) = v.parse::<u64>() {
            return Some(RetryAfter::Delay(Duration::from_secs(secs)));
        }
        if let Ok(secs) = v.parse::<f64>()
            && secs.is_finite()
            && secs >= 0.0
        {
            return Some(RetryAfter::Delay(Duration::from_secs_f64(secs)));
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
                let ms = t.as_millisecond() - now.as_millisecond();
                Duration::from_millis(ms.max(0) as u64)
            }
        }
    }
}

/// The service answered with success, but the body did not parse.
#[derive(Debug, Clone, thiserror::Error)]
#[error("could not read the {status} response to {route:?}: {message} (at `{path}`)")]
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

/// The request or response did not make the round trip.
#[derive(Debug, Clone, thiserror::Error)]
#[error("transport error ({kind:?}): {message}")]
pub struct TransportError {
    /// What kind of failure it was.
    pub kind: TransportErrorKind,
    /// The transport's own description, without any secret.
    pub message: String,
}

impl TransportError {
    /// Makes a transport error.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// Whether the request certainly never reached the service.
    pub fn certainly_not_sent(&self) -> bool {
        self.kind == TransportErrorKind::Connect
    }
}
