//! The server on real loopback sockets, driven by raw clients.

mod auth;
mod dialects;
mod publish;
mod util;
mod ws;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use util::{get, read_until};

use crate::*;

#[test]
fn streams_mastodons_bytes_and_serves_pages() {
    let server = FakeServer::start(ServerOptions {
        token: Some("tok".into()),
        ..ServerOptions::default()
    });
    let mut tcp = TcpStream::connect(server.addr()).unwrap();
    tcp.write_all(
        b"GET /api/v1/streaming/user HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok\r\n\r\n",
    )
    .unwrap();
    let mut seen = Vec::new();
    read_until(&mut tcp, &mut seen, b"3\r\n:)\n\r\n");
    assert!(seen.starts_with(b"HTTP/1.1 200 OK\r\n"));
    assert!(server.wait_until(Duration::from_secs(5), |_, live, _| live == 1));
    let id = server.publish_update();
    server.heartbeat();
    read_until(&mut tcp, &mut seen, b":thump\n");
    let text = String::from_utf8_lossy(&seen);
    assert!(text.contains("e\r\nevent: update\n\r\n"), "{text}");
    assert!(text.contains(&format!("data: {{\"id\":\"{id}\"")), "{text}");
    // The stored status is on the REST timelines, with Link headers.
    let page = get(
        &server,
        "/api/v1/timelines/home?limit=5",
        "Authorization: Bearer tok\r\n",
    );
    assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
    assert!(
        page.contains(&format!("min_id={id}>; rel=\"prev\"")),
        "{page}"
    );
    let empty = get(
        &server,
        &format!("/api/v1/timelines/home?min_id={id}"),
        "Authorization: Bearer tok\r\n",
    );
    assert!(
        empty.ends_with("\r\n\r\n[]") && !empty.contains("Link:"),
        "{empty}"
    );
    // Auth and channel errors are Mastodon's.
    let denied = get(&server, "/api/v1/streaming/public", "");
    assert!(
        denied.starts_with("HTTP/1.1 401 ")
            && denied.ends_with("{\"error\":\"Missing access token\"}")
    );
    let bad = get(
        &server,
        "/api/v1/streaming/hashtag",
        "Authorization: Bearer tok\r\n",
    );
    assert!(
        bad.starts_with("HTTP/1.1 400 ")
            && bad.ends_with("{\"error\":\"Missing tag name parameter\"}")
    );
    let reqs = server.requests();
    assert_eq!(reqs[0].header("authorization"), Some("Bearer tok"));
    assert_eq!(reqs.len(), 5);
}

#[test]
fn plans_cut_streams_mid_event_and_answer_errors() {
    let server = FakeServer::start(ServerOptions::default());
    server.plan([
        Plan::Reply(Reply::too_many_requests(7)),
        Plan::Stream(StreamPlan {
            cut: Some((1, Cut::DropMidEvent)),
            ..StreamPlan::default()
        }),
    ]);
    let limited = get(&server, "/api/v1/streaming/public", "");
    assert!(limited.starts_with("HTTP/1.1 429 ") && limited.contains("Retry-After: 7\r\n"));
    let mut tcp = TcpStream::connect(server.addr()).unwrap();
    tcp.write_all(b"GET /api/v1/streaming/public HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut seen = Vec::new();
    read_until(&mut tcp, &mut seen, b":)\n");
    assert!(server.wait_until(Duration::from_secs(5), |_, live, _| live == 1));
    server.publish_update();
    server.publish_update();
    tcp.read_to_end(&mut seen).unwrap();
    let text = String::from_utf8_lossy(&seen);
    assert_eq!(text.matches("event: update").count(), 2);
    assert!(
        !text.ends_with("\n\n\r\n"),
        "the second event is cut: {text}"
    );
    assert!(!text.contains("0\r\n\r\n"));
    assert_eq!(server.live_streams(), 0);
    assert_eq!(server.stored(Collection::Statuses), 2);
}

#[test]
fn tls_with_the_test_ca() {
    let server = FakeServer::start(ServerOptions {
        tls: true,
        ..ServerOptions::default()
    });
    let ca = server.ca().unwrap();
    assert!(ca.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.ca_der().clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, TcpStream::connect(server.addr()).unwrap());
    tls.write_all(b"GET /api/v1/streaming/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut out = Vec::new();
    let _ = tls.read_to_end(&mut out);
    assert!(
        out.ends_with(b"\r\n\r\nOK"),
        "{}",
        String::from_utf8_lossy(&out)
    );
    assert!(server.url().starts_with("https://127.0.0.1:"));
    assert!(server.streaming_url().starts_with("wss://127.0.0.1:"));
}

#[test]
fn separate_streaming_port_is_named_by_the_instance() {
    let server = FakeServer::start(ServerOptions {
        separate_streaming: true,
        ..ServerOptions::default()
    });
    let info = get(&server, "/api/v2/instance", "");
    let url = server.streaming_url();
    assert!(info.contains(&format!("\"streaming\":\"{url}\"")), "{info}");
    assert_ne!(url, server.url().replace("http", "ws"));
    let refused = get(&server, "/api/v1/streaming/user", "");
    assert!(refused.starts_with("HTTP/1.1 404 "));
}
