//! The client tests every runtime runs, from this one place: each is an `async fn` over a
//! [`Runtime`], and each adapter's test file expands [`suite_tests!`](crate::suite_tests)
//! with its runtime. Every wait is bounded ([`wait_for`]) and fails naming what it waited
//! for; no test measures time.

mod client;
pub mod dialects;
mod dialects_connect;
mod dialects_fallback;
mod dialects_recover;
mod dialects_refuse;
mod token;
mod websocket;

use std::future::Future;
use std::time::{Duration, Instant};

use mastostream_client::{Backoff, Client, ConfigError, Runtime};

pub use client::*;
pub use token::*;
pub use websocket::*;

use crate::fake::FakeServer;

/// The longest any single wait of the suite lasts.
pub const WAIT: Duration = Duration::from_secs(10);

/// A test's outcome: `Err` says what went wrong.
pub type Outcome = Result<(), String>;

/// Fails with `why` unless `ok`.
pub fn ensure(ok: bool, why: impl FnOnce() -> String) -> Outcome {
    if ok { Ok(()) } else { Err(why()) }
}

/// Waits until `done()` holds, checking every 2 ms of real time, for at most [`WAIT`].
pub async fn wait_for<R: Runtime>(rt: &R, what: &str, mut done: impl FnMut() -> bool) -> Outcome {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > WAIT {
            return Err(format!("gave up after {WAIT:?} waiting for {what}"));
        }
        crate::scenarios::drive::real_sleep(rt, Duration::from_millis(2)).await;
    }
    Ok(())
}

/// `fut`'s output, or an error naming `what` after [`WAIT`] of real time.
pub async fn within<R: Runtime, T>(
    rt: &R,
    what: &str,
    fut: impl Future<Output = T>,
) -> Result<T, String> {
    crate::scenarios::drive::bounded(rt, what, async { Ok(fut.await) }).await
}

/// A client of `server` (trusting its CA when it has one), with a backoff of a few
/// milliseconds so that reconnects in these real-time tests are quick.
pub fn client<R: Runtime + Default>(server: &FakeServer) -> Result<Client<R>, ConfigError> {
    let mut client = Client::<R>::new(&server.url())?;
    if let Some(ca) = server.ca() {
        client = client.add_root_certificate(ca.ca_der().clone())?;
    }
    Ok(fast(client))
}

/// `client` with a backoff of a few milliseconds.
pub fn fast<R: Runtime>(client: Client<R>) -> Client<R> {
    client.configure(|c| {
        c.backoff = Backoff {
            min: Duration::from_millis(5),
            initial: Duration::from_millis(10),
            ..Backoff::default()
        };
    })
}

/// One `#[test]` per suite test for a runtime: `$run` is a function `fn(name: &str)` that
/// runs [`run`] with that name on that runtime and panics on failure.
#[macro_export]
macro_rules! suite_tests {
    ($run:path) => {
        $crate::suite_tests!(@each $run, [
            demo_arrives_whole_with_a_drop_and_catch_up,
            callbacks_close_their_own_stream,
            a_fatal_error_reaches_on_abort_and_run,
            health_and_discovery_over_tls,
            an_untrusted_certificate_is_named_and_nothing_is_sent,
            websocket_subscribes_from_another_task,
            websocket_refusal_leaves_the_other_subscriptions,
            websocket_close_sends_a_close_frame_first,
            websocket_drop_still_sends_a_close_frame,
            websocket_close_during_the_upgrade_needs_no_grace,
        ]);
    };
    (@each $run:path, [$($name:ident),* $(,)?]) => {
        $(
            #[test]
            fn $name() {
                $run(stringify!($name));
            }
        )*
    };
}

/// Runs the suite test `name` on `rt`.
pub async fn run<R: Runtime + Default>(rt: R, name: &str) -> Outcome {
    match name {
        "demo_arrives_whole_with_a_drop_and_catch_up" => demo_arrives_whole(rt).await,
        "callbacks_close_their_own_stream" => callbacks_close_their_own_stream(rt).await,
        "a_fatal_error_reaches_on_abort_and_run" => fatal_error_reaches_on_abort(rt).await,
        "health_and_discovery_over_tls" => health_and_discovery_over_tls(rt).await,
        "an_untrusted_certificate_is_named_and_nothing_is_sent" => untrusted_certificate(rt).await,
        "websocket_subscribes_from_another_task" => ws_subscribes_from_another_task(rt).await,
        "websocket_refusal_leaves_the_other_subscriptions" => ws_refusal(rt).await,
        "websocket_close_sends_a_close_frame_first" => ws_close_frame(rt).await,
        "websocket_drop_still_sends_a_close_frame" => ws_drop_close_frame(rt).await,
        "websocket_close_during_the_upgrade_needs_no_grace" => ws_close_during_upgrade(rt).await,
        other => Err(format!("no suite test named {other}")),
    }
}
