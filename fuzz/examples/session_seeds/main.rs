//! Writes the structured seeds: `session_ops` scripted sessions (SSE and WebSocket, going
//! live, catching up, redirected, refused, timing out, server delays from the whole range,
//! close frames, discovery) and proto's HTTP, SSE and WebSocket vectors fed as raw bytes,
//! each run through the target's checks first (its summary printed); and `http_head`'s
//! generated heads.
//!
//! ```sh
//! cd fuzz && cargo +nightly run --example session_seeds -- seeds/session_ops seeds/http_head
//! SESSION_TRACE=1 cargo +nightly run --example session_seeds -- --show artifacts/session_ops/crash-…
//! ```

mod delays;
mod sse;
mod ws;

use std::path::{Path, PathBuf};

use mastostream_fuzz::date::Date;
use mastostream_fuzz::head::{Head, Status};
use mastostream_fuzz::session::{
    Body, Chunk, CloseCode, CloseFrame, Input, Message, Op, Setup, run,
};
use mastostream_fuzz::values::{
    ChunkSize, Coding, Length, Location, RateLimit, Reset, RetryAfter, RetryField,
};
use mastostream_fuzz::wire::{Raw, Wire};

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
    pub const INSTANCE_V2: u8 = 35;
    pub const INSTANCE_V2_PLAIN: u8 = 36;
    pub const INSTANCE_V1: u8 = 37;
    pub const HUGE_429: u8 = 38;
    pub const Y9999_503: u8 = 39;
    pub const RETRY_HUGE: u8 = 40;
}

/// Status indices (see `mastostream_fuzz::head::STATUSES`).
mod status {
    pub const OK: u8 = 0;
    pub const S429: u8 = 1;
    pub const S503: u8 = 2;
    pub const S301: u8 = 8;
    pub const S307: u8 = 11;
    pub const S401: u8 = 13;
}

fn setup() -> Setup {
    Setup {
        websocket: false,
        catch_up: true,
        anchor: true,
        heartbeats: true,
        simd_json: false,
        token: true,
        discover: false,
        resume: false,
        channel: 0,
        limits: 0,
        max_held: 3,
        max_attempts: 0,
        max_redirects: 3,
        pages: 1,
        max_body: 0,
        backoff: 0,
        max_server_delay: 0,
        seed: 7,
    }
}

fn data(t: u8, i: u8) -> Op {
    Op::Data {
        t,
        chunk: Chunk::Fragment { i },
    }
}

fn raw(t: u8, bytes: &[u8]) -> Vec<Op> {
    bytes
        .chunks(255)
        .map(|c| Op::Data {
            t,
            chunk: Chunk::Raw {
                bytes: Raw(c.to_vec()),
            },
        })
        .collect()
}

fn live(events: &[u8]) -> Vec<Op> {
    let mut ops = vec![
        Op::Connected { t: 0 },
        data(0, frag::HEAD),
        data(0, frag::HELLO),
    ];
    ops.extend(events.iter().map(|&f| data(0, f)));
    ops
}

/// A response with `head` (an error body, or the stream's first bytes for a 200).
fn response(t: u8, head: Head) -> Op {
    let i = if head.status.code() == 200 { 0 } else { 7 };
    Op::Data {
        t,
        chunk: Chunk::Response {
            head,
            body: Body { i, end: true },
        },
    }
}

fn with_retry_after(status: u8, retry_after: RetryAfter) -> Head {
    Head {
        retry_after,
        ..Head::simple(status, 1)
    }
}

fn date(year: u16, month: u8, day: u8) -> Date {
    Date {
        year: year - 1,
        month: month - 1,
        day: day - 1,
        hour: 23,
        minute: 59,
        second: 59,
    }
}

/// `Retry-After` values from across the range.
fn retry_afters() -> Vec<RetryAfter> {
    vec![
        RetryAfter::Short { n: 30 },
        RetryAfter::Secs { n: u64::MAX },
        RetryAfter::Digits {
            digits: Raw(vec![9; 40]),
        },
        RetryAfter::Imf {
            date: date(9999, 12, 31),
        },
        RetryAfter::Rfc850 {
            date: date(2027, 2, 28),
        },
        RetryAfter::Asctime {
            date: date(1969, 12, 31),
        },
        RetryAfter::FromNow { secs: 899 },
        RetryAfter::FromNow { secs: 901 },
        RetryAfter::FromNow { secs: -60 },
        RetryAfter::Raw {
            bytes: Raw::text("Fri, 31 Dec 9999 23:59:60 GMT"),
        },
    ]
}

/// Named seeds.
type Seeds = Vec<(String, Input)>;

fn add(out: &mut Seeds, name: &str, setup: Setup, ops: Vec<Op>) {
    out.push((name.to_owned(), Input { setup, ops }));
}

/// The SSE setup without catch-up.
fn plain() -> Setup {
    Setup {
        catch_up: false,
        channel: 4,
        ..setup()
    }
}

fn scenarios() -> Seeds {
    let mut out = Vec::new();
    sse::sse(&mut out);
    delays::delays(&mut out);
    ws::ws(&mut out);
    ws::vectors(&mut out);
    out
}

/// `http_head` seeds: generated heads behind the target's header bytes (default limit,
/// chunks of 7, 1 and 200 bytes, structured mode), with a wall-clock offset and a body.
fn heads() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (i, retry_after) in retry_afters().into_iter().enumerate() {
        let head = Head {
            status: Status::Known { i: i as u8 },
            coding: Coding::Chunked,
            length: Length::Conflicting { n: u64::MAX },
            location: Location::Fixed { i: i as u8 * 3 },
            rate_limit: RateLimit::Reset {
                remaining: 0,
                reset: Reset::Rfc3339 {
                    date: date(1970 + i as u16 * 800, 2, 29),
                    frac: i % 2 == 0,
                    offset: Some(i as i16 * 97 - 400),
                },
            },
            filler: i as u8 * 14,
            long: i as u16 * 1000,
            ..with_retry_after(0, retry_after)
        };
        let mut bytes = vec![0, 6, 0, 199, 1];
        head.write(&mut bytes);
        (i as i32 * 1000 - 3000).write(&mut bytes);
        bytes.extend_from_slice(b"5\r\nhello\r\n");
        out.push((format!("generated_{i}"), bytes));
    }
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
        [sessions, heads_dir] => {
            let dir = Path::new(sessions);
            std::fs::create_dir_all(dir).expect("seed directory");
            for (name, input) in scenarios() {
                let summary = run(&input);
                let bytes = input.to_bytes();
                assert_eq!(Input::parse(&bytes).as_ref(), Some(&input), "{name}");
                println!("{name:36} {:6} bytes  {summary:?}", bytes.len());
                std::fs::write(dir.join(name), bytes).expect("write seed");
            }
            let dir = Path::new(heads_dir);
            std::fs::create_dir_all(dir).expect("seed directory");
            for (name, bytes) in heads() {
                std::fs::write(dir.join(name), bytes).expect("write seed");
            }
        }
        _ => {
            eprintln!("usage: session_seeds SESSION_DIR HEAD_DIR | session_seeds --show FILE");
            std::process::exit(2);
        }
    }
}
