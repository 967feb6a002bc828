//! Backpressure: a slow consumer slows the socket, it never grows memory, and the idle
//! timer does not mistake a busy application for a silent server.
//!
//! What is measured, in-process: the server's own record of the bytes it handed to the
//! socket ([`Connection::bytes_written`](crate::hostile::Connection::bytes_written)) and of
//! its writes that made no progress ([`Connection::write_stalls`](crate::hostile::Connection::write_stalls)).
//! Everything written and not yet delivered as an event sits in the kernel's socket
//! buffers or in the client; so when the server's writes stall with `bytes_written` no
//! more than the events delivered plus the kernel's buffer maximums (`tcp_rmem`,
//! `tcp_wmem`) plus a little, the client's buffering is bounded by that little. The
//! client's clock is paused, and the consumer lets more than the idle timeout pass on it
//! per event: any idle timeout would show as a `Disconnected` item.

use std::time::Duration;

use mastostream_client::{Item, Runtime};

use super::harness::{Hostile, update_id};
use super::{Outcome, ensure};
use crate::hostile::{Behaviour, GOOD_ID, Good, HostileOptions, status_json};
use crate::scenarios::drive::real_sleep;

/// What the flood offers: 1 GiB.
pub const FLOOD: u64 = 1 << 30;

/// Events the slow consumer takes.
const EVENTS: usize = 200;

/// What the client may hold beyond the kernel's buffers: a few reads waiting for the
/// driver, the parser's line and event limits (1 MiB each), TLS and WebSocket buffers.
const CLIENT_SLACK: u64 = 8 << 20;

/// The kernel's largest socket buffers for a receiver and a sender (Linux's `tcp_rmem` and
/// `tcp_wmem` maximums), 32 MiB each where they cannot be read.
pub fn kernel_buffers() -> u64 {
    let max = |path: &str| {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|s| s.split_whitespace().nth(2)?.parse::<u64>().ok())
            .unwrap_or(32 << 20)
    };
    max("/proc/sys/net/ipv4/tcp_rmem") + max("/proc/sys/net/ipv4/tcp_wmem")
}

/// How long the consumer pauses per event on the client's clock: longer than the idle
/// timeout of either transport (45 s, 90 s).
const PAUSE: Duration = Duration::from_secs(100);

/// A 1 GiB flood of SSE events at a consumer that takes one and pauses per event.
pub async fn sse_flood_backpressure<R: Runtime + Default>(rt: R) -> Outcome {
    flood(rt, false).await
}

/// A 1 GiB flood of WebSocket messages at a consumer that takes one and pauses per event.
pub async fn ws_flood_backpressure<R: Runtime + Default>(rt: R) -> Outcome {
    flood(rt, true).await
}

async fn flood<R: Runtime + Default>(rt: R, ws: bool) -> Outcome {
    let h = Hostile::start(rt, HostileOptions::default());
    h.server.queue([Behaviour::Flood { max_bytes: FLOOD }]);
    let mut w = if ws { h.ws(|_| {})? } else { h.sse(|_| {})? };
    w.backoff = false;
    let written = || h.server.connection(0).map_or(0, |c| c.bytes_written);
    for n in 0..EVENTS {
        w.until(&format!("flood event {n}"), |i| update_id(i).is_some())
            .await?;
        h.clock.advance(PAUSE);
        real_sleep(&h.rt, Duration::from_millis(2)).await;
    }
    ensure(calm(&w.items), || {
        format!("no disconnect while slow (no idle timeout); {}", w.log())
    })?;
    // The consumer stops: the server's writes must block.
    h.server_saw("the flood's writes to stall", |cs| cs[0].write_stalls >= 3)?;
    let stalled_at = written();
    let per_event = status_json(GOOD_ID).len() as u64 * 2 + 128;
    let delivered = w.updates().len() as u64 * per_event;
    let bound = delivered + kernel_buffers() + CLIENT_SLACK;
    ensure(stalled_at <= bound && stalled_at < FLOOD / 8, || {
        format!(
            "the server wrote {stalled_at} bytes of {FLOOD} before stalling; at most \
             {bound} may be in flight (delivered {delivered} + kernel {} + client {CLIENT_SLACK})",
            kernel_buffers()
        )
    })?;
    // Long after: still the flood, not an idle timeout.
    h.clock.advance(PAUSE);
    w.until("one more flood event", |i| update_id(i).is_some())
        .await?;
    ensure(calm(&w.items), || w.log())?;
    w.close().await
}

/// Whether nothing but the connection and events happened.
fn calm(items: &[Item]) -> bool {
    let connects = items
        .iter()
        .filter(|i| matches!(i, Item::Connected { .. }))
        .count();
    connects == 1
        && items
            .iter()
            .all(|i| matches!(i, Item::Connected { .. } | Item::Event(_)))
}

/// A burst of 100 events, then silence, taken by a consumer that lets more than the idle
/// timeout pass (on the client's clock) after each: every event arrives before any idle
/// timeout, since the connection was read as the consumer went (the driver holds the
/// transport back, stamps reads with their time, and restarts the idle timer once the
/// transport caught up). Over SSE and WebSocket.
pub async fn slow_consumer_keeps_its_idle_timer<R: Runtime + Default>(rt: R) -> Outcome {
    for ws in [false, true] {
        let h = Hostile::start(rt.clone(), HostileOptions::default());
        let ids: Vec<u64> = (0..100).map(|i| GOOD_ID + i).collect();
        h.server.queue([Behaviour::Good(Good {
            ids: ids.clone(),
            end: false,
        })]);
        let mut w = if ws { h.ws(|_| {})? } else { h.sse(|_| {})? };
        w.backoff = false;
        for id in &ids {
            w.until(&format!("update {id} (ws {ws})"), |i| {
                update_id(i).is_some()
            })
            .await?;
            h.clock.advance(PAUSE);
            real_sleep(&h.rt, Duration::from_millis(1)).await;
        }
        ensure(w.updates() == ids && calm(&w.items), || {
            format!("ws {ws}: every event, no disconnect; {}", w.log())
        })?;
        w.close().await?;
    }
    Ok(())
}
