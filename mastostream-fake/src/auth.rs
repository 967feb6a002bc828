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

/// What a request may do: everything (no token required), or what its token's scopes
/// grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Grant {
    Anything,
    Scopes(Vec<String>),
}

impl Grant {
    /// Whether the grant covers `scope` (`read:statuses`): `read` covers every `read:*`.
    pub(crate) fn allows(&self, scope: &str) -> bool {
        match self {
            Grant::Anything => true,
            Grant::Scopes(scopes) => scopes
                .iter()
                .any(|s| s == scope || scope.split_once(':').is_some_and(|(top, _)| s == top)),
        }
    }
}

/// Mastodon's token check, with its `401` message on failure.
pub(crate) fn check_token(shared: &Shared, req: &RecordedRequest) -> Result<Grant, &'static str> {
    let st = shared.lock();
    if st.tokens.is_empty() {
        return Ok(Grant::Anything);
    }
    let given = req
        .header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .or_else(|| req.param("access_token"))
        .or_else(|| ws::protocol_token(req).filter(|_| ws::is_upgrade(req)));
    let Some(given) = given else {
        return Err("Missing access token");
    };
    match st.tokens.iter().find(|t| t.value == given && !t.revoked) {
        Some(t) => Ok(Grant::Scopes(t.scopes.clone())),
        None => Err("Invalid access token"),
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
