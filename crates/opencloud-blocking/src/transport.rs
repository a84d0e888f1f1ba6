//! Bring your own HTTP: a one-method trait, a blanket impl for closures, and the ureq adapter.

use std::sync::Arc;

use opencloud_core::TransportError;
use opencloud_core::http::{Request, Response};

/// Sends one request and returns the whole response: status, every header (multi-valued too)
/// and the whole body. It must not follow redirects (the request carries the API key).
///
/// Any `Fn(Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError>` is an `HttpClient`:
///
/// ```
/// use opencloud_blocking::{HttpClient, TransportError, http};
/// let client = |req: http::Request<Vec<u8>>| -> Result<http::Response<Vec<u8>>, TransportError> {
///     // hand `req` to your HTTP stack here
///     Ok(http::Response::new(b"{}".to_vec()))
/// };
/// fn takes(_: impl HttpClient) {}
/// takes(client);
/// ```
pub trait HttpClient: Send + Sync + 'static {
    /// Sends the request.
    fn call(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError>;
}

impl<F> HttpClient for F
where
    F: Fn(Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> + Send + Sync + 'static,
{
    fn call(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        self(request)
    }
}

/// The HTTP stack a client sends with: any [`HttpClient`], shared. Made with `.into()` (the
/// builder's [`http_client`](crate::ClientBuilder::http_client) does it).
#[derive(Clone)]
pub struct Transport(pub(crate) Arc<dyn HttpClient>);

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Transport")
    }
}

impl<T: HttpClient> From<T> for Transport {
    fn from(client: T) -> Self {
        Self(Arc::new(client))
    }
}

#[cfg(feature = "ureq")]
pub use ureq_adapter::UreqClient;

#[cfg(feature = "ureq")]
mod ureq_adapter {
    use std::io::Read;
    use std::time::Duration;

    use opencloud_core::http::{Request, Response};
    use opencloud_core::{TransportError, TransportErrorKind};

    use super::HttpClient;

    /// The most a response's `Content-Length` reserves before its body is read.
    const BODY_CAPACITY_HINT_MAX: usize = 32 << 20;

    /// The default transport: ureq with rustls, redirects off, statuses returned as responses.
    #[derive(Debug, Clone)]
    pub struct UreqClient(ureq::Agent);

    impl UreqClient {
        /// A ureq agent with a per-request timeout and no redirects.
        pub fn new(timeout: Duration) -> Self {
            let config = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .timeout_global(Some(timeout))
                .allow_non_standard_methods(true)
                .max_idle_connections(256)
                .max_idle_connections_per_host(256)
                .build();
            Self(config.into())
        }

        /// Wraps an agent you configured yourself. It must not follow redirects and must return
        /// non-2xx statuses as responses (`http_status_as_error(false)`).
        pub fn from_agent(agent: ureq::Agent) -> Self {
            Self(agent)
        }
    }

    fn kind(e: &ureq::Error) -> TransportErrorKind {
        match e {
            ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => {
                TransportErrorKind::Connect
            }
            ureq::Error::Timeout(_) => TransportErrorKind::Timeout,
            ureq::Error::Io(io) => TransportErrorKind::of_io(io),
            _ => TransportErrorKind::Other,
        }
    }

    impl HttpClient for UreqClient {
        fn call(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
            let err = |e: ureq::Error| TransportError::new(kind(&e), e.to_string()).with_source(e);
            let (parts, body) = request.into_parts();
            let resp = if body.is_empty()
                && !parts
                    .headers
                    .contains_key(opencloud_core::http::header::CONTENT_TYPE)
            {
                self.0.run(Request::from_parts(parts, ())).map_err(err)?
            } else {
                self.0.run(Request::from_parts(parts, body)).map_err(err)?
            };
            let (parts, mut body) = resp.into_parts();
            // Sized from Content-Length when the server sends it (capped: it is only a hint),
            // so a body is read in one pass instead of a growing buffer's several.
            let hint = parts
                .headers
                .get(opencloud_core::http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
                .map_or(0, |n| n.min(BODY_CAPACITY_HINT_MAX));
            let mut bytes = Vec::with_capacity(hint);
            body.with_config()
                .limit(u64::MAX)
                .reader()
                .read_to_end(&mut bytes)
                .map_err(|e| {
                    // ureq's own error travels inside the io::Error: classify by it.
                    let k = e
                        .get_ref()
                        .and_then(|inner| inner.downcast_ref::<ureq::Error>())
                        .map_or_else(|| TransportErrorKind::of_io(&e), kind);
                    TransportError::new(k, e.to_string()).with_source(e)
                })?;
            Ok(Response::from_parts(parts, bytes))
        }
    }
}
