//! Connections that cannot be held open forever: a header-read timeout and an idle timeout.
//!
//! [`TimedListener`] wraps the TCP listener; each connection is a [`TimedStream`] that watches
//! its own reads:
//!
//! * **header-read timeout**: once the first byte of a request arrives, the blank line ending
//!   its headers (`\r\n\r\n`) must arrive within this time (a client trickling headers byte by
//!   byte is closed);
//! * **idle timeout**: a connection on which nothing is read or written for this long is
//!   closed, whether it is between requests (keep-alive) or stalls in a body.
//!
//! A response being written counts as activity and starts a new request: the next byte read
//! opens the next header window. A timed-out read fails with `TimedOut`, which makes the HTTP
//! server drop the connection.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};

/// A TCP listener whose connections time out (see the module docs).
#[derive(Debug)]
pub struct TimedListener {
    inner: TcpListener,
    header_read: Duration,
    idle: Duration,
}

impl TimedListener {
    /// Wraps a bound listener.
    pub fn new(inner: TcpListener, header_read: Duration, idle: Duration) -> Self {
        Self {
            inner,
            header_read,
            idle,
        }
    }
}

impl axum::serve::Listener for TimedListener {
    type Io = TimedStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((s, a)) => {
                    let _ = s.set_nodelay(true);
                    return (TimedStream::new(s, self.header_read, self.idle), a);
                }
                // Out of file descriptors and the like: wait a little rather than spin.
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed; retrying in 50 ms");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// Where a connection is in its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the first byte of a request.
    BetweenRequests,
    /// Reading headers; `matched` bytes of `\r\n\r\n` seen so far; must end by `deadline`.
    Headers { matched: u8, deadline: Instant },
    /// Headers read: a body, or the handler at work.
    AfterHeaders,
}

/// A TCP stream with the header-read and idle timeouts.
#[derive(Debug)]
pub struct TimedStream {
    inner: TcpStream,
    header_read: Duration,
    idle: Duration,
    phase: Phase,
    last_activity: Instant,
    timer: Pin<Box<Sleep>>,
}

impl TimedStream {
    fn new(inner: TcpStream, header_read: Duration, idle: Duration) -> Self {
        let now = Instant::now();
        Self {
            inner,
            header_read,
            idle,
            phase: Phase::BetweenRequests,
            last_activity: now,
            timer: Box::pin(tokio::time::sleep_until(now + idle)),
        }
    }

    /// When the current read must have made progress by.
    fn deadline(&self) -> Instant {
        let idle = self.last_activity + self.idle;
        match self.phase {
            Phase::Headers { deadline, .. } => deadline.min(idle),
            _ => idle,
        }
    }

    /// Follows the bytes just read through the header state machine.
    fn saw(&mut self, bytes: &[u8]) {
        const END: &[u8; 4] = b"\r\n\r\n";
        for &b in bytes {
            self.phase = match self.phase {
                Phase::BetweenRequests => Phase::Headers {
                    matched: u8::from(b == END[0]),
                    deadline: Instant::now() + self.header_read,
                },
                Phase::Headers { matched, deadline } => {
                    let m = if b == END[usize::from(matched)] {
                        matched + 1
                    } else {
                        u8::from(b == END[0])
                    };
                    if usize::from(m) == END.len() {
                        Phase::AfterHeaders
                    } else {
                        Phase::Headers {
                            matched: m,
                            deadline,
                        }
                    }
                }
                Phase::AfterHeaders => Phase::AfterHeaders,
            };
        }
    }
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "connection timed out")
}

impl AsyncRead for TimedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let n = buf.filled().len() - before;
                if n > 0 {
                    self.last_activity = Instant::now();
                    let read = buf.filled()[before..].to_vec();
                    self.saw(&read);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                let deadline = self.deadline();
                if Instant::now() >= deadline {
                    return Poll::Ready(Err(timed_out()));
                }
                self.timer.as_mut().reset(deadline);
                match self.timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(timed_out())),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl AsyncWrite for TimedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, data);
        if let Poll::Ready(Ok(n)) = r
            && n > 0
        {
            // A response is going out: the next byte read starts the next request.
            self.last_activity = Instant::now();
            self.phase = Phase::BetweenRequests;
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
