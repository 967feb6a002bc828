//! The shared fault scenarios (`mastostream_testkit::scenarios`) against this adapter, on
//! real loopback TCP and real TLS with a CA made at test time: the same list the tokio
//! adapter runs.
//!
//! smol has no virtual clock, so (as the harness contract allows) every session timeout
//! and backoff bound is divided by one factor, [`SCALE`]; a scenario's `Advance(d)` sleeps
//! `d / SCALE` of real time while the stream keeps running, and every observation is
//! reported at `SCALE ×` the real time elapsed. `Retry-After` comes from the server in
//! whole seconds and is not scaled: those two scenarios wait their real seconds.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::mpsc;
use std::task::Poll;
use std::time::{Duration, Instant};

use futures_lite::{Stream, future};
use mastostream_smol::{Backoff, Client, Error, Item, Timeouts};
use mastostream_testkit::fake::FakeServer;
use mastostream_testkit::scenarios::{self, Action, Op, Run, Scenario, What};
use smol::Timer;

/// How much faster than real Mastodon timing the sessions run here: the 45 s idle
/// timeout becomes 0.9 s, the 10 s connect timeout 200 ms, the 500 ms backoff floor 10 ms.
const SCALE: u32 = 50;

fn scaled(client: Client) -> Client {
    client.configure(|c| {
        let t = c.timeouts;
        c.timeouts = Timeouts {
            connect: t.connect / SCALE,
            head: t.head / SCALE,
            idle: t.idle / SCALE,
            request: t.request / SCALE,
            ws_idle: t.ws_idle / SCALE,
        };
        let b = c.backoff;
        c.backoff = Backoff {
            min: b.min / SCALE,
            initial: b.initial / SCALE,
            max: b.max / SCALE,
            ..b
        };
        c.healthy_after /= SCALE;
    })
}

/// Exits the test process if a scenario hangs.
struct Watchdog(#[allow(dead_code)] mpsc::Sender<()>);

fn watchdog(name: &str) -> Watchdog {
    let (tx, rx) = mpsc::channel::<()>();
    let name = name.to_owned();
    std::thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(Duration::from_secs(60)) {
            eprintln!("scenario {name:?} hung for 60 s");
            std::process::exit(101);
        }
    });
    Watchdog(tx)
}

fn what(next: Option<Result<Item, Error>>) -> What {
    match next {
        Some(Ok(item)) => What::Item(item),
        Some(Err(e)) => What::End(Err(e)),
        None => What::End(Ok(())),
    }
}

/// The stream under test, each item stamped with the client's clock when the stream made
/// the progress that produced it: the start of the first poll after the stream last waited
/// (items produced by one read share it). A stamp taken after the item came back would
/// also count the event's decoding and the harness's own work, which the scenarios' timing
/// checks (a paused clock's, on tokio) do not expect: "disconnected no sooner than the idle
/// timeout after the last data" must compare the data's arrival, not its observation.
struct Observer {
    stream: mastostream_smol::EventStream,
    /// When the current run of progress started (`None`: the stream waited since).
    mark: Option<Instant>,
    early: VecDeque<(Duration, What)>,
    ended: bool,
    t0: Instant,
}

impl Observer {
    /// The scenario's clock at `at`: real time since the start, scaled up.
    fn clock(&self, at: Instant) -> Duration {
        (at - self.t0) * SCALE
    }

    /// The next item (or the end) with its stamp.
    async fn item(&mut self) -> (Instant, Option<Result<Item, Error>>) {
        future::poll_fn(|cx| {
            let mark = *self.mark.get_or_insert_with(Instant::now);
            match Pin::new(&mut self.stream).poll_next(cx) {
                Poll::Ready(next) => Poll::Ready((mark, next)),
                Poll::Pending => {
                    self.mark = None;
                    Poll::Pending
                }
            }
        })
        .await
    }

    /// The next observation, or `None` when `until` came first.
    async fn next(&mut self, until: Option<Instant>) -> Option<(Duration, What)> {
        if let Some(early) = self.early.pop_front() {
            return Some(early);
        }
        assert!(
            until.is_some() || !self.ended,
            "the harness waits for an item after the end"
        );
        let timer = async {
            match until {
                Some(at) => {
                    Timer::at(at).await;
                    None
                }
                None => future::pending().await,
            }
        };
        let ended = self.ended;
        let item = async {
            if ended {
                // A stream is over after its end: report nothing more, just let time pass.
                return future::pending().await;
            }
            Some(self.item().await)
        };
        let (at, next) = match future::or(item, timer).await {
            Some(stamped) => stamped,
            None => {
                // The harness's timer won: the stream waits (or is over) meanwhile.
                self.mark = None;
                return None;
            }
        };
        let what = what(next);
        self.ended |= matches!(what, What::End(_));
        Some((self.clock(at), what))
    }
}

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
            let mut c = Observer {
                stream: client.stream(scenario.channel.clone()),
                mark: None,
                early: VecDeque::new(),
                ended: false,
                t0,
            };
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
                        let until = Instant::now() + d / SCALE;
                        let mut early = Vec::new();
                        while let Some(seen) = c.next(Some(until)).await {
                            early.push(seen);
                        }
                        c.early.extend(early);
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
    if std::env::var_os("SCENARIO_TRACE").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_test_writer()
            .try_init();
    }
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
