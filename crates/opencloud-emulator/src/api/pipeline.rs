//! The request pipeline: every API request goes through [`App::handle`], in this order:
//!
//! 1. a "before" fault, if one matches (it may delay, answer or drop the connection);
//! 2. route matching: a path no API has answers the gateway's 404, a known path with another
//!    method 405 with `Allow`;
//! 3. authentication and the key's permissions, before any other validation, as at the
//!    service's gateway (no key and a malformed request: 401, not 400);
//! 4. the request line: path parameters, query (unknown parameters are a warning in the log, or
//!    400 in strict mode), universe, content type;
//! 5. throttling;
//! 6. the handler, under the storage lock;
//! 7. an "after" fault, if one matches (consumed only when the request gets this far);
//! 8. the request log.
//!
//! A panic anywhere in it becomes a 500; every lock is taken through `crate::lock`, which
//! recovers a poisoned lock, and every storage call is one transaction, so a panic leaves
//! nothing half-applied.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use futures_util::FutureExt;
use jiff::Timestamp;
use opencloud_core::ThrottleCategory;
use opencloud_core::wire::{allowed_methods, decode_component, match_route};
use opencloud_core::{Route, UniverseId};

use super::identity::auth_data_store;
use super::{ApiError, Ctx, ErrorFamily, Reply, dispatch, parse_query};
use crate::control::{Fault, FaultTiming, LoggedRequest};
use crate::keys::Denied;
use crate::store::Storage;
use crate::{App, lock};

/// The scopes a legacy v1 write may need; which ones depends on the data.
const CONDITIONAL_WRITE_SCOPES: [&str; 2] = [
    "universe-datastores.objects:create",
    "universe-datastores.objects:update",
];

/// Whether the route's scopes are conditional (documented for v1 set and increment: "If the
/// entry key being set exists", "doesn't exist", "If the Data Store ... doesn't exist").
fn conditional_scopes(route: &Route) -> bool {
    matches!(
        route.id,
        opencloud_core::RouteId::V1SetEntry | opencloud_core::RouteId::V1IncrementEntry
    )
}

/// One API request, as it arrived.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    /// Method.
    pub method: Method,
    /// Raw (percent-encoded) path.
    pub path: String,
    /// Raw query, without `?`.
    pub query: String,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

async fn apply_fault(f: &Fault, family: ErrorFamily) -> Option<Reply> {
    if f.delay_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(f.delay_ms)).await;
    }
    if f.drop_connection {
        return Some(Reply::dropped());
    }
    f.status.map(|s| {
        ApiError::for_status(StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
            .reply(family)
    })
}

impl App {
    /// Answers one API request. Never panics: a failure inside becomes a 500.
    pub async fn handle(self: &Arc<Self>, req: ApiRequest) -> Reply {
        let family = ErrorFamily::of_path(&req.path);
        let mut log = LoggedRequest::new(
            self.clock.now(),
            &req.method,
            &req.path,
            &req.query,
            req.body.len(),
        );
        let run = AssertUnwindSafe(self.run(&req, &mut log)).catch_unwind();
        let reply = match run.await {
            Ok(r) => r,
            Err(_) => ApiError::internal(
                "The emulator failed while handling this request; nothing was applied.",
            )
            .reply(family),
        };
        log.status = if reply.drop_connection {
            0
        } else {
            reply.status.as_u16()
        };
        self.record(log);
        reply
    }

    async fn run(&self, req: &ApiRequest, log: &mut LoggedRequest) -> Reply {
        let family = ErrorFamily::of_path(&req.path);
        let mut panic_in_handler = false;
        let mut corrupt = false;
        if let Some(f) = self.take_fault(&req.method, &req.path, FaultTiming::Before) {
            panic_in_handler = f.panic;
            corrupt = f.corrupt_body;
            if let Some(r) = apply_fault(&f, family).await {
                log.fault = true;
                return r;
            }
        }
        let mut reply = self.answer(req, log, panic_in_handler);
        if let Some(f) = self.take_fault(&req.method, &req.path, FaultTiming::After) {
            corrupt |= f.corrupt_body;
            if let Some(r) = apply_fault(&f, family).await {
                log.fault = true;
                return r;
            }
        }
        if corrupt {
            log.fault = true;
            reply.corrupt_body();
        }
        reply
    }

    /// Steps 2 to 6, synchronously.
    fn answer(&self, req: &ApiRequest, log: &mut LoggedRequest, panic: bool) -> Reply {
        let family = ErrorFamily::of_path(&req.path);
        let m = match match_route(&req.method, &req.path) {
            Ok(m) => m,
            Err(true) => {
                let allow: Vec<&str> = allowed_methods(&req.path)
                    .iter()
                    .map(|m| m.as_str())
                    .collect();
                // Routing is the gateway's: its body shape, with the methods the path serves.
                let mut e = ApiError::gateway(
                    StatusCode::METHOD_NOT_ALLOWED,
                    format!(
                        "Method {} is not allowed for {}; allowed: {}.",
                        req.method,
                        req.path,
                        allow.join(", ")
                    ),
                );
                if let Ok(v) = HeaderValue::from_str(&allow.join(", ")) {
                    e = e.with_header("allow", v);
                }
                return e.reply(family);
            }
            Err(false) => {
                return ApiError::gateway(StatusCode::NOT_FOUND, "Not Found").reply(family);
            }
        };
        let route = m.route;
        let family = ErrorFamily::of(route);
        log.route = Some(format!("{:?}", route.id));
        let now = self.clock.now();
        let result = self
            .authenticate(req, route, &m.segments, now)
            .and_then(|granted| self.validated(req, route, &m.segments, now, granted, log))
            .and_then(|ctx| {
                self.throttle(ctx.universe(), route.throttle, None, req.body.len(), now)?;
                // The per-user budget too, for the user the path names (one that is not a
                // number is left to the handler: 400).
                if let Some(category) = route.throttle.subject_category()
                    && let Ok(user) = ctx.param("user_restriction_id").parse::<u64>()
                {
                    self.throttle(ctx.universe(), category, Some(user), 0, now)?;
                }
                let mut store = lock(&self.store);
                self.maybe_purge(&mut **store, now)?;
                if panic {
                    // An injected panic while the storage lock is held (see `Fault::panic`).
                    panic!("injected panic in the handler of {:?}", route.id);
                }
                let reply = dispatch(&mut **store, &mut lock(&self.messages), &ctx);
                drop(store);
                let reply = reply?;
                if route.throttle.counts_response_bytes() {
                    self.throttle_bytes(ctx.universe(), route.throttle, reply.body_len(), now);
                }
                Ok(reply)
            });
        result.unwrap_or_else(|e| e.reply(family))
    }

    /// The key: present, known, not expired (401), then its scopes, universes and data stores
    /// (403). Reads the path and query leniently: nothing else is validated yet.
    fn authenticate(
        &self,
        req: &ApiRequest,
        route: &'static Route,
        segments: &[&str],
        now: Timestamp,
    ) -> Result<&[String], ApiError> {
        let key = req.headers.get("x-api-key").and_then(|v| v.to_str().ok());
        let universe = route
            .path_params
            .iter()
            .position(|p| *p == "universe_id" || *p == "universeId")
            .and_then(|i| segments.get(i))
            .and_then(|s| decode_component(s))
            .unwrap_or_default();
        let data_store = auth_data_store(route, segments, &req.query);
        // A legacy v1 set or increment needs `objects:update` or `objects:create` by whether the
        // entry exists (and `control:create` for a new data store): one of them here, the
        // rest in the handler once it knows.
        let (all, any_of): (&[&str], &[&str]) = if conditional_scopes(route) {
            (&[], &CONDITIONAL_WRITE_SCOPES)
        } else {
            (route.scopes, &[])
        };
        match self
            .keys
            .check(key, all, any_of, &universe, &data_store, now)
        {
            Ok(granted) => Ok(granted),
            Err(Denied::Unauthenticated(msg)) => {
                Err(ApiError::gateway(StatusCode::UNAUTHORIZED, msg))
            }
            Err(Denied::Forbidden(msg)) => Err(ApiError::forbidden(msg)),
        }
    }

    /// The request line, decoded and checked.
    #[allow(clippy::too_many_arguments)]
    fn validated<'r>(
        &self,
        req: &'r ApiRequest,
        route: &'static Route,
        segments: &[&str],
        now: Timestamp,
        granted: &'r [String],
        log: &mut LoggedRequest,
    ) -> Result<Ctx<'r>, ApiError> {
        let mut params = Vec::with_capacity(segments.len());
        for (name, seg) in route.path_params.iter().zip(segments) {
            let v = decode_component(seg)
                .ok_or_else(|| ApiError::invalid(format!("{name} is not valid UTF-8.")))?;
            params.push(v);
        }
        let query = parse_query(&req.query)?;
        for k in query.keys() {
            if !route.query.contains(&k.as_str()) {
                if self.strict {
                    return Err(ApiError::invalid(format!(
                        "Unknown query parameter {k:?}; this operation accepts {:?} (strict mode).",
                        route.query
                    )));
                }
                log.warnings.push(format!(
                    "ignored unknown query parameter {k:?}; this operation accepts {:?}",
                    route.query
                ));
            }
        }
        if let Some(u) = params.first() {
            UniverseId::new(u.as_str())
                .map_err(|e| ApiError::invalid(format!("Invalid universe ID {u:?}: {}", e.rule)))?;
        }
        if route.json_body && (!req.body.is_empty() || self.strict) {
            let ct = req
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !ct.starts_with("application/json") {
                return Err(ApiError::invalid("Content-Type must be application/json."));
            }
        }
        Ok(Ctx {
            route,
            params,
            query,
            body: &req.body,
            headers: &req.headers,
            granted,
            now,
            path: &req.path,
            strict: self.strict,
        })
    }

    /// Takes the request from the universe's budget of `category`, or from one subject's (a
    /// user's) budget of a per-subject category; a 429 with `Retry-After` when it does not fit.
    fn throttle(
        &self,
        universe: &str,
        category: ThrottleCategory,
        subject: Option<u64>,
        bytes: usize,
        now: Timestamp,
    ) -> Result<(), ApiError> {
        let mut t = lock(&self.throttle);
        if !t.enforce {
            return Ok(());
        }
        let u = UniverseId::new_unvalidated(universe);
        let taken = match subject {
            None => {
                let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
                t.budget.try_acquire(&u, category, bytes, now)
            }
            Some(s) => t.budget.try_acquire_for(&u, category, s, now),
        };
        taken.map_err(|wait| {
            let message = match subject {
                None => format!(
                    "The request rate exceeds the allowed maximum for the universe ({} budget).",
                    category.as_str()
                ),
                Some(user) => format!(
                    "Too many updates of user {user}'s restriction: at most {} a minute.",
                    t.budget.limits().get(category).requests
                ),
            };
            // Float to integer casts saturate: no overflow for any wait.
            let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, "RESOURCE_EXHAUSTED", message)
                .with_header("retry-after", HeaderValue::from(secs))
        })
    }

    fn throttle_bytes(
        &self,
        universe: &str,
        category: ThrottleCategory,
        bytes: usize,
        now: Timestamp,
    ) {
        let mut t = lock(&self.throttle);
        if t.enforce {
            t.budget.add_bytes(
                &UniverseId::new_unvalidated(universe),
                category,
                u64::try_from(bytes).unwrap_or(u64::MAX),
                now,
            );
        }
    }

    fn maybe_purge(&self, store: &mut dyn Storage, now: Timestamp) -> Result<(), ApiError> {
        let mut next = lock(&self.next_purge);
        if now >= *next {
            let retention = i64::try_from(super::RETENTION.as_micros()).unwrap_or(i64::MAX);
            let cutoff =
                Timestamp::from_microsecond(now.as_microsecond().saturating_sub(retention))
                    .unwrap_or(Timestamp::UNIX_EPOCH);
            store.purge(cutoff, now)?;
            *next = Timestamp::from_microsecond(now.as_microsecond().saturating_add(60_000_000))
                .unwrap_or(Timestamp::MAX);
        }
        Ok(())
    }
}
