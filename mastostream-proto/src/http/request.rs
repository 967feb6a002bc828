//! `GET` request encoding.

use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};

/// An access token. Its text never appears in `Debug` output, `Display`, errors or logs.
///
/// ```
/// use mastostream_proto::http::Token;
/// let token = Token::new("s3cr3t");
/// assert_eq!(format!("{token:?}"), "Token(<redacted>)");
/// assert_eq!(token.expose(), "s3cr3t");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Token(Box<str>);

impl Token {
    /// Wraps an access token.
    pub fn new(token: impl Into<Box<str>>) -> Self {
        Token(token.into())
    }

    /// The token's text, for writing it on the wire. Never log the result.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// A `GET` request, ready to encode.
///
/// The encoded request carries `Host`, `Authorization: Bearer` when a token is set,
/// `Accept`, `Cache-Control: no-cache`, `User-Agent` and `Connection: close` (one request per connection). It never asks for a
/// compressed body (no `Accept-Encoding`): a streaming body must reach the parser as sent.
///
/// ```
/// use mastostream_proto::http::{Request, Token};
/// let req = Request::get("mastodon.social", "/api/v1/streaming/user")
///     .token(Token::new("abc"))
///     .accept("text/event-stream");
/// let bytes = req.encode();
/// assert!(bytes.starts_with(b"GET /api/v1/streaming/user HTTP/1.1\r\nHost: mastodon.social\r\n"));
/// assert!(!format!("{req:?}").contains("abc"));
/// ```
#[derive(Clone, Debug)]
pub struct Request {
    host: String,
    target: String,
    token: Option<Token>,
    accept: String,
    user_agent: String,
    extra: Vec<(String, String)>,
}

/// The default `User-Agent`.
pub(crate) const USER_AGENT: &str = concat!("mastostream/", env!("CARGO_PKG_VERSION"));

impl Request {
    /// A `GET` for `target` (path and query, starting with `/`) on `host` (as it belongs in
    /// the `Host` header: with the port when it is not the scheme's default).
    pub fn get(host: impl Into<String>, target: impl Into<String>) -> Self {
        Request {
            host: host.into(),
            target: target.into(),
            token: None,
            accept: "text/event-stream".into(),
            user_agent: USER_AGENT.into(),
            extra: Vec::new(),
        }
    }

    /// Sends `Authorization: Bearer <token>`.
    pub fn token(mut self, token: Token) -> Self {
        self.token = Some(token);
        self
    }

    /// Sets the token, or none.
    pub fn token_opt(mut self, token: Option<Token>) -> Self {
        self.token = token;
        self
    }

    /// Sets the `Accept` header (default `text/event-stream`).
    pub fn accept(mut self, accept: impl Into<String>) -> Self {
        self.accept = accept.into();
        self
    }

    /// Sets the `User-Agent` header (default `mastostream/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Adds a header. Names and values containing CR or LF are dropped, so no header can
    /// smuggle another.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let (name, value) = (name.into(), value.into());
        if !(name.contains(['\r', '\n', ':']) || value.contains(['\r', '\n'])) {
            self.extra.push((name, value));
        }
        self
    }

    /// The request target (path and query).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The `Host` header value.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Encodes the request head.
    pub fn encode(&self) -> Bytes {
        let mut b = BytesMut::with_capacity(256 + self.target.len());
        b.put_slice(b"GET ");
        b.put_slice(self.target.as_bytes());
        b.put_slice(b" HTTP/1.1\r\nHost: ");
        b.put_slice(self.host.as_bytes());
        if let Some(token) = &self.token {
            b.put_slice(b"\r\nAuthorization: Bearer ");
            b.put_slice(token.expose().as_bytes());
        }
        b.put_slice(b"\r\nAccept: ");
        b.put_slice(self.accept.as_bytes());
        b.put_slice(b"\r\nCache-Control: no-cache\r\nUser-Agent: ");
        b.put_slice(self.user_agent.as_bytes());
        for (name, value) in &self.extra {
            b.put_slice(b"\r\n");
            b.put_slice(name.as_bytes());
            b.put_slice(b": ");
            b.put_slice(value.as_bytes());
        }
        b.put_slice(b"\r\nConnection: close\r\n\r\n");
        b.freeze()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_every_header_and_no_accept_encoding() {
        let req = Request::get(
            "example.org:8443",
            "/api/v1/streaming/hashtag?tag=caf%C3%A9",
        )
        .token(Token::new("tok"))
        .user_agent("test/1");
        let text = String::from_utf8(req.encode().to_vec()).unwrap();
        assert_eq!(
            text,
            "GET /api/v1/streaming/hashtag?tag=caf%C3%A9 HTTP/1.1\r\n\
             Host: example.org:8443\r\n\
             Authorization: Bearer tok\r\n\
             Accept: text/event-stream\r\n\
             Cache-Control: no-cache\r\n\
             User-Agent: test/1\r\n\
             Connection: close\r\n\r\n"
        );
        assert!(!text.to_ascii_lowercase().contains("accept-encoding"));
    }

    #[test]
    fn debug_never_shows_the_token() {
        let req = Request::get("h", "/").token(Token::new("very-secret-token"));
        assert!(!format!("{req:?}").contains("very-secret"));
        assert!(!format!("{:?}", Token::new("very-secret-token")).contains("very-secret"));
    }

    #[test]
    fn header_injection_is_refused() {
        let req = Request::get("h", "/").header("X-A", "1\r\nX-Evil: 2");
        let text = String::from_utf8(req.encode().to_vec()).unwrap();
        assert!(!text.contains("X-Evil"));
    }
}
