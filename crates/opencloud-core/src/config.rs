//! Where requests go and how they are signed.

use std::fmt;

use crate::error::InvalidInput;

/// The production base URL.
pub const DEFAULT_BASE_URL: &str = "https://apis.roblox.com";

/// An Open Cloud API key. It never appears in `Debug` output, has no `Display`, and is marked
/// sensitive in the request headers this crate builds.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key. Surrounding whitespace (a trailing newline from a key file) is removed.
    pub fn new(key: impl Into<String>) -> Result<Self, InvalidInput> {
        let key = key.into().trim().to_string();
        if key.is_empty() {
            return Err(InvalidInput::new("api_key", "must not be empty"));
        }
        if http::HeaderValue::from_str(&key).is_err() {
            return Err(InvalidInput::new(
                "api_key",
                "must be visible ASCII, as an HTTP header value",
            ));
        }
        Ok(Self(key))
    }

    /// The secret itself. Only the request builder and an embedder's own signing code need it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Where requests go and the key that signs them.
#[derive(Clone, Debug)]
pub struct Config {
    base_url: String,
    api_key: ApiKey,
    user_agent: String,
}

fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<std::net::IpAddr>()
        .map(|ip| ip.is_loopback())
        .unwrap_or(false)
}

impl Config {
    /// A configuration for the production service.
    pub fn new(api_key: ApiKey) -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_string(),
            api_key,
            user_agent: format!("opencloud-rs/{}", env!("CARGO_PKG_VERSION")),
        }
    }

    /// Points the configuration at another server: the emulator, a proxy, a staging host.
    ///
    /// The URL must be `http` or `https` with a host and no query; a path prefix is kept. The API
    /// key is sent over plain `http` only to a loopback host (`127.0.0.0/8`, `::1`,
    /// `localhost`); use [`Config::with_base_url_insecure`] to opt in to anything else.
    pub fn with_base_url(self, base_url: &str) -> Result<Self, InvalidInput> {
        self.set_base_url(base_url, false)
    }

    /// Like [`Config::with_base_url`], but allows plain `http` to any host. The API key then
    /// travels in clear text.
    pub fn with_base_url_insecure(self, base_url: &str) -> Result<Self, InvalidInput> {
        self.set_base_url(base_url, true)
    }

    fn set_base_url(mut self, base_url: &str, allow_insecure: bool) -> Result<Self, InvalidInput> {
        let uri: http::Uri = base_url.parse().map_err(|e| {
            InvalidInput::new("base_url", format!("is not a URL ({e}): {base_url:?}"))
        })?;
        let scheme = uri.scheme_str().unwrap_or("");
        let host = uri
            .host()
            .ok_or_else(|| InvalidInput::new("base_url", "must have a host"))?;
        match scheme {
            "https" => {}
            "http" if allow_insecure || is_loopback_host(host) => {}
            "http" => {
                return Err(InvalidInput::new(
                    "base_url",
                    format!(
                        "plain http to {host} would send the API key in clear text; use https, a loopback host, or opt in with with_base_url_insecure"
                    ),
                ));
            }
            _ => {
                return Err(InvalidInput::new(
                    "base_url",
                    "must start with https:// or http://",
                ));
            }
        }
        if uri.query().is_some() {
            return Err(InvalidInput::new(
                "base_url",
                "must not have a query string",
            ));
        }
        self.base_url = base_url.trim_end_matches('/').to_string();
        Ok(self)
    }

    /// Replaces the `User-Agent` sent with every request.
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The API key.
    pub fn api_key(&self) -> &ApiKey {
        &self.api_key
    }

    /// The `User-Agent` header value.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_never_printed() {
        let key = ApiKey::new("super-secret\n").unwrap();
        assert_eq!(key.expose_secret(), "super-secret");
        let cfg = Config::new(key);
        assert!(!format!("{cfg:?}").contains("super-secret"));
        assert!(ApiKey::new("  ").is_err());
    }

    #[test]
    fn plain_http_only_to_loopback_unless_opted_in() {
        let cfg = || Config::new(ApiKey::new("k").unwrap());
        assert!(cfg().with_base_url("http://127.0.0.1:7357").is_ok());
        assert!(cfg().with_base_url("http://localhost:1").is_ok());
        assert!(cfg().with_base_url("http://[::1]:1/").is_ok());
        let e = cfg().with_base_url("http://example.com").unwrap_err();
        assert_eq!(e.field, "base_url");
        assert!(cfg().with_base_url_insecure("http://example.com").is_ok());
        assert!(
            cfg()
                .with_base_url("https://proxy.example.com/prefix/")
                .unwrap()
                .base_url()
                .ends_with("/prefix")
        );
        assert!(cfg().with_base_url("ftp://x").is_err());
        assert!(cfg().with_base_url("https://x/?a=b").is_err());
    }
}
