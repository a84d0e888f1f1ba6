//! API keys and their permissions, named and checked as the service does.

use std::path::Path;

use jiff::Timestamp;
use serde::Deserialize;

/// The key the emulator accepts when no key is configured (as Azurite has a well-known account
/// key). It grants every scope on every universe. It is not a secret.
pub const DEV_API_KEY: &str = "opencloud-emulator-dev-key";

/// One API key and what it may do.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyConfig {
    /// The key itself.
    pub key: String,
    /// A name for logs.
    #[serde(default)]
    pub name: Option<String>,
    /// Scopes granted, named as the real ones (`universe-datastores.objects:read`,
    /// `universe.ordered-data-store.scope.entry:write`...); `*` grants every scope.
    pub scopes: Vec<String>,
    /// Universes the key may touch; absent means all.
    #[serde(default)]
    pub universes: Option<Vec<String>>,
    /// Data stores the key may touch (standard or ordered); absent means all.
    #[serde(default)]
    pub data_stores: Option<Vec<String>>,
    /// When the key stops working.
    #[serde(default)]
    pub expires: Option<Timestamp>,
}

impl KeyConfig {
    /// A key with every scope on every universe.
    pub fn full_access(key: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            name: None,
            scopes: vec!["*".into()],
            universes: None,
            data_stores: None,
            expires: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeysFile {
    #[serde(default)]
    key: Vec<KeyConfig>,
}

/// Reads a keys file (TOML, `[[key]]` tables; see `docs/emulator.md`).
pub fn load_keys_file(path: &Path) -> Result<Vec<KeyConfig>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file: KeysFile = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(file.key)
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// No `x-api-key` header, an unknown key, or an expired one: 401.
    Unauthenticated(String),
    /// The key lacks a scope or may not touch this universe or data store: 403.
    Forbidden(String),
}

/// The keys the emulator accepts.
#[derive(Debug, Clone)]
pub struct KeyStore {
    keys: Vec<KeyConfig>,
}

impl KeyStore {
    /// The given keys; with none, the well-known development key.
    pub fn new(keys: Vec<KeyConfig>) -> Self {
        if keys.is_empty() {
            Self {
                keys: vec![KeyConfig::full_access(DEV_API_KEY)],
            }
        } else {
            Self { keys }
        }
    }

    /// Whether only the development key is accepted.
    pub fn is_dev_only(&self) -> bool {
        self.keys.len() == 1 && self.keys[0].key == DEV_API_KEY
    }

    /// Checks a request's key against the scopes a route needs.
    pub fn check(
        &self,
        key: Option<&str>,
        scopes: &[&str],
        universe: &str,
        data_store: Option<&str>,
        now: Timestamp,
    ) -> Result<(), Denied> {
        let key = key.ok_or_else(|| {
            Denied::Unauthenticated("API key is missing; send it in the x-api-key header.".into())
        })?;
        let k = self
            .keys
            .iter()
            .find(|k| k.key == key)
            .ok_or_else(|| Denied::Unauthenticated("Invalid API Key".into()))?;
        if k.expires.is_some_and(|e| e <= now) {
            return Err(Denied::Unauthenticated("API key has expired".into()));
        }
        for scope in scopes {
            if !k.scopes.iter().any(|s| s == "*" || s == scope) {
                return Err(Denied::Forbidden(format!(
                    "The API key lacks the scope {scope}."
                )));
            }
        }
        if let Some(us) = &k.universes
            && !us.iter().any(|u| u == universe)
        {
            return Err(Denied::Forbidden(format!(
                "The API key may not access universe {universe}."
            )));
        }
        if let (Some(ds), Some(name)) = (&k.data_stores, data_store)
            && !ds.iter().any(|d| d == name)
        {
            return Err(Denied::Forbidden(format!(
                "The API key may not access data store {name}."
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoped_keys() {
        let now: Timestamp = "2025-01-01T00:00:00Z".parse().unwrap();
        let store = KeyStore::new(vec![KeyConfig {
            key: "r".into(),
            name: None,
            scopes: vec!["universe-datastores.objects:read".into()],
            universes: Some(vec!["1".into()]),
            data_stores: Some(vec!["A".into()]),
            expires: Some("2026-01-01T00:00:00Z".parse().unwrap()),
        }]);
        let read = ["universe-datastores.objects:read"];
        assert_eq!(store.check(Some("r"), &read, "1", Some("A"), now), Ok(()));
        assert!(matches!(
            store.check(None, &read, "1", Some("A"), now),
            Err(Denied::Unauthenticated(_))
        ));
        assert!(matches!(
            store.check(Some("x"), &read, "1", Some("A"), now),
            Err(Denied::Unauthenticated(_))
        ));
        assert!(matches!(
            store.check(
                Some("r"),
                &["universe-datastores.objects:update"],
                "1",
                Some("A"),
                now
            ),
            Err(Denied::Forbidden(_))
        ));
        assert!(matches!(
            store.check(Some("r"), &read, "2", Some("A"), now),
            Err(Denied::Forbidden(_))
        ));
        assert!(matches!(
            store.check(Some("r"), &read, "1", Some("B"), now),
            Err(Denied::Forbidden(_))
        ));
        let later: Timestamp = "2027-01-01T00:00:00Z".parse().unwrap();
        assert!(matches!(
            store.check(Some("r"), &read, "1", Some("A"), later),
            Err(Denied::Unauthenticated(_))
        ));
        assert!(KeyStore::new(vec![]).is_dev_only());
    }

    #[test]
    fn keys_file_parses() {
        let dir = std::env::temp_dir().join(format!("oc-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("keys.toml");
        std::fs::write(
            &p,
            "[[key]]\nkey = \"a\"\nscopes = [\"*\"]\nexpires = \"2030-01-01T00:00:00Z\"\n",
        )
        .unwrap();
        let keys = load_keys_file(&p).unwrap();
        assert_eq!(keys[0].key, "a");
        std::fs::write(&p, "[[key]]\nkey = \"a\"\nscope = [\"*\"]\n").unwrap();
        assert!(load_keys_file(&p).is_err(), "unknown fields are refused");
    }
}
