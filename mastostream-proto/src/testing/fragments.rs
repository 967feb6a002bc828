//! A palette of server bytes that property tests and fuzz targets pick from by index.

use std::sync::OnceLock;

use bytes::Bytes;

use super::wire::{
    SSE_HEAD, chunk, conversation_json, event, json_response, notification_json, page, sid,
    status_json,
};

/// Mastodon 4's `/api/v2/instance`, naming a separate streaming host.
pub const INSTANCE_V2: &str = r#"{"domain":"m.example","version":"4.3.2","configuration":{"urls":{"streaming":"wss://streaming.m.example"}}}"#;
/// `/api/v2/instance` naming a plain-`ws` streaming URL on the instance's own host.
pub const INSTANCE_V2_PLAIN: &str =
    r#"{"version":"4.3.2","configuration":{"urls":{"streaming":"ws://m.example"}}}"#;
/// `/api/v2/instance` naming a streaming URL on another host, port and path.
pub const INSTANCE_V2_OTHER: &str = r#"{"version":"4.3.2","configuration":{"urls":{"streaming":"wss://other.example:8443/prefix"}}}"#;
/// Pleroma's `/api/v1/instance` (`urls.streaming_api`).
pub const INSTANCE_V1: &str =
    r#"{"version":"2.7.2 (compatible; Pleroma 2.5.0)","urls":{"streaming_api":"wss://m.example"}}"#;

/// Pieces of what a server writes, for property tests and fuzz targets to feed by index
/// (modulo the length): stream responses, REST responses for catch-up and discovery, error
/// responses with absurd `Retry-After`s, and garbage. The order is fixed: fuzz seeds name
/// fragments by index.
pub fn fragments() -> &'static [Bytes] {
    static FRAGMENTS: OnceLock<Vec<Bytes>> = OnceLock::new();
    FRAGMENTS.get_or_init(|| {
        let statuses: Vec<String> = (10..22).rev().map(|n| status_json(&sid(n))).collect();
        let home = "/api/v1/timelines/home";
        vec![
            Bytes::from_static(SSE_HEAD),
            chunk(b":)\n"),
            chunk(b":thump\n"),
            event("update", &status_json(&sid(5))),
            event("update", &status_json(&sid(9))),
            event("status.update", &status_json(&sid(5))),
            event("delete", &sid(3)),
            event("notification", &notification_json(&sid(4))),
            event("conversation", &conversation_json(&sid(6), &sid(7))),
            event("update", "{\"id\":"),
            chunk(b"retry: 0\n"),
            chunk(b"retry: 100000\n"),
            chunk(b"event: update\ndata: {\"id\":\"1"),
            chunk(&[b'x'; 3000]),
            Bytes::from_static(b"0\r\n\r\n"),
            Bytes::from_static(b"zz\r\n"),
            json_response(
                "401 Unauthorized",
                r#"{"error":"Invalid access token"}"#,
                "",
            ),
            json_response("429 Too Many Requests", "{}", "Retry-After: 5\r\n"),
            json_response(
                "503 Service Unavailable",
                "{}",
                "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n",
            ),
            json_response(
                "301 Moved Permanently",
                "",
                "Location: /api/v1/streaming/user\r\n",
            ),
            json_response(
                "302 Found",
                "",
                "Location: https://other.example/api/v1/streaming/user\r\n",
            ),
            json_response("307 Temporary Redirect", "", "Location: http://[::1\r\n"),
            page(&[status_json(&sid(7))], home, &sid(7), &sid(7)),
            page(&statuses, home, &sid(10), &sid(21)),
            json_response("200 OK", "[]", ""),
            json_response("200 OK", "not json", ""),
            page(
                &[notification_json(&sid(8))],
                "/api/v1/notifications",
                &sid(8),
                &sid(8),
            ),
            page(
                &[conversation_json(&sid(11), &sid(12))],
                "/api/v1/conversations",
                &sid(11),
                &sid(11),
            ),
            Bytes::from_static(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 0\r\n\r\n",
            ),
            Bytes::from_static(b"SSH-2.0-nope\r\n\r\n"),
            Bytes::from_static(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"),
            Bytes::from_static(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"),
            Bytes::from(format!(
                "event: update\ndata: {}\n\n:thump\n",
                status_json(&sid(13))
            )),
            Bytes::from_static(b"HTTP/1.1 100 Continue\r\n\r\n"),
            Bytes::from_static(b"\r\n"),
            json_response("200 OK", INSTANCE_V2, ""),
            json_response("200 OK", INSTANCE_V2_PLAIN, ""),
            json_response("200 OK", INSTANCE_V1, ""),
            json_response(
                "429 Too Many Requests",
                "{}",
                "Retry-After: 99999999999999999999999999999999999999\r\n",
            ),
            json_response(
                "503 Service Unavailable",
                "{}",
                "Retry-After: Fri, 31 Dec 9999 23:59:59 GMT\r\n",
            ),
            chunk(b"retry: 18446744073709551616\n"),
        ]
    })
}
