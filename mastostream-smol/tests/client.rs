//! The async client's surfaces on real loopback sockets: the demo end to end (nothing lost
//! or duplicated), the Listener run loop and background handle (token hygiene: `token.rs`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_lite::StreamExt;
use mastostream_smol::{Backoff, Callbacks, Client, Event, Item, Listener};
use mastostream_testkit::corpus::{self, EventKind, GeneratedEvent};
use mastostream_testkit::fake::demo::{self, Demo, DemoOptions};
use mastostream_testkit::fake::{Cut, FakeServer, Plan, Reply, ServerOptions, StreamPlan};
use smol::Timer;

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
async fn until(limit: Duration, what: &str, cond: impl Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "{what} within {limit:?}");
        Timer::after(Duration::from_millis(2)).await;
    }
}

/// The ids of every status and notification the demo publishes, in order.
fn demo_ids(opts: &DemoOptions) -> (Vec<u64>, Vec<u64>) {
    let (mut statuses, mut notifications) = (Vec::new(), Vec::new());
    for item in corpus::events(&demo::corpus_config(opts)) {
        if let GeneratedEvent::Event(e) = item {
            match e.kind {
                EventKind::Update => statuses.push(e.id.unwrap()),
                EventKind::Notification => notifications.push(e.id.unwrap()),
                _ => {}
            }
        }
    }
    (statuses, notifications)
}

#[test]
fn demo_stream_arrives_whole_with_a_drop_and_catch_up() {
    let opts = DemoOptions {
        events: 160,
        drop_after: Some(70),
        missed: 25,
        pace: Duration::from_millis(1),
        ..DemoOptions::default()
    };
    let demo = Demo::start(opts.clone());
    let client = fast_backoff(Client::new(&demo.url()).unwrap());
    let (mut statuses, mut notifications, mut recovered) = (Vec::new(), Vec::new(), 0);
    let end = smol::block_on(async {
        let mut stream = client.stream_user();
        loop {
            match stream.next().await {
                Some(Ok(item)) => {
                    let (event, was_recovered) = match item {
                        Item::Event(e) => (e, false),
                        Item::Recovered(e) => (e, true),
                        _ => continue,
                    };
                    recovered += usize::from(was_recovered);
                    match event {
                        Event::Update(s) => statuses.push(s.id.as_str().parse::<u64>().unwrap()),
                        Event::Notification(n) => {
                            notifications.push(n.id.as_str().parse::<u64>().unwrap())
                        }
                        _ => {}
                    }
                }
                Some(Err(e)) => break e,
                None => panic!("the demo must end with its 410"),
            }
        }
    });
    assert_eq!(end.status(), Some(demo::END_STATUS));
    assert_eq!(end.server_message(), Some(demo::END_MESSAGE));
    let (want_s, want_n) = demo_ids(&opts);
    assert_eq!(statuses, want_s, "every status exactly once, in order");
    assert_eq!(
        notifications, want_n,
        "every notification exactly once, in order"
    );
    assert!(recovered > 0, "the drop must be caught up");
    assert_eq!(demo.server().streams_opened(), 2);
}

#[derive(Default)]
struct Counter {
    updates: usize,
    connects: usize,
}

impl Listener for Counter {
    fn on_update(&mut self, _: Box<mastostream_smol::proto::model::Status>) {
        self.updates += 1;
    }
    fn on_connect(&mut self, _: String) {
        self.connects += 1;
    }
}

#[test]
fn background_handle_with_callbacks_closes_cleanly() {
    let server = FakeServer::start(ServerOptions::default());
    let client = Client::new(&server.url()).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let handle = client
        .stream_public(mastostream_smol::PublicScope::All, false)
        .spawn(Callbacks::new().on_update(move |s| log.lock().unwrap().push(s.id)));
    smol::block_on(async {
        until(Duration::from_secs(5), "receiving", || {
            handle.is_receiving()
        })
        .await;
        assert!(handle.is_alive());
        let id = server.publish_update();
        until(Duration::from_secs(5), "the update", || {
            !seen.lock().unwrap().is_empty()
        })
        .await;
        assert_eq!(seen.lock().unwrap()[0], id.to_string().as_str());
        handle.close();
        until(Duration::from_secs(5), "closed", || !handle.is_alive()).await;
        assert!(!handle.is_receiving());
        handle.join().await.unwrap();
    });
}

#[test]
fn dropping_the_handle_leaves_the_stream_running() {
    let server = FakeServer::start(ServerOptions::default());
    let client = Client::new(&server.url()).unwrap().discover(false);
    let seen = Arc::new(Mutex::new(0usize));
    let log = seen.clone();
    let handle = client
        .stream_local()
        .spawn(Callbacks::new().on_update(move |_| *log.lock().unwrap() += 1));
    smol::block_on(async {
        until(Duration::from_secs(5), "receiving", || {
            handle.is_receiving()
        })
        .await;
        drop(handle);
        server.publish_update();
        until(Duration::from_secs(5), "an update after the drop", || {
            *seen.lock().unwrap() == 1
        })
        .await;
    });
    assert_eq!(server.live_streams(), 1, "still connected");
}

#[test]
fn run_loop_drives_a_listener_until_a_fatal_error() {
    let server = FakeServer::start(ServerOptions::default());
    server.plan([
        Plan::Stream(StreamPlan {
            cut: Some((2, Cut::End)),
            ..Default::default()
        }),
        Plan::Reply(Reply::unauthorized(
            "This action is outside the authorized scopes",
        )),
    ]);
    let client = fast_backoff(Client::new(&server.url()).unwrap().discover(false));
    let mut listener = Counter::default();
    let stream = client.stream_user();
    let server = Arc::new(server);
    let s = server.clone();
    let feeder = std::thread::spawn(move || {
        assert!(s.wait_until(Duration::from_secs(5), |_, live, _| live == 1));
        s.publish_update();
        s.publish_update();
        s.publish_update();
    });
    let err = smol::block_on(stream.run(&mut listener)).unwrap_err();
    feeder.join().unwrap();
    assert_eq!(err.status(), Some(401));
    assert_eq!(
        err.server_message(),
        Some("This action is outside the authorized scopes")
    );
    assert_eq!(listener.updates, 2);
    assert_eq!(listener.connects, 1);
}

#[test]
#[should_panic(expected = "listener bug")]
fn join_reraises_a_listener_panic() {
    let server = FakeServer::start(ServerOptions::default());
    let client = Client::new(&server.url()).unwrap().discover(false);
    let handle = client
        .stream_local()
        .spawn(Callbacks::new().on_connect(|_| panic!("listener bug")));
    let _ = smol::block_on(handle.join());
}

#[test]
fn health_and_discovery_over_tls() {
    let server = FakeServer::start(ServerOptions {
        tls: true,
        separate_streaming: true,
        ..ServerOptions::default()
    });
    let ca = server.ca().unwrap().ca_der().clone();
    let client = Client::new(&server.url())
        .unwrap()
        .add_root_certificate(ca)
        .unwrap();
    smol::block_on(async {
        assert!(client.stream_healthy().await.unwrap());
        let found = client.discover_streaming_url().await.unwrap().unwrap();
        assert_eq!(
            found.to_string(),
            server.streaming_url().replacen("wss", "https", 1)
        );
        // Without the test CA, TLS must fail: the stream never connects.
        let untrusted = Client::new(&server.url()).unwrap().discover(false);
        let err = untrusted.stream_healthy().await.unwrap_err();
        assert!(err.to_string().contains("connect failed"), "{err}");
    });
}
