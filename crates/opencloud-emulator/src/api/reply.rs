//! What the emulator answers: a [`Reply`] (status, headers, a body of any content type) and an
//! [`ApiError`] rendered in the body shape of the API family that failed.

use axum::body::Body as AxumBody;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use opencloud_core::Route;
use serde_json::{Value, json};

/// The error body shape of an API family (see `docs/emulator.md`, "Error bodies").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorFamily {
    /// v2 standard and ordered: `{"code": "NOT_FOUND", "message": "..."}`.
    V2,
    /// Legacy v1 standard data stores: `{"error": "NOT_FOUND", "message": "...",
    /// "errorDetails": [{"errorDetailType": "DatastoreErrorInfo", "datastoreErrorCode": "..."}]}`.
    V1Standard,
    /// Legacy v1 ordered data stores: the v2 shape.
    V1Ordered,
}

impl ErrorFamily {
    /// The family a route belongs to, read from its template.
    pub fn of(route: &Route) -> Self {
        Self::of_path(route.template)
    }

    /// The family a raw request path belongs to (for answers given before a route matched).
    pub fn of_path(path: &str) -> Self {
        if path.starts_with("/datastores/v1/") {
            Self::V1Standard
        } else if path.starts_with("/ordered-data-stores/v1/") {
            Self::V1Ordered
        } else {
            Self::V2
        }
    }
}

/// An error answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// The code (`INVALID_ARGUMENT`...), the `code` of v2 and the `error` of v1.
    pub code: &'static str,
    /// Message.
    pub message: String,
    /// Answered by the gateway in front of every API (401, unknown paths): the
    /// `{"errors": [{"code": 0, "message"}]}` shape whatever the family.
    pub gateway: bool,
    /// The v1 `datastoreErrorCode` (`EntryNotFound`...); a default by status when `None`.
    pub v1_detail: Option<&'static str>,
    /// Headers of the answer: `Retry-After` of a 429, `Allow` of a 405, the current entry's
    /// metadata on a legacy v1 412.
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    /// An error with a status, a code and a message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            gateway: false,
            v1_detail: None,
            headers: Vec::new(),
        }
    }
    /// 400 `INVALID_ARGUMENT`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", message)
    }
    /// 404 `NOT_FOUND`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }
    /// 409 `ABORTED`.
    pub fn aborted(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "ABORTED", message)
    }
    /// 403 `PERMISSION_DENIED`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "PERMISSION_DENIED", message)
    }
    /// 500 `INTERNAL`.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", message)
    }
    /// A gateway answer (401 for keys, 404 for paths no API serves).
    pub fn gateway(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            gateway: true,
            ..Self::new(status, "UNAUTHENTICATED", message)
        }
    }
    /// With a header.
    pub fn with_header(mut self, name: &'static str, value: HeaderValue) -> Self {
        self.headers.push((HeaderName::from_static(name), value));
        self
    }

    /// With a v1 `datastoreErrorCode`.
    pub fn v1_detail(mut self, code: &'static str) -> Self {
        self.v1_detail = Some(code);
        self
    }

    /// The error the emulator answers for an injected status.
    pub fn for_status(status: StatusCode) -> Self {
        let code = match status.as_u16() {
            400 => "INVALID_ARGUMENT",
            403 => "PERMISSION_DENIED",
            404 => "NOT_FOUND",
            409 => "ABORTED",
            412 => "FAILED_PRECONDITION",
            429 => "RESOURCE_EXHAUSTED",
            499 => "CANCELLED",
            501 => "NOT_IMPLEMENTED",
            503 => "UNAVAILABLE",
            _ => "INTERNAL",
        };
        Self::new(
            status,
            code,
            format!(
                "Injected fault: {}",
                status.canonical_reason().unwrap_or("error")
            ),
        )
    }

    /// The JSON body in a family's shape (the gateway's shape for gateway errors).
    pub fn body(&self, family: ErrorFamily) -> Value {
        if self.gateway {
            return json!({ "errors": [{ "code": 0, "message": self.message }] });
        }
        match family {
            ErrorFamily::V2 | ErrorFamily::V1Ordered => {
                json!({ "code": self.code, "message": self.message })
            }
            ErrorFamily::V1Standard => {
                let detail = self.v1_detail.unwrap_or(match self.status.as_u16() {
                    403 => "InsufficientScope",
                    404 => "DatastoreNotFound",
                    429 => "TooManyRequests",
                    _ => "Unknown",
                });
                json!({
                    "error": self.code,
                    "message": self.message,
                    "errorDetails": [{
                        "errorDetailType": "DatastoreErrorInfo",
                        "datastoreErrorCode": detail,
                    }],
                })
            }
        }
    }

    /// The whole answer.
    pub fn reply(&self, family: ErrorFamily) -> Reply {
        let mut r = Reply::json_status(self.status, &self.body(family));
        r.headers.extend(self.headers.iter().cloned());
        r
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::internal(e.to_string())
    }
}

impl From<opencloud_core::InvalidInput> for ApiError {
    /// The core's own validation, as a 400 naming the field and the rule.
    fn from(e: opencloud_core::InvalidInput) -> Self {
        ApiError::invalid(e.to_string())
    }
}

/// A body and its content type.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// No body.
    Empty,
    /// Bytes of some content type.
    Bytes {
        /// `Content-Type`.
        content_type: &'static str,
        /// The bytes.
        bytes: Vec<u8>,
    },
}

/// A whole answer: status, extra headers and a body.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// Status.
    pub status: StatusCode,
    /// Headers besides `Content-Type`.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Body.
    pub body: Body,
    /// Drop the connection instead of answering (an injected fault).
    pub drop_connection: bool,
}

impl Reply {
    /// 200 with a JSON body, serialized once.
    pub fn json(v: &Value) -> Self {
        Self::json_status(StatusCode::OK, v)
    }

    /// A JSON body with a status.
    pub fn json_status(status: StatusCode, v: &Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Body::Bytes {
                content_type: "application/json",
                bytes: v.to_string().into_bytes(),
            },
            drop_connection: false,
        }
    }

    /// 200 with no body.
    pub fn empty() -> Self {
        Self {
            status: StatusCode::OK,
            headers: Vec::new(),
            body: Body::Empty,
            drop_connection: false,
        }
    }

    /// An answer that drops the connection.
    pub fn dropped() -> Self {
        Self {
            drop_connection: true,
            ..Self::empty()
        }
    }

    /// Flips the lowest bit of the body's first byte, leaving the headers as they are (an
    /// injected corruption in transit; `7` becomes `6`).
    pub fn corrupt_body(&mut self) {
        if let Body::Bytes { bytes, .. } = &mut self.body
            && let Some(b) = bytes.first_mut()
        {
            *b ^= 1;
        }
    }

    /// The body's length in bytes.
    pub fn body_len(&self) -> usize {
        match &self.body {
            Body::Empty => 0,
            Body::Bytes { bytes, .. } => bytes.len(),
        }
    }

    /// The body parsed as JSON (tests and tools).
    pub fn json_body(&self) -> Option<Value> {
        match &self.body {
            Body::Bytes { bytes, .. } => serde_json::from_slice(bytes).ok(),
            Body::Empty => None,
        }
    }

    /// The HTTP response.
    pub fn into_response(self) -> Response {
        if self.drop_connection {
            // A body that fails at once: the client sees the connection drop.
            let stream = futures_util::stream::once(async {
                Err::<axum::body::Bytes, _>(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "injected: connection dropped",
                ))
            });
            return Response::new(AxumBody::from_stream(stream));
        }
        let mut r = match self.body {
            Body::Empty => Response::new(AxumBody::empty()),
            Body::Bytes {
                content_type,
                bytes,
            } => {
                let mut r = Response::new(AxumBody::from(bytes));
                r.headers_mut()
                    .insert("content-type", HeaderValue::from_static(content_type));
                r
            }
        };
        *r.status_mut() = self.status;
        for (k, v) in self.headers {
            r.headers_mut().append(k, v);
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_render_per_family() {
        let e = ApiError::not_found("Entry k not found.").v1_detail("EntryNotFound");
        assert_eq!(
            e.body(ErrorFamily::V2),
            json!({"code": "NOT_FOUND", "message": "Entry k not found."})
        );
        assert_eq!(e.body(ErrorFamily::V1Ordered), e.body(ErrorFamily::V2));
        assert_eq!(
            e.body(ErrorFamily::V1Standard),
            json!({"error": "NOT_FOUND", "message": "Entry k not found.", "errorDetails": [
                {"errorDetailType": "DatastoreErrorInfo", "datastoreErrorCode": "EntryNotFound"}]})
        );
        let g = ApiError::gateway(StatusCode::UNAUTHORIZED, "Invalid API Key");
        for f in [ErrorFamily::V2, ErrorFamily::V1Standard] {
            assert_eq!(
                g.body(f),
                json!({"errors": [{"code": 0, "message": "Invalid API Key"}]})
            );
        }
        assert_eq!(
            ErrorFamily::of_path("/datastores/v1/universes/1/standard-datastores"),
            ErrorFamily::V1Standard
        );
        assert_eq!(
            ErrorFamily::of_path("/ordered-data-stores/v1/universes/1/orderedDataStores"),
            ErrorFamily::V1Ordered
        );
        assert_eq!(ErrorFamily::of_path("/cloud/v2/x"), ErrorFamily::V2);
    }

    #[test]
    fn replies_carry_status_headers_and_any_content_type() {
        let e = ApiError::for_status(StatusCode::TOO_MANY_REQUESTS)
            .with_header("retry-after", HeaderValue::from(3u64));
        let r = e.reply(ErrorFamily::V2).into_response();
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()["retry-after"], "3");
        assert_eq!(r.headers()["content-type"], "application/json");
        let text = Reply {
            status: StatusCode::OK,
            headers: Vec::new(),
            body: Body::Bytes {
                content_type: "text/plain",
                bytes: b"hi".to_vec(),
            },
            drop_connection: false,
        };
        assert_eq!(text.body_len(), 2);
        assert_eq!(text.into_response().headers()["content-type"], "text/plain");
    }
}
