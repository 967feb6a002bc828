//! The WebSocket client against hostile peers (hand-framed, raw bytes on the wire): frames
//! claiming 2^63 bytes, endless fragments, ping floods, invalid UTF-8, reserved opcodes and
//! bits, masked server frames, close frames with codes, upgrades answered with something
//! other than `101`, and hostile HTTP in place of an upgrade answer.

use std::time::Duration;

use mastostream_client::{Item, Runtime};

use super::harness::Hostile;
use super::hostile_http::{bad_payloads, reasons_are};
use super::{Outcome, ensure};
use crate::hostile::{
    Behaviour, Canned, CloseFrame, Connection, Garbage, HostileOptions, Listener, Location,
    LyingLength, MAX_FRAME_LEN, Pace, WsBehaviour,
};

/// Queues `bad` (one connection each); the WebSocket client must fail each with a reason
/// matching `want` (see [`reasons_are`](super::hostile_http::reasons_are)), retry, and
/// deliver the good event. Returns the server's record of the bad connections.
async fn each_fails<R: Runtime + Default>(
    rt: R,
    bad: Vec<Behaviour>,
    max_event: usize,
    want: &[&str],
) -> Result<Vec<Connection>, String> {
    let h = Hostile::start(rt, HostileOptions::default());
    let n = bad.len();
    h.server.queue(bad);
    let mut w = h.ws(move |c| c.limits.max_event = max_event)?;
    w.good_event().await?;
    reasons_are("the bad peers", &w.retry_reasons(), want)?;
    ensure(w.retries().iter().all(|r| r.transient), || {
        format!("each retried; {}", w.log())
    })?;
    h.server_saw("every bad connection end", |cs| {
        cs.len() > n && cs[..n].iter().all(|c| c.ending.is_some())
    })?;
    Ok(h.server.connections()[..n].to_vec())
}

/// The close code of the client's close frame on each connection (`None`: no close frame).
fn closes(conns: &[Connection]) -> Vec<Option<Option<u16>>> {
    conns.iter().map(Connection::client_close).collect()
}

/// A text frame claiming 2^63 − 1 bytes (legal, over any limit) and one claiming 2^63
/// (invalid: the length's top bit must be 0): refused from the header, before any
/// allocation, with close `1009` (the WebSocket library checks the size first), and
/// retried. The reason names the claimed size and the limit (twice the event limit).
pub async fn ws_frame_claiming_2_63_bytes<R: Runtime + Default>(rt: R) -> Outcome {
    let bad = [MAX_FRAME_LEN, 1 << 63].map(|len| Behaviour::Ws(WsBehaviour::FrameLength(len)));
    let want = [
        "connection error: WebSocket: Space limit exceeded: Message too long: 9223372036854775807 > 131072",
        "connection error: WebSocket: Space limit exceeded: Message too long: 9223372036854775808 > 131072",
    ];
    let conns = each_fails(rt, bad.to_vec(), 64 * 1024, &want).await?;
    ensure(closes(&conns) == [Some(Some(1009)); 2], || {
        format!("close frames {:?}", closes(&conns))
    })
}

/// Continuation frames forever: the message limit (twice the event limit) ends it.
pub async fn ws_endless_fragments<R: Runtime + Default>(rt: R) -> Outcome {
    const EVENT: usize = 64 * 1024;
    let bad = vec![Behaviour::Ws(WsBehaviour::EndlessFragments)];
    // 33 fragments of 4 KiB: the first past the limit.
    let want =
        ["connection error: WebSocket: Space limit exceeded: Message too long: 135168 > 131072"];
    let conns = each_fails(rt, bad, EVENT, &want).await?;
    ensure(closes(&conns) == [Some(Some(1009))], || {
        format!("close frames {:?}", closes(&conns))
    })
}

/// Ten thousand pings, then the good update: every ping is a sign of life, pongs go back,
/// the update arrives on the same connection.
pub async fn ws_ping_flood<R: Runtime + Default>(rt: R) -> Outcome {
    let h = Hostile::start(rt, HostileOptions::default());
    let flood = WsBehaviour::PingFlood {
        pings: 10_000,
        payload: 125,
    };
    h.server.queue([Behaviour::Ws(flood)]);
    let mut w = h.ws(|_| {})?;
    w.good_event().await?;
    ensure(w.retries().is_empty() && w.connects() == 1, || {
        format!("one connection; {}", w.log())
    })?;
    w.pump("a pong", || {
        h.server.connection(0).is_some_and(|c| c.pongs() > 0)
    })
    .await?;
    let pongs = h.server.connection(0).map_or(0, |c| c.pongs());
    ensure(pongs <= 10_000, || {
        format!("{pongs} pongs for 10,000 pings")
    })?;
    w.close().await
}

/// A text frame that is not UTF-8: close `1007`, retried.
pub async fn ws_invalid_utf8_text<R: Runtime + Default>(rt: R) -> Outcome {
    let bad = vec![Behaviour::Ws(WsBehaviour::InvalidUtf8Text)];
    let want = ["connection error: WebSocket: UTF-8 encoding error*"];
    let conns = each_fails(rt, bad, 1 << 20, &want).await?;
    ensure(closes(&conns) == [Some(Some(1007))], || {
        format!("close frames {:?}", closes(&conns))
    })
}

/// Reserved data and control opcodes, and each RSV bit without an extension: protocol
/// errors, close `1002`, retried.
pub async fn ws_reserved_opcodes_and_bits<R: Runtime + Default>(rt: R) -> Outcome {
    let bad = [
        WsBehaviour::ReservedOpcode(0x3),
        WsBehaviour::ReservedOpcode(0xB),
        WsBehaviour::ReservedBits(4),
        WsBehaviour::ReservedBits(2),
        WsBehaviour::ReservedBits(1),
    ]
    .map(Behaviour::Ws);
    let want = [
        "connection error: WebSocket: WebSocket protocol error: Encountered invalid opcode: 3",
        "connection error: WebSocket: WebSocket protocol error: Encountered invalid opcode: 11",
        "connection error: WebSocket: WebSocket protocol error: Reserved bits are non-zero",
        "connection error: WebSocket: WebSocket protocol error: Reserved bits are non-zero",
        "connection error: WebSocket: WebSocket protocol error: Reserved bits are non-zero",
    ];
    let conns = each_fails(rt, bad.to_vec(), 1 << 20, &want).await?;
    ensure(
        closes(&conns).iter().all(|c| *c == Some(Some(1002))),
        || format!("close frames {:?}", closes(&conns)),
    )
}

/// A masked frame from the server (only clients mask): a protocol error, retried.
pub async fn ws_masked_server_frame<R: Runtime + Default>(rt: R) -> Outcome {
    let bad = vec![Behaviour::Ws(WsBehaviour::MaskedFrame)];
    let want = [
        "connection error: WebSocket: WebSocket protocol error: Received a masked frame from server",
    ];
    let conns = each_fails(rt, bad, 1 << 20, &want).await?;
    ensure(closes(&conns) == [Some(Some(1002))], || {
        format!("close frames {:?}", closes(&conns))
    })
}

/// Close frames from the server: each code (and reason) is in the reason the client gives,
/// the client answers with the same code, and reconnects. A close frame that is itself
/// invalid (one byte; a reason that is not UTF-8) is a protocol error.
pub async fn ws_close_codes<R: Runtime + Default>(rt: R) -> Outcome {
    let h = Hostile::start(rt, HostileOptions::default());
    let code = |c: u16, r: &str| WsBehaviour::Close(CloseFrame::Code(c, r.to_owned()));
    let bad = [
        code(1000, ""),
        code(1001, "going away"),
        code(1008, "policy violated"),
        code(1011, ""),
        code(4000, "custom \u{7}bell"),
        WsBehaviour::Close(CloseFrame::OneByte),
        WsBehaviour::Close(CloseFrame::InvalidUtf8Reason(1000)),
    ];
    h.server.queue(bad.clone().map(Behaviour::Ws));
    let mut w = h.ws(|_| {})?;
    // Time passes (the backoff, past the close grace period) only once the server has the
    // client's answer: on a real clock the answer is out long before.
    w.backoff = false;
    for i in 0..bad.len() {
        let retry = w
            .until(&format!("retry {i}"), |i| {
                matches!(i, Item::Reconnecting { .. })
            })
            .await?;
        w.pump(&format!("the answer to close frame {i}"), || {
            let c = h.server.connection(i);
            c.is_some_and(|c| c.client_close().is_some() || c.ending.is_some())
        })
        .await?;
        if let Item::Reconnecting { delay, .. } = retry {
            h.clock.advance(delay);
        }
    }
    w.backoff = true;
    w.good_event().await?;
    let want = [
        "server closed the WebSocket (1000)",
        "server closed the WebSocket (1001: going away)",
        "server closed the WebSocket (1008: policy violated)",
        "server closed the WebSocket (1011)",
        "server closed the WebSocket (4000: custom \\u{7}bell)",
        "connection error: WebSocket: WebSocket protocol error: *",
        "connection error: WebSocket: UTF-8 encoding error*",
    ];
    reasons_are("close frames", &w.disconnects(), &want)?;
    reasons_are("close frames", &w.retry_reasons(), &want)?;
    h.server_saw("every close answered", |cs| {
        cs.len() > bad.len() && cs[..bad.len()].iter().all(|c| c.ending.is_some())
    })?;
    let answered = closes(&h.server.connections()[..bad.len()]);
    let want = [1000, 1001, 1008, 1011, 4000, 1002, 1007].map(|c| Some(Some(c)));
    ensure(answered == want, || {
        format!("the client's close frames {answered:?}, want {want:?}")
    })
}

/// An upgrade answered `200` with a page, or `302`: refused naming the status and the
/// `101` expected, retried (a proxy or portal, likely passing; a WebSocket never follows a
/// redirect, so the other listener sees nothing). `401` with Mastodon's message stops.
pub async fn ws_non_101_answers<R: Runtime + Default>(rt: R) -> Outcome {
    let h = Hostile::start(rt, HostileOptions::default());
    h.server.queue([
        Behaviour::html_page(),
        Behaviour::redirect(302, Location::On(Listener::Second)),
        Behaviour::Reply(Canned::ws_unauthorized("Invalid access token")),
    ]);
    let mut w = h.ws(|_| {})?;
    let end = w.fatal("the 401").await?;
    let want = [
        "WebSocket upgrade refused: 200 OK (expected 101 Switching Protocols)",
        "WebSocket upgrade refused: 302 Found (expected 101 Switching Protocols)",
    ];
    reasons_are("non-101 answers", &w.retry_reasons(), &want)?;
    let want = "WebSocket upgrade refused: 401 Unauthorized: Invalid access token (expected 101 Switching Protocols)";
    ensure(end.to_string() == want && end.status() == Some(401), || {
        format!("ended with {end}, want {want}")
    })?;
    let second = h.server.requests_on(Listener::Second);
    ensure(second.is_empty(), || format!("followed to {second:?}"))
}

/// HTTP trouble in place of an upgrade answer — a head that never ends, headers without
/// end, random bytes, a lying length, a `503` asking to wait forever — is named and retried;
/// the wait is capped.
pub async fn ws_hostile_http_answers<R: Runtime + Default>(rt: R) -> Outcome {
    let h = Hostile::start(rt, HostileOptions::default());
    h.server.queue([
        Behaviour::EndlessStatusLine,
        Behaviour::EndlessHeaders,
        Behaviour::Garbage(Garbage::Random { len: 4096, seed: 9 }),
        Behaviour::ContentLength(LyingLength::Absurd),
        Behaviour::retry_after(503, "9999999999999999999"),
    ]);
    let max = Duration::from_secs(600);
    let mut w = h.ws(move |c| c.max_server_delay = max)?;
    w.good_event().await?;
    let want = [
        // tungstenite's guard on upgrade answers: 64 KiB at most.
        "connect failed: WebSocket: Attack attempt detected",
        "connect failed: WebSocket: Space limit exceeded: Too many headers",
        "connect failed: WebSocket: WebSocket protocol error: httparse error: invalid HTTP version",
        // What arrived of the body is quoted, bounded and escaped, whatever its length says.
        "WebSocket upgrade refused: 200 OK: :)\\u{a}event: update\\u{a}data: {*",
        "WebSocket upgrade refused: 503 Service Unavailable (Retry-After 9999999999999999999 s): Service Unavailable (expected 101 Switching Protocols)",
    ];
    reasons_are("HTTP trouble", &w.retry_reasons(), &want)?;
    let last = w.retries().pop().ok_or("no retry")?;
    let asked = Duration::from_secs(9_999_999_999_999_999_999);
    ensure(last.delay == max && last.capped == Some(asked), || {
        format!("the wait capped at {max:?}: {last:?}")
    })
}

/// The upgrade answer and the event one byte per step (the test releases each). The
/// WebSocket library refuses an upgrade answer read in more than 64 reads averaging under
/// 128 bytes (its guard against slow heads); whether the steps reach the client as separate
/// reads is up to the scheduler, so either outcome passes, each checked in full: refused
/// with that reason, then retried to the good event; or live once the `101` is in, and
/// the event once its frame is, with no retry. No timer is involved either way.
pub async fn ws_slow_drip<R: Runtime + Default>(rt: R) -> Outcome {
    let h = Hostile::start(rt, HostileOptions::default());
    h.server.queue([Behaviour::SlowDrip(Pace::Step)]);
    let mut w = h.ws(|_| {})?;
    let released = w.drip_until_live(&h.server, 400).await?;
    if w.connects() == 0 {
        let want = ["connect failed: WebSocket: Attack attempt detected"];
        reasons_are("a head in one-byte reads", &w.retry_reasons(), &want)?;
        ensure(released > 64, || format!("refused after {released} bytes"))?;
        // The retry came while pumping, which lets no time pass: let its delay pass now.
        h.clock.advance(w.retries()[0].delay);
        return w.good_event().await;
    }
    w.drip_the_rest(&h.server).await
}

/// [`sse_bad_payloads`](super::sse_bad_payloads) over WebSocket: the same payloads, invalid
/// UTF-8 as a lone surrogate escape (a text frame cannot carry it), which is bad JSON.
pub async fn ws_bad_payloads<R: Runtime + Default>(rt: R) -> Outcome {
    bad_payloads(rt, true).await
}
