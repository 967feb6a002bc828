//! What every tokio test binary here shares: the runtime the shared suites run on.

use std::future::Future;

/// Runs `future` to completion on a fresh two-worker tokio runtime with I/O and timers.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(future)
}
