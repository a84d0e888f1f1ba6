//! The pager: a frozen query and a token, as a small state machine.
//!
//! Rules: an absent or empty token ends it; a token seen before ends it (a service bug would
//! otherwise loop forever); an empty page that carries a token means keep going (the service
//! returns those after skipping deleted items); an error ends it.
//!
//! ```
//! use opencloud_core::{ListDataStores, Pager, UniverseId};
//! let mut pager = Pager::new(ListDataStores::new(UniverseId::from(1)));
//! while let Some(op) = pager.next_op() {
//!     // send `op` with any transport, then:
//!     # let page = opencloud_core::DataStorePage::default();
//!     pager.on_page(&page);
//! }
//! assert!(pager.is_done());
//! ```

use std::collections::HashSet;

use crate::model::Page;
use crate::names::PageToken;
use crate::ops::PagedOperation;

/// Why a pager stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagerEnd {
    /// The last page had no token: every page was read.
    Complete,
    /// The service returned a token it had returned before; paging stopped to avoid a loop.
    RepeatedToken,
    /// A request failed; the caller has the error.
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Ready,
    Waiting,
    Done(PagerEnd),
}

/// Drives a list operation page by page. The query is frozen at construction: only the token
/// changes between pages, as the service requires.
#[derive(Debug, Clone)]
pub struct Pager<O: PagedOperation>
where
    O::Output: Page,
{
    op: O,
    seen: HashSet<String>,
    state: State,
    pages: u64,
}

impl<O: PagedOperation> Pager<O>
where
    O::Output: Page,
{
    /// Starts at the token `op` carries (the first page when it has none).
    pub fn new(op: O) -> Self {
        let mut seen = HashSet::new();
        if let Some(t) = op.page_token() {
            seen.insert(t.as_str().to_string());
        }
        Self {
            op,
            seen,
            state: State::Ready,
            pages: 0,
        }
    }

    /// Resumes from a saved token.
    pub fn resume(mut op: O, token: PageToken) -> Self {
        op.set_page_token(Some(token));
        Self::new(op)
    }

    /// The operation for the next page, or `None` when done. Report its outcome with
    /// [`Pager::on_page`] or [`Pager::on_error`]. Asked again before that (the request was
    /// abandoned, for instance a cancelled future), it hands out the same page again.
    pub fn next_op(&mut self) -> Option<O> {
        match self.state {
            State::Ready | State::Waiting => {
                self.state = State::Waiting;
                Some(self.op.clone())
            }
            State::Done(_) => None,
        }
    }

    /// Reports a page. Returns whether more pages follow.
    pub fn on_page(&mut self, page: &O::Output) -> bool {
        if self.state != State::Waiting {
            // A page nobody asked for (a logic error in the caller): ignore it.
            return false;
        }
        self.pages += 1;
        let next = page.next_page_token().filter(|t| !t.is_empty());
        self.state = match next {
            None => State::Done(PagerEnd::Complete),
            Some(t) if !self.seen.insert(t.to_string()) => State::Done(PagerEnd::RepeatedToken),
            Some(t) => match PageToken::new(t) {
                Ok(token) => {
                    self.op.set_page_token(Some(token));
                    State::Ready
                }
                Err(_) => State::Done(PagerEnd::Failed),
            },
        };
        self.state == State::Ready
    }

    /// Reports a failed page: the pager stops. The token of the failed page stays available
    /// from [`Pager::resume_token`], so the caller can resume later.
    pub fn on_error(&mut self) {
        self.state = State::Done(PagerEnd::Failed);
    }

    /// Whether no page is left to fetch.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done(_))
    }

    /// Why the pager stopped, once it has.
    pub fn end(&self) -> Option<PagerEnd> {
        match self.state {
            State::Done(e) => Some(e),
            _ => None,
        }
    }

    /// The token of the next page to fetch (or of the page that failed): save it to resume.
    pub fn resume_token(&self) -> Option<&PageToken> {
        match self.state {
            State::Done(PagerEnd::Complete) => None,
            _ => self.op.page_token(),
        }
    }

    /// How many pages were reported.
    pub fn pages(&self) -> u64 {
        self.pages
    }
}
