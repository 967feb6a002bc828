//! Bytes as a Mastodon server writes them, for tests and fuzzers: stream heads, chunks,
//! events, small entities, REST responses.

use bytes::Bytes;

/// A stream response head as Mastodon sends it.
pub const SSE_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nCache-Control: private, no-store\r\n\r\n";

/// One HTTP chunk.
pub fn chunk(data: &[u8]) -> Bytes {
    let mut b = format!("{:x}\r\n", data.len()).into_bytes();
    b.extend_from_slice(data);
    b.extend_from_slice(b"\r\n");
    Bytes::from(b)
}

/// An SSE event as Mastodon writes it, in one chunk.
pub fn event(name: &str, data: &str) -> Bytes {
    chunk(format!("event: {name}\ndata: {data}\n\n").as_bytes())
}

/// A snowflake-like id: `n` scaled into Mastodon's range (> 2^53).
pub fn sid(n: u64) -> String {
    (110_000_000_000_000_000 + n).to_string()
}

/// A small account.
pub fn account_json(n: u64) -> String {
    format!(
        r#"{{"id":"{n}","username":"user{n}","acct":"user{n}@example.org","display_name":"User {n}","url":"https://example.org/@user{n}","created_at":"2024-01-01T00:00:00.000Z"}}"#
    )
}

/// A small status.
pub fn status_json(id: &str) -> String {
    format!(
        r#"{{"id":"{id}","created_at":"2026-11-23T08:00:00.000Z","visibility":"public","uri":"https://example.org/s/{id}","content":"<p>status {id}</p>","account":{}}}"#,
        account_json(7)
    )
}

/// A small mention notification.
pub fn notification_json(id: &str) -> String {
    format!(
        r#"{{"id":"{id}","type":"mention","created_at":"2026-11-23T08:00:00.000Z","account":{},"status":{}}}"#,
        account_json(8),
        status_json(&format!("9{id}"))
    )
}

/// A small conversation whose last status is `last`.
pub fn conversation_json(id: &str, last: &str) -> String {
    format!(
        r#"{{"id":"{id}","unread":true,"accounts":[{}],"last_status":{}}}"#,
        account_json(9),
        status_json(last)
    )
}

/// An HTTP response with a JSON body; `headers` are extra header lines, each ending in
/// CRLF.
pub fn json_response(status: &str, body: &str, headers: &str) -> Bytes {
    Bytes::from(format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json; charset=utf-8\r\n{headers}Content-Length: {}\r\n\r\n{body}",
        body.len()
    ))
}

/// A REST page of `items` (newest first) with Mastodon's `Link` header.
pub fn page(items: &[String], path: &str, oldest: &str, newest: &str) -> Bytes {
    let link = format!(
        "Link: <https://m.example{path}?max_id={oldest}>; rel=\"next\", <https://m.example{path}?min_id={newest}>; rel=\"prev\"\r\n"
    );
    json_response("200 OK", &format!("[{}]", items.join(",")), &link)
}
