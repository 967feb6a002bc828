//! The SSE client against servers that break HTTP: heads that never end, too many headers,
//! an endless event line, broken chunk sizes, lying lengths, bytes that are not HTTP (or
//! TLS where HTTP was expected, and the other way round), a slow drip, an HTML page, and
//! payloads a parser could choke on. Each test checks the reason the client gives, whether
//! it retried or stopped, the good event after the bad ones, and the limits it reported.

use std::time::Duration;

use mastostream_client::proto::DecodeError;
use mastostream_client::{Event, Item, Runtime};

use super::harness::{Hostile, connections};
use super::{Outcome, ensure};
use crate::hostile::{
    BAD_ID, BadPayload, Behaviour, Canned, ChunkSize, Ending, GOOD_ID, Garbage, HostileOptions,
    LyingLength, Pace,
};

/// Whether `got` matches `want`: equal, or (when `want` ends in `*`) starting with the rest.
pub(crate) fn matches(got: &str, want: &str) -> bool {
    match want.strip_suffix('*') {
        Some(prefix) => got.starts_with(prefix),
        None => got == want,
    }
}

/// Fails unless the reasons match the patterns, one for one (see [`matches`]).
pub(crate) fn reasons_are(what: &str, got: &[String], want: &[&str]) -> Outcome {
    let ok = got.len() == want.len() && got.iter().zip(want).all(|(g, w)| matches(g, w));
    ensure(ok, || format!("{what}: reasons {got:#?}, want {want:#?}"))
}

/// The first `n` connections all ended, closed by the client.
fn client_hung_up<R: Runtime>(h: &Hostile<R>, n: usize) -> Outcome {
    h.server_saw(&format!("the client hang up on the first {n}"), |cs| {
        cs.len() >= n
            && cs[..n]
                .iter()
                .all(|c| matches!(c.ending, Some(Ending::ClientClosed | Ending::Finished)))
    })
}

/// A status line or a header line that never ends: the client gives up at its head limit,
/// says so, reconnects, and gets the good event.
pub async fn sse_endless_head_line<R: Runtime + Default>(rt: R) -> Outcome {
    let h = Hostile::start(rt, HostileOptions::default());
    h.server
        .queue([Behaviour::EndlessStatusLine, Behaviour::EndlessHeaderLine]);
    let mut w = h.sse(|c| c.limits.max_head = 8 * 1024)?;
    w.good_event().await?;
    let want = ["response head over 8 KiB"; 2];
    reasons_are("endless head lines", &w.retry_reasons(), &want)?;
    ensure(w.disconnects().is_empty() && w.connects() == 1, || {
        format!("never live before the good stream; {}", w.log())
    })?;
    client_hung_up(&h, 2)
}

/// Headers without end, and a complete head with more headers than the parser takes: the
/// head limit and the header count are named.
pub async fn sse_endless_header_count<R: Runtime + Default>(rt: R) -> Outcome {
    let h = Hostile::start(rt, HostileOptions::default());
    let mut many = Canned::new(200, "OK").with_header("Content-Type", "text/event-stream");
    for i in 0..200 {
        many = many.with_header(&format!("X-{i}"), "v");
    }
    h.server
        .queue([Behaviour::EndlessHeaders, Behaviour::Reply(many)]);
    let mut w = h.sse(|_| {})?;
    w.good_event().await?;
    let want = [
        "response head over 16 KiB",
        "not a valid HTTP response (more than 128 headers)",
    ];
    reasons_are("endless headers", &w.retry_reasons(), &want)?;
    client_hung_up(&h, 2)
}

/// An event whose `data:` line never ends: one malformed item naming the configured line
/// limit, and the client keeps reading (and discarding) far past it without ending the
/// stream; once the server drops the connection, it reconnects and gets the good event.
pub async fn sse_endless_event_line<R: Runtime + Default>(rt: R) -> Outcome {
    const LIMIT: usize = 64 * 1024;
    let h = Hostile::start(rt, HostileOptions::default());
    h.server.queue([Behaviour::EndlessSseLine]);
    let mut w = h.sse(|c| {
        c.limits.max_line = LIMIT;
        c.limits.max_event = LIMIT;
    })?;
    w.until("the endless line reported", |i| {
        i.event().is_some_and(|e| e.is_malformed())
    })
    .await?;
    // Sixteen limits' worth read past it, and the stream still up.
    let far = 16 * LIMIT as u64;
    w.pump("the client to read far past its line limit", || {
        h.server
            .connection(0)
            .is_some_and(|c| c.bytes_written > far)
    })
    .await?;
    let want = (
        "update".to_owned(),
        0,
        DecodeError::LineTooLong { limit: LIMIT },
    );
    ensure(w.malformed() == [want.clone()], || {
        format!("one malformed item {want:?}; {}", w.log())
    })?;
    ensure(w.retries().is_empty(), || format!("no retry; {}", w.log()))?;
    ensure(h.server.cut(0), || "connection 0 was still open".into())?;
    w.good_event().await?;
    ensure(w.disconnects().len() == 1 && w.retries().len() == 1, || {
        format!("one disconnect and one retry after the cut; {}", w.log())
    })
}

/// Chunk sizes past 64 bits, and a size line that never ends (its 17th digit is past 64
/// bits already), are broken framing, found before anything is kept (reported while live:
/// a disconnect, then a retry). The largest `u64` size is framing a body may
/// use: the client streams the chunk without allocating by its size, and its endless
/// content is an over-long line, reported and discarded.
pub async fn sse_huge_chunk_size<R: Runtime + Default>(rt: R) -> Outcome {
    const LIMIT: usize = 64 * 1024;
    let h = Hostile::start(rt, HostileOptions::default());
    h.server.queue([
        Behaviour::ChunkSize(ChunkSize::Overflow),
        Behaviour::ChunkSize(ChunkSize::Endless),
        Behaviour::ChunkSize(ChunkSize::Max64),
    ]);
    let mut w = h.sse(|c| c.limits.max_line = LIMIT)?;
    w.until("the u64::MAX chunk's endless line", |i| {
        i.event().is_some_and(|e| e.is_malformed())
    })
    .await?;
    let want = ["invalid chunked body: chunk size overflows 64 bits"; 2];
    reasons_are("broken chunk sizes", &w.disconnects(), &want)?;
    reasons_are("broken chunk sizes", &w.retry_reasons(), &want)?;
    let skipped = w.malformed();
    ensure(
        matches!(
            skipped.as_slice(),
            [(_, 0, DecodeError::LineTooLong { limit: LIMIT })]
        ),
        || format!("the chunk's content skipped at the line limit; {}", w.log()),
    )?;
    ensure(h.server.cut(2), || "connection 2 was still open".into())?;
    w.good_event().await?;
    client_hung_up(&h, 2)
}

/// `Content-Length` that lies: short (the event, then "closed before the end"), negative,
/// absurd, and two that disagree (refused before any event).
pub async fn sse_lying_content_length<R: Runtime + Default>(rt: R) -> Outcome {
    let h = Hostile::start(rt, HostileOptions::default());
    h.server.queue(
        [
            LyingLength::Short,
            LyingLength::Negative,
            LyingLength::Absurd,
            LyingLength::Conflicting,
        ]
        .map(Behaviour::ContentLength),
    );
    let mut w = h.sse(|_| {})?;
    w.until("the short body's event", |i| {
        super::harness::update_id(i) == Some(GOOD_ID)
    })
    .await?;
    w.good_event().await?;
    let want = [
        "connection closed before the end of the length-delimited body",
        "not a valid HTTP response (malformed Content-Length)",
        "not a valid HTTP response (malformed Content-Length)",
        "not a valid HTTP response (conflicting Content-Length values)",
    ];
    reasons_are("lying lengths", &w.retry_reasons(), &want)?;
    ensure(w.updates() == [GOOD_ID, GOOD_ID], || {
        format!(
            "the event of the short body and of the good stream only; {}",
            w.log()
        )
    })
}

/// Bytes that are not HTTP — random bytes, an SSH banner held open, a TLS alert — are
/// named as such at once (a paused clock: no head timer can fire), and retried.
pub async fn sse_garbage<R: Runtime + Default>(rt: R) -> Outcome {
    let h = Hostile::start(rt, HostileOptions::default());
    h.server.queue(
        [
            Garbage::Random { len: 4096, seed: 7 },
            Garbage::SshBanner,
            Garbage::TlsAlert,
        ]
        .map(Behaviour::Garbage),
    );
    let mut w = h.sse(|_| {})?;
    w.good_event().await?;
    let want = [
        "not a valid HTTP response (not HTTP: it starts with *",
        "not a valid HTTP response (not HTTP: it starts with \"SSH-2.0-OpenSSH_9.6*",
        "not a valid HTTP response (not HTTP: a TLS record; is the server's URL https?)",
    ];
    reasons_are("garbage", &w.retry_reasons(), &want)?;
    client_hung_up(&h, 3)
}

/// TLS against plain HTTP, both ways. An https client at a plain port sends its
/// `ClientHello` and nothing else (no request, so no token in clear text); with no answer,
/// its connect timer names the wait. A plain client at a TLS port gets the TLS server's
/// alert, named as TLS.
pub async fn sse_tls_and_plain_mismatch<R: Runtime + Default>(rt: R) -> Outcome {
    let plain = Hostile::start(rt.clone(), HostileOptions::default());
    let https = plain.server.url().replacen("http", "https", 1);
    let client = mastostream_client::Client::with_runtime(&https, plain.clock.clone())
        .map_err(|e| e.to_string())?
        .token(super::harness::SECRET)
        .discover(false)
        .configure(|c| c.catch_up.enabled = false);
    let mut w = plain.watch(client.stream_user());
    w.pump("a ClientHello at the plain port", || {
        plain
            .server
            .connection(0)
            .is_some_and(|c| c.first_bytes.first() == Some(&0x16))
    })
    .await?;
    plain.clock.advance(Duration::from_secs(10));
    w.until("the connect timeout", |i| {
        matches!(i, Item::Reconnecting { .. })
    })
    .await?;
    reasons_are(
        "https at a plain port",
        &w.retry_reasons(),
        &["could not connect within 10 s"],
    )?;
    ensure(plain.server.requests().is_empty(), || {
        format!(
            "no request in clear text: {}",
            connections(&plain.server.connections())
        )
    })?;
    w.close().await?;

    let tls = Hostile::start(rt, HostileOptions::tls());
    let http = tls.server.url().replacen("https", "http", 1);
    let client = mastostream_client::Client::with_runtime(&http, tls.clock.clone())
        .map_err(|e| e.to_string())?
        .discover(false)
        .configure(|c| c.catch_up.enabled = false);
    let mut w = tls.watch(client.stream_user());
    w.until("the retry", |i| matches!(i, Item::Reconnecting { .. }))
        .await?;
    let want = ["not a valid HTTP response (not HTTP: a TLS record; is the server's URL https?)"];
    reasons_are("plain at a TLS port", &w.retry_reasons(), &want)?;
    ensure(tls.server.requests().is_empty(), || {
        "no request over TLS".into()
    })?;
    w.close().await
}

/// The good stream one byte per step (the test releases each): the client goes live once
/// the head is in (not within its first 100 bytes) and delivers the event once its bytes
/// are, with no timer involved.
pub async fn sse_slow_drip<R: Runtime + Default>(rt: R) -> Outcome {
    let h = Hostile::start(rt, HostileOptions::default());
    h.server.queue([Behaviour::SlowDrip(Pace::Step)]);
    let mut w = h.sse(|_| {})?;
    let released = w.drip_until_live(&h.server, 400).await?;
    ensure(
        released > 100 && matches!(w.items[..], [Item::Connected { .. }]),
        || format!("live after {released} bytes, nothing before; {}", w.log()),
    )?;
    w.drip_the_rest(&h.server).await
}

/// A head that drips too slowly: the head timer (on the paused clock) names the wait; the
/// client retries and gets the good event.
pub async fn sse_slow_drip_head_timeout<R: Runtime + Default>(rt: R) -> Outcome {
    let h = Hostile::start(rt, HostileOptions::default());
    h.server.queue([Behaviour::SlowDrip(Pace::Step)]);
    let mut w = h.sse(|_| {})?;
    h.server.release(10);
    w.pump("ten bytes of the head", || {
        h.server
            .connection(0)
            .is_some_and(|c| c.bytes_written >= 10)
    })
    .await?;
    h.clock.advance(Duration::from_secs(15));
    w.good_event().await?;
    reasons_are(
        "slow head",
        &w.retry_reasons(),
        &["no response head after 15 s"],
    )
}

/// An HTML page with `200`: not an event stream, named with its type, retried.
pub async fn sse_html_page<R: Runtime + Default>(rt: R) -> Outcome {
    let h = Hostile::start(rt, HostileOptions::default());
    h.server.queue([Behaviour::html_page()]);
    let mut w = h.sse(|_| {})?;
    w.good_event().await?;
    let want = ["not an event stream (Content-Type text/html; charset=utf-8)"];
    reasons_are("HTML", &w.retry_reasons(), &want)
}

/// [`sse_bad_payloads`] over SSE or WebSocket (`ws`).
pub(crate) async fn bad_payloads<R: Runtime + Default>(rt: R, ws: bool) -> Outcome {
    let h = Hostile::start(rt, HostileOptions::default());
    let bad = [
        BadPayload::InvalidUtf8,
        BadPayload::NestedArrays(100_000),
        BadPayload::NestedObjects(100_000),
    ];
    h.server.queue(bad.map(Behaviour::BadPayload));
    let mut w = if ws { h.ws(|_| {})? } else { h.sse(|_| {})? };
    let limit = mastostream_client::proto::Limits::default().max_event;
    for (i, one) in bad.iter().enumerate() {
        let seen = w.items.len();
        w.good_event().await?;
        let events: Vec<String> = w.items[seen..]
            .iter()
            .filter_map(|item| match item.event()? {
                Event::Malformed { name, data, error } => {
                    let reason = match error {
                        DecodeError::InvalidUtf8 { .. } => "utf-8",
                        DecodeError::Json { message } if !message.is_empty() => "json",
                        _ => "other",
                    };
                    let size = if data.len() <= limit {
                        "bounded"
                    } else {
                        "over"
                    };
                    Some(format!("malformed {name} {reason} {size}"))
                }
                Event::Update(s) => Some(format!("update {}", s.id)),
                _ => None,
            })
            .collect();
        let want = match one {
            BadPayload::InvalidUtf8 if ws => "malformed update json bounded".to_owned(),
            BadPayload::InvalidUtf8 => "malformed update utf-8 bounded".to_owned(),
            _ => format!("update {BAD_ID}"),
        };
        ensure(
            events == [want.clone(), format!("update {GOOD_ID}")],
            || format!("{one:?}: want {want:?}, then the good update; {}", w.log()),
        )?;
        if i + 1 < bad.len() {
            ensure(h.server.cut(i), || format!("connection {i} was open"))?;
        }
    }
    ensure(w.retries().len() == 2 && w.connects() == 3, || {
        format!("a retry after each cut only; {}", w.log())
    })
}

/// Payloads that are not UTF-8, or JSON nested 100,000 deep, then the good update, on
/// one connection each (over SSE or WebSocket: `ws`). Invalid UTF-8 is one malformed item
/// with its reason (over WebSocket, where a text frame cannot carry it, a lone surrogate
/// escape: bad JSON). The nesting sits in a field a status does not have: it is skipped
/// without recursion (no stack overflow, no depth to reach) and the status is delivered.
/// Then the good event, on the same connection.
pub async fn sse_bad_payloads<R: Runtime + Default>(rt: R) -> Outcome {
    bad_payloads(rt, false).await
}
