//! What the server does with a stream request: the plans a test queues.

use crate::http::Reply;

/// What the server does with one stream request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// A live stream (see [`StreamPlan`]).
    Stream(StreamPlan),
    /// Answer with this reply and close.
    Reply(Reply),
    /// Read the request and never answer (the client's head timer must fire).
    Silent,
    /// Close the connection right after reading the request.
    Hangup,
}

impl Default for Plan {
    fn default() -> Self {
        Plan::Stream(StreamPlan::default())
    }
}

/// How a live stream behaves.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamPlan {
    /// Write every byte (head included) in a write of its own.
    pub byte_at_a_time: bool,
    /// Written after `:)`, before any published event.
    pub prelude: Vec<Inject>,
    /// After this many published events, cut the stream this way.
    pub cut: Option<(usize, Cut)>,
}

/// Bytes a stream writes besides the published events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inject {
    /// SSE body bytes, sent as one chunk (properly framed). Over a WebSocket: one text
    /// message (binary when not UTF-8).
    Body(Vec<u8>),
    /// An `event: update` whose `data:` line is this many bytes long, sent in 64 KiB
    /// chunks, then ended (`\n\n`). Over a WebSocket: an `update` message with a payload
    /// this long.
    EndlessLine(usize),
    /// Bytes written as they are, outside the chunked framing (breaks it). Over a
    /// WebSocket: outside the WebSocket framing.
    Raw(Vec<u8>),
}

/// How a stream is cut after its planned number of events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    /// Close the connection before the next event.
    Drop,
    /// Write the next event's `event:` line and half its `data:` line, then close. Over a
    /// WebSocket: half the next message's frame.
    DropMidEvent,
    /// Stop writing (events and heartbeats; over a WebSocket, pings) but keep the
    /// connection open.
    Stall,
    /// End the body cleanly (`0\r\n\r\n`) and close. Over a WebSocket: a close frame.
    End,
}
