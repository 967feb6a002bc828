//! The one loop that runs the scenarios on any runtime: both adapters' tests call
//! [`sse`] and [`websocket`] with their runtime, so every runtime runs the same suite from
//! this one place.
//!
//! The client's clock is a [`Paused`] wrapper of the runtime: time passes only when a
//! scenario says so ([`Action::Advance`]), so a 45 s idle timeout or a `Retry-After` takes
//! no wall time and no check depends on how busy the machine is. Real time passes only in
//! [`Action::Settle`] (real I/O in flight), and a whole run is bounded by [`HANG`] of real
//! time, after which it fails naming the step it waited for.

use std::future::{Future, poll_fn};
use std::time::{Duration, SystemTime};

use futures_util::future::{Either, select};
use mastostream_client::testing::Paused;
use mastostream_client::{Client, EventStream, Runtime};
use mastostream_proto::Error;
use mastostream_proto::session::Item;

use super::ws::{self, WsAction, WsRun, WsScenario};
use super::{Action, Op, Run, Scenario, What};
use crate::fake::FakeServer;

/// The longest a scenario may run in real time before it counts as hung.
pub const HANG: Duration = Duration::from_secs(60);

/// The wall clock the client starts at (for `Retry-After` dates).
fn wall0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_420_800)
}

fn tracing() -> bool {
    std::env::var_os("SCENARIO_TRACE").is_some()
}

/// A client of `server` on the paused runtime, with the scenario's token.
fn client<R: Runtime>(
    server: &FakeServer,
    rt: Paused<R>,
    token: Option<&str>,
) -> Result<Client<Paused<R>>, String> {
    let mut client = Client::with_runtime(&server.url(), rt)
        .map_err(|e| e.to_string())?
        .token_opt(token.map(str::to_owned));
    if let Some(ca) = server.ca() {
        client = client
            .add_root_certificate(ca.ca_der().clone())
            .map_err(|e| e.to_string())?;
    }
    Ok(client)
}

fn what(next: Option<Result<Item, Error>>) -> What {
    match next {
        Some(Ok(item)) => What::Item(item),
        Some(Err(e)) => What::End(Err(e)),
        None => What::End(Ok(())),
    }
}

/// Sleeps `d` of real time on the runtime underneath.
pub(crate) async fn real_sleep<R: Runtime>(rt: &R, d: Duration) {
    let mut timer = rt.timer(rt.now() + d);
    poll_fn(|cx| timer.as_mut().poll(cx)).await;
}

/// `fut`, or an error naming `what` after [`HANG`] of real time.
pub(crate) async fn bounded<R: Runtime, T>(
    rt: &R,
    what: &str,
    fut: impl Future<Output = Result<T, String>>,
) -> Result<T, String> {
    let fut = std::pin::pin!(fut);
    let hang = std::pin::pin!(real_sleep(rt, HANG));
    match select(fut, hang).await {
        Either::Left((result, _)) => result,
        Either::Right(((), _)) => Err(format!("{what}: hung for {HANG:?} of real time")),
    }
}

/// Runs SSE scenario number `index` of [`super::all`] on `inner`, over TLS or not.
pub async fn sse<R: Runtime>(inner: R, index: usize, tls: bool) -> Result<(), String> {
    let all = super::all();
    let scenario = all.get(index).ok_or("no such scenario")?;
    let label = format!("[{}] {}", if tls { "tls" } else { "tcp" }, scenario.name);
    bounded(&inner.clone(), &label, run_sse(inner, scenario, tls))
        .await
        .map_err(|e| format!("{label}: {e}"))
}

async fn run_sse<R: Runtime>(inner: R, scenario: &Scenario, tls: bool) -> Result<(), String> {
    let server = FakeServer::start(scenario.server_options(tls));
    let rt = Paused::new(inner.clone(), wall0());
    let client = client(&server, rt.clone(), scenario.client_token)?;
    let mut run = Run::new(scenario, &server);
    let mut action = run.start();
    match scenario.op {
        Op::Health => {
            let health = client.stream_healthy().await;
            run.observe(rt.elapsed(), What::Health(health));
        }
        Op::Discover => {
            let found = client.discover_streaming_url().await;
            let found = found.map(|o| o.map(|i| i.to_string()));
            run.observe(rt.elapsed(), What::Discovered(found));
        }
        Op::Stream => {
            let mut stream = client.stream(scenario.channel.clone());
            loop {
                if tracing() {
                    eprintln!("{:?} action {action:?}", rt.elapsed());
                }
                action = match action {
                    Action::Wait => run.observe(rt.elapsed(), what(stream.next().await)),
                    Action::Settle => match settle(&inner, &mut stream).await {
                        Some(next) => run.observe(rt.elapsed(), what(next)),
                        None => run.settled(),
                    },
                    Action::Advance(d) => {
                        rt.advance(d);
                        run.resume()
                    }
                    Action::Close => {
                        stream.close();
                        Action::Wait
                    }
                    Action::Done => break,
                };
            }
        }
    }
    run.verify()
}

/// Keeps the client running for [`super::SETTLE`] of real time: its next item if one
/// comes meanwhile (`Some`), else `None`.
async fn settle<R: Runtime, S: Runtime>(
    inner: &R,
    stream: &mut EventStream<S>,
) -> Option<Option<Result<Item, Error>>> {
    let next = std::pin::pin!(stream.next());
    let sleep = std::pin::pin!(real_sleep(inner, super::SETTLE));
    match select(next, sleep).await {
        Either::Left((next, _)) => Some(next),
        Either::Right(((), _)) => None,
    }
}

/// Runs WebSocket scenario number `index` of [`ws::all`] on `inner`, over TLS or not.
pub async fn websocket<R: Runtime>(inner: R, index: usize, tls: bool) -> Result<(), String> {
    let all = ws::all();
    let scenario = all.get(index).ok_or("no such scenario")?;
    let label = format!("[{}] {}", if tls { "tls" } else { "tcp" }, scenario.name);
    bounded(&inner.clone(), &label, run_ws(inner, scenario, tls))
        .await
        .map_err(|e| format!("{label}: {e}"))
}

async fn run_ws<R: Runtime>(inner: R, scenario: &WsScenario, tls: bool) -> Result<(), String> {
    let server = FakeServer::start(scenario.server_options(tls));
    let rt = Paused::new(inner.clone(), wall0());
    let client = client(&server, rt.clone(), scenario.client_token)?;
    let mut run = WsRun::new(scenario, &server);
    let mut stream = client.websocket(scenario.channels.clone());
    let mut action = run.start();
    loop {
        if tracing() {
            eprintln!("{:?} action {action:?}", rt.elapsed());
        }
        action = match action {
            WsAction::Wait => run.observe(rt.elapsed(), what(stream.next().await)),
            WsAction::Settle => match settle(&inner, &mut stream).await {
                Some(next) => run.observe(rt.elapsed(), what(next)),
                None => run.settled(),
            },
            WsAction::Advance(d) => {
                rt.advance(d);
                run.resume(rt.elapsed())
            }
            WsAction::Subscribe(c) => {
                stream.subscribe(c);
                run.resume(rt.elapsed())
            }
            WsAction::Unsubscribe(c) => {
                stream.unsubscribe(c);
                run.resume(rt.elapsed())
            }
            WsAction::Close => {
                stream.close();
                WsAction::Wait
            }
            WsAction::Done => break,
        };
    }
    run.verify()
}

/// One test per scenario, over plain TCP and over TLS, for a runtime: `$run` names a function
/// at the test crate's root,
/// `fn(kind: &str, index: usize, tls: bool)` that runs [`sse`] (kind `"sse"`) or
/// [`websocket`] (kind `"ws"`) on that runtime and panics on failure.
#[macro_export]
macro_rules! scenario_tests {
    ($run:ident) => {
        $crate::scenario_tests!(@kind $run, "sse", sse, $crate::scenarios::all().len(), [
            normal_stream = 0, drop_mid_event_catch_up = 1, stall_idle_timeout = 2,
            unauthorized_fatal = 3, bad_request_fatal = 4, rate_limited_retry_after = 5,
            server_errors_reconnect = 6, head_timeout = 7, one_byte_at_a_time = 8,
            garbage = 9, broken_framing = 10, endless_line = 11, restart = 12,
            clean_end = 13, health_check = 14, discovery = 15, discovered_stream = 16,
        ]);
        $crate::scenario_tests!(@kind $run, "ws", ws, $crate::scenarios::ws::all().len(), [
            multiplexed = 0, payload_shapes = 1, refused_subscriptions = 2,
            pings_and_silence = 3, drop_resubscribe_catch_up = 4, runtime_subscriptions = 5,
            expired_token = 6, unauthorized_upgrade = 7, unavailable_upgrade = 8,
            one_byte_at_a_time = 9,
        ]);
    };
    (@kind $run:ident, $kind:literal, $module:ident, $count:expr, [$($name:ident = $index:expr),* $(,)?]) => {
        mod $module {
            $(
                mod $name {
                    #[test]
                    fn tcp() {
                        super::super::$run($kind, $index, false);
                    }
                    #[test]
                    fn tls() {
                        super::super::$run($kind, $index, true);
                    }
                }
            )*

            #[test]
            fn every_scenario_has_a_test() {
                let names: &[&str] = &[$(stringify!($name)),*];
                assert_eq!(names.len(), $count, "add the new scenarios to scenario_tests!");
            }
        }
    };
}
