//! The HTTP and SSE behaviours: the good stream, the slow drip, bad payloads, and heads and
//! bodies that never end or lie.

use super::behaviour::{
    BadPayload, Behaviour, Canned, ChunkSize, Garbage, Good, LyingLength, Pace,
};
use super::payload::{GOOD_ID, bad_sse_data, sse_event, status_json};
use super::state::Shared;
use super::wire::{Step, Wire};

/// The head of Mastodon's SSE response, as nginx forwards it.
pub(crate) const SSE_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\n\
Server: nginx\r\n\
Content-Type: text/event-stream\r\n\
Transfer-Encoding: chunked\r\n\
Connection: keep-alive\r\n\
Cache-Control: private, no-store\r\n\r\n";

/// The size of the blocks endless behaviours write.
const BLOCK: usize = 16 * 1024;

/// One HTTP/1.1 chunk carrying `data`.
pub(crate) fn chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

/// The last chunk.
pub(crate) const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// A canned response, `Content-Length` delimited, `Connection: close`.
pub(crate) fn encode(c: &Canned) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {} {}\r\n", c.status, c.reason);
    for (n, v) in &c.headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        c.body.len()
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&c.body);
    bytes
}

/// The `update` with this status as its two chunks.
fn update_chunks(data: &[u8]) -> Vec<u8> {
    sse_event("update", data)
        .iter()
        .flat_map(|w| chunk(w))
        .collect()
}

/// The good stream's bytes: the head, `:)`, the updates (not the end).
fn good_bytes(good: &Good) -> Vec<u8> {
    let mut out = SSE_HEAD.to_vec();
    out.extend_from_slice(&chunk(b":)\n"));
    for id in &good.ids {
        out.extend_from_slice(&update_chunks(status_json(*id).as_bytes()));
    }
    out
}

/// [`Behaviour::Good`] over SSE.
pub(crate) fn good(wire: &mut Wire, good: &Good) -> Step {
    wire.send(&good_bytes(good))?;
    if good.end {
        wire.send(LAST_CHUNK)
    } else {
        wire.hold()
    }
}

/// [`Behaviour::SlowDrip`] over SSE.
pub(crate) fn drip(shared: &Shared, wire: &mut Wire, pace: Pace) -> Step {
    drip_bytes(shared, wire, pace, &good_bytes(&Good::default()))?;
    wire.hold()
}

/// Writes `bytes` one at a time, each when its turn comes.
pub(crate) fn drip_bytes(shared: &Shared, wire: &mut Wire, pace: Pace, bytes: &[u8]) -> Step {
    for b in bytes {
        shared.drip_turn(pace)?;
        wire.send(std::slice::from_ref(b))?;
    }
    Ok(())
}

/// [`Behaviour::BadPayload`] over SSE: the bad update, then the good one.
pub(crate) fn bad_payload(wire: &mut Wire, bad: BadPayload) -> Step {
    let mut out = SSE_HEAD.to_vec();
    out.extend_from_slice(&chunk(b":)\n"));
    out.extend_from_slice(&update_chunks(&bad_sse_data(bad)));
    out.extend_from_slice(&update_chunks(status_json(GOOD_ID).as_bytes()));
    wire.send(&out)?;
    wire.hold()
}

/// Writes `first`, then `block` over and over until the client closes.
fn endless(wire: &mut Wire, first: &[u8], block: &[u8]) -> Step {
    wire.send(first)?;
    loop {
        wire.send(block)?;
        wire.poll()?;
        wire.inbound.clear();
    }
}

/// `X-n: v\r\n` lines from `from`, about [`BLOCK`] bytes of them.
fn header_block(from: &mut u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(BLOCK + 64);
    while out.len() < BLOCK {
        out.extend_from_slice(format!("X-{from}: v\r\n").as_bytes());
        *from += 1;
    }
    out
}

/// A valid SSE head and the `:)` chunk.
fn sse_start() -> Vec<u8> {
    let mut out = SSE_HEAD.to_vec();
    out.extend_from_slice(&chunk(b":)\n"));
    out
}

/// The behaviours that write the same bytes whatever was asked.
pub(crate) fn hostile(wire: &mut Wire, b: &Behaviour) -> Step {
    let x = [b'x'; BLOCK];
    match b {
        Behaviour::EndlessStatusLine => endless(wire, b"HTTP/1.1 200 OK", &[b'K'; BLOCK]),
        Behaviour::EndlessHeaderLine => {
            endless(wire, b"HTTP/1.1 200 OK\r\nX-Endless: ", &[b'a'; BLOCK])
        }
        Behaviour::EndlessHeaders => {
            wire.send(b"HTTP/1.1 200 OK\r\n")?;
            let mut n = 1;
            loop {
                wire.send(&header_block(&mut n))?;
                wire.poll()?;
                wire.inbound.clear();
            }
        }
        Behaviour::EndlessSseLine => {
            let mut first = sse_start();
            first.extend_from_slice(&chunk(b"event: update\n"));
            first.extend_from_slice(&chunk(b"data: "));
            endless(wire, &first, &chunk(&x))
        }
        Behaviour::ChunkSize(size) => {
            let mut first = sse_start();
            match size {
                ChunkSize::Overflow => first.extend_from_slice(b"ffffffffffffffffffff\r\n"),
                ChunkSize::Max64 => first.extend_from_slice(b"ffffffffffffffff\r\n"),
                ChunkSize::Endless => return endless(wire, &first, &[b'f'; BLOCK]),
            }
            endless(wire, &first, &x)
        }
        Behaviour::ContentLength(lie) => {
            wire.send(&lying_length(*lie))?;
            Ok(())
        }
        Behaviour::Garbage(g) => garbage(wire, *g),
        // The others are served by request (see `state::run`).
        _ => Ok(()),
    }
}

/// A `200 text/event-stream` whose `Content-Length` lies, with the good stream as body.
fn lying_length(lie: LyingLength) -> Vec<u8> {
    let mut body = b":)\n".to_vec();
    for w in sse_event("update", status_json(GOOD_ID).as_bytes()) {
        body.extend_from_slice(&w);
    }
    let lengths = match lie {
        LyingLength::Short => format!("Content-Length: {}\r\n", body.len() + 1_000_000),
        LyingLength::Negative => "Content-Length: -1\r\n".to_owned(),
        LyingLength::Absurd => "Content-Length: 99999999999999999999999\r\n".to_owned(),
        LyingLength::Conflicting => "Content-Length: 5\r\nContent-Length: 7\r\n".to_owned(),
    };
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: private, no-store\r\n{lengths}Connection: close\r\n\r\n"
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

fn garbage(wire: &mut Wire, g: Garbage) -> Step {
    match g {
        Garbage::Random { len, seed } => wire.send(&random_bytes(len, seed)),
        Garbage::SshBanner => {
            wire.send(b"SSH-2.0-OpenSSH_9.6\r\n")?;
            wire.hold()
        }
        Garbage::TlsAlert => wire.send(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x0a]),
    }
}

/// `len` bytes from a xorshift64* generator seeded with `seed`.
pub(crate) fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut s = seed ^ 0x9E37_79B9_7F4A_7C15;
    if s == 0 {
        s = 1;
    }
    (0..len)
        .map(|_| {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            (s.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_and_replies_encode() {
        assert_eq!(chunk(b":)\n"), b"3\r\n:)\n\r\n");
        assert_eq!(chunk(&[b'x'; 16]).len(), 2 + 2 + 16 + 2);
        let r = encode(&Canned::retry_after(503, "1e10"));
        let text = String::from_utf8(r).unwrap();
        assert!(
            text.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
            "{text}"
        );
        assert!(text.contains("\r\nRetry-After: 1e10\r\n"), "{text}");
        assert!(text.ends_with("Connection: close\r\n\r\n{\"error\":\"Service Unavailable\"}"));
    }

    #[test]
    fn random_bytes_repeat_by_seed() {
        let a = random_bytes(64, 7);
        assert_eq!(a, random_bytes(64, 7));
        assert_ne!(a, random_bytes(64, 8));
        assert!(a.iter().collect::<std::collections::HashSet<_>>().len() > 16);
    }
}
