//! The WebSocket surfaces on real loopback sockets, async and blocking: the listener run
//! loop on a background task (and thread) with subscriptions changed from elsewhere,
//! refused subscriptions, the iterator, and the close frame. (`tail --ws` is checked in
//! `tests/tail.rs` with the other adapter's checks, the shared scenarios in
//! `tests/ws_scenarios.rs`, and the token's hygiene in `tests/token.rs`.)

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_lite::StreamExt;
use mastostream_smol::{Callbacks, Channel, Client, Item, PublicScope};
use mastostream_testkit::fake::{FakeServer, Plan, ServerOptions, WsConnection};

fn public() -> Channel {
    Channel::Public {
        scope: PublicScope::All,
        only_media: false,
    }
}

/// Polls `cond` every 2 ms until it holds; panics after 5 s.
fn until(what: &str, cond: impl Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{what} within 5 s"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn wait_ws(server: &FakeServer, pred: impl FnMut(&[WsConnection]) -> bool) -> bool {
    server.wait_ws(Duration::from_secs(5), pred)
}

type Log = Arc<Mutex<Vec<(String, String)>>>;

/// Callbacks that log `(stream, event kind)` for every live event.
fn logger(log: &Log) -> Callbacks<'static> {
    let log = log.clone();
    Callbacks::new().on_stream_event(move |stream, _, event| {
        log.lock()
            .unwrap()
            .push((stream.join(" "), event.kind().as_str().to_owned()));
    })
}

/// Publishes an update and its deletion once the server's newest WebSocket has two
/// subscriptions, and waits for the four events (two streams each) to be logged.
fn publish_to_two_streams(server: &FakeServer, log: &Log) {
    assert!(wait_ws(server, |ws| ws
        .last()
        .is_some_and(|c| c.subscriptions.len() == 2)));
    let id = server.publish_update();
    server.publish_delete(id);
    until("four events", || log.lock().unwrap().len() >= 4);
    assert_eq!(
        *log.lock().unwrap(),
        [
            ("hashtag rust".to_owned(), "update".to_owned()),
            ("public".to_owned(), "update".to_owned()),
            ("hashtag rust".to_owned(), "delete".to_owned()),
            ("public".to_owned(), "delete".to_owned()),
        ]
    );
}

#[test]
fn background_handle_subscribes_from_another_thread() {
    let server = FakeServer::start(ServerOptions::default());
    let client = Client::new(&server.url()).unwrap();
    let log = Log::default();
    // No stream at first: the connection opens with no subscription.
    let handle = client.websocket([]).spawn(logger(&log));
    until("receiving", || handle.is_receiving());
    assert!(handle.subscriptions().is_empty());
    let controller = handle.controller();
    std::thread::spawn(move || {
        controller.subscribe(Channel::hashtag("rust", false));
        controller.subscribe(public());
    })
    .join()
    .unwrap();
    publish_to_two_streams(&server, &log);
    assert_eq!(
        handle.subscriptions(),
        [Channel::hashtag("rust", false), public()]
    );
    // The first connection never subscribed the placeholder stream.
    let sent = &server.ws_connections()[0].messages;
    assert!(sent.iter().all(|m| !m.contains("\"user\"")), "{sent:?}");
    handle.close();
    smol::block_on(handle.join()).unwrap();
    assert_eq!(server.ws_connections()[0].client_close, Some(Some(1000)));
}

#[test]
fn a_refused_subscription_leaves_the_subscriptions() {
    let server = FakeServer::start(ServerOptions::default());
    server.forbid_list("42");
    let client = Client::new(&server.url()).unwrap();
    smol::block_on(async {
        let mut stream = client.websocket([public(), Channel::list("42")]);
        assert_eq!(stream.subscriptions(), [public(), Channel::list("42")]);
        loop {
            match stream.next().await.unwrap().unwrap() {
                Item::StreamError {
                    channel, status, ..
                } => {
                    assert_eq!(channel, Some(Channel::list("42")));
                    assert_eq!(status, Some(401));
                    break;
                }
                Item::Disconnected { error } => panic!("{error}"),
                _ => {}
            }
        }
        assert_eq!(stream.subscriptions(), [public()]);
        assert!(stream.is_receiving());
        stream.close();
        while let Some(item) = stream.next().await {
            item.unwrap();
        }
    });
}

#[test]
fn close_sends_a_close_frame_before_the_stream_ends() {
    let server = FakeServer::start(ServerOptions::default());
    let client = Client::new(&server.url()).unwrap();
    smol::block_on(async {
        let mut stream = client.websocket([public()]);
        while !matches!(stream.next().await, Some(Ok(Item::Connected { .. }))) {}
        stream.close();
        while let Some(item) = stream.next().await {
            item.unwrap();
        }
    });
    // The end of the stream waited for the close handshake: the server has the frame.
    let ws = server.ws_connections();
    assert_eq!(ws.len(), 1);
    assert_eq!(ws[0].client_close, Some(Some(1000)), "{ws:?}");
    assert!(wait_ws(&server, |ws| !ws[0].open));
}

#[test]
fn dropping_a_stream_still_sends_a_close_frame() {
    let server = FakeServer::start(ServerOptions::default());
    let client = Client::new(&server.url()).unwrap();
    smol::block_on(async {
        let mut stream = client.websocket([public()]);
        while !matches!(stream.next().await, Some(Ok(Item::Connected { .. }))) {}
    });
    assert!(
        wait_ws(&server, |ws| ws[0].client_close == Some(Some(1000))
            && !ws[0].open),
        "{:?}",
        server.ws_connections()
    );
}

#[test]
fn blocking_iterator_and_controller_from_another_thread() {
    let server = Arc::new(FakeServer::start(ServerOptions::default()));
    let client = mastostream_smol::blocking::Client::new(&server.url()).unwrap();
    let mut stream = client.websocket([public()]);
    let controller = stream.controller();
    let mut seen = Vec::new();
    let mut publisher = None;
    for item in stream.by_ref() {
        match item.unwrap() {
            Item::Connected { .. } => {
                // Another thread adds a stream, then publishes, while this one blocks in
                // `next`.
                let (c, server) = (controller.clone(), server.clone());
                publisher = Some(std::thread::spawn(move || {
                    c.subscribe(Channel::hashtag("rust", false));
                    let subscribed = wait_ws(&server, |ws| {
                        ws.last().is_some_and(|c| c.subscriptions.len() == 2)
                    });
                    server.publish_update();
                    subscribed
                }));
            }
            Item::StreamEvent { stream, event, .. } => {
                seen.push((stream.join(" "), event.kind().as_str().to_owned()));
                if seen.len() == 2 {
                    controller.close();
                }
            }
            _ => {}
        }
    }
    assert!(publisher.unwrap().join().unwrap(), "subscribed");
    assert_eq!(
        seen,
        [
            ("public".to_owned(), "update".to_owned()),
            ("hashtag rust".to_owned(), "update".to_owned()),
        ]
    );
    assert_eq!(
        stream.subscriptions(),
        [public(), Channel::hashtag("rust", false)]
    );
    assert_eq!(server.ws_connections()[0].client_close, Some(Some(1000)));
}

#[test]
fn blocking_spawn_runs_on_a_thread_with_a_websocket_handle() {
    let server = FakeServer::start(ServerOptions::default());
    let client = mastostream_smol::blocking::Client::new(&server.url()).unwrap();
    let log = Log::default();
    let handle = client
        .websocket([Channel::hashtag("rust", false)])
        .spawn(logger(&log));
    assert!(handle.is_alive());
    handle.subscribe(public());
    publish_to_two_streams(&server, &log);
    assert!(handle.is_receiving());
    handle.unsubscribe(Channel::hashtag("rust", false));
    assert_eq!(handle.subscriptions(), [public()]);
    assert!(wait_ws(&server, |ws| ws
        .last()
        .is_some_and(|c| c.subscriptions.len() == 1)));
    handle.close();
    handle.join().unwrap();
    assert_eq!(server.ws_connections()[0].client_close, Some(Some(1000)));
}

#[test]
fn closing_during_the_upgrade_ends_at_once() {
    let server = FakeServer::start(ServerOptions::default());
    // The server reads the upgrade request and never answers it.
    server.plan([Plan::Silent]);
    let client = Client::new(&server.url()).unwrap().discover(false);
    smol::block_on(async {
        let mut stream = client.websocket([public()]);
        while !server.requests().iter().any(|r| r.is_stream()) {
            let tick = async {
                smol::Timer::after(Duration::from_millis(5)).await;
                None
            };
            let _ = futures_lite::future::or(stream.next(), tick).await;
        }
        stream.close();
        let start = Instant::now();
        while let Some(item) = stream.next().await {
            item.unwrap();
        }
        // No close frame to send on a WebSocket not yet open: no grace period to wait either.
        assert!(
            start.elapsed() < Duration::from_millis(500),
            "{:?}",
            start.elapsed()
        );
    });
    assert!(server.ws_connections().is_empty());
}
