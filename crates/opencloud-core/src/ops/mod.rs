//! One type per operation: it builds a complete `http::Request` and parses the response.

use http::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, USER_AGENT};
use http::{HeaderValue, Request, Response};
use serde::de::DeserializeOwned;

use crate::config::Config;
use crate::error::{DecodeError, Error, InvalidInput, ServiceError};
use crate::names::{PageToken, UniverseId};
use crate::route::{RetryClass, encode_component};
use crate::routes::RouteId;

pub mod data_stores;
pub mod entries;
pub mod messaging;
pub mod ordered;
pub mod user_restrictions;
pub mod v1;

/// The header that carries the API key.
pub const API_KEY_HEADER: &str = "x-api-key";

/// An API operation: an input that builds a request, and the parser of its response.
///
/// Transports need nothing else: `to_request`, send the bytes, `parse`. Whether a failed attempt
/// may be retried comes from [`Operation::route`] and its [`RetryClass`](crate::RetryClass).
pub trait Operation {
    /// What a successful response parses to.
    type Output;

    /// The route this input addresses (the scoped or unscoped form, for instance).
    fn route(&self) -> RouteId;

    /// The universe, whose throttling budget the request draws on.
    fn universe(&self) -> &UniverseId;

    /// Builds the complete request: absolute URI, `x-api-key`, `accept`, `user-agent`, and for
    /// bodies `content-type` and `content-length`. Fails only on input that breaks a rule.
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error>;

    /// Parses a response: 2xx to the output, anything else to [`Error::Service`].
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<Self::Output, Error>;

    /// How a failed attempt of this request may be retried. The route's class by default; an
    /// operation whose repetition could apply it twice (a write guarded by an etag, whose retry
    /// would be refused if the first attempt landed) says [`RetryClass::UnappliedOnly`].
    fn retry_class(&self) -> RetryClass {
        self.route().route().retry
    }

    /// Whether a "not found" answer to a retry, after an attempt that may have been applied,
    /// means the call succeeded (a delete whose first answer was lost). `false` by default.
    fn absent_after_retry_is_success(&self) -> bool {
        false
    }

    /// The subject (a user id) of the per-subject budget the request also draws on, for the
    /// routes whose category has one
    /// ([`ThrottleCategory::subject_category`](crate::ThrottleCategory::subject_category)):
    /// the user whose restriction an update changes. `None` by default.
    fn throttle_subject(&self) -> Option<u64> {
        None
    }
}

/// A list operation, which the [`Pager`](crate::Pager) drives page by page.
pub trait PagedOperation: Operation + Clone
where
    Self::Output: crate::model::Page,
{
    /// The token this input asks for (`None` for the first page).
    fn page_token(&self) -> Option<&PageToken>;
    /// Sets the token of the page to ask for.
    fn set_page_token(&mut self, token: Option<PageToken>);

    /// The same listing, starting at a saved token (a listing's `resume_token`).
    fn resume_at(mut self, token: PageToken) -> Self
    where
        Self: Sized,
    {
        self.set_page_token(Some(token));
        self
    }
}

impl<O: Operation + ?Sized> Operation for &O {
    type Output = O::Output;
    fn route(&self) -> RouteId {
        (**self).route()
    }
    fn universe(&self) -> &UniverseId {
        (**self).universe()
    }
    fn to_request(&self, config: &Config) -> Result<Request<Vec<u8>>, Error> {
        (**self).to_request(config)
    }
    fn parse<B: AsRef<[u8]>>(&self, response: Response<B>) -> Result<Self::Output, Error> {
        (**self).parse(response)
    }
    fn retry_class(&self) -> RetryClass {
        (**self).retry_class()
    }
    fn absent_after_retry_is_success(&self) -> bool {
        (**self).absent_after_retry_is_success()
    }
}

/// Implements [`PagedOperation`] for an operation with a `page_token` field.
macro_rules! paged {
    ($($op:ty),+) => {$(
        impl crate::ops::PagedOperation for $op {
            fn page_token(&self) -> Option<&crate::names::PageToken> {
                self.page_token.as_ref()
            }
            fn set_page_token(&mut self, token: Option<crate::names::PageToken>) {
                self.page_token = token;
            }
        }
    )+};
}
pub(crate) use paged;

/// The paging parameters every list operation sends first: `maxPageSize` (at least 1; the
/// service clamps values above its maximum) and `pageToken`.
pub(crate) fn page_params(
    max_page_size: Option<u32>,
    page_token: Option<&PageToken>,
) -> Result<Vec<(&'static str, String)>, Error> {
    check_page_size(max_page_size)?;
    let mut q = Vec::new();
    if let Some(n) = max_page_size {
        q.push(("maxPageSize", n.to_string()));
    }
    if let Some(t) = page_token {
        q.push(("pageToken", t.as_str().to_string()));
    }
    Ok(q)
}

/// Checks a requested page size: at least 1 (the service clamps values above its maximum).
pub(crate) fn check_page_size(size: Option<u32>) -> Result<(), InvalidInput> {
    match size {
        Some(0) => Err(InvalidInput::new(
            "max_page_size",
            "must be at least 1 (omit it for the default)",
        )),
        _ => Ok(()),
    }
}

/// Borrows owned path segments as the `&str`s [`build`] takes.
pub(crate) fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Assembles a request from a route, encoded path segments, query pairs and an optional JSON body.
pub(crate) fn build(
    config: &Config,
    route: RouteId,
    segments: &[&str],
    query: &[(&'static str, String)],
    json_body: Option<Vec<u8>>,
) -> Result<Request<Vec<u8>>, Error> {
    let r = route.route();
    debug_assert!(
        query.iter().all(|(k, _)| r.query.contains(k)),
        "{route:?} does not take {query:?}"
    );
    debug_assert_eq!(json_body.is_some(), r.json_body, "{route:?} body");
    let mut uri = String::with_capacity(config.base_url().len() + r.template.len() + 64);
    uri.push_str(config.base_url());
    uri.push_str(&r.render(segments));
    for (i, (k, v)) in query.iter().enumerate() {
        uri.push(if i == 0 { '?' } else { '&' });
        uri.push_str(k);
        uri.push('=');
        uri.push_str(&encode_component(v));
    }
    let mut key = HeaderValue::from_str(config.api_key().expose_secret())
        .map_err(|_| InvalidInput::new("api_key", "must be visible ASCII"))?;
    key.set_sensitive(true);
    let mut b = Request::builder()
        .method(r.method.clone())
        .uri(uri)
        .header(API_KEY_HEADER, key)
        .header(ACCEPT, "application/json")
        .header(USER_AGENT, config.user_agent());
    let body = match json_body {
        Some(body) => {
            b = b
                .header(CONTENT_TYPE, "application/json")
                .header(CONTENT_LENGTH, body.len());
            body
        }
        None => Vec::new(),
    };
    b.body(body)
        .map_err(|e| InvalidInput::new("request", format!("could not be built: {e}")).into())
}

/// Turns a non-success response into [`Error::Service`].
pub(crate) fn check_status<B: AsRef<[u8]>>(
    route: RouteId,
    response: &Response<B>,
) -> Result<(), Error> {
    if response.status().is_success() {
        return Ok(());
    }
    Err(ServiceError::from_parts(
        Some(route),
        response.status(),
        response.headers().clone(),
        response.body().as_ref(),
    )
    .into())
}

/// Parses a JSON success body, keeping the field path and the bytes when it does not parse.
pub(crate) fn parse_json<T: DeserializeOwned, B: AsRef<[u8]>>(
    route: RouteId,
    response: Response<B>,
) -> Result<T, Error> {
    check_status(route, &response)?;
    let bytes = response.body().as_ref();
    // The plain parse is the fast path; only a body that does not parse is parsed again with
    // the field path tracked, for the error (tracking it on every answer costs about half the
    // parse).
    if let Ok(v) = serde_json::from_slice(bytes) {
        return Ok(v);
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        DecodeError::new(
            route,
            response.status(),
            e.path().to_string(),
            e.inner().to_string(),
            bytes,
        )
        .into()
    })
}

/// Accepts any success, ignoring the body (delete answers `{}` or nothing).
pub(crate) fn parse_empty<B: AsRef<[u8]>>(
    route: RouteId,
    response: Response<B>,
) -> Result<(), Error> {
    check_status(route, &response)
}

/// A readable description of a request for logs, snapshots and dry runs: method, URI, sorted
/// headers with the API key redacted, and the body.
pub fn describe_request(request: &Request<Vec<u8>>) -> String {
    let mut out = format!("{} {}\n", request.method(), request.uri());
    let mut headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(k, v)| {
            let v = if k == API_KEY_HEADER {
                "<redacted>".to_string()
            } else {
                String::from_utf8_lossy(v.as_bytes()).into_owned()
            };
            (k.to_string(), v)
        })
        .collect();
    headers.sort();
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\n"));
    }
    if !request.body().is_empty() {
        out.push('\n');
        out.push_str(&String::from_utf8_lossy(request.body()));
        out.push('\n');
    }
    out
}
