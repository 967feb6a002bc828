//! The client tests every runtime runs, from this one place: each is an `async fn` over a
//! [`Runtime`], and each adapter's test file expands [`suite_tests!`](crate::suite_tests)
//! with its runtime. Every wait is bounded ([`wait_for`]) and fails naming what it waited
//! for; no test measures time.
//!
//! The hostile-server suite ([`hostile_tests!`](crate::hostile_tests)) runs the client
//! against [`hostile`](crate::hostile) servers, on real loopback TCP (and TLS where it
//! matters), over SSE and WebSocket: heads, bodies and lengths that lie or never end,
//! garbage, slow drips, bad payloads, hostile WebSocket frames, non-101 answers, redirects,
//! absurd `Retry-After` values, a hand-framed well-behaved WebSocket peer, and a 1 GiB
//! flood at a slow consumer. Each test checks the reason the client gives (the error's
//! text), whether it retried or stopped, the good event after the bad ones, the limits it
//! reported, and ([`checked`]) that nothing panicked. The client's clock is paused
//! ([`Paused`](mastostream_client::testing::Paused)): backoff, head timeouts and capped
//! waits pass only when a test says so.

mod backpressure;
mod catchup;
mod client;
mod delays;
pub mod dialects;
mod dialects_connect;
mod dialects_fallback;
mod dialects_recover;
mod dialects_refuse;
mod harness;
mod hostile_http;
mod hostile_ws;
mod redirects;
mod token;
mod websocket;
mod ws_peer;

use std::future::Future;
use std::time::{Duration, Instant};

use mastostream_client::{Backoff, Client, ConfigError, Runtime};

pub use backpressure::*;
pub use catchup::*;
pub use client::*;
pub use delays::*;
pub use harness::{SECRET, checked, verdict};
pub use hostile_http::*;
pub use hostile_ws::*;
pub use redirects::*;
pub use token::*;
pub use websocket::*;
pub use ws_peer::*;

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
            certificate_faults_are_named_and_nothing_is_sent,
            websocket_subscribes_from_another_task,
            websocket_refusal_leaves_the_other_subscriptions,
            websocket_close_sends_a_close_frame_first,
            websocket_drop_still_sends_a_close_frame,
            websocket_close_during_the_upgrade_needs_no_grace,
            catch_up_over_many_pages_with_live_statuses_racing,
            newest_id_is_a_resume_point,
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

/// The token-hygiene tests for a runtime, meant for a test binary of their own (see the
/// `token` module): `$run` is a function `fn(name: &str)` that runs [`run`] with that name
/// on that runtime and panics on failure.
#[macro_export]
macro_rules! token_tests {
    ($run:path) => {
        $crate::suite_tests!(@each $run, [
            the_token_never_leaks_over_sse,
            the_token_never_leaks_over_a_websocket,
        ]);
    };
}

/// Runs the suite test `name` on `rt`.
pub async fn run<R: Runtime + Default>(rt: R, name: &str) -> Outcome {
    match name {
        "demo_arrives_whole_with_a_drop_and_catch_up" => demo_arrives_whole(rt).await,
        "callbacks_close_their_own_stream" => callbacks_close_their_own_stream(rt).await,
        "a_fatal_error_reaches_on_abort_and_run" => fatal_error_reaches_on_abort(rt).await,
        "health_and_discovery_over_tls" => health_and_discovery_over_tls(rt).await,
        "certificate_faults_are_named_and_nothing_is_sent" => certificate_faults(rt).await,
        "websocket_subscribes_from_another_task" => ws_subscribes_from_another_task(rt).await,
        "websocket_refusal_leaves_the_other_subscriptions" => ws_refusal(rt).await,
        "websocket_close_sends_a_close_frame_first" => ws_close_frame(rt).await,
        "websocket_drop_still_sends_a_close_frame" => ws_drop_close_frame(rt).await,
        "websocket_close_during_the_upgrade_needs_no_grace" => ws_close_during_upgrade(rt).await,
        "catch_up_over_many_pages_with_live_statuses_racing" => {
            many_pages_with_live_racing(rt).await
        }
        "newest_id_is_a_resume_point" => newest_id_is_a_resume_point(rt).await,
        "the_token_never_leaks_over_sse" => token_never_leaks_sse(rt).await,
        "the_token_never_leaks_over_a_websocket" => token_never_leaks_websocket(rt).await,
        other => Err(format!("no suite test named {other}")),
    }
}

/// One `#[test]` per hostile-server test for a runtime: `$run` is a function
/// `fn(name: &str, test: impl FnOnce(Rt) -> impl Future<Output = Outcome>)` that runs the
/// test on that runtime, in [`checked`], and hands the outcome to [`verdict`].
#[macro_export]
macro_rules! hostile_tests {
    ($run:path) => {
        $crate::hostile_tests!(@each $run, [
            sse_endless_head_line,
            sse_endless_header_count,
            sse_endless_event_line,
            sse_huge_chunk_size,
            sse_lying_content_length,
            sse_garbage,
            sse_tls_and_plain_mismatch,
            sse_slow_drip,
            sse_slow_drip_head_timeout,
            sse_html_page,
            sse_bad_payloads,
            sse_retry_after_seconds,
            sse_retry_after_dates_and_garbage,
            sse_capped_retry_after_waits_the_cap,
            ws_frame_claiming_2_63_bytes,
            ws_endless_fragments,
            ws_ping_flood,
            ws_invalid_utf8_text,
            ws_reserved_opcodes_and_bits,
            ws_masked_server_frame,
            ws_close_codes,
            ws_non_101_answers,
            ws_hostile_http_answers,
            ws_slow_drip,
            ws_bad_payloads,
            ws_independent_peer,
            ws_independent_peer_closes,
            redirect_loop,
            redirect_cross_origin_drops_the_token,
            redirect_same_origin_keeps_the_token,
            redirect_downgrade_refused,
            redirect_other_schemes_refused,
            redirect_chain_is_bounded,
            redirect_with_a_1_mib_location,
            sse_flood_backpressure,
            ws_flood_backpressure,
            slow_consumer_keeps_its_idle_timer,
        ]);
    };
    (@each $run:path, [$($name:ident),* $(,)?]) => {
        $(
            #[test]
            fn $name() {
                $run(stringify!($name), $crate::suite::$name);
            }
        )*
    };
}
