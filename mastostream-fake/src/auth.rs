//! Access tokens: which the server accepts, with which scopes, and Mastodon's refusals.
//!
//! A server that knows no token lets every request through. Once it knows one (from
//! [`ServerOptions::token`](crate::ServerOptions::token) or
//! [`FakeServer::accept_token`]), every stream and timeline request needs one of the
//! tokens it accepts, as `Authorization: Bearer`, the `access_token` query parameter, or
//! (WebSocket upgrades) `Sec-WebSocket-Protocol`.

use crate::http::{RecordedRequest, Reply};
use crate::server::{FakeServer, Shared};
use crate::ws;

/// The scopes of a token accepted without a list of its own: all of Mastodon's top-level
/// scopes.
const ALL_SCOPES: &[&str] = &["read", "write", "follow", "push"];

/// A token the server knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) value: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) revoked: bool,
}

impl Token {
    pub(crate) fn new(value: &str, scopes: &[&str]) -> Token {
        Token {
            value: value.to_owned(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            revoked: false,
        }
    }

    pub(crate) fn full(value: &str) -> Token {
        Token::new(value, ALL_SCOPES)
    }
}

/// What a request may do: everything (no token required), what its token's scopes grant,
/// or (anonymous, on servers that allow it) only what needs no token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Grant {
    Anything,
    Scopes(Vec<String>),
    Anonymous,
}

impl Grant {
    /// Whether the grant covers `scope` (`read:statuses`): `read` covers every `read:*`.
    pub(crate) fn allows(&self, scope: &str) -> bool {
        match self {
            Grant::Anything => true,
            Grant::Scopes(scopes) => scopes
                .iter()
                .any(|s| s == scope || scope.split_once(':').is_some_and(|(top, _)| s == top)),
            Grant::Anonymous => false,
        }
    }

    /// Whether the grant holds exactly this scope (GoToSocial's `Permits("read")`: a
    /// granular `read:statuses` does not permit `read`).
    pub(crate) fn has_exactly(&self, scope: &str) -> bool {
        match self {
            Grant::Anything => true,
            Grant::Scopes(scopes) => scopes.iter().any(|s| s == scope),
            Grant::Anonymous => false,
        }
    }
}

/// Where a client put an access token: [`RecordedRequest::token_places`] lists every place
/// a request carried one, and [`WsConnection::token_place`](crate::WsConnection) the one the
/// server read. A test checks with both that a client put its token where the server reads
/// it, and nowhere else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenPlace {
    /// `Authorization: Bearer <token>`.
    Authorization,
    /// The `access_token` query parameter.
    AccessToken,
    /// The `i` query parameter (Misskey's name, read by Iceshrimp and Sharkey).
    I,
    /// The `Sec-WebSocket-Protocol` header (the only header a browser's WebSocket sets).
    Protocol,
}

impl TokenPlace {
    /// Every place, in the order [`RecordedRequest::token_places`] lists them.
    pub const ALL: [TokenPlace; 4] = [
        TokenPlace::Authorization,
        TokenPlace::AccessToken,
        TokenPlace::I,
        TokenPlace::Protocol,
    ];

    /// What `req` carries here: the bearer token, the parameter, or the whole
    /// `Sec-WebSocket-Protocol` value (servers that take the first offered protocol split
    /// it themselves).
    pub(crate) fn read(self, req: &RecordedRequest) -> Option<&str> {
        match self {
            TokenPlace::Authorization => req
                .header("authorization")
                .and_then(|v| v.strip_prefix("Bearer ")),
            TokenPlace::AccessToken => req.param("access_token"),
            TokenPlace::I => req.param("i"),
            TokenPlace::Protocol => req.header("sec-websocket-protocol"),
        }
        .filter(|v| !v.is_empty())
    }
}

/// The first of `places` where `req` carries a token.
pub(crate) fn find_token(
    req: &RecordedRequest,
    places: &[TokenPlace],
) -> Option<(TokenPlace, String)> {
    places
        .iter()
        .find_map(|p| p.read(req).map(|t| (*p, t.to_owned())))
}

/// What the server makes of a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// The server knows no token: everything goes.
    Open,
    /// A token it accepts, with these scopes.
    Valid(Grant),
    /// Unknown or revoked.
    Invalid,
}

/// Looks `token` up.
pub(crate) fn lookup(shared: &Shared, token: &str) -> Lookup {
    let st = shared.lock();
    if st.tokens.is_empty() {
        return Lookup::Open;
    }
    match st.tokens.iter().find(|t| t.value == token && !t.revoked) {
        Some(t) => Lookup::Valid(Grant::Scopes(t.scopes.clone())),
        None => Lookup::Invalid,
    }
}

/// Whether the server knows no token (and lets everything through).
pub(crate) fn open(shared: &Shared) -> bool {
    shared.lock().tokens.is_empty()
}

/// Mastodon's token check, with its `401` message on failure.
pub(crate) fn check_token(shared: &Shared, req: &RecordedRequest) -> Result<Grant, &'static str> {
    check_token_at(shared, req).map(|(grant, _)| grant)
}

/// Mastodon's token check, and where the token was: `Authorization: Bearer`, else the
/// `access_token` parameter, else (on a WebSocket upgrade) the first protocol offered in
/// `Sec-WebSocket-Protocol`.
pub(crate) fn check_token_at(
    shared: &Shared,
    req: &RecordedRequest,
) -> Result<(Grant, Option<TokenPlace>), &'static str> {
    let given =
        find_token(req, &[TokenPlace::Authorization, TokenPlace::AccessToken]).or_else(|| {
            ws::protocol_token(req)
                .filter(|_| ws::wants_upgrade(req))
                .map(|t| (TokenPlace::Protocol, t.to_owned()))
        });
    let place = given.as_ref().map(|(p, _)| *p);
    if open(shared) {
        return Ok((Grant::Anything, place));
    }
    let Some((_, given)) = given else {
        return Err("Missing access token");
    };
    match lookup(shared, &given) {
        Lookup::Valid(grant) => Ok((grant, place)),
        Lookup::Open => Ok((Grant::Anything, place)),
        Lookup::Invalid => Err("Invalid access token"),
    }
}

/// [`check_token`] as the reply a stream or REST request gets.
pub(crate) fn authorize(shared: &Shared, req: &RecordedRequest) -> Result<Grant, Reply> {
    check_token(shared, req).map_err(Reply::unauthorized)
}

/// Mastodon's streaming server's message for a token without the stream's scope.
pub(crate) const MISSING_SCOPE: &str = "Access token does not have the required scopes";

/// Mastodon's REST answer to a token without the endpoint's scope.
pub(crate) fn outside_scopes() -> Reply {
    Reply::error(
        403,
        "Forbidden",
        "This action is outside the authorized scopes",
    )
}

impl FakeServer {
    /// Accepts `token` from now on, with every scope (`read write follow push`), besides
    /// the tokens accepted already. A server that accepted no token so far requires one
    /// from now on.
    pub fn accept_token(&self, token: &str) {
        self.add_token(Token::full(token));
    }

    /// Accepts `token` from now on with only these scopes (`read`, `read:statuses`,
    /// `read:notifications`, ...; `read` grants every `read:*`). Streams want `read` or
    /// `read:statuses` (`user:notification`: `read:notifications`) and refuse others with
    /// `401 Access token does not have the required scopes` (over a WebSocket, that error
    /// message for the subscription); timelines and conversations want `read:statuses`,
    /// notifications `read:notifications`, and answer others `403`.
    pub fn accept_token_with_scopes(&self, token: &str, scopes: &[&str]) {
        self.add_token(Token::new(token, scopes));
    }

    fn add_token(&self, token: Token) {
        let mut st = self.shared.lock();
        st.tokens.retain(|t| t.value != token.value);
        st.tokens.push(token);
    }

    /// Revokes every token the server accepts (as expired or revoked tokens): from now on
    /// every request that needs one is refused with `401 Invalid access token` (a
    /// WebSocket upgrade with `X-Error-Message`). Connections already open stay open.
    pub fn revoke_token(&self) {
        for t in &mut self.shared.lock().tokens {
            t.revoked = true;
        }
    }

    /// Revokes one token, as [`revoke_token`](FakeServer::revoke_token) does all.
    pub fn revoke_one(&self, token: &str) {
        for t in &mut self.shared.lock().tokens {
            t.revoked |= t.value == token;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_covers_every_read_scope() {
        let grant = |s: &[&str]| Grant::Scopes(s.iter().map(|s| (*s).to_owned()).collect());
        assert!(grant(&["read"]).allows("read:statuses"));
        assert!(grant(&["read:statuses"]).allows("read:statuses"));
        assert!(!grant(&["read:statuses"]).allows("read:notifications"));
        assert!(!grant(&["write", "reader"]).allows("read:statuses"));
        assert!(!grant(&[]).allows("read:statuses"));
        assert!(Grant::Anything.allows("read:notifications"));
    }
}
