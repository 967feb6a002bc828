//! The shared WebSocket scenarios (`mastostream_testkit::scenarios::ws`) against this
//! adapter's `Client::websocket`, on real loopback TCP and real TLS with a CA made at test
//! time: the same list the tokio adapter runs.
//!
//! smol has no virtual clock: as for the SSE scenarios (`tests/scenarios.rs`), every
//! session timeout and backoff bound is divided by [`SCALE`](harness::SCALE), an
//! `Advance(d)` sleeps `d / SCALE` of real time with the stream running, and observations
//! are stamped with the scaled clock (90 s of silence take 1.8 s). `Retry-After` comes
//! from the server in whole seconds and is not scaled.

mod harness;

use std::time::Instant;

use harness::{Observer, scaled, watchdog};
use mastostream_smol::Client;
use mastostream_testkit::fake::FakeServer;
use mastostream_testkit::scenarios::{self, ws, ws::WsAction, ws::WsRun, ws::WsScenario};

async fn run(scenario: &WsScenario, tls: bool) -> Result<(), String> {
    let server = FakeServer::start(scenario.server_options(tls));
    let mut client = Client::new(&server.url())
        .unwrap()
        .token_opt(scenario.client_token.map(str::to_owned));
    if let Some(ca) = server.ca() {
        client = client.add_root_certificate(ca.ca_der().clone()).unwrap();
    }
    let client = scaled(client);
    let t0 = Instant::now();
    let mut run = WsRun::new(scenario, &server);
    let mut c = Observer::new(client.websocket(scenario.channels.clone()), t0);
    let mut action = run.start();
    loop {
        if std::env::var_os("SCENARIO_TRACE").is_some() {
            eprintln!("{:?} action {action:?}", c.clock(Instant::now()));
        }
        action = match action {
            WsAction::Wait => {
                let (at, what) = c.next(None).await.expect("no deadline");
                run.observe(at, what)
            }
            WsAction::Settle => {
                let until = Instant::now() + scenarios::SETTLE;
                match c.next(Some(until)).await {
                    Some((at, what)) => run.observe(at, what),
                    None => run.settled(),
                }
            }
            WsAction::Advance(d) => {
                c.advance(d).await;
                run.resume(c.clock(Instant::now()))
            }
            WsAction::Subscribe(channel) => {
                c.stream.subscribe(channel);
                run.resume(c.clock(Instant::now()))
            }
            WsAction::Unsubscribe(channel) => {
                c.stream.unsubscribe(channel);
                run.resume(c.clock(Instant::now()))
            }
            WsAction::Close => {
                c.stream.close();
                WsAction::Wait
            }
            WsAction::Done => break,
        };
    }
    run.verify()
}

fn scenario(index: usize, tls: bool) {
    harness::tracing();
    let all = ws::all();
    let scenario = &all[index];
    let _watchdog = watchdog(scenario.name);
    if let Err(e) = smol::block_on(run(scenario, tls)) {
        panic!("[{}] {e}", if tls { "tls" } else { "tcp" });
    }
}

macro_rules! scenario_tests {
    ($($name:ident = $index:expr;)*) => {
        $(
            mod $name {
                #[test]
                fn tcp() {
                    super::scenario($index, false);
                }
                #[test]
                fn tls() {
                    super::scenario($index, true);
                }
            }
        )*

        #[test]
        fn every_scenario_has_a_test() {
            let names: Vec<&str> = vec![$(stringify!($name)),*];
            assert_eq!(names.len(), ws::all().len(), "add the new scenarios here");
        }
    };
}

scenario_tests! {
    multiplexed = 0;
    payload_shapes = 1;
    refused_subscriptions = 2;
    pings_and_silence = 3;
    drop_resubscribe_catch_up = 4;
    runtime_subscriptions = 5;
    expired_token = 6;
    unauthorized_upgrade = 7;
    unavailable_upgrade = 8;
    one_byte_at_a_time = 9;
}
