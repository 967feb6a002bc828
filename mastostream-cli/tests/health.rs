//! `mastostream health`: a healthy fake server, one that streams from another host, one
//! that answers 503 to everything (a hand-written loopback server), and none at all.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;

use common::{json_lines, run, text};
use mastostream_fake::{FakeServer, ServerOptions};

#[test]
fn a_healthy_instance_exits_0() {
    let server = FakeServer::start(ServerOptions::default());
    let url = server.url();
    let out = run(&["health", "--instance", &url]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        stdout,
        format!(
            "instance   {url}\n\
             streaming  {url} (configuration.urls.streaming in /api/v2/instance)\n\
             software   Mastodon 4.3.0\n\
             health     200 OK: healthy\n"
        )
    );
    let out = run(&["health", "--instance", &url, "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v = &json_lines(&text(&out.stdout))[0];
    assert_eq!(
        *v,
        serde_json::json!({"kind":"health","instance":url,"streaming":url,"source":"instance_v2",
            "reason":null,"software":"Mastodon 4.3.0","version":"4.3.0","status":200,"healthy":true})
    );
}

#[test]
fn a_separate_streaming_host_is_found_and_checked() {
    let server = FakeServer::start(ServerOptions {
        separate_streaming: true,
        ..ServerOptions::default()
    });
    let url = server.url();
    let streaming = server.streaming_url().replacen("ws://", "http://", 1);
    assert_ne!(url, streaming);
    let out = run(&["health", "--instance", &url, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v = &json_lines(&text(&out.stdout))[0];
    assert_eq!(v["streaming"], streaming.trim_end_matches('/'));
    assert_eq!(v["source"], "instance_v2");
    assert_eq!(v["healthy"], true);
    let health: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/v1/streaming/health")
        .collect();
    assert_eq!(health.len(), 1);
    assert!(health[0].streaming_port, "asked on the streaming host");
}

/// A server that answers every request `503` (no streaming URL, no health): the check
/// falls back to the instance URL and reports it unhealthy.
#[test]
fn an_unhealthy_instance_exits_1() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming().take(8) {
            let Ok(mut conn) = conn else { return };
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            let _ = conn.write_all(
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n\
                  Content-Length: 4\r\nConnection: close\r\n\r\ndown",
            );
        }
    });
    let out = run(&["health", "--instance", &url, "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v = &json_lines(&text(&out.stdout))[0];
    assert_eq!(v["source"], "fallback");
    assert!(
        v["reason"].as_str().is_some_and(|r| r.contains("503")),
        "{v}"
    );
    assert_eq!(
        (v["status"].as_u64(), v["healthy"].as_bool()),
        (Some(503), Some(false))
    );
    let out = run(&["health", "--instance", &url]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).ends_with("health     503 not OK: not healthy\n"));
}

#[test]
fn an_unreachable_instance_exits_1() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let out = run(&["health", "--instance", &url]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(
        stderr.starts_with("error: ") && stderr.lines().count() == 1,
        "{stderr}"
    );
    let out = run(&["health", "--instance", &url, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let v = &json_lines(&text(&out.stderr))[0];
    assert_eq!(v["kind"], "error");
    assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()));
}
