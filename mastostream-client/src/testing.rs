//! A runtime wrapper with a manual clock (feature `test-util`): [`Paused`]. Sockets and
//! tasks are the wrapped runtime's; time passes only when a test calls
//! [`Paused::advance`], so a 45 s idle timeout or a 15-minute `Retry-After` takes no wall
//! time and no test depends on how busy the machine is.

use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant, SystemTime};

use crate::runtime::{AsyncTimer, BoxFuture, Runtime};

#[derive(Debug)]
struct State {
    start: Instant,
    now: Instant,
    wall: SystemTime,
    next_id: u64,
    /// Timers waiting: (id, deadline, waker).
    timers: Vec<(u64, Instant, Waker)>,
}

#[derive(Debug)]
struct Clock(Mutex<State>);

impl Clock {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `R` with a clock that moves only when told to.
///
/// It starts at `R`'s current time and at the wall-clock time given to [`Paused::new`].
#[derive(Clone)]
pub struct Paused<R> {
    inner: R,
    clock: Arc<Clock>,
}

impl<R> fmt::Debug for Paused<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Paused")
            .field("elapsed", &self.elapsed())
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> Paused<R> {
    /// `inner`, with its clock paused now; the wall clock reads `wall` at this instant.
    pub fn new(inner: R, wall: SystemTime) -> Paused<R> {
        let now = inner.now();
        let state = State {
            start: now,
            now,
            wall,
            next_id: 0,
            timers: Vec::new(),
        };
        Paused {
            inner,
            clock: Arc::new(Clock(Mutex::new(state))),
        }
    }
}

impl<R> Paused<R> {
    /// Moves the clock `d` forward and wakes every timer that fell due.
    pub fn advance(&self, d: Duration) {
        let mut state = self.clock.lock();
        state.now = state.now.checked_add(d).unwrap_or(state.now);
        let now = state.now;
        let (due, waiting): (Vec<_>, Vec<_>) =
            state.timers.drain(..).partition(|(_, at, _)| *at <= now);
        state.timers = waiting;
        drop(state);
        for (_, _, waker) in due {
            waker.wake();
        }
    }

    /// Time passed since the clock was paused.
    pub fn elapsed(&self) -> Duration {
        let state = self.clock.lock();
        state.now.saturating_duration_since(state.start)
    }

    /// The earliest deadline a timer waits for, if any.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.clock.lock().timers.iter().map(|(_, at, _)| *at).min()
    }
}

impl<R: Runtime> Runtime for Paused<R> {
    type Tcp = R::Tcp;

    fn connect(&self, host: String, port: u16) -> BoxFuture<std::io::Result<Self::Tcp>> {
        self.inner.connect(host, port)
    }

    fn timer(&self, at: Instant) -> Pin<Box<dyn AsyncTimer>> {
        let id = {
            let mut state = self.clock.lock();
            state.next_id += 1;
            state.next_id
        };
        Box::pin(PausedTimer {
            clock: self.clock.clone(),
            id,
            at,
        })
    }

    fn spawn(&self, future: BoxFuture<()>) {
        self.inner.spawn(future);
    }

    fn now(&self) -> Instant {
        self.clock.lock().now
    }

    fn wall_clock(&self) -> SystemTime {
        let state = self.clock.lock();
        state.wall + state.now.saturating_duration_since(state.start)
    }
}

struct PausedTimer {
    clock: Arc<Clock>,
    id: u64,
    at: Instant,
}

impl fmt::Debug for PausedTimer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PausedTimer").field("at", &self.at).finish()
    }
}

impl AsyncTimer for PausedTimer {
    fn reset(mut self: Pin<&mut Self>, at: Instant) {
        self.at = at;
        let id = self.id;
        self.clock.lock().timers.retain(|(t, _, _)| *t != id);
    }

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.clock.lock();
        if state.now >= self.at {
            return Poll::Ready(());
        }
        let waker = cx.waker().clone();
        match state.timers.iter_mut().find(|(t, _, _)| *t == self.id) {
            Some(slot) => *slot = (self.id, self.at, waker),
            None => state.timers.push((self.id, self.at, waker)),
        }
        Poll::Pending
    }
}

impl Drop for PausedTimer {
    fn drop(&mut self) {
        let id = self.id;
        self.clock.lock().timers.retain(|(t, _, _)| *t != id);
    }
}
