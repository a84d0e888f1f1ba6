//! Resource names: the `path` field of every resource the API returns, rendered and parsed in
//! one place.
//!
//! The service names resources by relative paths such as
//! `universes/1234/data-stores/Inventory/scopes/s/entries/user%2F1`. Each name part is one
//! percent-encoded segment ([`encode_component`]), so a name holding `/`, `@` or `:` never turns
//! into extra segments or a revision suffix. [`ResourceName`] renders these paths (the emulator
//! builds every `path` it answers with it) and parses them back (the models read a scope or a
//! key from a `path` with it).

use std::fmt;

use crate::error::InvalidInput;
use crate::route::{decode_component, encode_component};

/// The name of one resource of the data store APIs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ResourceName {
    /// `universes/{universe}/data-stores/{data_store}`.
    DataStore {
        /// Universe id (decimal digits).
        universe: String,
        /// Data store name, decoded.
        data_store: String,
    },
    /// `universes/{u}/data-stores/{d}[/scopes/{scope}]/entries/{key}[@{revision}]`.
    Entry {
        /// Universe id (decimal digits).
        universe: String,
        /// Data store name, decoded.
        data_store: String,
        /// The scope as written in the path: `None` for the canonical form without
        /// `/scopes/` (the `global` scope), `Some` when the path names a scope, `global`
        /// included.
        scope: Option<String>,
        /// The entry key, decoded.
        key: String,
        /// The revision after an unencoded `@` (revision listings), if any.
        revision: Option<String>,
    },
    /// `universes/{u}/ordered-data-stores/{d}/scopes/{scope}/entries/{id}`.
    OrderedEntry {
        /// Universe id (decimal digits).
        universe: String,
        /// Ordered data store name, decoded.
        data_store: String,
        /// Scope, decoded.
        scope: String,
        /// Entry id, decoded.
        id: String,
    },
}

/// The field name used in parse errors.
const FIELD: &str = "path";

impl ResourceName {
    /// A data store.
    pub fn data_store(universe: impl Into<String>, data_store: impl Into<String>) -> Self {
        Self::DataStore {
            universe: universe.into(),
            data_store: data_store.into(),
        }
    }

    /// An entry in its canonical form: the `global` scope is left out of the path.
    pub fn entry(
        universe: impl Into<String>,
        data_store: impl Into<String>,
        scope: &str,
        key: impl Into<String>,
    ) -> Self {
        Self::Entry {
            universe: universe.into(),
            data_store: data_store.into(),
            scope: (scope != "global").then(|| scope.to_string()),
            key: key.into(),
            revision: None,
        }
    }

    /// An entry with its scope always written, `global` included (`.../scopes/global/...`), as
    /// a listing through a scoped URL names its entries.
    pub fn scoped_entry(
        universe: impl Into<String>,
        data_store: impl Into<String>,
        scope: impl Into<String>,
        key: impl Into<String>,
    ) -> Self {
        Self::Entry {
            universe: universe.into(),
            data_store: data_store.into(),
            scope: Some(scope.into()),
            key: key.into(),
            revision: None,
        }
    }

    /// An ordered data store entry.
    pub fn ordered_entry(
        universe: impl Into<String>,
        data_store: impl Into<String>,
        scope: impl Into<String>,
        id: impl Into<String>,
    ) -> Self {
        Self::OrderedEntry {
            universe: universe.into(),
            data_store: data_store.into(),
            scope: scope.into(),
            id: id.into(),
        }
    }

    /// The same entry at a revision (`...entries/{key}@{revision}`); other names are unchanged.
    pub fn at_revision(mut self, rev: impl Into<String>) -> Self {
        if let Self::Entry { revision, .. } = &mut self {
            *revision = Some(rev.into());
        }
        self
    }

    /// The universe id.
    pub fn universe(&self) -> &str {
        match self {
            Self::DataStore { universe, .. }
            | Self::Entry { universe, .. }
            | Self::OrderedEntry { universe, .. } => universe,
        }
    }

    /// The (standard or ordered) data store name.
    pub fn data_store_name(&self) -> &str {
        match self {
            Self::DataStore { data_store, .. }
            | Self::Entry { data_store, .. }
            | Self::OrderedEntry { data_store, .. } => data_store,
        }
    }

    /// The scope of an entry (`global` for the canonical form without one); `None` for a data
    /// store.
    pub fn scope(&self) -> Option<&str> {
        match self {
            Self::DataStore { .. } => None,
            Self::Entry { scope, .. } => Some(scope.as_deref().unwrap_or("global")),
            Self::OrderedEntry { scope, .. } => Some(scope),
        }
    }

    /// The key of a standard entry or the id of an ordered one, without any revision suffix.
    pub fn key(&self) -> Option<&str> {
        match self {
            Self::DataStore { .. } => None,
            Self::Entry { key, .. } => Some(key),
            Self::OrderedEntry { id, .. } => Some(id),
        }
    }

    /// The revision suffix of a standard entry's name, if any.
    pub fn revision(&self) -> Option<&str> {
        match self {
            Self::Entry { revision, .. } => revision.as_deref(),
            _ => None,
        }
    }

    /// Parses a resource path (a leading `/` is allowed). Every name part is decoded; the
    /// universe must be decimal digits.
    pub fn parse(path: &str) -> Result<Self, InvalidInput> {
        let path = path.strip_prefix('/').unwrap_or(path);
        let segs: Vec<&str> = path.split('/').collect();
        let bad = || {
            InvalidInput::new(
                FIELD,
                format!("{path:?} is not a data store, entry or ordered entry resource path"),
            )
        };
        let universe = match segs.as_slice() {
            ["universes", u, ..] => universe_of(u)?,
            _ => return Err(bad()),
        };
        match &segs[2..] {
            ["data-stores", d] => Ok(Self::DataStore {
                universe,
                data_store: name(d)?,
            }),
            ["data-stores", d, "entries", k] => entry(universe, d, None, k),
            ["data-stores", d, "scopes", s, "entries", k] => entry(universe, d, Some(s), k),
            ["ordered-data-stores", d, "scopes", s, "entries", id] => Ok(Self::OrderedEntry {
                universe,
                data_store: name(d)?,
                scope: name(s)?,
                id: name(id)?,
            }),
            _ => Err(bad()),
        }
    }
}

fn universe_of(u: &str) -> Result<String, InvalidInput> {
    if u.is_empty() || u.len() > 20 || !u.bytes().all(|b| b.is_ascii_digit()) {
        return Err(InvalidInput::new(
            FIELD,
            format!("the universe must be 1 to 20 decimal digits, got {u:?}"),
        ));
    }
    Ok(u.to_string())
}

fn name(raw: &str) -> Result<String, InvalidInput> {
    if raw.is_empty() {
        return Err(InvalidInput::new(FIELD, "a name segment is empty"));
    }
    decode_component(raw)
        .ok_or_else(|| InvalidInput::new(FIELD, "a name segment is not UTF-8 once decoded"))
}

fn entry(
    universe: String,
    d: &str,
    s: Option<&str>,
    k: &str,
) -> Result<ResourceName, InvalidInput> {
    // A key's own `@` is always encoded, so a raw `@` starts the revision.
    let (raw_key, revision) = match k.split_once('@') {
        Some((key, rev)) => (key, Some(name(rev)?)),
        None => (k, None),
    };
    Ok(ResourceName::Entry {
        universe,
        data_store: name(d)?,
        scope: s.map(name).transpose()?,
        key: name(raw_key)?,
        revision,
    })
}

/// The scope segment of an entry path exactly as written (still percent-encoded), without
/// parsing the rest: `None` for a path without `/scopes/`.
pub(crate) fn raw_scope_segment(path: &str) -> Option<&str> {
    let mut segs = path.split('/').skip_while(|s| *s != "scopes");
    segs.next()?;
    segs.next()
}

impl fmt::Display for ResourceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DataStore {
                universe,
                data_store,
            } => write!(
                f,
                "universes/{universe}/data-stores/{}",
                encode_component(data_store)
            ),
            Self::Entry {
                universe,
                data_store,
                scope,
                key,
                revision,
            } => {
                write!(
                    f,
                    "universes/{universe}/data-stores/{}",
                    encode_component(data_store)
                )?;
                if let Some(s) = scope {
                    write!(f, "/scopes/{}", encode_component(s))?;
                }
                write!(f, "/entries/{}", encode_component(key))?;
                if let Some(r) = revision {
                    write!(f, "@{}", encode_component(r))?;
                }
                Ok(())
            }
            Self::OrderedEntry {
                universe,
                data_store,
                scope,
                id,
            } => write!(
                f,
                "universes/{universe}/ordered-data-stores/{}/scopes/{}/entries/{}",
                encode_component(data_store),
                encode_component(scope),
                encode_component(id)
            ),
        }
    }
}

impl std::str::FromStr for ResourceName {
    type Err = InvalidInput;
    fn from_str(s: &str) -> Result<Self, InvalidInput> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_form() {
        assert_eq!(
            ResourceName::data_store("1", "a/b").to_string(),
            "universes/1/data-stores/a%2Fb"
        );
        assert_eq!(
            ResourceName::entry("1", "d", "global", "k@x").to_string(),
            "universes/1/data-stores/d/entries/k%40x"
        );
        assert_eq!(
            ResourceName::scoped_entry("1", "d", "global", "k").to_string(),
            "universes/1/data-stores/d/scopes/global/entries/k"
        );
        assert_eq!(
            ResourceName::entry("1", "d", "s 1", "k")
                .at_revision("r.1")
                .to_string(),
            "universes/1/data-stores/d/scopes/s%201/entries/k@r.1"
        );
        assert_eq!(
            ResourceName::ordered_entry("1", "o", "global", "a:b").to_string(),
            "universes/1/ordered-data-stores/o/scopes/global/entries/a%3Ab"
        );
    }

    #[test]
    fn parses_what_it_renders() {
        for name in [
            ResourceName::data_store("12", "ключ/x"),
            ResourceName::entry("1", "d", "global", "a@b/c"),
            ResourceName::entry("1", "d", "s/1", "k").at_revision("08DC.0000000001.08DC.01"),
            ResourceName::scoped_entry("1", "d", "global", "k"),
            ResourceName::ordered_entry("1", "o", "s", "x y"),
        ] {
            assert_eq!(ResourceName::parse(&name.to_string()).unwrap(), name);
        }
        let e = ResourceName::parse("/universes/1/data-stores/d/entries/k").unwrap();
        assert_eq!((e.scope(), e.key()), (Some("global"), Some("k")));
    }

    #[test]
    fn refuses_what_is_not_a_resource_path() {
        for bad in [
            "",
            "universes/x/data-stores/d",
            "universes/1/data-stores",
            "universes/1/data-stores//entries/k",
            "universes/1/data-stores/d/entries/%FF",
            "universes/1/ordered-data-stores/o/entries/k",
            "universes/1/data-stores/d/entries/k/extra",
        ] {
            let e = ResourceName::parse(bad).unwrap_err();
            assert_eq!(e.field, "path", "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn round_trips_any_names(
            d in "\\PC{1,12}", s in "\\PC{1,12}", k in "\\PC{1,12}", global in proptest::bool::ANY,
        ) {
            let scope = if global { "global".to_string() } else { s };
            let e = ResourceName::entry("7", d.clone(), &scope, k.clone());
            let parsed = ResourceName::parse(&e.to_string()).unwrap();
            proptest::prop_assert_eq!(parsed.scope(), Some(scope.as_str()));
            proptest::prop_assert_eq!(parsed.key(), Some(k.as_str()));
            proptest::prop_assert_eq!(parsed.data_store_name(), d.as_str());
        }
    }
}
