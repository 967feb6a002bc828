//! WebSocket sessions, and proto's vectors as raw bytes.

use super::*;

/// Writes the WebSocket scenarios.
pub fn ws(out: &mut Seeds) {
    // WebSocket: subscriptions, events on each stream, errors, unsubscribe, pings, close
    // frames, the idle timeout, refused upgrades.
    // (No anchor fetch: transport 0 stays the WebSocket until it reconnects.)
    let ws = Setup {
        websocket: true,
        anchor: false,
        ..setup()
    };
    let mut ops = vec![Op::Connected { t: 0 }];
    ops.extend((0..26).map(|i| Op::WsMessage {
        t: 0,
        message: Message::Fixture { i },
    }));
    ops.extend([
        Op::Subscribe { c: 2 },
        Op::Subscribe { c: 7 },
        Op::WsMessage {
            t: 0,
            message: Message::Fixture { i: 20 },
        },
        Op::Unsubscribe { c: 1 },
        Op::WsFrame { t: 0 },
        Op::AdvanceSecs { secs: 80 },
        Op::Drained { t: 0 },
        Op::AdvanceSecs { secs: 100 },
        Op::ToDeadline,
        Op::WsRejected {
            t: 0,
            head: with_retry_after(status::S503, RetryAfter::Short { n: 20 }),
            body: Raw::text("Service Unavailable"),
        },
        Op::ToDeadline,
        Op::WsRejected {
            t: 0,
            head: Head {
                location: Location::Fixed { i: 4 },
                ..Head::simple(status::S301, 7)
            },
            body: Raw::default(),
        },
        Op::ToDeadline,
        Op::Connected { t: 0 },
        Op::WsClose {
            t: 0,
            frame: Some(CloseFrame {
                code: CloseCode::Known { i: 1 },
                reason: Raw::text("going away"),
            }),
        },
        Op::WsMessage {
            t: 0,
            message: Message::Fixture { i: 14 },
        },
        Op::AdvanceMs { ms: 999 },
        Op::ToDeadline,
        Op::Connected { t: 0 },
        Op::WsClose { t: 0, frame: None },
        Op::Eof { t: 0 },
        Op::ToDeadline,
        Op::Connected { t: 0 },
        Op::WsClose {
            t: 0,
            frame: Some(CloseFrame {
                code: CloseCode::Any { code: 65535 },
                reason: Raw(vec![0xff; 200]),
            }),
        },
        Op::WsFrame { t: 0 },
        Op::Failed { t: 0 },
        Op::ToDeadline,
        Op::Connected { t: 0 },
        Op::Close,
        Op::WsMessage {
            t: 0,
            message: Message::Fixture { i: 13 },
        },
        Op::WsClose { t: 0, frame: None },
        Op::AdvanceMs { ms: 1000 },
    ]);
    add(out, "ws_subscriptions", ws.clone(), ops.clone());
    add(
        out,
        "ws_small_limits",
        Setup {
            limits: 0xff,
            max_held: 1,
            simd_json: true,
            channel: 5,
            ..ws.clone()
        },
        ops,
    );
    let mut ops = vec![];
    for i in 0..22 {
        ops.extend([
            Op::Connected { t: 0 },
            Op::WsClose {
                t: 0,
                frame: Some(CloseFrame {
                    code: CloseCode::Known { i },
                    reason: Raw::text("bye"),
                }),
            },
            Op::ToDeadline,
            Op::ToDeadline,
        ]);
    }
    ops.extend([
        Op::WsRejected {
            t: 0,
            head: Head {
                filler: 255,
                ..with_retry_after(status::S401, RetryAfter::Secs { n: 1 })
            },
            body: Raw::text(r#"{"error":"Invalid access token"}"#),
        },
        Op::Connected { t: 0 },
    ]);
    add(out, "ws_close_codes", ws.clone(), ops);

    // WebSocket: proto's small message fixtures as raw (mutable) messages.
    let mut ops = vec![Op::Connected { t: 0 }];
    for entry in sorted(&Path::new(PROTO).join("fixtures/ws")) {
        let bytes = std::fs::read(&entry).expect("fixture");
        if bytes.len() <= 255 {
            ops.push(Op::WsMessage {
                t: 0,
                message: Message::Raw { bytes: Raw(bytes) },
            });
        }
    }
    ops.extend([
        Op::WsMessage {
            t: 0,
            message: Message::Raw {
                bytes: Raw::text("[1]"),
            },
        },
        Op::Eof { t: 0 },
    ]);
    add(
        out,
        "ws_raw_fixtures",
        Setup {
            catch_up: false,
            ..ws
        },
        ops,
    );
}

/// Writes proto's HTTP and SSE vectors as sessions.
pub fn vectors(out: &mut Seeds) {
    // SSE: proto's HTTP vectors as the stream's bytes, then a reconnect.
    for name in [
        "mastodon_chunked_stream",
        "interim_100_then_200",
        "chunk_extensions_and_trailers",
        "chunked_invalid_size_keeps_earlier_events",
        "close_delimited_body",
        "content_length_body",
        "eof_mid_event_between_chunks",
        "redirect_301",
        "status_401_x_error_message",
        "status_500_plain_text",
        "wrong_content_type",
    ] {
        let bytes = std::fs::read(Path::new(PROTO).join(format!("vectors/http/{name}.http")))
            .expect("vector");
        let mut ops = vec![Op::Connected { t: 0 }];
        ops.extend(raw(0, &bytes));
        ops.extend([Op::Eof { t: 0 }, Op::ToDeadline, Op::Connected { t: 0 }]);
        ops.extend(raw(0, &bytes));
        add(out, &format!("http_{name}"), plain(), ops);
    }

    // SSE: proto's SSE vectors as a close-delimited body.
    let mut ops = vec![Op::Connected { t: 0 }, data(0, frag::HEAD_UNTIL_EOF)];
    for entry in sorted(&Path::new(PROTO).join("vectors/sse")) {
        if entry.extension().is_some_and(|e| e == "sse") {
            let bytes = std::fs::read(&entry).expect("vector");
            if bytes.len() <= 64 {
                ops.extend(raw(0, &bytes));
                ops.extend(raw(0, b"\n\n"));
            }
        }
    }
    ops.push(Op::Eof { t: 0 });
    add(out, "sse_vectors", plain(), ops);
}
