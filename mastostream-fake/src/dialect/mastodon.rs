//! Mastodon's streaming server, 4.x (the default dialect) and 3.x.
//!
//! Sources: mastodon/mastodon `streaming/index.js` (post-4.2: `subscribeWebsocketToChannel`,
//! `streamToWs`, `server.on('upgrade')`) and `streaming/errors.js`; for 3.x a 3.4.1-based
//! fork's `streaming/index.js` (atsu1125/mastodon; no pristine 3.5 file was available):
//! `accountFromRequest`, `checkScopes`, `channelNameToIds`, `streamFrom` and ws's
//! `abortHandshake`; mastodon/documentation `methods/streaming.md` for what came when.
//!
//! 3.x differs: errors are `{"error":"..."}` with no `status` (the text of a rejected
//! string, or `Error: ...` for an `Error` object); public streams need no token (unless the
//! instance runs in limited federation mode); a bad token is refused with ws's own
//! `401 Unauthorized` page; `filters_changed` has no payload (`JSON.stringify` drops
//! `undefined` over WebSocket; SSE writes `data: undefined`, inferred from the template
//! string); no `notifications_merged` (added in 4.3). `status.update` is sent: the fake
//! plays 3.5.3, and edits (with their `status.update` event) came in 3.5.0
//! (`documentation` `methods/streaming.md`).

use crate::auth::{self, Grant, MISSING_SCOPE};
use crate::dialect::{Action, Cx, Handshake, Initial, Speaks, Sub, is_public};
use crate::http::{RecordedRequest, Reply, json_string};
use crate::publish::Wire;
use crate::route;
use crate::server::Shared;
use crate::ws;

/// Mastodon 4 (`v3: false`) or 3.
pub(crate) struct Mastodon {
    pub(crate) v3: bool,
}

/// A server message: `payload` (the SSE `data`) as a JSON string.
pub(crate) fn message(stream: &[String], name: &str, payload: &str) -> String {
    let stream: Vec<String> = stream.iter().map(|s| json_string(s)).collect();
    format!(
        r#"{{"stream":[{}],"event":{},"payload":{}}}"#,
        stream.join(","),
        json_string(name),
        json_string(payload)
    )
}

/// The subscribe message an upgrade URL's `?stream=` (with `tag`, `list`) stands for.
pub(crate) fn subscribe_text(req: &RecordedRequest) -> Option<String> {
    let name = req.param("stream")?;
    let mut text = format!(r#"{{"type":"subscribe","stream":{}"#, json_string(name));
    for k in ["tag", "list"] {
        if let Some(v) = req.param(k) {
            text.push_str(&format!(",{}:{}", json_string(k), json_string(v)));
        }
    }
    text.push('}');
    Some(text)
}

/// A field of a client message as text (numbers too: `"list":42`).
pub(crate) fn field(m: &serde_json::Map<String, serde_json::Value>, k: &str) -> Option<String> {
    m.get(k).and_then(|v| match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// Why a subscription is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refused {
    Unknown,
    NoTag,
    NoList,
    ForbiddenList,
    Scope,
}

impl Mastodon {
    /// The refusal as this version writes it.
    fn error(&self, why: Refused) -> String {
        let (status, text) = match (self.v3, why) {
            (_, Refused::Unknown) => (400, "Unknown stream type"),
            (false, Refused::NoTag) => (400, "Missing tag name parameter"),
            (false, Refused::NoList) => (400, "Missing list name parameter"),
            (false, Refused::ForbiddenList) | (true, Refused::NoList | Refused::ForbiddenList) => {
                (401, "Not authorized to stream this list")
            }
            (false, Refused::Scope) => (401, MISSING_SCOPE),
            (true, Refused::NoTag) => (400, "No tag for stream provided"),
            (true, Refused::Scope) => (401, "Error: Access token does not cover required scopes"),
        };
        if self.v3 {
            format!(r#"{{"error":{}}}"#, json_string(text))
        } else {
            format!(r#"{{"error":{},"status":{status}}}"#, json_string(text))
        }
    }

    /// The stream a (un)subscribe message names (a forbidden list can be unsubscribed).
    fn stream_of(
        &self,
        m: &serde_json::Map<String, serde_json::Value>,
        cx: &Cx<'_>,
        subscribing: bool,
    ) -> Result<Vec<String>, Refused> {
        let name = field(m, "stream").unwrap_or_default();
        match name.as_str() {
            "user"
            | "user:notification"
            | "public"
            | "public:media"
            | "public:local"
            | "public:local:media"
            | "public:remote"
            | "public:remote:media"
            | "direct" => Ok(vec![name]),
            "hashtag" | "hashtag:local" => match field(m, "tag") {
                Some(tag) if !tag.is_empty() => Ok(vec![name, tag]),
                _ => Err(Refused::NoTag),
            },
            "list" => match field(m, "list") {
                Some(list) if subscribing && cx.forbidden(&list) => Err(Refused::ForbiddenList),
                Some(list) if !list.is_empty() => Ok(vec![name, list]),
                _ => Err(Refused::NoList),
            },
            _ => Err(Refused::Unknown),
        }
    }

    /// Whether the grant may read `stream` (3.x: public streams need nothing).
    fn may_read(&self, grant: &Grant, stream: &[String]) -> bool {
        (self.v3 && is_public(&stream[0])) || grant.allows(route::stream_scope(stream))
    }
}

impl Speaks for Mastodon {
    fn upgrade_path(&self, path: &str) -> bool {
        path.trim_end_matches('/') == "/api/v1/streaming"
    }

    fn handshake(&self, shared: &Shared, req: &RecordedRequest) -> Result<Handshake, Vec<u8>> {
        let (grant, place) = match auth::check_token_at(shared, req) {
            Ok(found) => found,
            // 3.x: no token is an anonymous connection (public streams only).
            Err("Missing access token") if self.v3 => (Grant::Anonymous, None),
            Err(_) if self.v3 => {
                return Err(b"HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\
                    Content-Type: text/html\r\nContent-Length: 12\r\n\r\nUnauthorized"
                    .to_vec());
            }
            Err(message) => {
                let request = shared.lock().requests.len();
                return Err(ws::refusal(401, "Unauthorized", message, request));
            }
        };
        Ok(Handshake {
            grant,
            place,
            // The ws library answers with the first protocol offered (inferred).
            protocol: ws::protocol_token(req).map(str::to_owned),
            initial: subscribe_text(req).map_or(Initial::None, Initial::Message),
        })
    }

    fn text(&self, cx: &Cx<'_>, text: &str) -> Vec<Action> {
        let Ok(serde_json::Value::Object(m)) = serde_json::from_str(text) else {
            if self.v3 {
                // 3.x's `parseJSON` logs and drops it (inferred from the code shape).
                return Vec::new();
            }
            return vec![Action::Send(
                r#"{"error":"Error parsing JSON","status":400}"#.to_owned(),
            )];
        };
        let kind = m.get("type").and_then(|t| t.as_str());
        let stream = self.stream_of(&m, cx, kind == Some("subscribe"));
        match kind {
            Some("subscribe") => match stream {
                Ok(s) if self.may_read(cx.grant, &s) => vec![Action::Subscribe(Sub::live(s))],
                Ok(_) => vec![Action::Send(self.error(Refused::Scope))],
                Err(why) => vec![Action::Send(self.error(why))],
            },
            Some("unsubscribe") => stream.map(Action::Unsubscribe).into_iter().collect(),
            _ => Vec::new(),
        }
    }

    fn deliver(&self, cx: &Cx<'_>, wire: &Wire) -> Vec<String> {
        cx.reached(wire)
            .map(|s| {
                if self.v3 && wire.name == "filters_changed" {
                    format!(
                        r#"{{"stream":[{}],"event":"filters_changed"}}"#,
                        s.name
                            .iter()
                            .map(|p| json_string(p))
                            .collect::<Vec<_>>()
                            .join(",")
                    )
                } else {
                    message(&s.name, &wire.name, &wire.payload)
                }
            })
            .collect()
    }

    fn unknown_api(&self, _shared: &Shared, _req: &RecordedRequest) -> Vec<u8> {
        // The fake's generic 404 (what Rails answers an unknown route was not read).
        Reply::error(404, "Not Found", "Record not found").encode()
    }
}

/// The stream an SSE request names, once its token, channel and scopes pass, or the
/// refusal Mastodon sends (4.x: `sse_stream`'s 400s and the 401s; 3.x below).
pub(crate) fn sse_key(
    shared: &Shared,
    req: &RecordedRequest,
    v3: bool,
) -> Result<Vec<String>, Reply> {
    if !v3 {
        let grant = auth::authorize(shared, req)?;
        let key = route::sse_stream(req).map_err(|m| Reply::error(400, "Bad Request", m))?;
        if !grant.allows(route::stream_scope(&key)) {
            return Err(Reply::unauthorized(MISSING_SCOPE));
        }
        return Ok(key);
    }
    // 3.x: `accountFromRequest` (a bad token: `Error: Invalid access token`), then
    // `checkScopes` (public channels need none; an unknown one needs `read`), then
    // `channelNameToIds`, whose every rejection is `httpNotFound`.
    let grant = match auth::check_token_at(shared, req) {
        Ok((grant, _)) => grant,
        Err("Missing access token") => Grant::Anonymous,
        Err(m) => return Err(Reply::unauthorized(&format!("Error: {m}"))),
    };
    let path = req
        .path
        .trim_start_matches("/api/v1/streaming")
        .trim_matches('/');
    let kind = path.replace('/', ":");
    let scope = if kind == "user:notification" {
        "read:notifications"
    } else {
        "read:statuses"
    };
    if !is_public(&kind) && !grant.allows(scope) {
        return Err(Reply::unauthorized(
            "Error: Access token does not cover required scopes",
        ));
    }
    let not_found = || Reply::error(404, "Not Found", "Not found");
    let key = route::sse_stream(req).map_err(|_| not_found())?;
    let forbidden = key[0] == "list" && shared.lock().forbidden_lists.contains(&key[1]);
    if forbidden {
        return Err(not_found());
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_encode_payloads_as_json_strings() {
        let stream = vec!["hashtag".to_owned(), "rust".to_owned()];
        assert_eq!(
            message(&stream, "update", r#"{"id":"1","content":"<p>a\"b</p>"}"#),
            r#"{"stream":["hashtag","rust"],"event":"update","payload":"{\"id\":\"1\",\"content\":\"<p>a\\\"b</p>\"}"}"#
        );
        assert_eq!(
            message(&["public".to_owned()], "delete", "110988741790818968"),
            r#"{"stream":["public"],"event":"delete","payload":"110988741790818968"}"#
        );
    }

    #[test]
    fn refusals_are_each_versions() {
        let v4 = Mastodon { v3: false };
        let v3 = Mastodon { v3: true };
        assert_eq!(
            v4.error(Refused::NoTag),
            r#"{"error":"Missing tag name parameter","status":400}"#
        );
        assert_eq!(
            v4.error(Refused::ForbiddenList),
            r#"{"error":"Not authorized to stream this list","status":401}"#
        );
        assert_eq!(
            v3.error(Refused::Unknown),
            r#"{"error":"Unknown stream type"}"#
        );
        assert_eq!(
            v3.error(Refused::Scope),
            r#"{"error":"Error: Access token does not cover required scopes"}"#
        );
        let req = crate::http::parse_request(
            "GET /api/v1/streaming?stream=list&list=42 HTTP/1.1",
            false,
            false,
        )
        .unwrap();
        assert_eq!(
            subscribe_text(&req).unwrap(),
            r#"{"type":"subscribe","stream":"list","list":"42"}"#
        );
    }
}
