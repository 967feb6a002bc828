//! Writes the `session_ops` seeds: scripted sessions (SSE and WebSocket, going live,
//! catching up, redirected, refused, timing out) and proto's HTTP, SSE and WebSocket vectors
//! fed as raw bytes, each encoded as a `session_ops` input. Every seed is run through the
//! target's checks first, and its summary printed.
//!
//! ```sh
//! cd fuzz && cargo +nightly run --example session_seeds -- seeds/session_ops
//! cargo +nightly run --example session_seeds -- --show artifacts/session_ops/crash-…
//! ```

use std::path::{Path, PathBuf};

use mastostream_fuzz::session::{Chunk, Input, Message, Op, Raw, Rejection, Setup, run};

const PROTO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../mastostream-proto/tests");

/// Fragment indices (see `mastostream_fuzz::session::fragments`).
mod frag {
    pub const HEAD: u8 = 0;
    pub const HELLO: u8 = 1;
    pub const THUMP: u8 = 2;
    pub const UPDATE_5: u8 = 3;
    pub const UPDATE_9: u8 = 4;
    pub const EDIT_5: u8 = 5;
    pub const DELETE_3: u8 = 6;
    pub const NOTIFICATION_4: u8 = 7;
    pub const CONVERSATION_6: u8 = 8;
    pub const BAD_UPDATE: u8 = 9;
    pub const RETRY_0: u8 = 10;
    pub const LONG_LINE: u8 = 13;
    pub const LAST_CHUNK: u8 = 14;
    pub const STATUS_401: u8 = 16;
    pub const STATUS_429: u8 = 17;
    pub const STATUS_503: u8 = 18;
    pub const STATUS_301: u8 = 19;
    pub const STATUS_302: u8 = 20;
    pub const PAGE_ONE: u8 = 22;
    pub const PAGE_TWELVE: u8 = 23;
    pub const PAGE_EMPTY: u8 = 24;
    pub const NOTIFICATIONS: u8 = 26;
    pub const HTML: u8 = 28;
    pub const HEAD_UNTIL_EOF: u8 = 31;
}

fn setup() -> Setup {
    Setup {
        websocket: false,
        catch_up: true,
        anchor: true,
        heartbeats: true,
        simd_json: false,
        token: true,
        channel: 0,
        limits: 0,
        max_held: 3,
        max_attempts: 0,
        max_redirects: 3,
        pages: 1,
        max_body: 0,
        seed: 7,
    }
}

fn data(t: u8, f: u8) -> Op {
    Op::Data(t, Chunk::Fragment(f))
}

fn raw(t: u8, bytes: &[u8]) -> Vec<Op> {
    bytes
        .chunks(255)
        .map(|c| Op::Data(t, Chunk::Raw(Raw(c.to_vec()))))
        .collect()
}

fn live(events: &[u8]) -> Vec<Op> {
    let mut ops = vec![Op::Connected(0), data(0, frag::HEAD), data(0, frag::HELLO)];
    ops.extend(events.iter().map(|&f| data(0, f)));
    ops
}

fn scenarios() -> Vec<(String, Input)> {
    let mut out = Vec::new();
    let mut add = |name: &str, setup: Setup, ops: Vec<Op>| {
        out.push((name.to_owned(), Input { setup, ops }));
    };

    // SSE: live, anchored, events, a dropped stream, catch-up of twelve statuses.
    let mut ops = live(&[frag::UPDATE_5, frag::NOTIFICATION_4]);
    // Anchor fetches (home, notifications): each is the newest transport.
    ops.extend([
        Op::Connected(0),
        data(0, frag::PAGE_ONE),
        Op::Connected(0),
        data(0, frag::NOTIFICATIONS),
        data(2, frag::UPDATE_9),
        data(2, frag::THUMP),
        Op::IoError(2),
        Op::ToDeadline,
        Op::Connected(0),
        data(0, frag::HEAD),
        data(0, frag::UPDATE_9),
        Op::Connected(0),
        data(1, frag::EDIT_5),
        data(1, frag::DELETE_3),
        data(1, frag::UPDATE_5),
        data(0, frag::PAGE_TWELVE),
        Op::Connected(0),
        data(0, frag::PAGE_EMPTY),
        Op::Connected(0),
        data(0, frag::NOTIFICATIONS),
        Op::AdvanceSecs(30),
        data(0, frag::THUMP),
        Op::AdvanceSecs(60),
        Op::ToDeadline,
        Op::Close,
    ]);
    add("sse_catch_up", setup(), ops.clone());
    add(
        "sse_catch_up_small_limits",
        Setup {
            limits: 0x5f,
            max_held: 0,
            simd_json: true,
            pages: 0,
            max_body: 4,
            ..setup()
        },
        ops,
    );

    // SSE without catch-up: heartbeats, bad events, a long line, retry, the end of the body.
    add(
        "sse_plain",
        Setup {
            catch_up: false,
            channel: 4,
            ..setup()
        },
        {
            let mut ops = live(&[
                frag::THUMP,
                frag::BAD_UPDATE,
                frag::CONVERSATION_6,
                frag::RETRY_0,
                frag::LONG_LINE,
                frag::UPDATE_9,
                frag::LAST_CHUNK,
            ]);
            ops.extend([
                Op::StaleTimeout(1000),
                Op::ToDeadline,
                Op::Connected(0),
                Op::AdvanceSecs(16),
                Op::ToDeadline,
                Op::Connected(0),
                data(0, frag::HEAD_UNTIL_EOF),
                data(0, 32),
                Op::Eof(0),
                Op::Eof(1),
                Op::ToDeadline,
            ]);
            ops
        },
    );

    // SSE: redirects, a retried 429 / 503, an HTML answer, then a fatal 401.
    add(
        "sse_redirects_and_errors",
        Setup {
            catch_up: false,
            channel: 2,
            ..setup()
        },
        vec![
            Op::Connected(0),
            data(0, frag::STATUS_301),
            Op::Connected(0),
            data(0, frag::STATUS_302),
            Op::Connected(0),
            data(0, frag::STATUS_429),
            Op::ToDeadline,
            Op::Connected(0),
            data(0, frag::STATUS_503),
            Op::ToDeadline,
            Op::Connected(0),
            data(0, frag::HTML),
            Op::ToDeadline,
            Op::Connected(0),
            data(0, frag::STATUS_401),
            Op::AdvanceSecs(600),
            Op::Connected(0),
        ],
    );

    // SSE: connection refused until the session gives up.
    add(
        "sse_gives_up",
        Setup {
            max_attempts: 2,
            ..setup()
        },
        vec![
            Op::ConnectFailed(0),
            Op::ToDeadline,
            Op::AdvanceMs(10_000),
            Op::ToDeadline,
            Op::ConnectFailed(0),
            Op::ToDeadline,
        ],
    );

    // WebSocket: subscriptions, events on each stream, errors, unsubscribe, pings, the idle
    // timeout, refused upgrades.
    // (No anchor fetch: transport 0 stays the WebSocket until it reconnects.)
    let ws = Setup {
        websocket: true,
        anchor: false,
        ..setup()
    };
    let mut ops = vec![Op::Connected(0)];
    ops.extend((0..26).map(|i| Op::WsMessage(0, Message::Fixture(i))));
    ops.extend([
        Op::Subscribe(2),
        Op::Subscribe(7),
        Op::WsMessage(0, Message::Fixture(20)),
        Op::WsMessage(0, Message::Fixture(13)),
        Op::Unsubscribe(1),
        Op::WsFrame(0),
        Op::AdvanceSecs(80),
        Op::WsFrame(0),
        Op::AdvanceSecs(100),
        Op::ToDeadline,
        Op::WsRejected(
            0,
            Rejection {
                status: 6,
                retry_after: 20,
                location: 0,
                body: Raw(b"Service Unavailable".to_vec()),
            },
        ),
        Op::ToDeadline,
        Op::WsRejected(
            0,
            Rejection {
                status: 8,
                retry_after: 0,
                location: 2,
                body: Raw(Vec::new()),
            },
        ),
        Op::Connected(0),
        Op::WsMessage(0, Message::Fixture(14)),
        Op::Connected(0),
        data(0, frag::PAGE_TWELVE),
        Op::IoError(1),
        Op::ToDeadline,
        Op::WsRejected(
            0,
            Rejection {
                status: 0,
                retry_after: 0,
                location: 0,
                body: Raw(br#"{"error":"Invalid access token"}"#.to_vec()),
            },
        ),
    ]);
    add("ws_subscriptions", ws.clone(), ops.clone());
    add(
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

    // WebSocket: proto's small message fixtures as raw (mutable) messages.
    let mut ops = vec![Op::Connected(0)];
    for entry in sorted(&Path::new(PROTO).join("fixtures/ws")) {
        let bytes = std::fs::read(&entry).expect("fixture");
        if bytes.len() <= 255 {
            ops.push(Op::WsMessage(0, Message::Raw(Raw(bytes))));
        }
    }
    ops.extend([
        Op::WsMessage(0, Message::Raw(Raw(b"[1]".to_vec()))),
        Op::Eof(0),
    ]);
    add(
        "ws_raw_fixtures",
        Setup {
            catch_up: false,
            ..ws
        },
        ops,
    );

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
        let mut ops = vec![Op::Connected(0)];
        ops.extend(raw(0, &bytes));
        ops.extend([Op::Eof(0), Op::ToDeadline, Op::Connected(0)]);
        ops.extend(raw(0, &bytes));
        add(
            &format!("http_{name}"),
            Setup {
                catch_up: false,
                ..setup()
            },
            ops,
        );
    }

    // SSE: proto's SSE vectors as a close-delimited body.
    let mut ops = vec![Op::Connected(0), data(0, frag::HEAD_UNTIL_EOF)];
    for entry in sorted(&Path::new(PROTO).join("vectors/sse")) {
        if entry.extension().is_some_and(|e| e == "sse") {
            let bytes = std::fs::read(&entry).expect("vector");
            if bytes.len() <= 64 {
                ops.extend(raw(0, &bytes));
                ops.extend(raw(0, b"\n\n"));
            }
        }
    }
    ops.push(Op::Eof(0));
    add(
        "sse_vectors",
        Setup {
            catch_up: false,
            ..setup()
        },
        ops,
    );
    out
}

fn sorted(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("directory")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    entries
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag, file] if flag == "--show" => {
            let bytes = std::fs::read(file).expect("input file");
            let input = Input::parse(&bytes).expect("a session_ops input");
            println!("{input:#?}");
            println!("{:#?}", input.setup.config());
            println!("{:?}", run(&input));
        }
        [dir] => {
            let dir = Path::new(dir);
            std::fs::create_dir_all(dir).expect("seed directory");
            for (name, input) in scenarios() {
                let summary = run(&input);
                let bytes = input.to_bytes();
                assert_eq!(Input::parse(&bytes).as_ref(), Some(&input), "{name}");
                println!("{name:40} {:6} bytes  {summary:?}", bytes.len());
                std::fs::write(dir.join(name), bytes).expect("write seed");
            }
        }
        _ => {
            eprintln!("usage: session_seeds DIR | session_seeds --show FILE");
            std::process::exit(2);
        }
    }
}
