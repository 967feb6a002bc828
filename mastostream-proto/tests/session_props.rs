//! Property test: any sequence of adapter inputs and time jumps keeps the Session's
//! contract — no panic, no deadline in the past after `handle_timeout`, nothing after
//! `Finished`, no transmit on a transport that is not connected or was closed, buffers
//! within their limits.

mod sim;

use std::collections::HashSet;
use std::time::Duration;

use bytes::Bytes;
use mastostream_proto::session::{
    Instance, Machine, Output, Session, SessionConfig, TransportError, TransportId,
};
use mastostream_proto::{Channel, Limits, http::Token};
use proptest::prelude::*;
use sim::*;

#[derive(Debug, Clone)]
enum Op {
    Connected(usize),
    ConnectFailed(usize),
    Data(usize, usize),
    Eof(usize),
    IoError(usize),
    Advance(u64),
    Close,
    WsMessage(usize, usize),
    WsFrame(usize),
    Subscribe(bool),
}

fn ws_messages() -> Vec<Bytes> {
    vec![
        Bytes::from(format!(
            r#"{{"stream":["public"],"event":"update","payload":{}}}"#,
            serde_json::to_string(&status_json(&sid(5))).unwrap()
        )),
        Bytes::from_static(
            br#"{"stream":["hashtag","rust"],"event":"delete","payload":"110000000000000003"}"#,
        ),
        Bytes::from_static(br#"{"error":"Not authorized to stream this list","status":401}"#),
        Bytes::from_static(br#"{"stream":["user"],"event":"notifications_merged","payload":"1"}"#),
        Bytes::from_static(b"garbage"),
    ]
}

fn fragments() -> Vec<Bytes> {
    vec![
        Bytes::from_static(SSE_HEAD),
        chunk(b":)\n"),
        chunk(b":thump\n"),
        event("update", &status_json(&sid(5))),
        event("update", &status_json(&sid(9))),
        event("delete", &sid(3)),
        event("notification", &notification_json(&sid(4))),
        event("update", "{\"id\":"),
        chunk(b"retry: 0\n"),
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
        json_response("200 OK", &format!("[{}]", status_json(&sid(7))), ""),
        json_response("200 OK", "[]", ""),
        json_response("200 OK", "not json", ""),
        Bytes::from_static(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 0\r\n\r\n",
        ),
        Bytes::from_static(b"SSH-2.0-nope\r\n\r\n"),
        Bytes::from_static(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0usize..8).prop_map(Op::Connected),
        1 => (0usize..8).prop_map(Op::ConnectFailed),
        6 => ((0usize..8), (0usize..23)).prop_map(|(t, f)| Op::Data(t, f)),
        1 => (0usize..8).prop_map(Op::Eof),
        1 => (0usize..8).prop_map(Op::IoError),
        3 => prop_oneof![0u64..2_000, 0u64..120_000].prop_map(Op::Advance),
        1 => Just(Op::Close),
        3 => ((0usize..8), (0usize..5)).prop_map(|(t, m)| Op::WsMessage(t, m)),
        1 => (0usize..8).prop_map(Op::WsFrame),
        1 => any::<bool>().prop_map(Op::Subscribe),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_op_sequence_keeps_the_contract(ops in prop::collection::vec(op(), 1..120), catch_up in any::<bool>(), websocket in any::<bool>()) {
        let instance = Instance::parse("https://m.example").unwrap();
        let mut cfg = if websocket {
            SessionConfig::websocket(instance, Channel::User, vec![Channel::list("42")])
        } else {
            SessionConfig::new(instance, Channel::User)
        }
        .token(Token::new("tok"));
        cfg.catch_up.enabled = catch_up;
        cfg.catch_up.max_held = 4;
        cfg.limits = Limits { max_line: 1024, max_event: 2048, ..Limits::default() };
        let frags = fragments();
        let msgs = ws_messages();
        let mut now = t0();
        let mut s = Session::new(cfg, now, wall0());
        let mut known: Vec<TransportId> = Vec::new();
        let mut connected: HashSet<TransportId> = HashSet::new();
        let mut closed: HashSet<TransportId> = HashSet::new();
        let mut finished = false;

        for op in ops {
            match op {
                Op::Connected(i) => if let Some(&t) = known.get(i) {
                    s.handle_connected(t, now);
                    if !closed.contains(&t) { connected.insert(t); }
                },
                Op::ConnectFailed(i) => if let Some(&t) = known.get(i) {
                    s.handle_connect_failed(t, TransportError::new(std::io::ErrorKind::ConnectionRefused, "refused"), now);
                },
                Op::Data(i, f) => if let Some(&t) = known.get(i) { s.handle_data(t, frags[f].clone(), now) },
                Op::Eof(i) => if let Some(&t) = known.get(i) { s.handle_eof(t, now) },
                Op::IoError(i) => if let Some(&t) = known.get(i) {
                    s.handle_io_error(t, TransportError::new(std::io::ErrorKind::ConnectionReset, "reset"), now);
                },
                Op::Advance(ms) => {
                    now += Duration::from_millis(ms);
                    s.handle_timeout(now);
                }
                Op::Close => s.close(now),
                Op::WsMessage(i, m) => if let Some(&t) = known.get(i) { s.handle_ws_message(t, msgs[m].clone(), now) },
                Op::WsFrame(i) => if let Some(&t) = known.get(i) { s.handle_ws_frame(t, now) },
                Op::Subscribe(true) => s.subscribe(Channel::hashtag("rust", false), now),
                Op::Subscribe(false) => s.unsubscribe(&Channel::list("42"), now),
            }
            while let Some(out) = s.poll() {
                prop_assert!(!finished, "output after Finished: {out:?}");
                match out {
                    Output::Connect { transport, .. } => {
                        prop_assert!(!known.contains(&transport), "transport id reused");
                        known.push(transport);
                    }
                    Output::Transmit { transport, .. } => {
                        prop_assert!(connected.contains(&transport) && !closed.contains(&transport));
                    }
                    Output::Close { transport } => { closed.insert(transport); }
                    Output::ConnectWebSocket { transport, .. } => known.push(transport),
                    Output::SendText { transport, .. } => {
                        prop_assert!(connected.contains(&transport) && !closed.contains(&transport));
                    }
                    Output::Item(_) => {}
                    Output::Finished(_) => finished = true,
                }
            }
            if let Op::Advance(_) = op && let Some(deadline) = s.poll_timeout() {
                prop_assert!(deadline > now, "deadline {deadline:?} not after now {now:?}");
            }
            let (bytes, held) = s.buffered();
            prop_assert!(bytes <= 16 * 1024 + 2048 + 1024, "buffered {bytes}");
            prop_assert!(held <= 4);
            if finished {
                prop_assert!(s.poll_timeout().is_none());
            }
        }
    }
}
