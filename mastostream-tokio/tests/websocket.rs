//! The WebSocket surfaces on real loopback sockets: the listener run loop on a background
//! task with subscriptions changed from another task, refused subscriptions, and the close
//! frame. (`tail --ws` is checked in `tests/tail.rs` with the other adapter's checks, and
//! the token's hygiene in `tests/token.rs`.)

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use mastostream_testkit::fake::{FakeServer, Plan, ServerOptions};
use mastostream_tokio::{Callbacks, Channel, Client, Item, PublicScope};

fn public() -> Channel {
    Channel::Public {
        scope: PublicScope::All,
        only_media: false,
    }
}

#[tokio::test]
async fn background_handle_subscribes_from_another_task() {
    let server = Arc::new(FakeServer::start(ServerOptions::default()));
    let client = Client::new(&server.url()).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    // No stream at first: the connection opens with no subscription.
    let handle =
        client
            .websocket([])
            .spawn(Callbacks::new().on_stream_event(move |stream, _, event| {
                log.lock()
                    .unwrap()
                    .push((stream.join(" "), event.kind().as_str().to_owned()));
            }));
    while !handle.is_receiving() {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert!(handle.subscriptions().is_empty());
    let controller = handle.controller();
    tokio::spawn(async move {
        controller.subscribe(Channel::hashtag("rust", false));
        controller.subscribe(public());
    })
    .await
    .unwrap();
    let s = server.clone();
    tokio::task::spawn_blocking(move || {
        assert!(s.wait_ws(Duration::from_secs(5), |ws| {
            ws.last().is_some_and(|c| c.subscriptions.len() == 2)
        }));
    })
    .await
    .unwrap();
    let id = server.publish_update();
    server.publish_delete(id);
    while seen.lock().unwrap().len() < 4 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let got = seen.lock().unwrap().clone();
    assert_eq!(
        got,
        [
            ("hashtag rust".to_owned(), "update".to_owned()),
            ("public".to_owned(), "update".to_owned()),
            ("hashtag rust".to_owned(), "delete".to_owned()),
            ("public".to_owned(), "delete".to_owned()),
        ]
    );
    assert_eq!(
        handle.subscriptions(),
        [Channel::hashtag("rust", false), public()]
    );
    // The first connection never subscribed the placeholder stream.
    let sent = &server.ws_connections()[0].messages;
    assert!(sent.iter().all(|m| !m.contains("\"user\"")), "{sent:?}");
    handle.close();
    tokio::time::timeout(Duration::from_secs(5), handle.join())
        .await
        .expect("closed within 5 s")
        .unwrap();
}

#[tokio::test]
async fn a_refused_subscription_leaves_the_subscriptions() {
    let server = FakeServer::start(ServerOptions::default());
    server.forbid_list("42");
    let client = Client::new(&server.url()).unwrap();
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
}

/// Waits (on a blocking thread) until the server's WebSockets satisfy `pred`.
async fn wait_ws(
    server: &Arc<FakeServer>,
    pred: impl FnMut(&[mastostream_testkit::fake::WsConnection]) -> bool + Send + 'static,
) -> bool {
    let s = server.clone();
    tokio::task::spawn_blocking(move || s.wait_ws(Duration::from_secs(5), pred))
        .await
        .unwrap()
}

#[tokio::test]
async fn close_sends_a_close_frame_before_the_stream_ends() {
    let server = Arc::new(FakeServer::start(ServerOptions::default()));
    let client = Client::new(&server.url()).unwrap();
    let mut stream = client.websocket([public()]);
    while !matches!(stream.next().await, Some(Ok(Item::Connected { .. }))) {}
    stream.close();
    while let Some(item) = stream.next().await {
        item.unwrap();
    }
    // The end of the stream waited for the close handshake: the server has the frame.
    let ws = server.ws_connections();
    assert_eq!(ws.len(), 1);
    assert_eq!(ws[0].client_close, Some(Some(1000)), "{ws:?}");
    assert!(wait_ws(&server, |ws| !ws[0].open).await);
}

#[tokio::test]
async fn dropping_a_stream_still_sends_a_close_frame() {
    let server = Arc::new(FakeServer::start(ServerOptions::default()));
    let client = Client::new(&server.url()).unwrap();
    let mut stream = client.websocket([public()]);
    while !matches!(stream.next().await, Some(Ok(Item::Connected { .. }))) {}
    drop(stream);
    assert!(
        wait_ws(&server, |ws| ws[0].client_close == Some(Some(1000))
            && !ws[0].open)
        .await,
        "{:?}",
        server.ws_connections()
    );
}

#[tokio::test]
async fn closing_during_the_upgrade_ends_at_once() {
    let server = FakeServer::start(ServerOptions::default());
    // The server reads the upgrade request and never answers it.
    server.plan([Plan::Silent]);
    let client = Client::new(&server.url()).unwrap().discover(false);
    let mut stream = client.websocket([public()]);
    while !server.requests().iter().any(|r| r.is_stream()) {
        let _ = tokio::time::timeout(Duration::from_millis(5), stream.next()).await;
    }
    stream.close();
    let start = std::time::Instant::now();
    while let Some(item) = stream.next().await {
        item.unwrap();
    }
    // No close frame to send on a WebSocket not yet open: no grace period to wait either.
    assert!(
        start.elapsed() < Duration::from_millis(500),
        "{:?}",
        start.elapsed()
    );
    assert!(server.ws_connections().is_empty());
}
