//! What a client builder collects, and how it becomes a [`Config`]. The environment is read by
//! the caller and passed in as a lookup function, so the rules are testable without touching it.

use std::time::Duration;

use opencloud_core::{ApiKey, Config, Error, InvalidInput, RateLimits, RetryPolicy, UniverseId};

/// Environment variable holding the API key.
pub const ENV_API_KEY: &str = "OPENCLOUD_API_KEY";
/// Environment variable holding the base URL (the emulator's, for instance).
pub const ENV_BASE_URL: &str = "OPENCLOUD_BASE_URL";
/// Environment variable holding the default universe id.
pub const ENV_UNIVERSE_ID: &str = "OPENCLOUD_UNIVERSE_ID";

/// Everything a client builder collects, before it is checked.
#[derive(Debug, Clone)]
pub(crate) struct ClientSettings {
    /// The API key (required).
    pub(crate) api_key: Option<String>,
    /// Another base URL than production.
    pub(crate) base_url: Option<String>,
    /// Allow plain `http` to hosts that are not loopback.
    pub(crate) allow_insecure_http: bool,
    /// The default universe.
    pub(crate) universe: Option<String>,
    /// The timeout of one attempt, for the built-in transports.
    pub(crate) timeout: Duration,
    /// How to retry.
    pub(crate) retry: RetryPolicy,
    /// The client-side rate limiter's budget, when on.
    pub(crate) rate_limits: Option<RateLimits>,
    /// Read-modify-write rounds before `update_with` gives up.
    pub(crate) update_attempts: u32,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            api_key: None,
            base_url: None,
            allow_insecure_http: false,
            universe: None,
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            rate_limits: None,
            update_attempts: 100,
        }
    }
}

/// Settings checked and turned into what a client runs on.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    /// Base URL and key.
    pub(crate) config: Config,
    /// The default universe, if any.
    pub(crate) universe: Option<UniverseId>,
}

impl ClientSettings {
    /// Fills the key, base URL and universe from `OPENCLOUD_*` variables, looked up with
    /// `lookup` (`|k| std::env::var(k).ok()` in practice). Blank values count as unset.
    pub(crate) fn with_env(mut self, lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |k: &str| {
            lookup(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        if let Some(k) = get(ENV_API_KEY) {
            self.api_key = Some(k);
        }
        if let Some(u) = get(ENV_BASE_URL) {
            self.base_url = Some(u);
        }
        if let Some(u) = get(ENV_UNIVERSE_ID) {
            self.universe = Some(u);
        }
        self
    }

    /// Checks the settings: a key is required; the base URL must be https, or http to a
    /// loopback host unless insecure http is allowed; the universe must be a universe id.
    pub(crate) fn resolve(&self) -> Result<Resolved, Error> {
        let key = self.api_key.clone().ok_or_else(|| {
            InvalidInput::new(
                "api_key",
                format!("is required (set it on the builder or in {ENV_API_KEY})"),
            )
        })?;
        let mut config = Config::new(ApiKey::new(key)?);
        if let Some(url) = &self.base_url {
            config = if self.allow_insecure_http {
                config.with_base_url_insecure(url)?
            } else {
                config.with_base_url(url)?
            };
        }
        let universe = self.universe.clone().map(UniverseId::new).transpose()?;
        Ok(Resolved { config, universe })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_fills_what_is_set_and_resolve_checks_it() {
        let env = |k: &str| match k {
            ENV_API_KEY => Some(" key \n".to_string()),
            ENV_BASE_URL => Some("http://127.0.0.1:7357".to_string()),
            ENV_UNIVERSE_ID => Some("".to_string()),
            _ => None,
        };
        let s = ClientSettings::default().with_env(env);
        assert_eq!(s.universe, None, "blank is unset");
        let r = s.resolve().unwrap();
        assert_eq!(r.config.api_key().expose_secret(), "key");
        assert_eq!(r.config.base_url(), "http://127.0.0.1:7357");
        assert!(
            ClientSettings::default()
                .resolve()
                .unwrap_err()
                .to_string()
                .contains("api_key")
        );
        let bad = ClientSettings {
            api_key: Some("k".into()),
            universe: Some("x".into()),
            ..Default::default()
        };
        assert!(
            bad.resolve()
                .unwrap_err()
                .to_string()
                .contains("universe_id")
        );
    }
}
