//! [`Decoder`]: bytes in, SSE frames out — over a whole HTTP/1.1 response or a bare SSE body.
//!
//! The decoder has no clock and no socket. Feed it what the connection reads
//! ([`Decoder::feed`], then [`Decoder::feed_eof`] when the peer closes), and after every
//! input drain [`Decoder::poll`] until it returns `None`.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

use crate::error::{DecodeError, Error, ErrorKind};
use crate::http::{BodyDecoder, BodyKind, BodyOutput, HeadParser, ResponseHead, server_message};
use crate::sse::{SseEvent, SseItem, SseLimits, SseParser};

/// Limits on everything the decoder buffers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest response head accepted. Default 16 KiB.
    pub max_head: usize,
    /// The longest SSE line accepted. Default 1 MiB.
    pub max_line: usize,
    /// The largest SSE event accepted. Default 1 MiB.
    pub max_event: usize,
    /// How much of an error response's body is kept to find the server's message.
    /// Default 64 KiB.
    pub max_error_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        let sse = SseLimits::default();
        Limits {
            max_head: 16 * 1024,
            max_line: sse.max_line,
            max_event: sse.max_event,
            max_error_body: 64 * 1024,
        }
    }
}

impl Limits {
    fn sse(&self) -> SseLimits {
        SseLimits {
            max_line: self.max_line,
            max_event: self.max_event,
        }
    }
}

/// What the decoder hands out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// The response head of an accepted stream (2xx, `text/event-stream`). Only when
    /// decoding a whole HTTP response; it comes first.
    Head(ResponseHead),
    /// An SSE event.
    Event(SseEvent),
    /// An SSE comment: the text after the colon. Mastodon's `:)` and `:thump` are
    /// heartbeats.
    Comment(Bytes),
    /// An accepted SSE `retry` field, in milliseconds.
    Retry(u64),
    /// An event was dropped for exceeding a limit; the stream goes on.
    Skipped {
        /// The event's type as far as it was known.
        event_type: Bytes,
        /// Which limit was exceeded.
        error: DecodeError,
    },
    /// The body ended cleanly: the chunked terminator, the end of a `Content-Length` body,
    /// or the peer closing a close-delimited body. Nothing follows.
    End,
}

impl From<SseItem> for Frame {
    fn from(item: SseItem) -> Self {
        match item {
            SseItem::Event(e) => Frame::Event(e),
            SseItem::Comment(c) => Frame::Comment(c),
            SseItem::Retry(ms) => Frame::Retry(ms),
            SseItem::Skipped { event_type, error } => Frame::Skipped { event_type, error },
        }
    }
}

#[derive(Debug)]
enum Stage {
    /// Reading the response head.
    Head(HeadParser),
    /// Streaming the body into the SSE parser.
    Body(BodyDecoder),
    /// Reading (a bounded prefix of) an error response's body, for the server's message.
    ErrorBody {
        head: Box<ResponseHead>,
        body: BodyDecoder,
        buf: BytesMut,
    },
    /// The body is complete; `End` is handed out once the SSE parser is drained.
    Ending,
    /// Over: `End` or a fatal error was handed out.
    Over,
}

/// Decodes an HTTP/1.1 response carrying an SSE stream, or a bare SSE body, into
/// [`Frame`]s.
///
/// Non-2xx statuses become [`ErrorKind::Status`] with the server's `{"error": ...}`
/// message; a 2xx response that is not `text/event-stream` becomes
/// [`ErrorKind::NotEventStream`]. Fatal errors end the decoder: `poll` returns the error
/// once, then `None`. Events that exceed a limit are [`Frame::Skipped`] and cost only
/// themselves.
///
/// ```
/// use bytes::Bytes;
/// use mastostream_proto::decoder::{Decoder, Frame};
///
/// let mut decoder = Decoder::http(Default::default());
/// decoder.feed(Bytes::from_static(
///     b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n\
///       3\r\n:)\n\r\n28\r\nevent: delete\ndata: 110988741790818968\n\n\r\n",
/// ));
/// assert!(matches!(decoder.poll(), Some(Ok(Frame::Head(h))) if h.status() == 200));
/// assert!(matches!(decoder.poll(), Some(Ok(Frame::Comment(c))) if c == ")"));
/// let Some(Ok(Frame::Event(event))) = decoder.poll() else { panic!() };
/// assert_eq!(event.data(), "110988741790818968");
/// assert!(decoder.poll().is_none()); // more input needed
///
/// decoder.feed_eof(); // the connection closed before the terminal chunk
/// assert!(decoder.poll().unwrap().is_err());
/// assert!(decoder.poll().is_none());
/// ```
#[derive(Debug)]
pub struct Decoder {
    limits: Limits,
    stage: Stage,
    input: VecDeque<Bytes>,
    eof: bool,
    sse: SseParser,
    bytes_in: u64,
    /// A fatal error, handed out once the events decoded before it are.
    failed: Option<Error>,
}

impl Decoder {
    /// A decoder for a whole HTTP/1.1 response: head, then body.
    pub fn http(limits: Limits) -> Self {
        Decoder::with_stage(limits, Stage::Head(HeadParser::new(limits.max_head)))
    }

    /// A decoder for a bare SSE body (no HTTP head); the body ends at [`feed_eof`](Self::feed_eof).
    pub fn body(limits: Limits) -> Self {
        Decoder::with_stage(limits, Stage::Body(BodyDecoder::new(BodyKind::UntilEof)))
    }

    fn with_stage(limits: Limits, stage: Stage) -> Self {
        Decoder {
            limits,
            stage,
            input: VecDeque::new(),
            eof: false,
            sse: SseParser::new(limits.sse()),
            bytes_in: 0,
            failed: None,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Queues bytes read from the connection. Ignored once the decoder is over.
    pub fn feed(&mut self, bytes: Bytes) {
        self.bytes_in += bytes.len() as u64;
        if !self.eof && !bytes.is_empty() && !matches!(self.stage, Stage::Over | Stage::Ending) {
            self.input.push_back(bytes);
        }
    }

    /// The peer closed the connection (clean EOF).
    pub fn feed_eof(&mut self) {
        self.eof = true;
    }

    /// Total bytes fed so far.
    pub fn bytes_in(&self) -> u64 {
        self.bytes_in
    }

    /// Whether the decoder is over: it handed out [`Frame::End`] or a fatal error.
    pub fn is_over(&self) -> bool {
        matches!(self.stage, Stage::Over)
    }

    /// Bytes held in the decoder's own buffers (partial head, partial SSE line, multi-line
    /// event data, error body); bounded by the [`Limits`].
    pub fn buffered(&self) -> usize {
        self.sse.buffered()
            + match &self.stage {
                Stage::Head(h) => h.buffered(),
                Stage::ErrorBody { buf, .. } => buf.len(),
                _ => 0,
            }
    }

    /// The next frame; `None` when more input is needed (or the decoder is over).
    #[must_use]
    pub fn poll(&mut self) -> Option<Result<Frame, Error>> {
        loop {
            if let Some(item) = self.sse.poll() {
                return Some(Ok(item.into()));
            }
            if let Some(e) = self.failed.take() {
                return Some(Err(e));
            }
            match self.stage {
                Stage::Over => return None,
                Stage::Ending => {
                    self.stage = Stage::Over;
                    self.input.clear();
                    return Some(Ok(Frame::End));
                }
                _ => {}
            }
            let step = match self.input.pop_front() {
                Some(chunk) => self.process(chunk),
                None if self.eof => self.process_eof(),
                None => return None,
            };
            match step {
                Ok(Some(frame)) => return Some(Ok(frame)),
                Ok(None) => {}
                Err(e) => {
                    // Complete events that arrived before the error still come first; the
                    // incomplete one is dropped.
                    self.stage = Stage::Over;
                    self.input.clear();
                    self.sse.finish();
                    self.failed = Some(e);
                }
            }
        }
    }

    /// Runs one chunk through the head parser / body decoder.
    fn process(&mut self, mut chunk: Bytes) -> Result<Option<Frame>, Error> {
        match &mut self.stage {
            Stage::Head(parser) => {
                let Some(head) = parser.parse(&mut chunk)? else {
                    return Ok(None);
                };
                if !chunk.is_empty() {
                    self.input.push_front(chunk);
                }
                self.on_head(head)
            }
            Stage::Body(body) => {
                loop {
                    match body.decode(&mut chunk)? {
                        BodyOutput::Data(data) => self.sse.feed(data),
                        BodyOutput::NeedMore => break,
                        BodyOutput::Done => {
                            self.sse.finish();
                            self.stage = Stage::Ending;
                            break;
                        }
                    }
                }
                Ok(None)
            }
            Stage::ErrorBody { body, buf, .. } => {
                let cap = self.limits.max_error_body;
                let done = loop {
                    match body.decode(&mut chunk)? {
                        BodyOutput::Data(data) => {
                            let room = cap - buf.len();
                            buf.extend_from_slice(&data[..data.len().min(room)]);
                            if buf.len() >= cap {
                                break true;
                            }
                        }
                        BodyOutput::NeedMore => break false,
                        BodyOutput::Done => break true,
                    }
                };
                if done {
                    Err(self.status_error())
                } else {
                    Ok(None)
                }
            }
            Stage::Ending | Stage::Over => Ok(None),
        }
    }

    fn process_eof(&mut self) -> Result<Option<Frame>, Error> {
        self.eof = false; // handled once
        match &mut self.stage {
            Stage::Head(head) => Err(head.eof()),
            Stage::Body(body) => {
                self.sse.finish();
                body.eof()?;
                self.stage = Stage::Ending;
                Ok(None)
            }
            // A cut-short error body still yields the status and what message there is.
            Stage::ErrorBody { .. } => Err(self.status_error()),
            Stage::Ending | Stage::Over => Ok(None),
        }
    }

    fn on_head(&mut self, head: ResponseHead) -> Result<Option<Frame>, Error> {
        if head.is_interim() {
            self.stage = Stage::Head(HeadParser::new(self.limits.max_head));
            return Ok(None);
        }
        let body = BodyDecoder::new(BodyKind::of(&head)?);
        let status = head.status();
        if !(200..300).contains(&status) {
            let done = body.is_done();
            self.stage = Stage::ErrorBody {
                head: Box::new(head),
                body,
                buf: BytesMut::new(),
            };
            return if done {
                Err(self.status_error())
            } else {
                Ok(None)
            };
        }
        if !head.is_event_stream() {
            return Err(ErrorKind::NotEventStream { head }.into());
        }
        if body.is_done() {
            self.sse.finish();
            self.stage = Stage::Ending;
        } else {
            self.stage = Stage::Body(body);
        }
        Ok(Some(Frame::Head(head)))
    }

    fn status_error(&mut self) -> Error {
        match std::mem::replace(&mut self.stage, Stage::Over) {
            Stage::ErrorBody { head, buf, .. } => {
                let message = server_message(&head, &buf);
                ErrorKind::Status {
                    head: *head,
                    message,
                }
                .into()
            }
            _ => ErrorKind::UnexpectedEof("error response").into(),
        }
    }
}
