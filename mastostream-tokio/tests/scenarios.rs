//! The shared fault scenarios (`mastostream_testkit::scenarios`) against this adapter, on
//! real loopback TCP and real TLS with a CA made at test time. Time is tokio's paused clock:
//! it moves only when a scenario lets it (a 45 s idle timeout takes no wall time).

mod harness;

use futures::StreamExt;
use harness::{advance, hold_clock, settle, watchdog, what};
use mastostream_testkit::fake::FakeServer;
use mastostream_testkit::scenarios::{self, Action, Op, Run, Scenario, What};
use mastostream_tokio::Client;

async fn run(scenario: &Scenario, tls: bool) -> Result<(), String> {
    let server = FakeServer::start(scenario.server_options(tls));
    let mut client = Client::new(&server.url())
        .unwrap()
        .token_opt(scenario.client_token.map(str::to_owned));
    if let Some(ca) = server.ca() {
        client = client.add_root_certificate(ca.ca_der().clone()).unwrap();
    }
    let t0 = tokio::time::Instant::now();
    let mut run = Run::new(scenario, &server);
    let mut action = run.start();
    match scenario.op {
        Op::Health => {
            let health = client.stream_healthy().await;
            run.observe(t0.elapsed(), What::Health(health));
        }
        Op::Discover => {
            let found = client.discover_streaming_url().await;
            let found = found.map(|o| o.map(|i| i.to_string()));
            run.observe(t0.elapsed(), What::Discovered(found));
        }
        Op::Stream => {
            let mut stream = client.stream(scenario.channel.clone());
            loop {
                if std::env::var_os("SCENARIO_TRACE").is_some() {
                    eprintln!("{:?} action {action:?}", t0.elapsed());
                }
                match action {
                    Action::Wait => {
                        let next = stream.next().await;
                        action = run.observe(t0.elapsed(), what(next));
                    }
                    Action::Settle => {
                        tokio::select! {
                            next = stream.next() => action = run.observe(t0.elapsed(), what(next)),
                            () = settle() => action = run.settled(),
                        }
                    }
                    Action::Advance(d) => {
                        advance(d).await;
                        action = run.resume();
                    }
                    Action::Close => {
                        stream.close();
                        action = Action::Wait;
                    }
                    Action::Done => break,
                }
            }
        }
    }
    run.verify()
}

async fn scenario(index: usize, tls: bool) {
    harness::tracing();
    let _clock = hold_clock();
    let all = scenarios::all();
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
            assert_eq!(names.len(), scenarios::all().len(), "add the new scenarios here");
        }
    };
}

scenario_tests! {
    normal_stream = 0;
    drop_mid_event_catch_up = 1;
    stall_idle_timeout = 2;
    unauthorized_fatal = 3;
    bad_request_fatal = 4;
    rate_limited_retry_after = 5;
    server_errors_reconnect = 6;
    head_timeout = 7;
    one_byte_at_a_time = 8;
    garbage = 9;
    broken_framing = 10;
    endless_line = 11;
    restart = 12;
    clean_end = 13;
    health_check = 14;
    discovery = 15;
    discovered_stream = 16;
}
