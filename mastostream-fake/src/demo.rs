//! The offline demo: a finite, realistic stream from the corpus generator, served by a
//! [`FakeServer`] over real HTTP/1.1 chunked SSE with heartbeats (or over its WebSocket
//! endpoint, with pings, to a client that connects there): what `mastostream tail` shows
//! when no `--instance` is given. It is a library module so that other programs (and the
//! workspace's client tests) can run the same demo.
//!
//! The script, in wall-clock time (about three seconds with the defaults):
//! 1. Waits for the client's stream.
//! 2. Publishes the corpus events a few milliseconds apart, with a `:thump` wherever the
//!    corpus has one.
//! 3. Halfway, the stream drops in the middle of an event; the next events are published
//!    while the client is away (a client with catch-up recovers the statuses,
//!    notifications and conversations among them over REST).
//! 4. Once the client is back, the rest is published live.
//! 5. The end: the server queues [`END_STATUS`] with [`END_MESSAGE`] for the next stream
//!    request, then ends the body cleanly. A client reconnects, gets the `410`, and (410 being
//!    fatal) stops; `mastostream tail` recognises the demo's end by the status and message
//!    and exits 0. No protocol decision moves into the client, and nothing reconnects
//!    forever.
//!
//! ```
//! use mastostream_fake::demo::{Demo, DemoOptions};
//!
//! let demo = Demo::start(DemoOptions { events: 10, ..DemoOptions::default() });
//! // Point any Mastodon client at it, as at an instance:
//! assert!(demo.url().starts_with("http://127.0.0.1:"));
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::corpus::{self, CorpusConfig, GeneratedEvent, Mix};
use crate::{Cut, FakeServer, Plan, Reply, ServerOptions, StreamPlan};

/// The status the demo server answers once its stream is over.
pub const END_STATUS: u16 = 410;
/// The message (`{"error": ...}`) that comes with [`END_STATUS`].
pub const END_MESSAGE: &str = "The demo stream has ended";

/// What the demo serves.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Number of events (heartbeats are extra).
    pub events: usize,
    /// Corpus seed.
    pub seed: u64,
    /// Which mix of events (the user stream's by default).
    pub mix: Mix,
    /// Drop the stream mid-event after this many events (`None`: never).
    pub drop_after: Option<usize>,
    /// Events published while the client is away after the drop.
    pub missed: usize,
    /// Wall-clock pause between events.
    pub pace: Duration,
}

impl Default for DemoOptions {
    /// 300 events of the user mix, seed 1, a drop after 150 with 20 events missed, 4 ms
    /// apart.
    fn default() -> Self {
        DemoOptions {
            events: 300,
            seed: 1,
            mix: Mix::User,
            drop_after: Some(150),
            missed: 20,
            pace: Duration::from_millis(4),
        }
    }
}

/// A running demo server. Dropping it stops it.
#[derive(Debug)]
pub struct Demo {
    server: Arc<FakeServer>,
    stop: Arc<AtomicBool>,
    feeder: Option<JoinHandle<()>>,
}

impl Demo {
    /// Starts the server and its script on `127.0.0.1`.
    pub fn start(opts: DemoOptions) -> Demo {
        let server = Arc::new(FakeServer::start(ServerOptions {
            seed: opts.seed,
            ..ServerOptions::default()
        }));
        if let Some(n) = opts.drop_after {
            server.plan([Plan::Stream(StreamPlan {
                cut: Some((n, Cut::DropMidEvent)),
                ..StreamPlan::default()
            })]);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let feeder = {
            let (server, stop) = (server.clone(), stop.clone());
            thread::spawn(move || feed(&server, &stop, &opts))
        };
        Demo {
            server,
            stop,
            feeder: Some(feeder),
        }
    }

    /// The instance URL to connect to.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The server (for its request log and counters).
    pub fn server(&self) -> &FakeServer {
        &self.server
    }
}

/// The corpus configuration behind a demo: its events can be replayed with
/// [`corpus::events`] to check what a client received.
pub fn corpus_config(opts: &DemoOptions) -> CorpusConfig {
    CorpusConfig {
        events: opts.events,
        seed: opts.seed,
        mix: opts.mix.clone(),
        escape_ratio: 0.0,
        ..CorpusConfig::default()
    }
}

fn feed(server: &FakeServer, stop: &AtomicBool, opts: &DemoOptions) {
    // Waits for `pred`, giving up when the demo is dropped.
    let wait = |pred: &dyn Fn(usize, usize) -> bool| loop {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        if server.wait_until(Duration::from_millis(50), |opened, live, _| {
            pred(opened, live)
        }) {
            return true;
        }
    };
    if !wait(&|opened, live| opened >= 1 && live >= 1) {
        return;
    }
    settle_subscriptions(server);
    let mut published = 0usize;
    for item in corpus::events(&corpus_config(opts)) {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        match item {
            GeneratedEvent::Heartbeat { .. } => server.heartbeat(),
            GeneratedEvent::Event(e) => {
                if opts
                    .drop_after
                    .is_some_and(|n| published == n + 1 + opts.missed)
                    && !wait(&|opened, live| opened >= 2 && live >= 1)
                {
                    return;
                }
                server.publish_event(&e);
                published += 1;
                thread::sleep(opts.pace);
            }
        }
    }
    server.plan([Plan::Reply(Reply::error(END_STATUS, "Gone", END_MESSAGE))]);
    server.cut_streams(Cut::End);
}

/// A WebSocket client is live from its first subscription: waits (at most a second) until
/// it has sent nothing new for 50 ms, so that every stream it asked for is subscribed.
fn settle_subscriptions(server: &FakeServer) {
    let sent = || -> usize {
        server
            .ws_connections()
            .iter()
            .map(|c| c.messages.len())
            .sum()
    };
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut last = sent();
    let mut quiet_since = Instant::now();
    while Instant::now() < deadline && quiet_since.elapsed() < Duration::from_millis(50) {
        thread::sleep(Duration::from_millis(5));
        let now = sent();
        if now != last {
            last = now;
            quiet_since = Instant::now();
        }
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(f) = self.feeder.take() {
            let _ = f.join();
        }
    }
}
