//! The WebSocket surfaces on real loopback sockets: the listener run loop on a background
//! task with subscriptions changed from another task, refused subscriptions, and token
//! hygiene. (`tail --ws` is checked in `tests/tail.rs`, with the other adapter's checks.)

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use mastostream_testkit::fake::{FakeServer, ServerOptions};
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

/// Collects everything tracing writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_token_stays_in_the_upgrade_header_over_tls() {
    const SECRET: &str = "SECRET-ws-token-77e1";
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let server = FakeServer::start(ServerOptions {
        tls: true,
        token: Some(SECRET.into()),
        ..ServerOptions::default()
    });
    let client = Client::new(&server.url())
        .unwrap()
        .add_root_certificate(server.ca().unwrap().ca_der().clone())
        .unwrap()
        .token(SECRET);
    let mut stream = client.websocket([Channel::User]);
    let mut shown = format!("{client:?} {stream:?}");
    loop {
        let item = stream.next().await.unwrap().unwrap();
        shown.push_str(&format!("{item:?}"));
        match item {
            Item::Connected { .. } => {
                server.revoke_token();
                server.restart();
            }
            Item::Reconnecting { .. } => break,
            _ => {}
        }
    }
    let end = stream.next().await;
    let Some(Err(e)) = &end else {
        panic!("the revoked token must end it: {end:?}")
    };
    assert_eq!(e.status(), Some(401));
    shown.push_str(&format!("{e} {e:?}"));
    let traces = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(traces.contains("opening WebSocket"), "{traces}");
    assert!(!shown.contains(SECRET), "token in Debug or errors: {shown}");
    assert!(!traces.contains(SECRET), "token in traces");
    let upgrades: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.is_stream())
        .collect();
    assert_eq!(upgrades.len(), 2);
    for r in upgrades {
        assert!(r.tls && !r.target.contains(SECRET));
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {SECRET}").as_str())
        );
    }
}
