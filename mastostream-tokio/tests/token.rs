//! Token hygiene: the access token is sent as a header on every request (the WebSocket
//! upgrade too) and never appears in `Debug` output, errors, URLs or traces.
//!
//! Alone in its test binary on purpose: tracing caches each callsite's interest globally,
//! and with a thread-local subscriber (`set_default`) another test thread that reaches a
//! callsite first, without a subscriber, can leave it disabled for this one (the traces
//! then miss events the adapter does emit).

use std::collections::HashSet;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use mastostream_testkit::fake::{FakeServer, Plan, Reply, ServerOptions};
use mastostream_tokio::{Backoff, Channel, Client, Event, Item};

fn fast_backoff(client: Client) -> Client {
    client.configure(|c| {
        c.backoff = Backoff {
            min: Duration::from_millis(5),
            initial: Duration::from_millis(10),
            ..Backoff::default()
        };
    })
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
async fn the_token_never_appears_in_debug_errors_or_traces() {
    const SECRET: &str = "SECRET-token-5c1f9a";
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
    server.plan([
        Plan::Reply(Reply::unavailable(None)),
        Plan::default(),
        Plan::Reply(Reply::unauthorized("Invalid access token")),
    ]);
    let client = fast_backoff(
        Client::new(&server.url())
            .unwrap()
            .add_root_certificate(server.ca().unwrap().ca_der().clone())
            .unwrap()
            .token(SECRET),
    );
    let mut stream = client.stream_user();
    let mut shown = format!("{client:?} {stream:?}");
    let mut updates = HashSet::new();
    let end = loop {
        match stream.next().await {
            Some(Ok(item)) => {
                shown.push_str(&format!("{item:?}"));
                if let Item::Connected { url } = &item {
                    shown.push_str(url);
                    server.publish_update();
                }
                if let Item::Event(Event::Update(s)) = &item {
                    updates.insert(s.id.clone());
                    server.restart();
                }
            }
            Some(Err(e)) => break e,
            None => panic!("must end with the 401"),
        }
    };
    shown.push_str(&format!("{end} {end:?} {}", end.summary_json()));
    assert_eq!(end.status(), Some(401));
    assert_eq!(updates.len(), 1);
    let traces = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        traces.contains("connected"),
        "tracing must report connects: {traces}"
    );
    assert!(traces.contains("reconnecting"), "and backoff waits");
    assert!(!shown.contains(SECRET), "token in Debug or errors: {shown}");
    assert!(!traces.contains(SECRET), "token in traces");
    // It was sent, as a header, on every request.
    let requests = server.requests();
    assert!(requests.iter().filter(|r| r.is_stream()).count() >= 3);
    for r in requests {
        assert!(!r.target.contains(SECRET));
        if r.is_stream() {
            assert_eq!(
                r.header("authorization"),
                Some(format!("Bearer {SECRET}").as_str())
            );
        }
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
