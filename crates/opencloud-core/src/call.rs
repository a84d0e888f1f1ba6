//! One call of an operation across its attempts: the loop every transport runs, without the I/O.
//!
//! ```text
//! let mut call = Call::new(&op, &config, policy, now)?;      // validates; nothing sent yet
//! loop {
//!     let result = transport.send(call.request());            // the only I/O
//!     match call.on_result(result, now, jitter_sample) {
//!         Step::Done(response) => break op.parse(response?),
//!         Step::Retry(delay) => sleep(delay),
//!     }
//! }
//! ```

use std::time::Duration;

use http::{Request, Response};
use jiff::Timestamp;

use crate::error::{Error, RequestSummary, RetryAfter, TransportError};
use crate::names::UniverseId;
use crate::ops::Operation;
use crate::retry::{Decision, GiveUp, Outcome, RetryPolicy, RetryState};
use crate::route::{RetryClass, Route};
use crate::routes::RouteId;

/// What to do after an attempt.
#[derive(Debug)]
pub enum Step {
    /// The call is over: a response to parse (any status), or a transport error.
    Done(Result<Response<Vec<u8>>, Error>),
    /// Sleep this long, then send [`Call::request`] again.
    Retry(Duration),
}

/// One call of an operation: the built request and its retry state.
#[derive(Debug)]
pub struct Call {
    route: RouteId,
    class: RetryClass,
    universe: UniverseId,
    subject: Option<u64>,
    request: Request<Vec<u8>>,
    policy: RetryPolicy,
    state: RetryState,
    last_give_up: Option<GiveUp>,
    maybe_applied: bool,
}

/// A copy of a request (an `http::Request` is not `Clone`).
pub(crate) fn clone_request(r: &Request<Vec<u8>>) -> Request<Vec<u8>> {
    let mut out = Request::new(r.body().clone());
    *out.method_mut() = r.method().clone();
    *out.uri_mut() = r.uri().clone();
    *out.version_mut() = r.version();
    *out.headers_mut() = r.headers().clone();
    out
}

impl Call {
    /// Builds the request (validating the input) and starts a call at `now`.
    pub fn new<O: Operation>(
        op: &O,
        config: &crate::Config,
        policy: RetryPolicy,
        now: Timestamp,
    ) -> Result<Self, Error> {
        let request = op.to_request(config)?;
        Ok(Self {
            route: op.route(),
            class: op.retry_class(),
            universe: op.universe().clone(),
            subject: op.throttle_subject(),
            request,
            policy,
            state: RetryState::new(now),
            last_give_up: None,
            maybe_applied: false,
        })
    }

    /// Whether an earlier attempt failed in a way that may have applied the request (a 5xx,
    /// a timeout or a connection lost after sending), so a later attempt's answer may describe
    /// a state that the call itself made.
    pub fn maybe_applied(&self) -> bool {
        self.maybe_applied
    }

    /// What was sent so far, for errors and logs.
    pub fn summary(&self) -> RequestSummary {
        RequestSummary::new(
            self.route,
            &self.request,
            self.state.attempts,
            self.last_give_up,
        )
    }

    /// The route being called.
    pub fn route(&self) -> &'static Route {
        self.route.route()
    }

    /// The subject of the per-subject budget the call also draws on (see
    /// [`Operation::throttle_subject`](crate::Operation::throttle_subject)).
    pub fn throttle_subject(&self) -> Option<u64> {
        self.subject
    }

    /// The universe whose budgets the call draws on.
    pub fn universe(&self) -> &UniverseId {
        &self.universe
    }

    /// Attempts made so far.
    pub fn attempts(&self) -> u32 {
        self.state.attempts
    }

    /// Why the last retry was refused, once the call is over.
    pub fn gave_up(&self) -> Option<GiveUp> {
        self.last_give_up
    }

    /// The request to send for the next attempt (counts the attempt).
    pub fn request(&mut self) -> Request<Vec<u8>> {
        RetryPolicy::record_attempt(&mut self.state);
        clone_request(&self.request)
    }

    /// The request as built, without counting an attempt.
    pub fn built(&self) -> &Request<Vec<u8>> {
        &self.request
    }

    /// The size of the request body, for byte budgets.
    pub fn body_len(&self) -> u64 {
        self.request.body().len() as u64
    }

    /// Reports an attempt's result and says what to do next. A non-success status is returned as
    /// a response in `Done` when it will not be retried, so the operation's parser turns it into
    /// [`Error::Service`] with everything the service said.
    pub fn on_result(
        &mut self,
        result: Result<Response<Vec<u8>>, TransportError>,
        now: Timestamp,
        jitter: f64,
    ) -> Step {
        let outcome = match &result {
            Ok(resp) if resp.status().is_success() => {
                return Step::Done(Ok(result.expect("matched Ok")));
            }
            Ok(resp) => Outcome::Status {
                status: resp.status(),
                retry_after: RetryAfter::from_headers(resp.headers()),
            },
            Err(e) => Outcome::Transport(e.kind),
        };
        let decision = self
            .policy
            .decide(&self.state, self.class, &outcome, now, jitter);
        if !outcome.certainly_not_applied()
            && !matches!(outcome, Outcome::Status { status, .. } if status.is_client_error())
        {
            self.maybe_applied = true;
        }
        match decision {
            Decision::RetryAfter(d) => Step::Retry(d),
            Decision::GiveUp(reason) => {
                self.last_give_up = Some(reason);
                let summary = self.summary();
                Step::Done(result.map_err(|e| Error::from(e).with_request(&summary)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::TransportErrorKind;
    use crate::*;

    fn resp(status: u16, headers: &[(&str, &str)]) -> Response<Vec<u8>> {
        let mut b = Response::builder().status(status);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(b"{}".to_vec()).unwrap()
    }

    #[test]
    fn a_call_retries_then_hands_back_the_final_response() {
        let cfg = Config::new(ApiKey::new("k").unwrap());
        let op = GetEntry::new(EntryAddress::new(
            UniverseId::from(1),
            DataStoreName::new("d").unwrap(),
            EntryKey::new("k").unwrap(),
        ));
        let t0 = Timestamp::from_second(1000).unwrap();
        let mut call = Call::new(&op, &cfg, RetryPolicy::default(), t0).unwrap();
        let _ = call.request();
        assert!(
            matches!(call.on_result(Ok(resp(429, &[("retry-after", "3")])), t0, 0.5), Step::Retry(d) if d == Duration::from_secs(3))
        );
        let _ = call.request();
        assert!(matches!(
            call.on_result(
                Err(TransportError::new(TransportErrorKind::Io, "reset")),
                t0,
                1.0
            ),
            Step::Retry(_)
        ));
        let _ = call.request();
        match call.on_result(Ok(resp(404, &[])), t0, 0.0) {
            Step::Done(Ok(r)) => assert_eq!(r.status(), 404),
            other => panic!("{other:?}"),
        }
        assert_eq!(call.attempts(), 3);
        assert_eq!(call.gave_up(), Some(GiveUp::NotRetryable));
    }

    #[test]
    fn increments_are_not_retried_after_a_server_error() {
        let cfg = Config::new(ApiKey::new("k").unwrap());
        let op = IncrementEntry::new(
            EntryAddress::new(
                UniverseId::from(1),
                DataStoreName::new("d").unwrap(),
                EntryKey::new("k").unwrap(),
            ),
            1,
        );
        let t0 = Timestamp::from_second(1000).unwrap();
        let mut call = Call::new(&op, &cfg, RetryPolicy::default(), t0).unwrap();
        let _ = call.request();
        assert!(matches!(
            call.on_result(Ok(resp(500, &[])), t0, 0.0),
            Step::Done(Ok(_))
        ));
        assert_eq!(call.gave_up(), Some(GiveUp::MayHaveApplied));
        let mut call = Call::new(&op, &cfg, RetryPolicy::default(), t0).unwrap();
        let _ = call.request();
        assert!(matches!(
            call.on_result(
                Err(TransportError::new(TransportErrorKind::Connect, "refused")),
                t0,
                0.0
            ),
            Step::Retry(_)
        ));
        let _ = call.request();
        assert!(matches!(
            call.on_result(
                Err(TransportError::new(TransportErrorKind::Timeout, "t")),
                t0,
                0.0
            ),
            Step::Done(Err(Error::Transport(_)))
        ));
    }

    #[test]
    fn cloned_requests_keep_everything() {
        let r = Request::builder()
            .method("PATCH")
            .uri("https://x/y")
            .header("a", "1")
            .header("a", "2")
            .body(b"b".to_vec())
            .unwrap();
        let c = clone_request(&r);
        assert_eq!(
            (c.method(), c.uri(), c.body()),
            (r.method(), r.uri(), r.body())
        );
        assert_eq!(c.headers().get_all("a").iter().count(), 2);
    }
}
