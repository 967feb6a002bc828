//! Server-Sent Events framing, exactly as the WHATWG HTML standard's "event stream
//! interpretation" says, over [`Bytes`] without copying.
//!
//! [`SseParser`] takes the body in chunks of any size and hands out [`SseItem`]s:
//! dispatched events, comments (Mastodon's `:)` greeting and `:thump` heartbeats), accepted
//! `retry` values, and events skipped for exceeding a size limit.
//!
//! - Lines end in CRLF, LF or CR, including a CRLF split across two chunks.
//! - One UTF-8 byte order mark is stripped at the very start of the stream, even when it
//!   arrives split across chunks.
//! - A `data` line that lies inside one chunk becomes a [`Bytes::slice`] of that chunk; only
//!   lines that straddle chunks, and events with several `data` lines, are copied.
//! - Each byte is searched once (`memchr`), so time is linear in the input, whatever the
//!   chunking. Memory is bounded by [`SseLimits`]: a line or an event over its limit is
//!   reported as [`SseItem::Skipped`], and parsing resumes at the next blank line.
//!
//! ```
//! use bytes::Bytes;
//! use mastostream_proto::sse::{SseItem, SseParser};
//!
//! let mut parser = SseParser::default();
//! parser.feed(Bytes::from_static(b":)\nevent: delete\ndata: 110988741790818968\n\n"));
//! assert!(matches!(parser.poll(), Some(SseItem::Comment(text)) if text == ")"));
//! let Some(SseItem::Event(event)) = parser.poll() else { panic!() };
//! assert_eq!(event.event_type(), "delete");
//! assert_eq!(event.data(), "110988741790818968");
//! assert!(parser.poll().is_none());
//! ```

use std::borrow::Cow;
use std::collections::VecDeque;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::error::DecodeError;

/// Size limits that keep a hostile or broken server from making the parser buffer without
/// bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SseLimits {
    /// The longest line accepted, in bytes, not counting its line end. Default 1 MiB.
    pub max_line: usize,
    /// The largest event accepted (its data, with the newlines joining `data` lines), in
    /// bytes. Default 1 MiB.
    pub max_event: usize,
}

impl Default for SseLimits {
    fn default() -> Self {
        SseLimits {
            max_line: 1 << 20,
            max_event: 1 << 20,
        }
    }
}

/// A dispatched event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseEvent {
    event_type: Bytes,
    data: Bytes,
    last_event_id: Bytes,
}

impl SseEvent {
    /// Builds an event from its parts.
    pub fn new(event_type: Bytes, data: Bytes, last_event_id: Bytes) -> Self {
        SseEvent {
            event_type,
            data,
            last_event_id,
        }
    }

    /// The event type: the last `event` field's value, `message` when there was none.
    pub fn event_type(&self) -> &Bytes {
        &self.event_type
    }

    /// The data: the `data` fields' values joined by LF.
    pub fn data(&self) -> &Bytes {
        &self.data
    }

    /// The last event ID in effect when the event was dispatched (empty when none).
    pub fn last_event_id(&self) -> &Bytes {
        &self.last_event_id
    }

    /// The event type as text (invalid UTF-8 replaced by U+FFFD).
    pub fn event_type_str(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.event_type)
    }

    /// The data as text (invalid UTF-8 replaced by U+FFFD, as the standard decodes it).
    pub fn data_str(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.data)
    }

    /// The last event ID as text (invalid UTF-8 replaced by U+FFFD).
    pub fn last_event_id_str(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.last_event_id)
    }

    /// Splits the event into event type, data and last event ID.
    pub fn into_parts(self) -> (Bytes, Bytes, Bytes) {
        (self.event_type, self.data, self.last_event_id)
    }
}

/// What the parser hands out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SseItem {
    /// An event was dispatched by a blank line.
    Event(SseEvent),
    /// A comment line: the bytes after the `:`. Mastodon sends `:)` first and `:thump` as
    /// its heartbeat.
    Comment(Bytes),
    /// A `retry` field with only ASCII digits: the reconnection time in milliseconds
    /// (saturating at `u64::MAX`).
    Retry(u64),
    /// An event was dropped because a line or the event exceeded a limit. Parsing resumes at
    /// the next blank line.
    Skipped {
        /// The event's type as far as it was known (`message` when none was set).
        event_type: Bytes,
        /// Which limit was exceeded.
        error: DecodeError,
    },
}

const BOM: &[u8; 3] = b"\xEF\xBB\xBF";
const MESSAGE: Bytes = Bytes::from_static(b"message");

/// The fields the standard gives meaning to; any other name is ignored.
#[derive(Clone, Copy)]
enum Field {
    Data,
    Event,
    Id,
    Retry,
    Other,
}

impl Field {
    fn of(name: &[u8]) -> Field {
        match name {
            b"data" => Field::Data,
            b"event" => Field::Event,
            b"id" => Field::Id,
            b"retry" => Field::Retry,
            _ => Field::Other,
        }
    }
}

/// The data buffer of the event being built.
#[derive(Debug, Default)]
enum Data {
    /// No `data` field yet: a blank line dispatches nothing.
    #[default]
    None,
    /// Exactly one `data` field: a zero-copy slice when its line was inside one chunk.
    One(Bytes),
    /// Several `data` fields, joined by LF.
    Many(BytesMut),
}

impl Data {
    fn len(&self) -> usize {
        match self {
            Data::None => 0,
            Data::One(b) => b.len(),
            Data::Many(b) => b.len(),
        }
    }
}

/// The incremental, zero-copy SSE parser. See the [module docs](self).
///
/// Feed chunks with [`feed`](Self::feed), signal the end of the stream with
/// [`finish`](Self::finish), and drain [`poll`](Self::poll) until it returns `None`.
#[derive(Debug, Default)]
pub struct SseParser {
    limits: SseLimits,
    /// Chunks fed but not yet parsed.
    queue: VecDeque<Bytes>,
    /// The unparsed rest of the chunk being parsed.
    current: Bytes,
    /// The start of a line whose end has not arrived yet (also the BOM's first bytes).
    partial: BytesMut,
    /// The last line ended with CR at the end of a chunk: an LF starting the next chunk
    /// belongs to that line end.
    skip_lf: bool,
    /// Whether the first bytes of the stream were checked for a BOM.
    bom_checked: bool,
    /// Skipping the rest of an over-long line.
    discard_line: bool,
    /// Skipping lines up to the next blank line, after a limit was exceeded.
    discard_event: bool,
    /// `finish` was called.
    eof: bool,
    event_type: Option<Bytes>,
    data: Data,
    last_event_id: Bytes,
}

impl SseParser {
    /// A parser with the given limits.
    pub fn new(limits: SseLimits) -> Self {
        SseParser {
            limits,
            ..SseParser::default()
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> SseLimits {
        self.limits
    }

    /// Queues a chunk of the stream. Chunks may be any size, including empty; input after
    /// [`finish`](Self::finish) is ignored.
    pub fn feed(&mut self, chunk: Bytes) {
        if !self.eof && !chunk.is_empty() {
            self.queue.push_back(chunk);
        }
    }

    /// Marks the end of the stream: an event without its closing blank line, and a final
    /// line without its line end, are discarded (as the standard says).
    pub fn finish(&mut self) {
        self.eof = true;
    }

    /// Whether [`finish`](Self::finish) was called and everything has been handed out.
    pub fn is_finished(&self) -> bool {
        self.eof && self.queue.is_empty() && self.current.is_empty()
    }

    /// Bytes held in the parser's own buffers (a partial line and a multi-line event's
    /// data), which the limits bound. Chunks queued by `feed` are not counted.
    pub fn buffered(&self) -> usize {
        self.partial.len()
            + match &self.data {
                Data::Many(b) => b.len(),
                _ => 0,
            }
    }

    /// The next item, or `None` when the input fed so far is used up.
    #[must_use]
    pub fn poll(&mut self) -> Option<SseItem> {
        loop {
            if self.current.is_empty() {
                match self.queue.pop_front() {
                    Some(chunk) => self.current = chunk,
                    None => {
                        if self.eof {
                            self.discard_pending();
                        }
                        return None;
                    }
                }
            }
            if self.skip_lf {
                self.skip_lf = false;
                if self.current[0] == b'\n' {
                    self.current.advance(1);
                    continue;
                }
            }
            if !self.bom_checked && !self.check_bom() {
                continue;
            }
            let Some(pos) = memchr::memchr2(b'\n', b'\r', &self.current) else {
                if let Some(item) = self.stash_partial_line() {
                    return Some(item);
                }
                continue;
            };
            let item = if self.discard_line {
                self.discard_line = false;
                self.current.advance(pos);
                None
            } else if self.partial.is_empty() {
                if pos == 0 {
                    self.blank_line()
                } else if self.discard_event {
                    self.current.advance(pos);
                    None
                } else {
                    // The common case: the whole line is in this chunk.
                    let line = self.current.split_to(pos);
                    self.line(line)
                }
            } else {
                // The line started in an earlier chunk: complete it (a copy).
                self.partial.extend_from_slice(&self.current[..pos]);
                self.current.advance(pos);
                let line = self.partial.split().freeze();
                self.line(line)
            };
            // Consume the line end; a CR at the end of the chunk may pair with an LF that
            // starts the next one.
            let cr = self.current[0] == b'\r';
            self.current.advance(1);
            if cr {
                match self.current.first() {
                    Some(b'\n') => self.current.advance(1),
                    Some(_) => {}
                    None => self.skip_lf = true,
                }
            }
            if item.is_some() {
                return item;
            }
        }
    }

    /// Checks the stream's first bytes for a BOM. Returns `false` when more input is needed
    /// to decide (the bytes seen are kept in `partial`).
    fn check_bom(&mut self) -> bool {
        let have = self.partial.len();
        let n = (BOM.len() - have).min(self.current.len());
        if self.current[..n] != BOM[have..have + n] {
            // Not a BOM: any bytes held back are the start of the first line.
            self.bom_checked = true;
            return true;
        }
        self.current.advance(n);
        if have + n == BOM.len() {
            self.partial.clear();
            self.bom_checked = true;
        } else {
            self.partial.extend_from_slice(&BOM[have..have + n]);
        }
        self.bom_checked
    }

    /// The chunk ends inside a line: keep its start, within the line limit.
    fn stash_partial_line(&mut self) -> Option<SseItem> {
        if self.discard_line || self.discard_event {
            // The line is not empty, whatever ends it: skip to its end without keeping it.
            self.discard_line = true;
            self.current.clear();
            return None;
        }
        if self.partial.len() + self.current.len() > self.limits.max_line {
            self.partial.clear();
            self.current.clear();
            self.discard_line = true;
            return Some(self.skip(DecodeError::LineTooLong {
                limit: self.limits.max_line,
            }));
        }
        self.partial.extend_from_slice(&self.current);
        self.current.clear();
        None
    }

    /// End of input: whatever was incomplete is discarded.
    fn discard_pending(&mut self) {
        self.partial.clear();
        self.data = Data::None;
        self.event_type = None;
        self.discard_line = false;
        self.discard_event = false;
        self.skip_lf = false;
    }

    /// Starts skipping the current event, returning the item that reports it.
    fn skip(&mut self, error: DecodeError) -> SseItem {
        self.discard_event = true;
        self.data = Data::None;
        SseItem::Skipped {
            event_type: self.event_type.take().unwrap_or(MESSAGE),
            error,
        }
    }

    /// A blank line: dispatch the event, if it has data.
    fn blank_line(&mut self) -> Option<SseItem> {
        let event_type = self.event_type.take();
        if self.discard_event {
            self.discard_event = false;
            self.data = Data::None;
            return None;
        }
        let data = match std::mem::take(&mut self.data) {
            Data::None => return None,
            Data::One(b) => b,
            Data::Many(b) => b.freeze(),
        };
        Some(SseItem::Event(SseEvent {
            event_type: event_type.filter(|t| !t.is_empty()).unwrap_or(MESSAGE),
            data,
            last_event_id: self.last_event_id.clone(),
        }))
    }

    /// A complete non-blank line (or a blank one that straddled chunks).
    fn line(&mut self, mut line: Bytes) -> Option<SseItem> {
        if line.is_empty() {
            return self.blank_line();
        }
        if self.discard_event {
            return None;
        }
        if line.len() > self.limits.max_line {
            return Some(self.skip(DecodeError::LineTooLong {
                limit: self.limits.max_line,
            }));
        }
        // The value is cut out of `line` in place (`advance`): no new handle, so no
        // reference-count traffic on the hot path.
        if line[0] == b':' {
            line.advance(1);
            return Some(SseItem::Comment(line));
        }
        let (field, start) = match memchr::memchr(b':', &line) {
            Some(colon) => {
                let start = if line.get(colon + 1) == Some(&b' ') {
                    colon + 2
                } else {
                    colon + 1
                };
                (Field::of(&line[..colon]), start)
            }
            None => (Field::of(&line), line.len()),
        };
        line.advance(start);
        let value = line;
        match field {
            Field::Data => self.append_data(value),
            Field::Event => {
                self.event_type = Some(value);
                None
            }
            Field::Id => {
                if memchr::memchr(0, &value).is_none() {
                    self.last_event_id = value;
                }
                None
            }
            Field::Retry if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                Some(SseItem::Retry(value.iter().fold(0u64, |n, &d| {
                    n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
                })))
            }
            Field::Retry | Field::Other => None,
        }
    }

    fn append_data(&mut self, value: Bytes) -> Option<SseItem> {
        let joined = match self.data {
            Data::None => value.len(),
            _ => self.data.len() + 1 + value.len(),
        };
        if joined > self.limits.max_event {
            return Some(self.skip(DecodeError::EventTooLarge {
                limit: self.limits.max_event,
            }));
        }
        self.data = match std::mem::take(&mut self.data) {
            Data::None => Data::One(value),
            Data::One(first) => {
                let mut buf = BytesMut::with_capacity(joined);
                buf.put_slice(&first);
                buf.put_u8(b'\n');
                buf.put_slice(&value);
                Data::Many(buf)
            }
            Data::Many(mut buf) => {
                buf.put_u8(b'\n');
                buf.put_slice(&value);
                Data::Many(buf)
            }
        };
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(chunks: &[&[u8]], limits: SseLimits) -> Vec<SseItem> {
        let mut p = SseParser::new(limits);
        let mut out = Vec::new();
        for c in chunks {
            p.feed(Bytes::copy_from_slice(c));
            out.extend(std::iter::from_fn(|| p.poll()));
        }
        p.finish();
        out.extend(std::iter::from_fn(|| p.poll()));
        out
    }

    fn event(t: &str, d: &str, id: &str) -> SseItem {
        SseItem::Event(SseEvent::new(
            Bytes::copy_from_slice(t.as_bytes()),
            Bytes::copy_from_slice(d.as_bytes()),
            Bytes::copy_from_slice(id.as_bytes()),
        ))
    }

    #[test]
    fn single_line_data_is_a_slice_of_the_chunk() {
        let chunk = Bytes::from_static(b"event: update\ndata: {\"id\":\"1\"}\n\n");
        let mut p = SseParser::default();
        p.feed(chunk.clone());
        let Some(SseItem::Event(e)) = p.poll() else {
            panic!("no event")
        };
        assert_eq!(e.data().as_ptr(), chunk[20..].as_ptr());
        assert_eq!(e.event_type().as_ptr(), chunk[7..].as_ptr());
    }

    #[test]
    fn crlf_split_across_chunks_is_one_line_end() {
        let want = parse(&[b"data: a\r\n\r\n"], SseLimits::default());
        assert_eq!(want, vec![event("message", "a", "")]);
        assert_eq!(
            parse(&[b"data: a\r", b"\n\r", b"\n"], SseLimits::default()),
            want
        );
        // A lone CR is a line end of its own: "\r" then "\r" is a blank line.
        assert_eq!(parse(&[b"data: a\r", b"\r"], SseLimits::default()), want);
    }

    #[test]
    fn bom_split_across_chunks_is_stripped_once() {
        let want = vec![event("message", "x", "")];
        assert_eq!(
            parse(
                &[b"\xEF", b"\xBB", b"\xBFdata: x\n\n"],
                SseLimits::default()
            ),
            want
        );
        // A second BOM is part of the field name, so the line is an unknown field.
        assert_eq!(
            parse(
                &[b"\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\n"],
                SseLimits::default()
            ),
            vec![]
        );
        // A BOM prefix that turns out not to be a BOM is kept as line content.
        assert_eq!(
            parse(&[b"\xEF", b"\xBBX: 1\ndata: x\n\n"], SseLimits::default()),
            want
        );
    }

    #[test]
    fn over_long_line_is_skipped_and_parsing_resyncs_with_bounded_memory() {
        let limits = SseLimits {
            max_line: 64,
            max_event: 1 << 20,
        };
        let mut p = SseParser::new(limits);
        p.feed(Bytes::from_static(b"event: update\ndata: "));
        assert_eq!(p.poll(), None);
        let mut skipped = 0;
        for _ in 0..10_000 {
            p.feed(Bytes::from_static(
                b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            ));
            while let Some(item) = p.poll() {
                assert!(matches!(
                    item,
                    SseItem::Skipped { ref event_type, error: DecodeError::LineTooLong { limit: 64 } }
                        if event_type == "update"
                ));
                skipped += 1;
            }
            assert!(p.buffered() <= 64);
        }
        assert_eq!(skipped, 1);
        p.feed(Bytes::from_static(
            b"\ndata: lost\n\nevent: delete\ndata: 1\n\n",
        ));
        let rest: Vec<_> = std::iter::from_fn(|| p.poll()).collect();
        assert_eq!(rest, vec![event("delete", "1", "")]);
    }

    #[test]
    fn over_large_event_is_skipped() {
        let limits = SseLimits {
            max_line: 100,
            max_event: 10,
        };
        let got = parse(
            &[b"data: 12345\ndata: 67890\ndata: x\n\ndata: ok\n\n"],
            limits,
        );
        assert_eq!(
            got,
            vec![
                SseItem::Skipped {
                    event_type: MESSAGE,
                    error: DecodeError::EventTooLarge { limit: 10 }
                },
                event("message", "ok", "")
            ]
        );
    }

    #[test]
    fn eight_mib_event_in_one_kib_chunks() {
        let mut wire = b"event: update\ndata: ".to_vec();
        wire.extend(std::iter::repeat_n(b'a', 8 << 20));
        wire.extend_from_slice(b"\n\n");
        let limits = SseLimits {
            max_line: 16 << 20,
            max_event: 16 << 20,
        };
        let chunks: Vec<&[u8]> = wire.chunks(1024).collect();
        let got = parse(&chunks, limits);
        assert_eq!(got.len(), 1);
        let SseItem::Event(e) = &got[0] else { panic!() };
        assert_eq!(e.data().len(), 8 << 20);
    }
}
