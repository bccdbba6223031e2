//! One deadline per request, shared by every backend call inside it. A front-end wraps the
//! request's future in [`scope`]; every client (Prometheus, Kubernetes, a remote metrics API)
//! reads [`current`] and gives up at that instant, so probes and follow-up calls share the
//! request's time instead of each waiting anew, and the client that runs out names itself.
//!
//! It works like a task-local: while the scoped future is polled, the deadline is visible to
//! whatever that poll runs; nested scopes keep the earlier of the two. Work handed to another
//! task (a spawned flight) must capture [`current`] and scope itself. Written here with `std`
//! alone, so the API crate stays free of async runtimes.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

thread_local! {
    static CURRENT: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// The deadline of the request being polled on this thread, if any.
pub fn current() -> Option<Instant> {
    CURRENT.with(Cell::get)
}

/// The earlier of `at` and the current deadline.
pub fn earliest(at: Instant) -> Instant {
    current().map_or(at, |d| d.min(at))
}

/// `future`, with `deadline` visible through [`current`] while it runs.
pub fn scope<F: Future>(deadline: Option<Instant>, future: F) -> Scoped<F> {
    Scoped { deadline, future: Box::pin(future) }
}

/// A future run under a deadline (see [`scope`]).
pub struct Scoped<F> {
    deadline: Option<Instant>,
    future: Pin<Box<F>>,
}

/// Restores the outer deadline when the poll ends, even by unwinding.
struct Restore(Option<Instant>);

impl Drop for Restore {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.0));
    }
}

impl<F: Future> Future for Scoped<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let outer = current();
        let inner = match (outer, self.deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let _restore = Restore(outer);
        CURRENT.with(|c| c.set(inner));
        self.future.as_mut().poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;
    use std::time::Duration;

    fn run<F: Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let mut cx = Context::from_waker(Waker::noop());
        match f.as_mut().poll(&mut cx) {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("pending"),
        }
    }

    #[test]
    fn scopes_nest_and_restore() {
        let now = Instant::now();
        let later = now + Duration::from_secs(10);
        assert_eq!(current(), None);
        let seen = run(scope(Some(later), async move {
            let outer = current();
            let inner = scope(Some(now), async { current() }).await;
            let wider = scope(Some(later + Duration::from_secs(5)), async { current() }).await;
            (outer, inner, wider, current())
        }));
        assert_eq!(seen, (Some(later), Some(now), Some(later), Some(later)));
        assert_eq!(current(), None);
        assert_eq!(earliest(later), later);
    }
}
