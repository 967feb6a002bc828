//! Body framing: chunked, length-delimited or close-delimited, without copying.

use bytes::{Buf, Bytes};

use super::ResponseHead;
use crate::error::{ChunkedError, Error, ErrorKind};

/// How a response body is delimited (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// `Content-Length: n`.
    Length(u64),
    /// Neither: the body ends when the connection closes.
    UntilEof,
    /// No body at all (204, 304).
    Empty,
}

impl BodyKind {
    /// How the body of the response with this head is delimited.
    pub fn of(head: &ResponseHead) -> Result<BodyKind, Error> {
        if head.status() == 204 || head.status() == 304 || head.is_interim() {
            return Ok(BodyKind::Empty);
        }
        let codings = head.transfer_codings();
        if !codings.is_empty() {
            // A chunked final coding frames the body; any other coding list means the body
            // runs until the connection closes (RFC 9112 §6.3 rule 4, response side).
            return Ok(if head.is_chunked() {
                BodyKind::Chunked
            } else {
                BodyKind::UntilEof
            });
        }
        Ok(match head.content_length()? {
            Some(0) => BodyKind::Empty,
            Some(n) => BodyKind::Length(n),
            None => BodyKind::UntilEof,
        })
    }
}

/// What the body decoder produced from the input.
#[derive(Debug, PartialEq, Eq)]
pub enum BodyOutput {
    /// Body bytes: a slice of the input, never a copy.
    Data(Bytes),
    /// The input is used up; feed more.
    NeedMore,
    /// The body is complete. Anything after it in the input is not part of it.
    Done,
}

/// The longest chunk-size line (size, extensions, line end) accepted.
const MAX_CHUNK_LINE: usize = 4096;
/// The largest trailer section accepted.
const MAX_TRAILERS: usize = 16 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Chunk {
    /// Reading the hex size; `digits` read so far.
    Size {
        size: u64,
        digits: usize,
    },
    /// After the size: optional whitespace, then `;` extensions or the line end.
    AfterSize {
        size: u64,
    },
    /// Inside chunk extensions: skipped up to the line end.
    Extension {
        size: u64,
    },
    /// A CR ended the size line; an LF must follow.
    SizeLf {
        size: u64,
    },
    /// Inside chunk data.
    Data {
        remaining: u64,
    },
    /// After chunk data: CR LF (a bare LF is tolerated).
    DataCr,
    DataLf,
    /// After the last chunk: trailer fields until an empty line. `line` = bytes in the
    /// current trailer line, not counting its end.
    Trailer {
        line: usize,
    },
    TrailerLf {
        line: usize,
    },
    Done,
}

/// Decodes a response body, handing out slices of the input.
///
/// ```
/// use bytes::Bytes;
/// use mastostream_proto::http::{BodyDecoder, BodyKind, BodyOutput};
///
/// let mut body = BodyDecoder::new(BodyKind::Chunked);
/// let mut input = Bytes::from_static(b"3\r\n:)\n\r\n0\r\n\r\n");
/// assert_eq!(body.decode(&mut input).unwrap(), BodyOutput::Data(Bytes::from_static(b":)\n")));
/// assert_eq!(body.decode(&mut input).unwrap(), BodyOutput::Done);
/// ```
#[derive(Debug)]
pub struct BodyDecoder {
    kind: BodyKind,
    chunk: Chunk,
    /// Length-delimited: bytes still expected.
    remaining: u64,
    /// Bytes in the current chunk-size line, for the line limit.
    line_len: usize,
    /// Bytes of trailer section so far.
    trailer_len: usize,
    done: bool,
}

impl BodyDecoder {
    /// A decoder for a body of the given kind.
    pub fn new(kind: BodyKind) -> Self {
        BodyDecoder {
            kind,
            chunk: Chunk::Size { size: 0, digits: 0 },
            remaining: match kind {
                BodyKind::Length(n) => n,
                _ => 0,
            },
            line_len: 0,
            trailer_len: 0,
            done: kind == BodyKind::Empty,
        }
    }

    /// The kind of body being decoded.
    pub fn kind(&self) -> BodyKind {
        self.kind
    }

    /// Whether the whole body has been read.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Takes body framing from the front of `input` and returns the next piece of body.
    /// Call again until it returns [`BodyOutput::NeedMore`] or [`BodyOutput::Done`].
    pub fn decode(&mut self, input: &mut Bytes) -> Result<BodyOutput, Error> {
        if self.done {
            return Ok(BodyOutput::Done);
        }
        match self.kind {
            BodyKind::Empty => Ok(BodyOutput::Done),
            BodyKind::UntilEof => Ok(if input.is_empty() {
                BodyOutput::NeedMore
            } else {
                BodyOutput::Data(input.split_off(0))
            }),
            BodyKind::Length(_) => {
                if input.is_empty() {
                    return Ok(BodyOutput::NeedMore);
                }
                let n = (input.len() as u64).min(self.remaining) as usize;
                let data = input.split_to(n);
                self.remaining -= n as u64;
                if self.remaining == 0 {
                    self.done = true;
                }
                Ok(BodyOutput::Data(data))
            }
            BodyKind::Chunked => self.decode_chunked(input),
        }
    }

    /// The connection closed. Fine for a close-delimited or completed body; an error when
    /// the body was cut short.
    pub fn eof(&mut self) -> Result<(), Error> {
        match self.kind {
            _ if self.done => Ok(()),
            BodyKind::UntilEof | BodyKind::Empty => {
                self.done = true;
                Ok(())
            }
            BodyKind::Length(_) => Err(ErrorKind::UnexpectedEof("length-delimited body").into()),
            BodyKind::Chunked => Err(ErrorKind::UnexpectedEof(match self.chunk {
                Chunk::Data { .. } => "chunk data",
                Chunk::Trailer { .. } | Chunk::TrailerLf { .. } => "chunked trailers",
                _ => "chunk size line",
            })
            .into()),
        }
    }

    fn decode_chunked(&mut self, input: &mut Bytes) -> Result<BodyOutput, Error> {
        loop {
            if let Chunk::Data { remaining } = self.chunk {
                if input.is_empty() {
                    return Ok(BodyOutput::NeedMore);
                }
                let n = (input.len() as u64).min(remaining) as usize;
                let data = input.split_to(n);
                let left = remaining - n as u64;
                self.chunk = if left == 0 {
                    Chunk::DataCr
                } else {
                    Chunk::Data { remaining: left }
                };
                return Ok(BodyOutput::Data(data));
            }
            if self.chunk == Chunk::Done {
                self.done = true;
                return Ok(BodyOutput::Done);
            }
            let Some(&b) = input.first() else {
                return Ok(BodyOutput::NeedMore);
            };
            input.advance(1);
            self.step(b)?;
        }
    }

    /// Advances the framing state machine by one byte outside chunk data.
    fn step(&mut self, b: u8) -> Result<(), ChunkedError> {
        if matches!(
            self.chunk,
            Chunk::Size { .. } | Chunk::AfterSize { .. } | Chunk::Extension { .. }
        ) {
            self.line_len += 1;
            if self.line_len > MAX_CHUNK_LINE {
                return Err(ChunkedError::LineTooLong(MAX_CHUNK_LINE));
            }
        }
        self.chunk = match self.chunk {
            Chunk::Size { size, digits } => match hex(b) {
                Some(d) => {
                    if size >> 60 != 0 {
                        return Err(ChunkedError::SizeOverflow);
                    }
                    Chunk::Size {
                        size: size << 4 | u64::from(d),
                        digits: digits + 1,
                    }
                }
                None if digits == 0 => return Err(ChunkedError::InvalidSize(b)),
                None => self.after_size(size, b)?,
            },
            Chunk::AfterSize { size } => self.after_size(size, b)?,
            Chunk::Extension { size } => match b {
                b'\r' => Chunk::SizeLf { size },
                b'\n' => self.size_line_done(size),
                // Extensions are skipped, not stored: memory stays constant.
                _ => Chunk::Extension { size },
            },
            Chunk::SizeLf { size } => match b {
                b'\n' => self.size_line_done(size),
                _ => return Err(ChunkedError::InvalidSize(b)),
            },
            Chunk::DataCr => match b {
                b'\r' => Chunk::DataLf,
                b'\n' => Chunk::Size { size: 0, digits: 0 },
                _ => return Err(ChunkedError::MissingCrlf(b)),
            },
            Chunk::DataLf => match b {
                b'\n' => Chunk::Size { size: 0, digits: 0 },
                _ => return Err(ChunkedError::MissingCrlf(b)),
            },
            Chunk::Trailer { line } => {
                self.trailer_len += 1;
                if self.trailer_len > MAX_TRAILERS {
                    return Err(ChunkedError::TrailersTooLarge(MAX_TRAILERS));
                }
                match b {
                    b'\r' => Chunk::TrailerLf { line },
                    b'\n' if line == 0 => Chunk::Done,
                    b'\n' => Chunk::Trailer { line: 0 },
                    _ => Chunk::Trailer { line: line + 1 },
                }
            }
            Chunk::TrailerLf { line } => match b {
                b'\n' if line == 0 => Chunk::Done,
                b'\n' => Chunk::Trailer { line: 0 },
                _ => return Err(ChunkedError::InvalidSize(b)),
            },
            Chunk::Data { .. } | Chunk::Done => unreachable_state(),
        };
        Ok(())
    }

    fn after_size(&mut self, size: u64, b: u8) -> Result<Chunk, ChunkedError> {
        Ok(match b {
            b' ' | b'\t' => Chunk::AfterSize { size },
            b';' => Chunk::Extension { size },
            b'\r' => Chunk::SizeLf { size },
            b'\n' => self.size_line_done(size),
            _ => return Err(ChunkedError::InvalidSize(b)),
        })
    }

    fn size_line_done(&mut self, size: u64) -> Chunk {
        self.line_len = 0;
        if size == 0 {
            Chunk::Trailer { line: 0 }
        } else {
            Chunk::Data { remaining: size }
        }
    }
}

/// `step` is only called outside chunk data and before the end; the match arm exists to
/// keep the match exhaustive without a panic.
fn unreachable_state() -> Chunk {
    Chunk::Done
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `chunks` in order; returns the body and whether it completed.
    fn run(kind: BodyKind, chunks: &[&[u8]]) -> Result<(Vec<u8>, bool), Error> {
        let mut d = BodyDecoder::new(kind);
        let mut out = Vec::new();
        for c in chunks {
            let mut input = Bytes::copy_from_slice(c);
            loop {
                match d.decode(&mut input)? {
                    BodyOutput::Data(b) => out.extend_from_slice(&b),
                    BodyOutput::NeedMore => break,
                    BodyOutput::Done => return Ok((out, true)),
                }
            }
        }
        Ok((out, d.is_done()))
    }

    fn every_split(kind: BodyKind, wire: &[u8]) -> Result<(Vec<u8>, bool), Error> {
        let want = run(kind, &[wire]);
        for i in 0..=wire.len() {
            let (a, b) = wire.split_at(i);
            let got = run(kind, &[a, b]);
            assert_eq!(format!("{got:?}"), format!("{want:?}"), "split at {i}");
        }
        let bytes: Vec<&[u8]> = wire.chunks(1).collect();
        assert_eq!(format!("{:?}", run(kind, &bytes)), format!("{want:?}"));
        want
    }

    #[test]
    fn dechunks_with_extensions_trailers_and_any_hex_case() {
        let wire = b"3;name=value\r\n:)\n\r\nA\r\n0123456789\r\na\r\nabcdefghij\r\n00000\r\nX-Trailer: 1\r\n\r\nIGNORED";
        let (body, done) = every_split(BodyKind::Chunked, wire).unwrap();
        assert_eq!(body, b":)\n0123456789abcdefghij");
        assert!(done);
    }

    #[test]
    fn data_is_a_slice_of_the_input() {
        let input = Bytes::from_static(b"5\r\nhello\r\n0\r\n\r\n");
        let mut rest = input.clone();
        let mut d = BodyDecoder::new(BodyKind::Chunked);
        let BodyOutput::Data(data) = d.decode(&mut rest).unwrap() else {
            panic!("expected data")
        };
        assert_eq!(data.as_ptr(), input[3..].as_ptr());
    }

    #[test]
    fn typed_errors_for_broken_framing() {
        let err = |wire: &[u8]| run(BodyKind::Chunked, &[wire]).unwrap_err().into_kind();
        assert!(matches!(
            err(b"zz\r\n"),
            ErrorKind::Chunked(ChunkedError::InvalidSize(b'z'))
        ));
        assert!(matches!(
            err(b"5 x\r\n"),
            ErrorKind::Chunked(ChunkedError::InvalidSize(b'x'))
        ));
        assert!(matches!(
            err(b"\r\n"),
            ErrorKind::Chunked(ChunkedError::InvalidSize(b'\r'))
        ));
        assert!(matches!(
            err(b"11111111111111111\r\n"),
            ErrorKind::Chunked(ChunkedError::SizeOverflow)
        ));
        assert!(matches!(
            err(b"3\r\nabcX\r\n"),
            ErrorKind::Chunked(ChunkedError::MissingCrlf(b'X'))
        ));
        assert!(matches!(
            err(b"3\r\nabc\rX"),
            ErrorKind::Chunked(ChunkedError::MissingCrlf(b'X'))
        ));
        let long_ext = [b"1;".as_slice(), &[b'x'; 5000]].concat();
        assert!(matches!(
            err(&long_ext),
            ErrorKind::Chunked(ChunkedError::LineTooLong(_))
        ));
        let big_trailers = [b"0\r\n".as_slice(), &b"X-A: b\r\n".repeat(3000)].concat();
        assert!(matches!(
            err(&big_trailers),
            ErrorKind::Chunked(ChunkedError::TrailersTooLarge(_))
        ));
    }

    #[test]
    fn ffff_ffff_ffff_ffff_fits_but_one_more_digit_does_not() {
        let mut d = BodyDecoder::new(BodyKind::Chunked);
        let mut input = Bytes::from_static(b"ffffffffffffffff\r\nab");
        assert_eq!(
            d.decode(&mut input).unwrap(),
            BodyOutput::Data(Bytes::from_static(b"ab"))
        );
        let e = run(BodyKind::Chunked, &[b"1ffffffffffffffff\r\n"]).unwrap_err();
        assert!(matches!(
            e.into_kind(),
            ErrorKind::Chunked(ChunkedError::SizeOverflow)
        ));
    }

    #[test]
    fn eof_mid_chunk_is_an_error_naming_where() {
        for (wire, what) in [
            (&b"5\r\nhel"[..], "chunk data"),
            (b"5\r\nhello\r\n", "chunk size line"),
            (b"5", "chunk size line"),
            (b"0\r\nX-T: 1\r\n", "chunked trailers"),
        ] {
            let mut d = BodyDecoder::new(BodyKind::Chunked);
            let mut input = Bytes::copy_from_slice(wire);
            while let Ok(BodyOutput::Data(_)) = d.decode(&mut input) {}
            let e = d.eof().unwrap_err();
            assert!(
                matches!(e.kind(), ErrorKind::UnexpectedEof(w) if *w == what),
                "{wire:?}: {e}"
            );
        }
    }

    #[test]
    fn length_and_until_eof_bodies() {
        let (body, done) = every_split(BodyKind::Length(5), b"helloEXTRA").unwrap();
        assert_eq!((body.as_slice(), done), (&b"hello"[..], true));
        let mut d = BodyDecoder::new(BodyKind::Length(5));
        let mut input = Bytes::from_static(b"hel");
        let _ = d.decode(&mut input).unwrap();
        assert!(d.eof().is_err());
        let (body, done) = run(BodyKind::UntilEof, &[b"ab", b"cd"]).unwrap();
        assert_eq!((body.as_slice(), done), (&b"abcd"[..], false));
        let mut d = BodyDecoder::new(BodyKind::UntilEof);
        assert!(d.eof().is_ok() && d.is_done());
    }

    #[test]
    fn body_kind_follows_rfc_9112() {
        let head = |h: &[(&str, &str)]| {
            ResponseHead::new(
                200,
                "OK",
                h.iter()
                    .map(|(n, v)| super::super::Header {
                        name: n.to_string(),
                        value: Bytes::copy_from_slice(v.as_bytes()),
                    })
                    .collect(),
            )
        };
        assert_eq!(
            BodyKind::of(&head(&[("Transfer-Encoding", "chunked")])).unwrap(),
            BodyKind::Chunked
        );
        assert_eq!(
            BodyKind::of(&head(&[
                ("Transfer-Encoding", "chunked"),
                ("Content-Length", "5")
            ]))
            .unwrap(),
            BodyKind::Chunked
        );
        assert_eq!(
            BodyKind::of(&head(&[("Transfer-Encoding", "gzip")])).unwrap(),
            BodyKind::UntilEof
        );
        assert_eq!(
            BodyKind::of(&head(&[("Content-Length", "7")])).unwrap(),
            BodyKind::Length(7)
        );
        assert_eq!(BodyKind::of(&head(&[])).unwrap(), BodyKind::UntilEof);
        assert_eq!(
            BodyKind::of(&head(&[("Content-Length", "0")])).unwrap(),
            BodyKind::Empty
        );
    }
}
