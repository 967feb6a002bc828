//! GoToSocial 0.20 (superseriousbusiness/gotosocial @57cb4fe7).
//!
//! Sources: `internal/api/client/streaming/stream.go` (`StreamGETHandler`: the token,
//! `readFromWSConn`, `writeToWSConn`), `internal/stream/stream.go` (stream names, the
//! message struct, `Streams.Post`), `internal/processing/stream/*.go` (what is posted
//! where), `internal/api/util/errorhandling.go` and `response.go` (error bodies),
//! `cmd/gotosocial/action/server/server.go` (the 404 for SSE paths), vendored gorilla
//! websocket v1.5.3 (`WriteJSON`, subprotocol echo).
//!
//! - WebSocket only: SSE paths answer `404 {"error":"Not Found"}`.
//! - The token: the `access_token` query parameter, else the whole `Sec-WebSocket-Protocol`
//!   value (any value is taken as a token, and echoed in the `101`), else
//!   `Authorization: Bearer`. Query and protocol tokens must hold exactly `read`.
//! - Streams: `user`, `user:notification`, `public`, `public:local`, `direct`, `list:<id>`.
//!   `?stream=` takes any name (`list` or `tag` appended as `name:value`): an unknown one,
//!   or `hashtag:<tag>`, is accepted and never posted to. Subscribe messages read `type`,
//!   `stream` and `list` (not `tag`) and only for `public:local`, `public`, `user`,
//!   `direct`, `list`; nothing is answered.
//! - A client message that is not a JSON object of strings drops the TCP connection,
//!   without a close frame (gorilla's `Close`, inferred).
//! - Messages are `{"stream":[one name],"event":…,"payload":…}` plus `\n` (`WriteJSON` is
//!   `json.NewEncoder(w).Encode`), Go-escaped; `filters_changed` has `"payload":""`.
//!   A `notification` or `delete` is one message a connection, tagged with the first of
//!   its targets the connection has (`user:notification` before `user`; `public:local`,
//!   `public`, `user`, `direct` for deletions, never `list:<id>`).
//! - Keepalive: a ping with payload `ping!` after 30 s without a message (here: on
//!   [`FakeServer::heartbeat`](crate::FakeServer::heartbeat)).
//!
//! Real GoToSocial always names `wss://` streaming URLs; the fake names `ws://` when it
//! runs without TLS, so clients can connect to it.

use tungstenite::Message;

use crate::auth::{self, Grant, Lookup, TokenPlace};
use crate::dialect::escape::{Style, quote};
use crate::dialect::{Action, Cx, Handshake, Initial, Speaks, Sub, raw_response};
use crate::http::RecordedRequest;
use crate::publish::Wire;
use crate::route::Route;
use crate::server::Shared;

pub(crate) struct GoToSocial;

/// A JSON error as GoToSocial writes it (`EncodeJSONResponse`: exact length, no newline).
fn error(status: &str, message: &str) -> Vec<u8> {
    let body = format!("{{\"error\":{}}}", quote(Style::Go, message));
    let length = body.len().to_string();
    raw_response(
        status,
        &[
            ("Content-Type", "application/json"),
            ("Content-Length", &length),
        ],
        &body,
    )
}

/// The names `readFromWSConn` subscribes by message (`stream.AllStatusTimelines`).
const BY_MESSAGE: [&str; 5] = ["public:local", "public", "user", "direct", "list"];

/// The subscription for one of GoToSocial's internal stream names.
fn sub(cx_forbidden: impl Fn(&str) -> bool, internal: &str) -> Sub {
    match internal {
        "user" | "user:notification" | "public" | "public:local" | "direct" => {
            Sub::live(vec![internal.to_owned()])
        }
        // Nothing posts to another account's list (`surfacetimeline.go` posts to the
        // owner's lists only).
        _ => match internal.strip_prefix("list:") {
            Some(id) if !id.is_empty() && !cx_forbidden(id) => {
                Sub::live(vec!["list".to_owned(), id.to_owned()])
            }
            _ => Sub {
                name: vec![internal.to_owned()],
                live: false,
            },
        },
    }
}

/// The name GoToSocial writes in `stream` for a subscription.
fn internal(sub: &Sub) -> String {
    match sub.kind() {
        "list" if sub.live => format!("list:{}", sub.param()),
        kind => kind.to_owned(),
    }
}

/// A message as `WriteJSON` writes it.
fn message(stream: &str, event: &str, payload: &str) -> String {
    format!(
        "{{\"stream\":[{}],\"event\":{},\"payload\":{}}}\n",
        quote(Style::Go, stream),
        quote(Style::Go, event),
        quote(Style::Go, payload)
    )
}

impl GoToSocial {
    /// The token check of `StreamGETHandler`: a grant and where the token was, or the
    /// refusal.
    fn authorize(
        &self,
        shared: &Shared,
        req: &RecordedRequest,
    ) -> Result<(Grant, Option<TokenPlace>), Vec<u8>> {
        let given = auth::find_token(req, &[TokenPlace::AccessToken, TokenPlace::Protocol]);
        if let Some((place, token)) = given {
            return match auth::lookup(shared, &token) {
                Lookup::Open => Ok((Grant::Anything, Some(place))),
                Lookup::Invalid => Err(error("401 Unauthorized", "Unauthorized")),
                Lookup::Valid(grant) if grant.has_exactly("read") => Ok((grant, Some(place))),
                Lookup::Valid(_) => Err(error(
                    "403 Forbidden",
                    "Forbidden: token has insufficient scope permission",
                )),
            };
        }
        // `TokenAuth`: the session the bearer token middleware set, without a scope
        // check; an invalid bearer token sets none, so it reads as none supplied
        // (inferred from `TokenCheck`).
        let bearer = TokenPlace::Authorization.read(req).map(str::to_owned);
        let place = bearer.as_ref().map(|_| TokenPlace::Authorization);
        match bearer.map(|t| auth::lookup(shared, &t)) {
            _ if auth::open(shared) => Ok((Grant::Anything, place)),
            Some(Lookup::Valid(grant)) => Ok((grant, place)),
            _ => Err(error(
                "401 Unauthorized",
                "Unauthorized: token not supplied",
            )),
        }
    }
}

impl Speaks for GoToSocial {
    fn handshake(&self, shared: &Shared, req: &RecordedRequest) -> Result<Handshake, Vec<u8>> {
        let (grant, place) = self.authorize(shared, req)?;
        let initial = match req.param("stream") {
            None => Initial::None,
            Some(name) => {
                let extra = req
                    .param("list")
                    .filter(|l| !l.is_empty())
                    .or_else(|| req.param("tag").filter(|t| !t.is_empty()));
                let internal = match extra {
                    Some(extra) => format!("{name}:{extra}"),
                    None => name.to_owned(),
                };
                let forbidden = |id: &str| shared.lock().forbidden_lists.iter().any(|l| l == id);
                Initial::Subs(vec![sub(forbidden, &internal)])
            }
        };
        Ok(Handshake {
            grant,
            place,
            protocol: req.header("sec-websocket-protocol").map(str::to_owned),
            initial,
        })
    }

    fn text(&self, cx: &Cx<'_>, text: &str) -> Vec<Action> {
        let m = match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(m)) => m,
            // `null` decodes into the zero struct: a message of no type, ignored.
            Ok(serde_json::Value::Null) => return Vec::new(),
            _ => return vec![Action::Drop],
        };
        let mut fields = [None, None, None];
        for (slot, key) in fields.iter_mut().zip(["type", "stream", "list"]) {
            match m.get(key) {
                None | Some(serde_json::Value::Null) => {}
                Some(serde_json::Value::String(s)) => *slot = Some(s.clone()),
                // `ReadJSON` fails on a field of another type: the read loop ends.
                Some(_) => return vec![Action::Drop],
            }
        }
        let [kind, stream, list] = fields;
        let stream = stream.unwrap_or_default();
        if !BY_MESSAGE.contains(&stream.as_str()) {
            return Vec::new();
        }
        let internal = match list.filter(|l| !l.is_empty()) {
            Some(list) => format!("{stream}:{list}"),
            None => stream,
        };
        let sub = sub(|id| cx.forbidden(id), &internal);
        match kind.as_deref() {
            Some("subscribe") => vec![Action::Subscribe(sub)],
            Some("unsubscribe") => vec![Action::Unsubscribe(sub.name)],
            _ => Vec::new(),
        }
    }

    fn binary(&self, cx: &Cx<'_>, bytes: &[u8]) -> Vec<Action> {
        // gorilla's `ReadJSON` reads either kind of message.
        match std::str::from_utf8(bytes) {
            Ok(text) => self.text(cx, text),
            Err(_) => vec![Action::Drop],
        }
    }

    fn deliver(&self, cx: &Cx<'_>, wire: &Wire) -> Vec<String> {
        let targets: &[&str] = match (&wire.route, wire.name.as_str()) {
            (Route::Exact(_), _) => &[],
            (_, "notification") => &["user:notification", "user"],
            (_, "delete") => &["public:local", "public", "user", "direct"],
            _ => &[],
        };
        if targets.is_empty() {
            return cx
                .reached(wire)
                .map(|s| message(&internal(s), &wire.name, &wire.payload))
                .collect();
        }
        targets
            .iter()
            .find(|t| {
                cx.subs
                    .iter()
                    .any(|s| s.live && s.name.len() == 1 && s.kind() == **t)
            })
            .map(|t| message(t, &wire.name, &wire.payload))
            .into_iter()
            .collect()
    }

    fn heartbeat(&self) -> Message {
        Message::Ping(b"ping!".to_vec().into())
    }

    fn unknown_api(&self, _shared: &Shared, _req: &RecordedRequest) -> Vec<u8> {
        error("404 Not Found", "Not Found")
    }

    fn no_upgrade(&self, shared: &Shared, req: &RecordedRequest) -> Vec<u8> {
        // Authentication runs first, then gorilla's `Upgrade` fails: `http.Error` with
        // `Sec-Websocket-Version: 13` (headers as Go writes them, sorted; inferred).
        if let Err(refusal) = self.authorize(shared, req) {
            return refusal;
        }
        raw_response(
            "400 Bad Request",
            &[
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Sec-Websocket-Version", "13"),
                ("X-Content-Type-Options", "nosniff"),
                ("Content-Length", "12"),
            ],
            "Bad Request\n",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_gos() {
        assert_eq!(
            message(
                "user",
                "update",
                r#"{"id":"01FC3TZ5CFG6H65GCKCJRKA669","content":"\u003cp\u003ea\u003c/p\u003e"}"#
            ),
            "{\"stream\":[\"user\"],\"event\":\"update\",\"payload\":\"{\\\"id\\\":\\\"01FC3TZ5CFG6H65GCKCJRKA669\\\",\\\"content\\\":\\\"\\\\u003cp\\\\u003ea\\\\u003c/p\\\\u003e\\\"}\"}\n"
        );
        assert_eq!(
            error("401 Unauthorized", "Unauthorized"),
            b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: 24\r\n\r\n{\"error\":\"Unauthorized\"}"
        );
        let none = |_: &str| false;
        assert_eq!(sub(none, "list:01H").name, ["list", "01H"]);
        assert!(!sub(none, "hashtag:rust").live);
        assert!(!sub(|_| true, "list:01H").live);
        assert_eq!(internal(&sub(none, "list:01H")), "list:01H");
    }
}
