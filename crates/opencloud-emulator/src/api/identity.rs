//! Where an operation's data store, scope and key come from.
//!
//! v2 puts them in the path (`{data_store_id}`, `{scope_id}`, `{entry_id}`), except a create,
//! whose key is the `id` query parameter; the legacy v1 standard API puts all three in the query
//! (`datastoreName`, `scope`, `entryKey`). Handlers and the key check read them through this one
//! module, so a key restricted to some data stores is checked against the very name the handler
//! will use, wherever it came from.

use opencloud_core::Route;
use opencloud_core::wire::decode_component;

use super::{ApiError, Ctx};
use crate::store::EntryRef;

/// Path parameters that name a (standard or ordered) data store.
const DATA_STORE_PARAMS: [&str; 2] = ["data_store_id", "ordered_data_store_id"];
/// Query parameters that name a data store (legacy v1).
const DATA_STORE_QUERY: [&str; 1] = ["datastoreName"];
/// Query parameters that name a scope (legacy v1).
const SCOPE_QUERY: [&str; 1] = ["scope"];

/// The data store a request addresses, for the key's data store restriction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthDataStore {
    /// The route names no data store (list data stores, snapshot).
    NotNamed,
    /// This data store.
    Named(String),
    /// The route names a data store but the request's cannot be read (missing, undecodable or
    /// given twice): a restricted key must be refused, not let through.
    Unreadable,
}

/// Reads the data store from the raw (still encoded) path segments and query, before any other
/// validation: the key is checked first, as at the service's gateway.
pub fn auth_data_store(route: &Route, raw_segments: &[&str], raw_query: &str) -> AuthDataStore {
    if let Some(i) = route
        .path_params
        .iter()
        .position(|p| DATA_STORE_PARAMS.contains(p))
    {
        return match raw_segments.get(i).and_then(|s| decode_component(s)) {
            Some(name) => AuthDataStore::Named(name),
            None => AuthDataStore::Unreadable,
        };
    }
    let Some(param) = route.query.iter().find(|q| DATA_STORE_QUERY.contains(q)) else {
        return AuthDataStore::NotNamed;
    };
    let mut found = None;
    for pair in raw_query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = decode_component(&k.replace('+', " "));
        if k.as_deref() != Some(*param) {
            continue;
        }
        if found.is_some() {
            return AuthDataStore::Unreadable;
        }
        match decode_component(&v.replace('+', " ")) {
            Some(v) => found = Some(v),
            None => return AuthDataStore::Unreadable,
        }
    }
    found.map_or(AuthDataStore::Unreadable, AuthDataStore::Named)
}

/// The data store an operation addresses: its path parameter, or its query parameter.
pub fn data_store<'c>(c: &'c Ctx<'_>) -> &'c str {
    for p in DATA_STORE_PARAMS {
        if c.has_param(p) {
            return c.param(p);
        }
    }
    DATA_STORE_QUERY
        .iter()
        .find_map(|q| c.query.get(*q))
        .map_or("", String::as_str)
}

/// The scope an operation addresses: the path's `scope_id`, the query's `scope`, else
/// `global` (the unscoped v2 form and v1's default).
pub fn scope<'c>(c: &'c Ctx<'_>) -> &'c str {
    if c.has_param("scope_id") {
        return c.param("scope_id");
    }
    SCOPE_QUERY
        .iter()
        .filter(|q| c.route.query.contains(q))
        .find_map(|q| c.query.get(*q))
        .map_or("global", String::as_str)
}

/// A standard entry: the data store and scope of the request, validated with the core's
/// rules, and `key`.
pub fn entry(c: &Ctx<'_>, key: &str) -> Result<EntryRef, ApiError> {
    let data_store = data_store(c);
    opencloud_core::DataStoreName::new(data_store)?;
    let scope = scope(c);
    opencloud_core::Scope::new(scope)?;
    opencloud_core::EntryKey::new(key)?;
    Ok(EntryRef {
        universe: c.universe().into(),
        data_store: data_store.into(),
        scope: scope.into(),
        key: key.into(),
    })
}

/// An ordered entry: data store and scope from the path, `id` checked with the core's rules.
pub fn ordered_entry(c: &Ctx<'_>, id: &str) -> Result<EntryRef, ApiError> {
    let data_store = data_store(c);
    opencloud_core::DataStoreName::new(data_store)?;
    let scope = scope(c);
    opencloud_core::Scope::new(scope)?;
    opencloud_core::OrderedEntryId::new(id)?;
    Ok(EntryRef {
        universe: c.universe().into(),
        data_store: data_store.into(),
        scope: scope.into(),
        key: id.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use opencloud_core::{Family, RetryClass, RouteId, ThrottleCategory};

    /// A v1-style route: everything in the query.
    static V1_LIKE: Route = Route {
        id: RouteId::GetEntry,
        operation_id: "Entries_GetEntryAsync",
        method: http_get(),
        template: "/datastores/v1/universes/{universe_id}/standard-datastores/datastore/entries/entry",
        path_params: &["universe_id"],
        query: &["datastoreName", "scope", "entryKey"],
        json_body: false,
        scopes: &["universe-datastores.objects:read"],
        retry: RetryClass::Idempotent,
        throttle: ThrottleCategory::Read,
        family: Family::Standard,
        summary: "test",
    };

    const fn http_get() -> axum::http::Method {
        axum::http::Method::GET
    }

    #[test]
    fn the_data_store_comes_from_the_path_or_the_query_and_cannot_be_hidden() {
        let v2 = RouteId::GetScopedEntry.route();
        assert_eq!(
            auth_data_store(v2, &["1", "A%2FB", "s", "k"], ""),
            AuthDataStore::Named("A/B".into())
        );
        assert_eq!(
            auth_data_store(RouteId::ListDataStores.route(), &["1"], "datastoreName=X"),
            AuthDataStore::NotNamed
        );
        assert_eq!(
            auth_data_store(&V1_LIKE, &["1"], "datastoreName=Inv%20X&entryKey=k"),
            AuthDataStore::Named("Inv X".into())
        );
        // Absent, twice, or not UTF-8: unreadable, so a restricted key is refused.
        for q in [
            "entryKey=k",
            "datastoreName=A&datastoreName=B",
            "datastoreName=%FF",
        ] {
            assert_eq!(
                auth_data_store(&V1_LIKE, &["1"], q),
                AuthDataStore::Unreadable,
                "{q}"
            );
        }
    }
}
