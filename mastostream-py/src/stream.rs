//! [`Stream`]: one running session, handed to Python as a blocking iterator (the GIL
//! released while it waits, Ctrl-C noticed within 100 ms) and as the two halves of an
//! asyncio async iterator (a non-blocking poll, and a wake-up from a smol task).
//!
//! The session runs in Rust: reconnects, the idle watchdog and catch-up happen inside
//! `EventStream::next`, whichever thread polls it. Its transports run on smol's global
//! executor. `next` is cancel-safe (the pending step lives in the stream), so a wait that
//! times out loses nothing.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_lite::future;
use mastostream_proto::session::Item;
use mastostream_smol::{Error, EventStream, StreamControl};
use pyo3::exceptions::{PyStopAsyncIteration, PyStopIteration};
use pyo3::prelude::*;

use crate::{errors, notice};

/// How often a blocked `__next__` wakes to let Python handle signals (Ctrl-C).
const SIGNAL_POLL: Duration = Duration::from_millis(100);

type Next = Result<Item, Error>;

#[derive(Default)]
struct State {
    /// The session; `None` while a wake-up task holds it, or once ended.
    stream: Option<EventStream>,
    /// Items taken from the session and not handed out yet (by a wake-up task).
    ready: VecDeque<Next>,
    /// The session ended (closed, or its fatal error was taken).
    ended: bool,
    /// asyncio futures to complete when an item is ready: `(loop, future, wake)`.
    waiters: Vec<(Py<PyAny>, Py<PyAny>, Py<PyAny>)>,
}

struct Shared {
    state: Mutex<State>,
    control: StreamControl,
    /// `close()` was called.
    closed: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What one attempt to take an item gave.
enum Take {
    Item(Box<Next>),
    End,
    /// Nothing within the wait (or a wake-up task holds the session).
    Pending,
}

/// A running stream (see `Client.stream_*`). Iterate it (`for event in stream`), or
/// `async for event in stream`; `close()` ends it from any thread. Only events are
/// yielded, unless it was opened for a listener (then notices too). Dropping it closes it.
#[pyclass(module = "mastostream", name = "Stream")]
pub(crate) struct Stream {
    shared: Arc<Shared>,
    events_only: bool,
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.shared.control.close();
    }
}

impl Stream {
    pub(crate) fn new(stream: EventStream, events_only: bool) -> Stream {
        let control = stream.controller();
        Stream {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    stream: Some(stream),
                    ..State::default()
                }),
                control,
                closed: AtomicBool::new(false),
            }),
            events_only,
        }
    }

    /// Takes the next item, waiting at most `wait` (`None`: not at all, one poll).
    fn take(&self, wait: Option<Duration>) -> Take {
        let mut st = self.shared.lock();
        if let Some(next) = st.ready.pop_front() {
            return Take::Item(Box::new(next));
        }
        if st.ended {
            return Take::End;
        }
        let Some(mut stream) = st.stream.take() else {
            drop(st);
            if let Some(wait) = wait {
                std::thread::sleep(wait.min(Duration::from_millis(10)));
            }
            return Take::Pending;
        };
        drop(st);
        let next = match wait {
            None => smol::block_on(future::poll_once(stream.next())),
            Some(wait) => smol::block_on(future::or(async { Some(stream.next().await) }, async {
                async_io::Timer::after(wait).await;
                None
            })),
        };
        let mut st = self.shared.lock();
        st.stream = Some(stream);
        match next {
            Some(Some(next)) => Take::Item(Box::new(next)),
            Some(None) => {
                st.ended = true;
                Take::End
            }
            None => Take::Pending,
        }
    }

    /// The Python object for `next`, `None` when it is filtered out; a fatal error ends
    /// the stream and is raised.
    fn hand_out(&self, py: Python<'_>, next: Next) -> PyResult<Option<Py<PyAny>>> {
        match next {
            Ok(Item::Event(_)) | Err(_) => {}
            Ok(_) if self.events_only => return Ok(None),
            Ok(_) => {}
        }
        match next {
            Ok(item) => notice::to_python(py, item).map(Some),
            Err(e) => {
                self.shared.lock().ended = true;
                Err(errors::to_pyerr(py, &e))
            }
        }
    }
}

/// Completes every waiting asyncio future (through its loop, thread-safely).
fn wake(py: Python<'_>, waiters: Vec<(Py<PyAny>, Py<PyAny>, Py<PyAny>)>) {
    for (event_loop, fut, wake) in waiters {
        // A closed loop has nobody waiting any more.
        let _ = event_loop.call_method1(py, "call_soon_threadsafe", (wake, fut));
    }
}

#[pymethods]
impl Stream {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// The next item, blocking (without the GIL) until it comes; `StopIteration` once the
    /// stream is closed; the fatal error that stopped it, raised once. Ctrl-C interrupts
    /// the wait within 100 ms (the stream stays usable).
    fn __next__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        loop {
            match py.detach(|| self.take(Some(SIGNAL_POLL))) {
                Take::Item(next) => {
                    if let Some(object) = self.hand_out(py, *next)? {
                        return Ok(object);
                    }
                }
                Take::End => return Err(PyStopIteration::new_err(())),
                Take::Pending => py.check_signals()?,
            }
        }
    }

    /// The next item if one is ready now, else `None`; `StopAsyncIteration` at the end.
    /// (The asyncio iterator's fast path.)
    fn _try_next(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        loop {
            match self.take(None) {
                Take::Item(next) => {
                    if let Some(object) = self.hand_out(py, *next)? {
                        return Ok(Some(object));
                    }
                }
                Take::End => return Err(PyStopAsyncIteration::new_err(())),
                Take::Pending => return Ok(None),
            }
        }
    }

    /// Arranges for `wake(future)` to be called on `event_loop` once an item is ready (or
    /// the stream ended): a task on smol's executor waits for the session's next item and
    /// keeps it for `_try_next`. Cancel-safe: an item taken for a cancelled future is kept.
    fn _wait(&self, py: Python<'_>, event_loop: Py<PyAny>, future: Py<PyAny>, wake_fn: Py<PyAny>) {
        let mut st = self.shared.lock();
        st.waiters.push((event_loop, future, wake_fn));
        if !st.ready.is_empty() || st.ended {
            let waiters = std::mem::take(&mut st.waiters);
            drop(st);
            wake(py, waiters);
            return;
        }
        let Some(mut stream) = st.stream.take() else {
            return; // a task is already waiting; it wakes every waiter
        };
        drop(st);
        let shared = self.shared.clone();
        smol::spawn(async move {
            let next = stream.next().await;
            let waiters = {
                let mut st = shared.lock();
                st.stream = Some(stream);
                match next {
                    Some(next) => st.ready.push_back(next),
                    None => st.ended = true,
                }
                std::mem::take(&mut st.waiters)
            };
            Python::attach(|py| wake(py, waiters));
        })
        .detach();
    }

    /// Closes the stream: its connection is closed, and iteration ends (`StopIteration`)
    /// once the items already taken are handed out. From any thread; idempotent.
    fn close(&self) {
        self.shared.closed.store(true, Ordering::SeqCst);
        self.shared.control.close();
    }

    /// Whether the stream is live now: connected, and hearing from the server within the
    /// idle timeout.
    fn is_receiving(&self) -> bool {
        self.shared.control.is_receiving()
    }

    /// Whether the stream is closed (`close()` was called) or over (stopped by a fatal
    /// error).
    fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::SeqCst)
            || self.shared.control.is_closed()
            || self.shared.lock().ended
    }
}
