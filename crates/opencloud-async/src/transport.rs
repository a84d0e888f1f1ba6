//! Bring your own HTTP: a one-method trait, a blanket impl for closures, and the reqwest adapter.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use opencloud_core::TransportError;
use opencloud_core::http::{Request, Response};

/// A boxed future, for the object-safe form of [`HttpClient`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Sends one request and returns the whole response: status, every header (multi-valued too)
/// and the whole body. It must not follow redirects (the request carries the API key).
///
/// Any `Fn(Request<Vec<u8>>) -> impl Future<Output = Result<Response<Vec<u8>>, TransportError>>`
/// is an `HttpClient`, so an embedder can plug in their own stack with a closure:
///
/// ```
/// use opencloud_async::{HttpClient, TransportError, http};
/// let client = |req: http::Request<Vec<u8>>| async move {
///     // hand `req` to your HTTP stack here
///     Ok::<_, TransportError>(http::Response::new(b"{}".to_vec()))
/// };
/// fn takes(_: impl HttpClient) {}
/// takes(client);
/// ```
pub trait HttpClient: Send + Sync + 'static {
    /// Sends the request.
    fn call(
        &self,
        request: Request<Vec<u8>>,
    ) -> impl Future<Output = Result<Response<Vec<u8>>, TransportError>> + Send;
}

impl<F, Fut> HttpClient for F
where
    F: Fn(Request<Vec<u8>>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Response<Vec<u8>>, TransportError>> + Send,
{
    fn call(
        &self,
        request: Request<Vec<u8>>,
    ) -> impl Future<Output = Result<Response<Vec<u8>>, TransportError>> + Send {
        self(request)
    }
}

/// The HTTP stack a client sends with: any [`HttpClient`], type-erased. Made with `.into()`
/// (the builder's [`http_client`](crate::ClientBuilder::http_client) does it).
#[derive(Clone)]
pub struct Transport(pub(crate) Arc<dyn DynHttpClient>);

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

/// The object-safe form the client stores.
pub(crate) trait DynHttpClient: Send + Sync {
    fn call_boxed(
        &self,
        request: Request<Vec<u8>>,
    ) -> BoxFuture<'_, Result<Response<Vec<u8>>, TransportError>>;
}

impl<T: HttpClient> DynHttpClient for T {
    fn call_boxed(
        &self,
        request: Request<Vec<u8>>,
    ) -> BoxFuture<'_, Result<Response<Vec<u8>>, TransportError>> {
        Box::pin(self.call(request))
    }
}

#[cfg(feature = "reqwest")]
pub use reqwest_adapter::ReqwestClient;

#[cfg(feature = "reqwest")]
mod reqwest_adapter {
    use std::time::Duration;

    use opencloud_core::http::{Request, Response};
    use opencloud_core::{TransportError, TransportErrorKind};

    use super::HttpClient;

    /// The default transport: reqwest with rustls, redirects off.
    #[derive(Debug, Clone)]
    pub struct ReqwestClient(reqwest::Client);

    impl ReqwestClient {
        /// A reqwest client with a per-request timeout, no redirects, and rustls.
        pub fn new(timeout: Duration) -> Result<Self, TransportError> {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(timeout)
                .pool_max_idle_per_host(64)
                .build()
                .map(Self)
                .map_err(|e| {
                    TransportError::new(TransportErrorKind::Other, describe(&e)).with_source(e)
                })
        }

        /// Wraps a reqwest client you configured yourself. Turn its redirects off: requests carry
        /// the API key.
        pub fn from_client(client: reqwest::Client) -> Self {
            Self(client)
        }
    }

    fn kind(e: &reqwest::Error) -> TransportErrorKind {
        if e.is_connect() {
            TransportErrorKind::Connect
        } else if e.is_timeout() {
            TransportErrorKind::Timeout
        } else if e.is_request() || e.is_body() || e.is_decode() {
            TransportErrorKind::Io
        } else {
            TransportErrorKind::Other
        }
    }

    fn describe(e: &reqwest::Error) -> String {
        let mut s = e.to_string();
        let mut src = std::error::Error::source(e);
        while let Some(inner) = src {
            s.push_str(": ");
            s.push_str(&inner.to_string());
            src = inner.source();
        }
        s
    }

    impl HttpClient for ReqwestClient {
        async fn call(
            &self,
            request: Request<Vec<u8>>,
        ) -> Result<Response<Vec<u8>>, TransportError> {
            let request = reqwest::Request::try_from(request).map_err(|e| {
                TransportError::new(TransportErrorKind::Other, describe(&e)).with_source(e)
            })?;
            let resp = self
                .0
                .execute(request)
                .await
                .map_err(|e| TransportError::new(kind(&e), describe(&e)).with_source(e))?;
            let mut out = Response::builder()
                .status(resp.status())
                .version(resp.version());
            if let Some(h) = out.headers_mut() {
                *h = resp.headers().clone();
            }
            let body = resp
                .bytes()
                .await
                .map_err(|e| TransportError::new(kind(&e), describe(&e)).with_source(e))?;
            out.body(body.to_vec())
                .map_err(|e| TransportError::new(TransportErrorKind::Other, e.to_string()))
        }
    }
}
