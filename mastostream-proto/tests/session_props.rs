//! Property test: any sequence of adapter inputs and time jumps keeps the Session's
//! contract — no panic, no deadline in the past after `handle_timeout`, nothing after
//! `Finished`, no transmit on a transport that is not connected or was closed, buffers
//! within their limits.

use std::collections::HashSet;
use std::time::Duration;

use bytes::Bytes;
use mastostream_proto::session::{
    Close, Command, Input, Instance, Machine, Output, Session, SessionConfig, TransportError,
    TransportId,
};
use mastostream_proto::testing::*;
use mastostream_proto::{Channel, Limits, http::Token};
use proptest::prelude::*;

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

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0usize..8).prop_map(Op::Connected),
        1 => (0usize..8).prop_map(Op::ConnectFailed),
        6 => ((0usize..8), (0usize..64)).prop_map(|(t, f)| Op::Data(t, f)),
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
            SessionConfig::websocket(instance, [Channel::User, Channel::list("42")])
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

        let mut closing: HashSet<TransportId> = HashSet::new();
        for op in ops {
            let advancing = matches!(op, Op::Advance(_));
            let pick = |i: usize| known.get(i).copied();
            let input = match op {
                Op::Connected(i) => pick(i).map(|t| {
                    if !closed.contains(&t) { connected.insert(t); }
                    Input::Connected(t)
                }),
                Op::ConnectFailed(i) => pick(i).map(|t| Input::ConnectFailed(t, TransportError::new(std::io::ErrorKind::ConnectionRefused, "refused"))),
                Op::Data(i, f) => pick(i).map(|t| Input::Data(t, frags[f % frags.len()].clone())),
                Op::Eof(i) => pick(i).map(Input::Eof),
                Op::IoError(i) => pick(i).map(|t| Input::Failed(t, TransportError::new(std::io::ErrorKind::ConnectionReset, "reset"))),
                Op::Advance(ms) => {
                    now += Duration::from_millis(ms);
                    Some(Input::Timeout)
                }
                Op::Close => Some(Input::Command(Command::Close)),
                Op::WsMessage(i, m) => pick(i).map(|t| Input::WsMessage(t, msgs[m].clone())),
                Op::WsFrame(i) => pick(i).map(Input::WsFrame),
                Op::Subscribe(true) => Some(Input::Command(Command::Subscribe(Channel::hashtag("rust")))),
                Op::Subscribe(false) => Some(Input::Command(Command::Unsubscribe(Channel::list("42")))),
            };
            if let Some(input) = input {
                s.handle_input(input, now);
            }
            let deadline = loop {
                let out = s.poll_output();
                if let Output::Wait { deadline } = out {
                    break deadline;
                }
                prop_assert!(!finished, "output after Finished: {out:?}");
                match out {
                    Output::Connect { transport, .. } => {
                        prop_assert!(!known.contains(&transport), "transport id reused");
                        known.push(transport);
                    }
                    Output::Transmit { transport, .. } => {
                        prop_assert!(connected.contains(&transport) && !closed.contains(&transport));
                    }
                    Output::Close { transport, how: Close::Now } => {
                        prop_assert!(!closed.contains(&transport), "closed twice");
                        closed.insert(transport);
                    }
                    Output::Close { transport, .. } => { closing.insert(transport); }
                    Output::ConnectWebSocket { transport, .. } => known.push(transport),
                    Output::SendText { transport, .. } => {
                        prop_assert!(connected.contains(&transport) && !closed.contains(&transport) && !closing.contains(&transport));
                    }
                    Output::Item(_) => {}
                    Output::Finished(_) => {
                        finished = true;
                        for t in &known {
                            prop_assert!(closed.contains(t), "transport {t} left open at Finished");
                        }
                    }
                    _ => {}
                }
            };
            if let (true, Some(d)) = (advancing, deadline) {
                prop_assert!(d > now, "deadline {d:?} not after now {now:?}");
            }
            let (bytes, held) = s.buffered();
            prop_assert!(bytes <= 16 * 1024 + 2048 + 1024, "buffered {bytes}");
            prop_assert!(held <= 4);
            if finished {
                prop_assert!(deadline.is_none());
                prop_assert!(s.is_finished());
            }
        }
    }
}
