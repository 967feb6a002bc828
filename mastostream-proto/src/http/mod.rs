//! HTTP/1.1, client side, sans-IO: request encoding, response heads and body framing.
//!
//! Only what a streaming client needs: `GET` requests, a capped response-head parser
//! ([`HeadParser`], built on `httparse`), and a body decoder ([`BodyDecoder`]) for chunked,
//! length-delimited and close-delimited bodies that hands out [`Bytes`](bytes::Bytes) slices
//! of its input without copying.

mod body;
mod head;
mod message;
mod request;

pub use body::{BodyDecoder, BodyKind, BodyOutput};
pub use head::{HeadParser, Header, ResponseHead, RetryAfter};
pub(crate) use message::{quoted, quoted_bytes, server_message};
pub(crate) use request::USER_AGENT;
pub use request::{Request, Token};
