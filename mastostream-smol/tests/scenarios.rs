//! The shared fault scenarios (`mastostream_testkit::scenarios`) against this adapter, on
//! real loopback TCP and real TLS with a CA made at test time: the same list the tokio
//! adapter runs.
//!
//! smol has no virtual clock, so (as the harness contract allows) every session timeout
//! and backoff bound is divided by one factor, [`SCALE`]; a scenario's `Advance(d)` sleeps
//! `d / SCALE` of real time while the stream keeps running, and every observation is
//! reported at `SCALE ×` the real time elapsed. `Retry-After` comes from the server in
//! whole seconds and is not scaled: those two scenarios wait their real seconds.

mod harness;

use std::time::Instant;

use harness::{Observer, SCALE, scaled, watchdog};
use mastostream_smol::Client;
use mastostream_testkit::fake::FakeServer;
use mastostream_testkit::scenarios::{self, Action, Op, Run, Scenario, What};

async fn run(scenario: &Scenario, tls: bool) -> Result<(), String> {
    let server = FakeServer::start(scenario.server_options(tls));
    let mut client = Client::new(&server.url())
        .unwrap()
        .token_opt(scenario.client_token.map(str::to_owned));
    if let Some(ca) = server.ca() {
        client = client.add_root_certificate(ca.ca_der().clone()).unwrap();
    }
    let client = scaled(client);
    let t0 = Instant::now();
    let mut run = Run::new(scenario, &server);
    let mut action = run.start();
    match scenario.op {
        Op::Health => {
            let health = client.stream_healthy().await;
            run.observe(t0.elapsed() * SCALE, What::Health(health));
        }
        Op::Discover => {
            let found = client.discover_streaming_url().await;
            let found = found.map(|o| o.map(|i| i.to_string()));
            run.observe(t0.elapsed() * SCALE, What::Discovered(found));
        }
        Op::Stream => {
            let mut c = Observer::new(client.stream(scenario.channel.clone()), t0);
            loop {
                if std::env::var_os("SCENARIO_TRACE").is_some() {
                    eprintln!("{:?} action {action:?}", c.clock(Instant::now()));
                }
                match action {
                    Action::Wait => {
                        let (at, what) = c.next(None).await.expect("no deadline");
                        action = run.observe(at, what);
                    }
                    Action::Settle => {
                        let until = Instant::now() + scenarios::SETTLE;
                        action = match c.next(Some(until)).await {
                            Some((at, what)) => run.observe(at, what),
                            None => run.settled(),
                        };
                    }
                    Action::Advance(d) => {
                        // Real time passes with the stream running; what it delivers
                        // meanwhile is reported after the harness resumes.
                        c.advance(d).await;
                        action = run.resume();
                    }
                    Action::Close => {
                        c.stream.close();
                        action = Action::Wait;
                    }
                    Action::Done => break,
                }
            }
        }
    }
    run.verify()
}

fn scenario(index: usize, tls: bool) {
    harness::tracing();
    let all = scenarios::all();
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
