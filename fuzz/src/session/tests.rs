use super::*;
use crate::date::Date;
use crate::head::{Head, Status};
use crate::values::{
    ChunkSize, Coding, Length, Location, RateLimit, Reset, RetryAfter, RetryField,
};
use crate::wire::Raw;

fn setup() -> Setup {
    Input::parse(&[0; 18]).unwrap().setup
}

fn head(status: u8, retry_after: RetryAfter) -> Head {
    Head {
        retry_after,
        ..Head::simple(status, 1)
    }
}

fn sample_ops() -> Vec<Op> {
    let date = Date {
        year: 9998,
        month: 11,
        day: 30,
        hour: 23,
        minute: 59,
        second: 59,
    };
    vec![
        Op::Connected { t: 0 },
        Op::ConnectFailed { t: 3 },
        Op::Data {
            t: 1,
            chunk: Chunk::Fragment { i: 7 },
        },
        Op::Data {
            t: 255,
            chunk: Chunk::Raw {
                bytes: Raw::text("abc"),
            },
        },
        Op::Data {
            t: 0,
            chunk: Chunk::Response {
                head: Head {
                    status: Status::Any { code: 65535 },
                    content_type: 3,
                    coding: Coding::Raw {
                        bytes: Raw::text("x"),
                    },
                    length: Length::Conflicting { n: u64::MAX },
                    retry_after: RetryAfter::Rfc850 { date: date.clone() },
                    location: Location::Long {
                        prefix: 1,
                        len: 9000,
                    },
                    rate_limit: RateLimit::Reset {
                        remaining: 0,
                        reset: Reset::Rfc3339 {
                            date,
                            frac: true,
                            offset: Some(-1),
                        },
                    },
                    filler: 200,
                    long: 65535,
                },
                body: Body { i: 3, end: true },
            },
        },
        Op::Data {
            t: 2,
            chunk: Chunk::Chunked {
                size: ChunkSize::Digits {
                    digits: Raw(vec![0xff; 40]),
                },
                data: Raw::text("x"),
            },
        },
        Op::Data {
            t: 2,
            chunk: Chunk::Retry {
                field: RetryField::Millis { ms: u64::MAX },
            },
        },
        Op::Eof { t: 2 },
        Op::Failed { t: 4 },
        Op::WsMessage {
            t: 0,
            message: Message::Fixture { i: 9 },
        },
        Op::WsMessage {
            t: 0,
            message: Message::Raw {
                bytes: Raw::default(),
            },
        },
        Op::WsFrame { t: 5 },
        Op::WsClose {
            t: 0,
            frame: Some(CloseFrame {
                code: CloseCode::Any { code: 4321 },
                reason: Raw::text("bye"),
            }),
        },
        Op::WsClose { t: 1, frame: None },
        Op::WsRejected {
            t: 0,
            head: head(2, RetryAfter::Secs { n: u64::MAX }),
            body: Raw::text("{\"error\":\"x\"}"),
        },
        Op::Drained { t: 0 },
        Op::Subscribe { c: 2 },
        Op::Unsubscribe { c: 1 },
        Op::Close,
        Op::AdvanceMs { ms: 65535 },
        Op::AdvanceSecs { secs: 1 },
        Op::ToDeadline,
        Op::StaleTimeout { ms: 500 },
    ]
}

#[test]
fn encoding_reads_back_as_the_same_input() {
    let mut setup = setup();
    setup.websocket = true;
    setup.limits = 0xa5;
    setup.backoff = 0x3f;
    setup.seed = 255;
    let input = Input {
        setup,
        ops: sample_ops(),
    };
    assert_eq!(Input::parse(&input.to_bytes()), Some(input.clone()));
    // And the harness survives it, on both transports.
    run(&input);
    let mut sse = input;
    sse.setup.websocket = false;
    run(&sse);
}

/// The harness is not vacuous: scripted SSE and WebSocket sessions go live, send their
/// request or subscriptions, deliver events, reconnect after the idle timeout, finish.
#[test]
fn scripted_sessions_run() {
    let mut setup = setup();
    setup.heartbeats = true;
    let data = |t, i| Op::Data {
        t,
        chunk: Chunk::Fragment { i },
    };
    let sse = Input {
        setup: setup.clone(),
        ops: vec![
            Op::Connected { t: 0 },
            data(0, 0),
            data(0, 1),
            data(0, 3),
            Op::AdvanceSecs { secs: 50 },
            Op::ToDeadline,
            Op::Connected { t: 0 },
            Op::Close,
            Op::Connected { t: 0 },
        ],
    };
    let summary = run(&sse);
    assert_eq!(summary.transports, 2, "{summary:?}");
    assert_eq!(summary.sent, 2, "{summary:?}");
    // The `:)` heartbeat and one update; then the idle timeout reconnects.
    assert_eq!(summary.events, 2, "{summary:?}");
    assert_eq!(summary.reconnects, (1, 0), "{summary:?}");
    assert!(summary.finished);
    setup.websocket = true;
    let ws = Input {
        setup,
        ops: vec![
            Op::Connected { t: 0 },
            Op::WsMessage {
                t: 0,
                message: Message::Fixture { i: 13 },
            },
            Op::Subscribe { c: 2 },
            Op::WsFrame { t: 0 },
            Op::WsClose {
                t: 0,
                frame: Some(CloseFrame {
                    code: CloseCode::Known { i: 1 },
                    reason: Raw::text("going away"),
                }),
            },
            Op::Eof { t: 0 },
            Op::ToDeadline,
            Op::Close,
        ],
    };
    let summary = run(&ws);
    // Subscribes `user` and `list 42` on connect, then `hashtag rust`.
    assert_eq!(summary.sent, 3, "{summary:?}");
    assert_eq!(summary.events, 1, "{summary:?}");
    assert_eq!(summary.transports, 2, "{summary:?}");
    assert!(summary.finished);
}

/// A `Retry-After` beyond the cap is capped and reported; one below it is waited out.
#[test]
fn server_delays_are_capped_and_honoured() {
    for (retry_after, capped) in [
        (RetryAfter::Short { n: 30 }, 0),
        (RetryAfter::Secs { n: u64::MAX }, 1),
        (
            RetryAfter::Digits {
                digits: Raw(vec![9; 40]),
            },
            1,
        ),
        (RetryAfter::FromNow { secs: 3600 }, 1),
    ] {
        let mut setup = setup();
        setup.catch_up = false;
        setup.max_server_delay = 0; // 15 minutes
        let ops = vec![
            Op::Connected { t: 0 },
            Op::Data {
                t: 0,
                chunk: Chunk::Response {
                    head: head(2, retry_after.clone()),
                    body: Body { i: 7, end: true },
                },
            },
            Op::ToDeadline,
            Op::Connected { t: 0 },
        ];
        let summary = run(&Input { setup, ops });
        assert_eq!(
            summary.reconnects,
            (1, capped),
            "{retry_after:?}: {summary:?}"
        );
        assert_eq!(summary.transports, 2, "{retry_after:?}: {summary:?}");
    }
}
