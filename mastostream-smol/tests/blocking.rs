//! The blocking API on real loopback sockets, with no async runtime in sight: a listener run
//! in place until a fatal error (Mastodon.py's `run_async=False`), a background thread with
//! its handle (`run_async=True`), the iterator with reconnect and catch-up, closing from
//! another thread, and health and discovery.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mastostream_smol::blocking::Client;
use mastostream_smol::{Backoff, Callbacks, Event, Item, Listener};
use mastostream_testkit::corpus::{self, EventKind, GeneratedEvent};
use mastostream_testkit::demo::{self, Demo, DemoOptions};
use mastostream_testkit::fake::{Cut, FakeServer, Plan, Reply, ServerOptions, StreamPlan};
use mastostream_testkit::scenarios::is_timeline;

fn fast_backoff(client: Client) -> Client {
    client.configure(|c| {
        c.backoff = Backoff {
            min: Duration::from_millis(5),
            initial: Duration::from_millis(10),
            ..Backoff::default()
        };
    })
}

/// Polls `cond` every 2 ms until it holds; panics after `limit`.
fn until(limit: Duration, what: &str, cond: impl Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "{what} within {limit:?}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[derive(Default)]
struct Recorder {
    updates: Vec<String>,
    seen: Arc<AtomicUsize>,
    recovered: usize,
    connects: usize,
    disconnects: usize,
}

impl Listener for Recorder {
    fn on_update(&mut self, status: Box<mastostream_smol::proto::model::Status>) {
        self.updates.push(status.id.as_str().to_owned());
        self.seen.fetch_add(1, Ordering::SeqCst);
    }
    fn on_recovered(&mut self, event: Event) {
        self.recovered += 1;
        mastostream_smol::proto::listener::dispatch_event(self, event);
    }
    fn on_connect(&mut self, _: String) {
        self.connects += 1;
    }
    fn on_disconnect(&mut self, _: mastostream_smol::Error) {
        self.disconnects += 1;
    }
}

#[test]
fn run_blocks_calling_the_listener_and_catches_up_after_a_drop() {
    let server = Arc::new(FakeServer::start(ServerOptions::default()));
    server.plan([
        Plan::Stream(StreamPlan {
            cut: Some((2, Cut::DropMidEvent)),
            ..StreamPlan::default()
        }),
        Plan::default(),
        Plan::Reply(Reply::unauthorized("Invalid access token")),
    ]);
    let client = fast_backoff(Client::new(&server.url()).unwrap().discover(false));
    let mut recorder = Recorder::default();
    let (s, seen) = (server.clone(), recorder.seen.clone());
    let feeder = std::thread::spawn(move || {
        let timelines = || s.requests().iter().filter(|r| is_timeline(&r.path)).count();
        // The anchors first (home, notifications), so that the drop can be caught up.
        until(Duration::from_secs(5), "anchors", || {
            s.live_streams() == 1 && timelines() >= 2
        });
        // Two live, the third cut mid-event, the fourth published while disconnected.
        let mut ids: Vec<u64> = (0..4).map(|_| s.publish_update()).collect();
        until(Duration::from_secs(5), "the reconnect", || {
            s.streams_opened() == 2 && s.live_streams() == 1
        });
        ids.push(s.publish_update());
        until(Duration::from_secs(5), "five updates", || {
            seen.load(Ordering::SeqCst) == 5
        });
        s.restart(); // drops the stream; the reconnect gets the 401
        ids
    });
    let err = client.stream_user().run(&mut recorder).unwrap_err();
    let ids = feeder.join().unwrap();
    assert_eq!(err.status(), Some(401));
    let want: Vec<String> = ids.iter().map(u64::to_string).collect();
    assert_eq!(
        recorder.updates, want,
        "every update exactly once, in order"
    );
    assert_eq!(
        recorder.recovered, 2,
        "the cut and the missed update come over REST"
    );
    assert_eq!(recorder.connects, 2);
    assert_eq!(recorder.disconnects, 2);
    assert_eq!(
        server.requests().iter().filter(|r| r.is_stream()).count(),
        3
    );
}

#[test]
fn spawn_runs_on_a_thread_with_a_handle() {
    let server = FakeServer::start(ServerOptions::default());
    let client = Client::new(&server.url()).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let handle = client
        .stream_hashtag("rust")
        .spawn(Callbacks::new().on_update(move |s| log.lock().unwrap().push(s.id)));
    until(Duration::from_secs(5), "receiving", || {
        handle.is_receiving()
    });
    assert!(handle.is_alive());
    let id = server.publish_update();
    until(Duration::from_secs(5), "the update", || {
        !seen.lock().unwrap().is_empty()
    });
    assert_eq!(seen.lock().unwrap()[0], id.to_string().as_str());
    handle.close();
    until(Duration::from_secs(5), "closed", || !handle.is_alive());
    assert!(!handle.is_receiving());
    handle.join().unwrap();
    // The server notices a closed connection when it writes to it.
    until(Duration::from_secs(5), "the connection closed", || {
        server.heartbeat();
        server.wait_until(Duration::from_millis(20), |_, live, _| live == 0)
    });
}

#[test]
fn join_returns_the_fatal_error() {
    let server = FakeServer::start(ServerOptions {
        token: Some("right".into()),
        ..ServerOptions::default()
    });
    let client = Client::new(&server.url()).unwrap().token("wrong");
    let handle = client.stream_notifications().spawn(Callbacks::new());
    let err = handle.join().unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.server_message(), Some("Invalid access token"));
}

#[test]
#[should_panic(expected = "listener bug")]
fn join_reraises_a_listener_panic() {
    let server = FakeServer::start(ServerOptions::default());
    let client = Client::new(&server.url()).unwrap().discover(false);
    let handle = client
        .stream_local()
        .spawn(Callbacks::new().on_connect(|_| panic!("listener bug")));
    let _ = handle.join();
}

#[test]
fn the_iterator_delivers_the_demo_whole_and_a_closer_ends_it() {
    let opts = DemoOptions {
        events: 120,
        drop_after: Some(50),
        missed: 20,
        pace: Duration::from_millis(1),
        ..DemoOptions::default()
    };
    let demo = Demo::start(opts.clone());
    let client = fast_backoff(Client::new(&demo.url()).unwrap());
    let mut statuses = Vec::new();
    let mut recovered = 0;
    let mut end = None;
    for item in client.stream_user() {
        match item {
            Ok(Item::Event(e)) => {
                if let Event::Update(s) = &e.event {
                    recovered += usize::from(e.recovered);
                    statuses.push(s.id.as_str().parse::<u64>().unwrap());
                }
            }
            Ok(_) => {}
            Err(e) => end = Some(e),
        }
    }
    let end = end.expect("the demo ends with its 410");
    assert_eq!(end.server_message(), Some(demo::END_MESSAGE));
    let want: Vec<u64> = corpus::events(&demo::corpus_config(&opts))
        .filter_map(|e| match e {
            GeneratedEvent::Event(e) if e.kind == EventKind::Update => e.id,
            _ => None,
        })
        .collect();
    assert_eq!(statuses, want, "every status exactly once, in order");
    assert!(recovered > 0, "the drop must be caught up");
}

#[test]
fn a_stream_blocked_in_next_is_closed_from_another_thread() {
    let server = FakeServer::start(ServerOptions::default());
    let mut stream = Client::new(&server.url())
        .unwrap()
        .discover(false)
        .stream_user();
    let closer = stream.controller();
    // The iterator runs on a thread of its own, so that a close that does not work fails
    // this test (after 10 s) instead of hanging it.
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let first = stream.next();
        tx.send(("first", format!("{first:?}"))).unwrap();
        // Nothing is published: this `next` blocks until the close.
        let rest: Vec<String> = stream
            .by_ref()
            .filter(|r| !matches!(r, Ok(Item::Event(e)) if e.event.is_heartbeat()))
            .map(|r| format!("{r:?}"))
            .collect();
        let ended = stream.next().is_none() && !stream.is_receiving();
        tx.send(("rest", format!("{rest:?} {ended}"))).unwrap();
    });
    let (_, first) = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the first item");
    assert!(first.contains("Connected"), "{first}");
    until(Duration::from_secs(10), "the server's live stream", || {
        server.live_streams() == 1
    });
    closer.close();
    let (_, rest) = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the close to end the blocked iterator");
    assert_eq!(rest, "[] true", "a clean end, and it stays ended");
    reader.join().unwrap();
}

#[test]
fn health_and_discovery_block() {
    let server = FakeServer::start(ServerOptions {
        separate_streaming: true,
        ..ServerOptions::default()
    });
    let client = Client::new(&server.url()).unwrap();
    assert!(client.stream_healthy().unwrap());
    let home = mastostream_smol::Timeline::Home;
    assert_eq!(client.newest_id(&home).unwrap(), None, "an empty home");
    let id = [server.publish_update(), server.publish_update()][1];
    let newest = client.newest_id(&home).unwrap();
    assert_eq!(
        newest.as_ref().map(|i| i.as_str()),
        Some(id.to_string().as_str())
    );
    let found = client.discover_streaming_url().unwrap().unwrap();
    assert_eq!(
        found.to_string(),
        server.streaming_url().replacen("ws", "http", 1)
    );
    // Streams follow the discovered URL, as the async client's do.
    let handle = client.stream_direct().spawn(Callbacks::new());
    until(Duration::from_secs(5), "receiving", || {
        handle.is_receiving()
    });
    handle.close();
    handle.join().unwrap();
    assert!(
        server
            .requests()
            .iter()
            .filter(|r| r.is_stream())
            .all(|r| r.streaming_port)
    );
}
