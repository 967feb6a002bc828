//! Sharkey 2023.12 (transfem-org/Sharkey @da069c8b0, and a later fork's
//! `StreamingApiServerService.ts`): a Mastodon REST layer (megalodon) but no Mastodon
//! streaming.
//!
//! Sources: `packages/backend/src/server/api/StreamingApiServerService.ts` (`attach`: every
//! upgrade path, the token, the raw 401), `…/api/stream/Connection.ts`
//! (`onWsConnectionMessage`: Misskey messages only).
//! - Every upgrade reaches Misskey's WebSocket. The token is `Authorization: Bearer` or the
//!   `i` parameter; `access_token` is not read, so a client that puts its token there gets
//!   an anonymous, healthy, silent socket. A bad token: a raw `401` with
//!   `WWW-Authenticate`.
//! - Mastodon subscribe messages fall through Misskey's `switch (type)`: nothing is ever
//!   sent but Misskey's pings every 60 s (which the fake does not send: such a connection
//!   never subscribes, so it is never live).
//! - Unknown API paths, SSE paths included: a JSON `404` (the megalodon layer was not
//!   read; inferred).

use crate::auth::{self, Grant, Lookup, TokenPlace};
use crate::dialect::{Action, Cx, Handshake, Initial, Speaks};
use crate::http::{RecordedRequest, Reply};
use crate::publish::Wire;
use crate::server::Shared;

pub(crate) struct Sharkey;

impl Speaks for Sharkey {
    fn upgrade_path(&self, _path: &str) -> bool {
        true
    }

    fn handshake(&self, shared: &Shared, req: &RecordedRequest) -> Result<Handshake, Vec<u8>> {
        let found = auth::find_token(req, &[TokenPlace::Authorization, TokenPlace::I]);
        let place = found.as_ref().map(|(p, _)| *p);
        let grant = match found.map(|(_, t)| auth::lookup(shared, &t)) {
            _ if auth::open(shared) => Grant::Anything,
            Some(Lookup::Valid(grant)) => grant,
            Some(_) => {
                return Err(
                    b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"Misskey\", \
                    error=\"invalid_token\", error_description=\"Failed to authenticate\"\r\n\r\n"
                        .to_vec(),
                );
            }
            None => Grant::Anonymous,
        };
        Ok(Handshake {
            grant,
            place,
            protocol: None,
            initial: Initial::None,
        })
    }

    fn text(&self, _cx: &Cx<'_>, _text: &str) -> Vec<Action> {
        Vec::new()
    }

    fn deliver(&self, _cx: &Cx<'_>, _wire: &Wire) -> Vec<String> {
        Vec::new()
    }

    fn unknown_api(&self, _shared: &Shared, _req: &RecordedRequest) -> Vec<u8> {
        Reply::error(404, "Not Found", "Not Found").encode()
    }
}
