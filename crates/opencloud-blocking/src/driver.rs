//! The blocking driver: runs the core's machines on the calling thread.

use std::time::Duration;

use opencloud_client::driver::{
    BlockingDriver, Driver, Runtime, attempt_span, note_wait, record_status,
};
use opencloud_core::jiff::Timestamp;
use opencloud_core::{Action, Error, Event, Machine};

use crate::clock::{SharedClock, SystemClock};
use crate::transport::Transport;

/// The blocking driver. Name it only to write generic code over both clients.
#[derive(Debug, Clone, Copy)]
pub struct Blocking;

impl Driver for Blocking {
    type Output<'a, T: Send + 'a> = Result<T, Error>;
    type Http = Transport;
    type Clock = SharedClock;

    fn default_http(timeout: Duration) -> Result<Transport, Error> {
        #[cfg(feature = "ureq")]
        {
            Ok(crate::transport::UreqClient::new(timeout).into())
        }
        #[cfg(not(feature = "ureq"))]
        {
            let _ = timeout;
            Err(opencloud_core::InvalidInput::new(
                "http_client",
                "is required when the `ureq` feature is off",
            )
            .into())
        }
    }

    fn default_clock() -> SharedClock {
        SystemClock.into()
    }

    fn now(clock: &SharedClock) -> Timestamp {
        clock.0.now()
    }

    fn run<'a, M>(rt: Runtime<'a, Self>, mut machine: M) -> Result<M::Output, Error>
    where
        M: Machine + Send + 'a,
        M::Output: Send + 'a,
    {
        let mut event = Event::Start;
        loop {
            match machine.step(event, rt.now(), rt.jitter()) {
                Action::Send(out) => {
                    let span = attempt_span(&out);
                    let result = span.in_scope(|| rt.http.0.call(out.request));
                    record_status(&span, &result);
                    event = Event::Response(result);
                }
                Action::Sleep(d, why) => {
                    note_wait(d, why);
                    rt.clock.0.sleep(d);
                    event = Event::Woke;
                }
                Action::Done(result) => return result,
            }
        }
    }

    fn ready<'a, T: Send + 'a>(result: Result<T, Error>) -> Result<T, Error> {
        result
    }
}

impl BlockingDriver for Blocking {
    fn into_result<'a, T: Send + 'a>(output: Result<T, Error>) -> Result<T, Error> {
        output
    }
}
