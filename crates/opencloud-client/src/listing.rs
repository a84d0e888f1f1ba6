//! Listings: pages with a resume token, as a stream (async) or an iterator (blocking).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use opencloud_core::{Error, NextPage, Page, PageToken, PagedOperation, Pager};

use crate::client::Client;
use crate::driver::{AsyncDriver, BlockingDriver, Driver};

type PageFuture<O> = Pin<
    Box<
        dyn Future<
                Output = (
                    Box<Pager<O>>,
                    Result<Option<<O as opencloud_core::Operation>::Output>, Error>,
                ),
            > + Send,
    >,
>;

/// A listing, page by page. The query is frozen: only the page token changes between pages.
///
/// * [`Listing::next_page`] fetches one page (`.await` it with the async client);
/// * [`Listing::resume_token`] is the token to save, to continue later from where it stopped;
/// * the listing is also a `Stream` (async) or an `Iterator` (blocking) of pages.
///
/// After an error the listing ends; its resume token still names the page that failed.
#[must_use = "a listing fetches nothing until it is asked for pages"]
pub struct Listing<D: Driver, O: PagedOperation>
where
    O::Output: Page,
{
    client: Client<D>,
    /// `None` while a stream poll holds the pager in its future.
    pager: Option<Box<Pager<O>>>,
    /// An error found before any request (an invalid name), returned by the first page.
    early: Option<Error>,
    in_flight: Option<PageFuture<O>>,
}

impl<D: Driver, O: PagedOperation> std::fmt::Debug for Listing<D, O>
where
    O::Output: Page,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listing")
            .field(
                "resume_token",
                &self.pager.as_deref().and_then(Pager::resume_token),
            )
            .finish_non_exhaustive()
    }
}

impl<D: Driver, O> Listing<D, O>
where
    O: PagedOperation + Send + Sync + 'static,
    O::Output: Page + Send,
{
    pub(crate) fn new(client: Client<D>, pager: Result<Pager<O>, Error>) -> Self {
        let (pager, early) = match pager {
            Ok(p) => (Some(Box::new(p)), None),
            Err(e) => (None, Some(e)),
        };
        Self {
            client,
            pager,
            early,
            in_flight: None,
        }
    }

    /// Fetches the next page: `None` when every page was read.
    pub fn next_page(&mut self) -> D::Output<'_, Option<O::Output>> {
        if let Some(e) = self.early.take() {
            return D::ready(Err(e));
        }
        // A stream poll that was abandoned mid-page gives its pager back by being dropped with
        // it; a listing used both ways asks for that page again.
        self.in_flight = None;
        match self.pager.as_deref_mut() {
            Some(pager) => D::run(
                self.client.runtime(),
                NextPage::new(self.client.context().clone(), pager),
            ),
            None => D::ready(Ok(None)),
        }
    }

    /// The token of the next page to fetch (or of the page that failed): save it, and resume
    /// with `op.page_token` set to it, or with [`Pager::resume`].
    pub fn resume_token(&self) -> Option<&PageToken> {
        self.pager.as_deref().and_then(Pager::resume_token)
    }

    /// Whether every page was read (or the listing stopped on an error).
    pub fn is_done(&self) -> bool {
        self.early.is_none() && self.pager.as_deref().is_none_or(Pager::is_done)
    }

    /// The items across pages, instead of the pages.
    pub fn items(self) -> Items<D, O> {
        Items::new(self)
    }
}

impl<D: BlockingDriver, O> Iterator for Listing<D, O>
where
    O: PagedOperation + Send + Sync + 'static,
    O::Output: Page + Send,
{
    type Item = Result<O::Output, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        D::into_result(self.next_page()).transpose()
    }
}

impl<D: AsyncDriver, O> futures_core::Stream for Listing<D, O>
where
    O: PagedOperation + Send + Sync + 'static,
    O::Output: Page + Send,
{
    type Item = Result<O::Output, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Some(e) = this.early.take() {
            return Poll::Ready(Some(Err(e)));
        }
        if this.in_flight.is_none() {
            let Some(pager) = this.pager.take() else {
                return Poll::Ready(None);
            };
            if pager.is_done() {
                this.pager = Some(pager);
                return Poll::Ready(None);
            }
            let client = this.client.clone();
            this.in_flight = Some(Box::pin(async move {
                let mut machine = NextPage::new(client.context().clone(), pager);
                let result = D::into_future(client.run(&mut machine)).await;
                (machine.into_pager(), result)
            }));
        }
        let Some(fut) = this.in_flight.as_mut() else {
            return Poll::Ready(None);
        };
        match fut.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready((pager, result)) => {
                this.in_flight = None;
                this.pager = Some(pager);
                Poll::Ready(result.transpose())
            }
        }
    }
}

/// The items of a listing across pages, as a stream (async) or an iterator (blocking).
#[must_use = "a listing fetches nothing until it is asked for items"]
pub struct Items<D: Driver, O: PagedOperation>
where
    O::Output: Page,
{
    pages: Listing<D, O>,
    current: std::vec::IntoIter<<O::Output as Page>::Item>,
}

impl<D: Driver, O: PagedOperation> std::fmt::Debug for Items<D, O>
where
    O::Output: Page,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Items")
            .field("pages", &self.pages)
            .field("buffered", &self.current.len())
            .finish()
    }
}

impl<D: Driver, O> Items<D, O>
where
    O: PagedOperation + Send + Sync + 'static,
    O::Output: Page + Send,
{
    pub(crate) fn new(pages: Listing<D, O>) -> Self {
        Self {
            pages,
            current: Vec::new().into_iter(),
        }
    }

    /// The token of the page after the items of the current page: resuming from it skips the
    /// items of the current page that were not returned yet, so save it after a whole page.
    pub fn resume_token(&self) -> Option<&PageToken> {
        self.pages.resume_token()
    }

    /// How many items of the current page are still to come before the next request.
    pub fn buffered(&self) -> usize {
        self.current.len()
    }
}

impl<D: BlockingDriver, O> Iterator for Items<D, O>
where
    O: PagedOperation + Send + Sync + 'static,
    O::Output: Page + Send,
{
    type Item = Result<<O::Output as Page>::Item, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.current.next() {
                return Some(Ok(item));
            }
            match self.pages.next()? {
                Ok(page) => self.current = page.into_items().into_iter(),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

impl<D: AsyncDriver, O> futures_core::Stream for Items<D, O>
where
    O: PagedOperation + Send + Sync + 'static,
    O::Output: Page + Send,
    <O::Output as Page>::Item: Unpin,
{
    type Item = Result<<O::Output as Page>::Item, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.current.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            match Pin::new(&mut this.pages).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(page))) => this.current = page.into_items().into_iter(),
            }
        }
    }
}
