//! The client's surfaces on real loopback sockets: the demo end to end (nothing lost or
//! duplicated), the Listener run loop and background handle (token hygiene: `token.rs`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use mastostream_testkit::corpus::{self, EventKind, GeneratedEvent};
use mastostream_testkit::fake::demo::{self, Demo, DemoOptions};
use mastostream_testkit::fake::{FakeServer, Plan, Reply, ServerOptions};
use mastostream_tokio::{Backoff, Callbacks, Client, Event, Item, Listener};

fn fast_backoff(client: Client) -> Client {
    client.configure(|c| {
        c.backoff = Backoff {
            min: Duration::from_millis(5),
            initial: Duration::from_millis(10),
            ..Backoff::default()
        };
    })
}

#[tokio::test]
async fn demo_stream_arrives_whole_with_a_drop_and_catch_up() {
    let opts = DemoOptions {
        events: 160,
        drop_after: Some(70),
        missed: 25,
        pace: Duration::from_millis(1),
        ..DemoOptions::default()
    };
    let demo = Demo::start(opts.clone());
    let client = fast_backoff(Client::new(&demo.url()).unwrap());
    let mut stream = client.stream_user();
    let (mut statuses, mut notifications, mut recovered) = (Vec::new(), Vec::new(), 0);
    let end = loop {
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
    };
    assert_eq!(end.status(), Some(demo::END_STATUS));
    assert_eq!(end.server_message(), Some(demo::END_MESSAGE));
    let (mut want_s, mut want_n) = (Vec::new(), Vec::new());
    for item in corpus::events(&demo::corpus_config(&opts)) {
        if let GeneratedEvent::Event(e) = item {
            match e.kind {
                EventKind::Update => want_s.push(e.id.unwrap()),
                EventKind::Notification => want_n.push(e.id.unwrap()),
                _ => {}
            }
        }
    }
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
    fn on_update(&mut self, _: Box<mastostream_tokio::proto::model::Status>) {
        self.updates += 1;
    }
    fn on_connect(&mut self, _: String) {
        self.connects += 1;
    }
}

#[tokio::test]
async fn background_handle_with_callbacks_closes_cleanly() {
    let server = FakeServer::start(ServerOptions::default());
    let client = Client::new(&server.url()).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let handle = client
        .stream_public(mastostream_tokio::PublicScope::All, false)
        .spawn(Callbacks::new().on_update(move |s| log.lock().unwrap().push(s.id)));
    while !handle.is_receiving() {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert!(handle.is_alive());
    let id = server.publish_update();
    while seen.lock().unwrap().is_empty() {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(seen.lock().unwrap()[0], id.to_string().as_str());
    handle.close();
    let check = tokio::time::timeout(Duration::from_secs(5), async {
        while handle.is_alive() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    });
    check.await.expect("closed within 5 s");
    assert!(!handle.is_receiving());
    handle.join().await.unwrap();
}

#[tokio::test]
async fn run_loop_drives_a_listener_until_a_fatal_error() {
    let server = FakeServer::start(ServerOptions::default());
    server.plan([
        Plan::Stream(mastostream_testkit::fake::StreamPlan {
            cut: Some((2, mastostream_testkit::fake::Cut::End)),
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
    let err = stream.run(&mut listener).await.unwrap_err();
    feeder.join().unwrap();
    assert_eq!(err.status(), Some(401));
    assert_eq!(
        err.server_message(),
        Some("This action is outside the authorized scopes")
    );
    assert_eq!(listener.updates, 2);
    assert_eq!(listener.connects, 1);
}

#[tokio::test]
async fn health_and_discovery_over_tls() {
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
}
