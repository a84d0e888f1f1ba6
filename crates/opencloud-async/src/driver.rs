//! The async driver: runs the core's machines with `.await` on the transport and the clock.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use opencloud_client::driver::{
    AsyncDriver, Driver, Runtime, attempt_span, note_wait, record_status,
};
use opencloud_core::jiff::Timestamp;
use opencloud_core::{Action, Error, Event, Machine};
use tracing::Instrument;

use crate::clock::{SharedClock, SystemClock};
use crate::transport::Transport;

/// The async driver (tokio). Name it only to write generic code over both clients.
#[derive(Debug, Clone, Copy)]
pub struct Async;

/// A request in progress: `.await` it.
#[must_use = "a pending request does nothing unless awaited"]
pub struct Pending<'a, T>(Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>);

impl<T> std::fmt::Debug for Pending<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pending")
    }
}

impl<T> Future for Pending<'_, T> {
    type Output = Result<T, Error>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.as_mut().poll(cx)
    }
}

impl Driver for Async {
    type Output<'a, T: Send + 'a> = Pending<'a, T>;
    type Http = Transport;
    type Clock = SharedClock;

    fn default_http(timeout: Duration) -> Result<Transport, Error> {
        #[cfg(feature = "reqwest")]
        {
            Ok(crate::transport::ReqwestClient::new(timeout)?.into())
        }
        #[cfg(not(feature = "reqwest"))]
        {
            let _ = timeout;
            Err(opencloud_core::InvalidInput::new(
                "http_client",
                "is required when the `reqwest` feature is off",
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

    fn run<'a, M>(rt: Runtime<'a, Self>, mut machine: M) -> Pending<'a, M::Output>
    where
        M: Machine + Send + 'a,
        M::Output: Send + 'a,
    {
        Pending(Box::pin(async move {
            let mut event = Event::Start;
            loop {
                match machine.step(event, rt.now(), rt.jitter()) {
                    Action::Send(out) => {
                        let span = attempt_span(&out);
                        let result = rt
                            .http
                            .0
                            .call_boxed(out.request)
                            .instrument(span.clone())
                            .await;
                        record_status(&span, &result);
                        event = Event::Response(result);
                    }
                    Action::Sleep(d, why) => {
                        note_wait(d, why);
                        rt.clock.0.sleep(d).await;
                        event = Event::Woke;
                    }
                    Action::Done(result) => return result,
                }
            }
        }))
    }

    fn ready<'a, T: Send + 'a>(result: Result<T, Error>) -> Pending<'a, T> {
        Pending(Box::pin(std::future::ready(result)))
    }
}

impl AsyncDriver for Async {
    fn into_future<'a, T: Send + 'a>(
        output: Pending<'a, T>,
    ) -> Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>> {
        output.0
    }
}
