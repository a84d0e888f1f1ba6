//! API keys and their permissions, named and checked as the service does.

use std::path::Path;

use jiff::Timestamp;
use serde::Deserialize;

use crate::api::identity::AuthDataStore;
use crate::error::EmulatorError;

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

/// Reads a keys file (TOML, `[[key]]` tables; see `docs/emulator.md`). An error names the
/// line, never its text: the line may hold a key.
pub fn load_keys_file(path: &Path) -> Result<Vec<KeyConfig>, EmulatorError> {
    let text = std::fs::read_to_string(path).map_err(|source| EmulatorError::KeysFileRead {
        path: path.to_path_buf(),
        source,
    })?;
    parse_keys(&text).map_err(|(line, problem)| EmulatorError::KeysFile {
        path: path.to_path_buf(),
        line,
        problem,
    })
}

/// Parses a keys file's text; an error is (1-based line, problem without any quoted text).
fn parse_keys(text: &str) -> Result<Vec<KeyConfig>, (usize, String)> {
    let file: KeysFile = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(0, |s| {
            text.get(..s.start).map_or(0, |before| {
                before.bytes().filter(|b| *b == b'\n').count() + 1
            })
        });
        (line, redact(e.message()))
    })?;
    Ok(file.key)
}

/// A parser message with everything quoted in it (values, possibly a key) replaced by `…`.
fn redact(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quote: Option<char> = None;
    for c in message.chars() {
        match quote {
            Some(q) if c == q => {
                quote = None;
                out.push('…');
                out.push(c);
            }
            Some(_) => {}
            None if c == '"' || c == '`' || c == '\'' => {
                quote = Some(c);
                out.push(c);
            }
            None => out.push(c),
        }
    }
    if quote.is_some() {
        out.push('…');
    }
    let first = out.lines().next().unwrap_or("").trim().to_string();
    if first.is_empty() {
        "invalid keys file".into()
    } else {
        first
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// No `x-api-key` header, an unknown key, or an expired one: 401.
    Unauthenticated(String),
    /// The key lacks a scope or may not touch this universe or data store: 403.
    Forbidden(String),
}

/// Whether a key's scopes grant `scope` (`*` grants every scope).
pub fn has_scope(granted: &[String], scope: &str) -> bool {
    granted.iter().any(|s| s == "*" || s == scope)
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

    /// Checks a request's key against the scopes a route needs (all of `scopes`, and at least
    /// one of `any_of` when it is not empty), its universes and data stores. Returns every scope
    /// the key has, for the checks that depend on the data (a legacy v1 write needs
    /// `objects:create` or `objects:update` by whether the entry exists).
    pub fn check(
        &self,
        key: Option<&str>,
        scopes: &[&str],
        any_of: &[&str],
        universe: &str,
        data_store: &AuthDataStore,
        now: Timestamp,
    ) -> Result<&[String], Denied> {
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
            if !has_scope(&k.scopes, scope) {
                return Err(Denied::Forbidden(format!(
                    "The API key lacks the scope {scope}."
                )));
            }
        }
        if !any_of.is_empty() && !any_of.iter().any(|a| has_scope(&k.scopes, a)) {
            return Err(Denied::Forbidden(format!(
                "The API key lacks every one of the scopes {}.",
                any_of.join(", ")
            )));
        }
        if let Some(us) = &k.universes
            && !us.iter().any(|u| u == universe)
        {
            return Err(Denied::Forbidden(format!(
                "The API key may not access universe {universe}."
            )));
        }
        if let Some(allowed) = &k.data_stores {
            match data_store {
                AuthDataStore::NotNamed => {}
                AuthDataStore::Named(name) if allowed.iter().any(|d| d == name) => {}
                AuthDataStore::Named(name) => {
                    return Err(Denied::Forbidden(format!(
                        "The API key may not access data store {name}."
                    )));
                }
                AuthDataStore::Unreadable => {
                    return Err(Denied::Forbidden(
                        "The API key is restricted to some data stores and the request does not name one it may access.".into(),
                    ));
                }
            }
        }
        Ok(&k.scopes)
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
        let a = AuthDataStore::Named("A".into());
        let b = AuthDataStore::Named("B".into());
        assert_eq!(
            store.check(Some("r"), &read, &[], "1", &a, now),
            Ok(&["universe-datastores.objects:read".to_string()][..])
        );
        // At least one of `any_of`.
        assert!(
            store
                .check(Some("r"), &[], &[read[0], "x:y"], "1", &a, now)
                .is_ok()
        );
        assert!(matches!(
            store.check(Some("r"), &[], &["x:y", "z:w"], "1", &a, now),
            Err(Denied::Forbidden(_))
        ));
        assert!(matches!(
            store.check(None, &read, &[], "1", &a, now),
            Err(Denied::Unauthenticated(_))
        ));
        assert!(matches!(
            store.check(Some("x"), &read, &[], "1", &a, now),
            Err(Denied::Unauthenticated(_))
        ));
        assert!(matches!(
            store.check(
                Some("r"),
                &["universe-datastores.objects:update"],
                &[],
                "1",
                &a,
                now
            ),
            Err(Denied::Forbidden(_))
        ));
        assert!(matches!(
            store.check(Some("r"), &read, &[], "2", &a, now),
            Err(Denied::Forbidden(_))
        ));
        assert!(matches!(
            store.check(Some("r"), &read, &[], "1", &b, now),
            Err(Denied::Forbidden(_))
        ));
        let later: Timestamp = "2027-01-01T00:00:00Z".parse().unwrap();
        assert!(matches!(
            store.check(Some("r"), &read, &[], "1", &a, later),
            Err(Denied::Unauthenticated(_))
        ));
        assert!(matches!(
            store.check(Some("r"), &read, &[], "1", &AuthDataStore::Unreadable, now),
            Err(Denied::Forbidden(_))
        ));
        assert_eq!(
            store.check(Some("r"), &read, &[], "1", &AuthDataStore::NotNamed, now),
            Ok(&["universe-datastores.objects:read".to_string()][..])
        );
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
        // A broken line: the error names the line, never its text (which may hold a key).
        std::fs::write(&p, "[[key]]\nkey = \"s3cr3t-key-value\nscopes = [\"*\"]\n").unwrap();
        let e = load_keys_file(&p).unwrap_err().to_string();
        assert!(e.contains("line 2"), "{e}");
        assert!(!e.contains("s3cr3t"), "{e}");
        std::fs::write(&p, "[[key]]\nkey = 12345678\nscopes = [\"*\"]\n").unwrap();
        let e = load_keys_file(&p).unwrap_err().to_string();
        assert!(e.contains("line 2") && !e.contains("12345678"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
