//! The route table and the one place where paths are rendered and matched.
//!
//! The table itself ([`ROUTES`](crate::routes::ROUTES)) is generated from `operations.toml` by
//! `cargo xtask codegen`. This module gives it behaviour: rendering a path from percent-encoded
//! segments, and matching a request path back to a route (which the emulator uses, so that client
//! and server can never disagree on a path).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::routes::{ROUTES, RouteId};

/// How an operation may be retried without applying a write twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryClass {
    /// Repeating the request leaves the same state: retried on 429, 5xx and transport failures.
    Idempotent,
    /// Repeating it could apply it twice: retried only when the service cannot have applied it
    /// (429, or a connection that was never established).
    UnappliedOnly,
}

/// The per-universe throttling budget an operation draws on. Each category counts its requests
/// over its own sliding [`window`](ThrottleCategory::window): a minute for the data store and
/// messaging budgets, a second for the user restriction ones, as the service documents them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ThrottleCategory {
    /// Get entry.
    Read,
    /// Create, update and increment entry.
    Write,
    /// List data stores, entries and revisions.
    List,
    /// Delete entry, delete and undelete data store.
    Remove,
    /// Snapshot data stores.
    Snapshot,
    /// Publish a message (v2 `:publishMessage` and v1 messaging alike).
    Publish,
    /// Get and list user restrictions, list their logs.
    RestrictionRead,
    /// Update a user restriction.
    RestrictionWrite,
    /// Updates of one user's restriction in a universe: a budget per user (the service allows
    /// 2 a minute), taken together with [`RestrictionWrite`](ThrottleCategory::RestrictionWrite).
    RestrictionUserWrite,
}

impl ThrottleCategory {
    /// Every category.
    pub const ALL: [ThrottleCategory; 9] = [
        ThrottleCategory::Read,
        ThrottleCategory::Write,
        ThrottleCategory::List,
        ThrottleCategory::Remove,
        ThrottleCategory::Snapshot,
        ThrottleCategory::Publish,
        ThrottleCategory::RestrictionRead,
        ThrottleCategory::RestrictionWrite,
        ThrottleCategory::RestrictionUserWrite,
    ];

    /// A lowercase name, as used in docs and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            ThrottleCategory::Read => "read",
            ThrottleCategory::Write => "write",
            ThrottleCategory::List => "list",
            ThrottleCategory::Remove => "remove",
            ThrottleCategory::Snapshot => "snapshot",
            ThrottleCategory::Publish => "publish",
            ThrottleCategory::RestrictionRead => "restriction-read",
            ThrottleCategory::RestrictionWrite => "restriction-write",
            ThrottleCategory::RestrictionUserWrite => "restriction-user-write",
        }
    }

    /// The category named `name` (see [`as_str`](ThrottleCategory::as_str)).
    pub fn from_name(name: &str) -> Option<ThrottleCategory> {
        ThrottleCategory::ALL
            .into_iter()
            .find(|c| c.as_str() == name)
    }

    /// The sliding window the category's limits are counted over: a second for the user
    /// restriction budgets (documented per second), a minute for every other.
    pub fn window(self) -> std::time::Duration {
        match self {
            ThrottleCategory::RestrictionRead | ThrottleCategory::RestrictionWrite => {
                std::time::Duration::from_secs(1)
            }
            _ => std::time::Duration::from_secs(60),
        }
    }

    /// Whether the category's budgets are per subject (one user) rather than per universe.
    pub fn per_subject(self) -> bool {
        ThrottleCategory::ALL
            .into_iter()
            .any(|c| c.subject_category() == Some(self))
    }

    /// The per-subject budget an operation of this category also draws on, for the subject its
    /// operation names ([`Operation::throttle_subject`](crate::Operation::throttle_subject)).
    pub fn subject_category(self) -> Option<ThrottleCategory> {
        (self == ThrottleCategory::RestrictionWrite)
            .then_some(ThrottleCategory::RestrictionUserWrite)
    }

    /// Whether a response's body counts against the category's byte budget (reads and lists of
    /// data stores).
    pub fn counts_response_bytes(self) -> bool {
        matches!(self, ThrottleCategory::Read | ThrottleCategory::List)
    }
}

/// Which data store API family a route belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// Standard data stores.
    Standard,
    /// Ordered data stores.
    Ordered,
}

/// One path-and-method pair of the API, with everything the project knows about it.
#[derive(Debug)]
pub struct Route {
    /// The route's id.
    pub id: RouteId,
    /// The operationId in the official OpenAPI description.
    pub operation_id: &'static str,
    /// The HTTP method.
    pub method: http::Method,
    /// The path template: `{name}` stands for one percent-encoded segment, `:verb` after it is
    /// an AIP custom verb.
    pub template: &'static str,
    /// The names of the path parameters, in order.
    pub path_params: &'static [&'static str],
    /// The query parameters the route accepts, exactly as sent.
    pub query: &'static [&'static str],
    /// Whether the route requires a JSON body.
    pub json_body: bool,
    /// The API key scopes the service requires (all of them).
    pub scopes: &'static [&'static str],
    /// How the route may be retried.
    pub retry: RetryClass,
    /// The per-universe budget it draws on.
    pub throttle: ThrottleCategory,
    /// Standard or ordered.
    pub family: Family,
    /// One line for docs.
    pub summary: &'static str,
}

impl RouteId {
    /// The route's entry in the table.
    pub fn route(self) -> &'static Route {
        let route = &ROUTES[self as usize];
        debug_assert_eq!(route.id, self);
        route
    }
}

/// Characters left as they are in a path segment or query value: RFC 3986 "unreserved".
/// Everything else is percent-encoded, including `/`, `?`, `#`, `%`, `@` and `:`, so a key can
/// never turn into extra segments, a query string, a revision selector or a custom verb.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment or query value.
pub fn encode_component(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// Decodes a percent-encoded component; `None` if the bytes are not UTF-8.
pub fn decode_component(s: &str) -> Option<String> {
    percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

impl Route {
    /// Renders the path from already percent-encoded segments, one per path parameter.
    ///
    /// # Panics
    /// If the number of segments differs from the number of path parameters: that is a bug in
    /// the operation calling it, caught by the route tests.
    pub fn render(&self, encoded_segments: &[&str]) -> String {
        assert_eq!(
            encoded_segments.len(),
            self.path_params.len(),
            "route {:?} takes {} path parameters",
            self.id,
            self.path_params.len()
        );
        let mut out = String::with_capacity(self.template.len() + 32);
        let mut rest = self.template;
        for seg in encoded_segments {
            let start = rest
                .find('{')
                .expect("template has a parameter per segment");
            let end = rest[start..].find('}').expect("balanced braces") + start;
            out.push_str(&rest[..start]);
            out.push_str(seg);
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }

    /// Matches a raw (still percent-encoded) path against this route's template, returning the
    /// raw segments captured for each path parameter.
    pub fn match_path<'p>(&self, path: &'p str) -> Option<Vec<&'p str>> {
        let mut t = self.template.split('/');
        let mut p = path.split('/');
        let mut captured = Vec::with_capacity(self.path_params.len());
        loop {
            match (t.next(), p.next()) {
                (None, None) => return Some(captured),
                (Some(ts), Some(ps)) => {
                    if let Some(open) = ts.strip_prefix('{') {
                        let close = open.find('}').expect("balanced braces");
                        let suffix = &open[close + 1..];
                        let value = ps.strip_suffix(suffix)?;
                        if value.is_empty() {
                            return None;
                        }
                        captured.push(value);
                    } else if ts != ps {
                        return None;
                    }
                }
                _ => return None,
            }
        }
    }
}

/// The route a request addresses, with its raw path segments.
#[derive(Debug)]
pub struct RouteMatch<'p> {
    /// The matched route.
    pub route: &'static Route,
    /// The raw (percent-encoded) segment of each path parameter, in order.
    pub segments: Vec<&'p str>,
}

/// One segment of a compiled template.
#[derive(Debug)]
enum Seg {
    /// Must equal the path segment.
    Literal(&'static str),
    /// `{name}` with text before and after it in the same segment (`{id}:increment`).
    Param {
        prefix: &'static str,
        suffix: &'static str,
    },
}

impl Seg {
    /// The captured (still encoded) value, if the raw segment fits.
    fn capture<'p>(&self, raw: &'p str) -> Option<&'p str> {
        match self {
            Seg::Literal(l) => (*l == raw).then_some(""),
            Seg::Param { prefix, suffix } => {
                let v = raw.strip_prefix(prefix)?.strip_suffix(suffix)?;
                (!v.is_empty()).then_some(v)
            }
        }
    }
}

/// A route with its template split once into segments.
#[derive(Debug)]
struct Compiled {
    route: &'static Route,
    segs: Vec<Seg>,
}

impl Compiled {
    fn new(route: &'static Route) -> Self {
        let segs = route
            .template
            .split('/')
            .map(|t| match (t.find('{'), t.find('}')) {
                (Some(open), Some(close)) if open < close => Seg::Param {
                    prefix: &t[..open],
                    suffix: &t[close + 1..],
                },
                _ => Seg::Literal(t),
            })
            .collect();
        Self { route, segs }
    }

    /// Whether the raw path fits, comparing segment by segment without allocating. The caller
    /// has already checked the segment count.
    fn fits(&self, path: &str) -> bool {
        self.segs
            .iter()
            .zip(path.split('/'))
            .all(|(s, raw)| s.capture(raw).is_some())
    }

    /// The captured parameters of a path that [`fits`](Self::fits).
    fn captures<'p>(&self, path: &'p str) -> Vec<&'p str> {
        let mut out = Vec::with_capacity(self.route.path_params.len());
        for (s, raw) in self.segs.iter().zip(path.split('/')) {
            if let (Seg::Param { .. }, Some(v)) = (s, s.capture(raw)) {
                out.push(v);
            }
        }
        out
    }
}

/// The routes grouped by segment count, each group sorted longest template first, so the first
/// route that fits is the most specific one.
#[derive(Debug)]
struct RouteIndex {
    by_segments: Vec<Vec<Compiled>>,
}

fn index() -> &'static RouteIndex {
    static INDEX: std::sync::OnceLock<RouteIndex> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| {
        let mut by_segments: Vec<Vec<Compiled>> = Vec::new();
        for route in ROUTES {
            let c = Compiled::new(route);
            let n = c.segs.len();
            if by_segments.len() <= n {
                by_segments.resize_with(n + 1, Vec::new);
            }
            by_segments[n].push(c);
        }
        for group in &mut by_segments {
            // Stable: among templates of one length, table order decides, as before.
            group.sort_by_key(|c| std::cmp::Reverse(c.route.template.len()));
        }
        RouteIndex { by_segments }
    })
}

/// The routes whose template has as many segments as `path`.
fn candidates(path: &str) -> &'static [Compiled] {
    let n = path.bytes().filter(|b| *b == b'/').count() + 1;
    index().by_segments.get(n).map_or(&[], Vec::as_slice)
}

/// Finds the route for a method and raw path. A route with a custom verb (`:increment`) wins over
/// the plain item route, because the verb is matched on the raw segment, where a key's own `:`
/// is always percent-encoded.
///
/// Returns `Err(true)` when the path exists under another method, `Err(false)` when no route has
/// the path at all.
///
/// The table is compiled once: only routes with the path's segment count are looked at, the
/// method is compared before the path, and nothing is allocated until a route is chosen.
pub fn match_route<'p>(method: &http::Method, path: &'p str) -> Result<RouteMatch<'p>, bool> {
    let group = candidates(path);
    if let Some(c) = group
        .iter()
        .find(|c| c.route.method == *method && c.fits(path))
    {
        return Ok(RouteMatch {
            route: c.route,
            segments: c.captures(path),
        });
    }
    Err(group.iter().any(|c| c.fits(path)))
}

/// The methods some route serves at this raw path, in table order without repeats: what a
/// `405 Method Not Allowed` lists in its `Allow` header. Empty when no route has the path.
pub fn allowed_methods(path: &str) -> Vec<&'static http::Method> {
    let mut fitting: Vec<&Compiled> = candidates(path).iter().filter(|c| c.fits(path)).collect();
    fitting.sort_by_key(|c| c.route.id as usize);
    let mut out: Vec<&'static http::Method> = Vec::with_capacity(fitting.len());
    for c in fitting {
        if !out.contains(&&c.route.method) {
            out.push(&c.route.method);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_renders_and_matches_itself() {
        for route in ROUTES {
            let segs: Vec<String> = route
                .path_params
                .iter()
                .map(|p| encode_component(&format!("v {p}/:x@")))
                .collect();
            let refs: Vec<&str> = segs.iter().map(String::as_str).collect();
            let path = route.render(&refs);
            assert!(!path.contains('{'), "{path}");
            let m = match_route(&route.method, &path).expect("matches");
            assert_eq!(m.route.id, route.id, "{path}");
            assert_eq!(m.segments, refs);
        }
    }

    #[test]
    fn route_ids_index_the_table() {
        for (i, id) in RouteId::ALL.iter().enumerate() {
            assert_eq!(ROUTES[i].id, *id);
            assert_eq!(id.route().id, *id);
        }
    }

    #[test]
    fn verbs_win_over_plain_items_and_unknown_paths_are_rejected() {
        let m = match_route(
            &http::Method::GET,
            "/cloud/v2/universes/1/data-stores/d/entries/k:listRevisions",
        )
        .unwrap();
        assert_eq!(m.route.id, RouteId::ListEntryRevisions);
        assert_eq!(m.segments, vec!["1", "d", "k"]);
        let m = match_route(
            &http::Method::GET,
            "/cloud/v2/universes/1/data-stores/d/entries/k%3AlistRevisions",
        )
        .unwrap();
        assert_eq!(m.route.id, RouteId::GetEntry);
        assert!(match_route(&http::Method::PUT, "/cloud/v2/universes/1/data-stores").unwrap_err());
        assert!(!match_route(&http::Method::GET, "/cloud/v2/nothing").unwrap_err());
    }

    /// The matcher as it was before the index: every route, in table order, longest wins.
    fn reference_match<'p>(
        method: &http::Method,
        path: &'p str,
    ) -> Result<(RouteId, Vec<&'p str>), bool> {
        let mut best: Option<(&Route, Vec<&'p str>)> = None;
        let mut other_method = false;
        for route in ROUTES {
            let Some(segments) = route.match_path(path) else {
                continue;
            };
            if route.method != *method {
                other_method = true;
                continue;
            }
            if best
                .as_ref()
                .is_none_or(|b| route.template.len() > b.0.template.len())
            {
                best = Some((route, segments));
            }
        }
        best.map(|(r, s)| (r.id, s)).ok_or(other_method)
    }

    fn path_strategy() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        // Pieces of real templates, values and junk, so random paths often hit real routes.
        let piece = prop_oneof![
            Just("".to_string()),
            Just("cloud".to_string()),
            Just("v2".to_string()),
            Just("universes".to_string()),
            Just("data-stores".to_string()),
            Just("data-stores:snapshot".to_string()),
            Just("ordered-data-stores".to_string()),
            Just("scopes".to_string()),
            Just("entries".to_string()),
            Just("-".to_string()),
            "[a-z0-9%@:.]{1,8}",
            "[a-z]{1,4}:(increment|listRevisions|undelete|x)",
        ];
        proptest::collection::vec(piece, 0..10).prop_map(|v| {
            let mut p = "/cloud/v2/universes/1".to_string();
            if v.first().is_some_and(|s| s.is_empty()) {
                p = v.join("/");
            } else {
                for s in v {
                    p.push('/');
                    p.push_str(&s);
                }
            }
            p
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn the_indexed_matcher_agrees_with_the_reference(
            path in path_strategy(),
            m in 0usize..5,
        ) {
            let method = [http::Method::GET, http::Method::POST, http::Method::PATCH,
                http::Method::DELETE, http::Method::PUT][m].clone();
            let fast = match_route(&method, &path).map(|m| (m.route.id, m.segments));
            proptest::prop_assert_eq!(fast, reference_match(&method, &path));
            let allowed = allowed_methods(&path);
            let reference_allowed: Vec<&http::Method> = ROUTES
                .iter()
                .filter(|r| r.match_path(&path).is_some())
                .map(|r| &r.method)
                .fold(Vec::new(), |mut acc, m| { if !acc.contains(&m) { acc.push(m) } acc });
            proptest::prop_assert_eq!(allowed, reference_allowed);
        }
    }

    #[test]
    fn allowed_methods_lists_each_method_once() {
        let m = allowed_methods("/cloud/v2/universes/1/data-stores/d/entries/k");
        assert_eq!(
            m,
            [
                &http::Method::GET,
                &http::Method::PATCH,
                &http::Method::DELETE
            ]
        );
        assert!(allowed_methods("/cloud/v2/nothing").is_empty());
        assert_eq!(
            allowed_methods("/cloud/v2/universes/1/data-stores/d/entries"),
            [&http::Method::GET, &http::Method::POST]
        );
    }

    #[test]
    fn encoding_leaves_only_unreserved_characters() {
        assert_eq!(
            encode_component("a/b?c#d%e@f:g h~i.j-k_l"),
            "a%2Fb%3Fc%23d%25e%40f%3Ag%20h~i.j-k_l"
        );
        assert_eq!(encode_component("ключ"), "%D0%BA%D0%BB%D1%8E%D1%87");
        assert_eq!(
            decode_component("%D0%BA%D0%BB%D1%8E%D1%87").unwrap(),
            "ключ"
        );
    }
}
