//! The shared WebSocket scenarios (`mastostream_testkit::scenarios::ws`) against this
//! adapter's `Client::websocket`, on real loopback TCP and real TLS with a CA made at test
//! time, under tokio's paused clock (90 s of silence take no wall time).

mod harness;

use futures::StreamExt;
use harness::{advance, hold_clock, settle, watchdog, what};
use mastostream_testkit::fake::FakeServer;
use mastostream_testkit::scenarios::ws::{self, WsAction, WsRun, WsScenario};
use mastostream_tokio::Client;

async fn run(scenario: &WsScenario, tls: bool) -> Result<(), String> {
    let server = FakeServer::start(scenario.server_options(tls));
    let mut client = Client::new(&server.url())
        .unwrap()
        .token_opt(scenario.client_token.map(str::to_owned));
    if let Some(ca) = server.ca() {
        client = client.add_root_certificate(ca.ca_der().clone()).unwrap();
    }
    let t0 = tokio::time::Instant::now();
    let mut run = WsRun::new(scenario, &server);
    let mut stream = client.websocket(scenario.channels.clone());
    let mut action = run.start();
    let trace = harness::tracing();
    loop {
        if trace {
            eprintln!("{:?} action {action:?}", t0.elapsed());
        }
        action = match action {
            WsAction::Wait => run.observe(t0.elapsed(), what(stream.next().await)),
            WsAction::Settle => tokio::select! {
                next = stream.next() => run.observe(t0.elapsed(), what(next)),
                () = settle() => run.settled(),
            },
            WsAction::Advance(d) => {
                advance(d).await;
                run.resume(t0.elapsed())
            }
            WsAction::Subscribe(c) => {
                stream.subscribe(c);
                run.resume(t0.elapsed())
            }
            WsAction::Unsubscribe(c) => {
                stream.unsubscribe(c);
                run.resume(t0.elapsed())
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

async fn scenario(index: usize, tls: bool) {
    let _clock = hold_clock();
    let all = ws::all();
    let scenario = &all[index];
    let _watchdog = watchdog(scenario.name);
    if let Err(e) = run(scenario, tls).await {
        panic!("[{}] {e}", if tls { "tls" } else { "tcp" });
    }
}

macro_rules! scenario_tests {
    ($($name:ident = $index:expr;)*) => {
        $(
            mod $name {
                #[tokio::test(start_paused = true)]
                async fn tcp() {
                    super::scenario($index, false).await;
                }
                #[tokio::test(start_paused = true)]
                async fn tls() {
                    super::scenario($index, true).await;
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
