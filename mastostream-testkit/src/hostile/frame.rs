//! RFC 6455 by hand: the opening handshake's answer and frame bytes, written and read
//! without any WebSocket library (so a bug shared with the client's library cannot hide).

use base64::Engine as _;
use sha1::{Digest as _, Sha1};

use super::record::ClientFrame;

/// Continuation frame.
pub(crate) const CONT: u8 = 0x0;
/// Text frame.
pub(crate) const TEXT: u8 = 0x1;
/// Close frame.
pub(crate) const CLOSE: u8 = 0x8;
/// Ping frame.
pub(crate) const PING: u8 = 0x9;
/// Pong frame.
pub(crate) const PONG: u8 = 0xA;
/// The FIN bit of the first byte.
pub(crate) const FIN: u8 = 0x80;

/// The largest client frame payload the server reads (a client's frames are small).
const MAX_CLIENT_PAYLOAD: u64 = 1 << 20;

/// The GUID of RFC 6455 §1.3.
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`: base64(SHA-1(key + GUID)).
pub(crate) fn accept_key(key: &str) -> String {
    let mut sha = Sha1::new();
    sha.update(key.as_bytes());
    sha.update(GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(sha.finalize())
}

/// The `101 Switching Protocols` answer, echoing the first offered subprotocol (Mastodon
/// takes the token there).
pub(crate) fn switching(key: &str, protocol: Option<&str>) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n",
        accept_key(key)
    );
    if let Some(p) = protocol {
        out.push_str(&format!("Sec-WebSocket-Protocol: {p}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// A frame header: `first` (FIN, RSV, opcode), then the length in its shortest form, no
/// mask.
pub(crate) fn header(first: u8, len: usize) -> Vec<u8> {
    let mut out = vec![first];
    if len < 126 {
        out.push(len as u8);
    } else if let Ok(short) = u16::try_from(len) {
        out.push(126);
        out.extend_from_slice(&short.to_be_bytes());
    } else {
        out.push(127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out
}

/// A frame header in the 64-bit length form with any length, even one with the most
/// significant bit set (which RFC 6455 forbids).
pub(crate) fn header_64(first: u8, len: u64) -> Vec<u8> {
    let mut out = vec![first, 127];
    out.extend_from_slice(&len.to_be_bytes());
    out
}

/// An unmasked frame.
pub(crate) fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = header(first, payload.len());
    out.extend_from_slice(payload);
    out
}

/// A masked frame (what clients send; a server must not).
pub(crate) fn masked(first: u8, key: [u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut out = header(first, payload.len());
    out[1] |= 0x80;
    out.extend_from_slice(&key);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    out
}

/// A close frame payload: the code, big-endian, then the reason.
pub(crate) fn close_payload(code: u16, reason: &[u8]) -> Vec<u8> {
    let mut out = code.to_be_bytes().to_vec();
    out.extend_from_slice(reason);
    out
}

/// What [`parse`] found at the start of a buffer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parsed {
    /// A whole frame and how many bytes it took.
    Frame(ClientFrame, usize),
    /// Not enough bytes yet.
    Incomplete,
    /// A frame no client sends: a length over 1 MiB or with its top bit set.
    Invalid,
}

/// Reads one client frame from the start of `buf`, unmasking its payload.
pub(crate) fn parse(buf: &[u8]) -> Parsed {
    let [b0, b1, rest @ ..] = buf else {
        return Parsed::Incomplete;
    };
    let (len, rest) = match b1 & 0x7F {
        126 => match rest {
            [a, b, rest @ ..] => (u64::from(u16::from_be_bytes([*a, *b])), rest),
            _ => return Parsed::Incomplete,
        },
        127 => match rest.split_first_chunk::<8>() {
            Some((l, rest)) => (u64::from_be_bytes(*l), rest),
            None => return Parsed::Incomplete,
        },
        n => (u64::from(n), rest),
    };
    if len > MAX_CLIENT_PAYLOAD {
        return Parsed::Invalid;
    }
    let masked = b1 & 0x80 != 0;
    let (key, rest) = if masked {
        match rest.split_first_chunk::<4>() {
            Some((k, rest)) => (*k, rest),
            None => return Parsed::Incomplete,
        }
    } else {
        ([0; 4], rest)
    };
    let len = len as usize;
    if rest.len() < len {
        return Parsed::Incomplete;
    }
    let payload = rest[..len]
        .iter()
        .enumerate()
        .map(|(i, b)| b ^ key[i % 4])
        .collect();
    let used = buf.len() - rest.len() + len;
    let frame = ClientFrame {
        fin: b0 & FIN != 0,
        rsv: (b0 >> 4) & 0x7,
        opcode: b0 & 0x0F,
        masked,
        payload,
    };
    Parsed::Frame(frame, used)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_key_is_rfc_6455s_example() {
        // RFC 6455 §1.3.
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn headers_take_the_shortest_form_and_any_64_bit_length() {
        assert_eq!(header(FIN | TEXT, 5), [0x81, 0x05]);
        assert_eq!(header(FIN | TEXT, 125), [0x81, 0x7D]);
        assert_eq!(header(FIN | TEXT, 126), [0x81, 0x7E, 0x00, 0x7E]);
        assert_eq!(header(FIN | TEXT, 65535), [0x81, 0x7E, 0xFF, 0xFF]);
        assert_eq!(
            header(FIN | TEXT, 65536),
            [0x81, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00]
        );
        assert_eq!(
            header_64(FIN | TEXT, (1 << 63) - 1),
            [0x81, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
        );
        assert_eq!(
            header_64(FIN | TEXT, 1 << 63),
            [0x81, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0]
        );
        // RFC 6455 §5.7: a masked "Hello".
        assert_eq!(
            masked(FIN | TEXT, [0x37, 0xfa, 0x21, 0x3d], b"Hello"),
            [
                0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58
            ]
        );
        assert_eq!(close_payload(1008, b"no"), [0x03, 0xF0, b'n', b'o']);
    }

    #[test]
    fn client_frames_parse_unmasked() {
        // RFC 6455 §5.7 examples: a masked "Hello", and an unmasked ping "Hello".
        let hello = [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        let Parsed::Frame(f, used) = parse(&hello) else {
            panic!("no frame in {hello:?}");
        };
        assert_eq!((used, f.fin, f.opcode, f.masked), (11, true, TEXT, true));
        assert_eq!(f.payload, b"Hello");
        let ping = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0xFF];
        let Parsed::Frame(f, used) = parse(&ping) else {
            panic!("no ping");
        };
        assert_eq!(
            (used, f.opcode, f.masked, &f.payload[..]),
            (7, PING, false, &b"Hello"[..])
        );
        for cut in 0..hello.len() {
            assert_eq!(parse(&hello[..cut]), Parsed::Incomplete, "cut at {cut}");
        }
        assert_eq!(parse(&header_64(FIN | TEXT, 1 << 63)), Parsed::Invalid);
        let close = masked(FIN | CLOSE, [1, 2, 3, 4], &close_payload(1000, b""));
        let Parsed::Frame(f, _) = parse(&close) else {
            panic!("no close");
        };
        assert_eq!(f.close_code(), Some(1000));
    }
}
