//! Akkoma 3.16 (BDX-town/Akkoma @071bb07a, upstream's streaming files) and Pleroma 2.7
//! (kphrx/pleroma @112caa05, tag `v2.7.0`'s streaming files).
//!
//! Sources: `lib/pleroma/web/mastodon_api/websocket_handler.ex` (Akkoma: `init/2`,
//! `authenticate_request/2`, `websocket_handle/2`; Pleroma: `connect/1`,
//! `handle_client_event/2`, `handle_error/2`), `lib/pleroma/web/streamer.ex` (`get_topic/4`,
//! `push_to_socket/2`), `lib/pleroma/web/views/streamer_view.ex`, `lib/pleroma/web/router.ex`
//! (the Fallback scope) and `fallback/redirect_controller.ex`.
//!
//! Both:
//! - WebSocket only: other `/api/…` paths answer `404 {"error":"Not implemented"}`.
//! - Streams: `public`, `public:local`, `public:media`, `public:local:media`,
//!   `hashtag` + `tag`, `public:remote(:media)` + `instance`, `user`, `user:notification`,
//!   `direct`, `list` + `list` (no `hashtag:local`, no parameterless `public:remote`).
//!   `?stream=` is optional (none: a connection with no subscription); an unknown stream
//!   or list refuses the upgrade with `404`, a private stream without a user or scope
//!   with `401`. Public streams are open to anonymous connections.
//! - Messages are Jason maps: `{"event":…,"payload":…,"stream":[…]}` (keys in term order up
//!   to OTP 25; later OTPs may order them otherwise: compare as JSON), `delete` without
//!   `stream`.
//!
//! Akkoma: the token is the `access_token` parameter, else the whole
//! `Sec-WebSocket-Protocol` (echoed); `Authorization` is not read. `stream` is the internal
//! topic (`user:<uid>` for statuses, plain `user` for notifications, `direct:<uid>`,
//! `list:<id>`, `hashtag:<tag>`). Subscribe messages read only `stream` (so no hashtag,
//! list or remote stream by message), nothing answers them, and there is no unsubscribe.
//! A text `ping` is answered `pong`. Refusals are cowboy's empty replies.
//!
//! Pleroma 2.7: the token is the `access_token` parameter only (or a
//! `pleroma:authenticate` message); an offered protocol is not echoed (Phoenix
//! `check_subprotocols(nil)`). `stream` is Mastodon's (`["list","42"]`). Subscribe and
//! unsubscribe read `tag`, `list`, `instance` and are answered with `pleroma:respond`.
//! Refusals are `401 Unauthorized` / `404 Not Found` with those words as the body. Phoenix
//! also refuses an `Origin` other than the instance's with `403`; the fake does not check
//! `Origin`.

use crate::auth::{self, Grant, Lookup, TokenPlace};
use crate::build::{Account, VIEWER};
use crate::dialect::escape::{Style, quote};
use crate::dialect::mastodon::field;
use crate::dialect::{
    Action, Cx, Dialect, Handshake, Initial, Speaks, Sub, date_now, raw_response,
};
use crate::http::RecordedRequest;
use crate::publish::Wire;
use crate::server::Shared;

/// Akkoma (`akkoma: true`) or Pleroma.
pub(crate) struct Pleroma {
    pub(crate) akkoma: bool,
}

/// Why `get_topic` fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TopicError {
    BadTopic,
    Unauthorized,
}

impl TopicError {
    fn name(self) -> &'static str {
        match self {
            TopicError::BadTopic => "bad_topic",
            TopicError::Unauthorized => "unauthorized",
        }
    }
}

/// Plug's default `cache-control`, on every Phoenix response.
const CACHE_CONTROL: (&str, &str) = ("cache-control", "max-age=0, private, must-revalidate");

/// A response as cowboy writes it (headers sorted; `date` and `server` are cowboy's,
/// inferred), with Plug's `cache-control` when `plug` is set.
fn cowboy(status: &str, plug: bool, extra: &[(&str, &str)], body: &str) -> Vec<u8> {
    let date = date_now();
    let length = body.len().to_string();
    let mut headers = Vec::new();
    if plug {
        headers.push(CACHE_CONTROL);
    }
    headers.push(("content-length", length.as_str()));
    headers.extend_from_slice(extra);
    headers.push(("date", &date));
    headers.push(("server", "Cowboy"));
    headers.sort_by_key(|(name, _)| *name);
    raw_response(status, &headers, body)
}

/// `get_topic/4`: the subscription a stream name and its parameters make for this grant.
fn topic(
    name: &str,
    param: impl Fn(&str) -> Option<String>,
    grant: &Grant,
    forbidden: impl Fn(&str) -> bool,
    akkoma: bool,
) -> Result<Sub, TopicError> {
    let with = |key: &str| {
        param(key)
            .filter(|v| !v.is_empty())
            .ok_or(TopicError::BadTopic)
    };
    let needs = |scope: &str| {
        if grant.allows(scope) {
            Ok(())
        } else {
            Err(TopicError::Unauthorized)
        }
    };
    let stream = match name {
        "public" | "public:local" | "public:media" | "public:local:media" => {
            // With a user, its token needs `read:statuses` (`can_access_stream`).
            if *grant != Grant::Anonymous {
                needs("read:statuses")?;
            }
            vec![name.to_owned()]
        }
        "hashtag" => vec![name.to_owned(), with("tag")?],
        "public:remote" | "public:remote:media" => vec![name.to_owned(), with("instance")?],
        "user" | "direct" => {
            needs("read:statuses")?;
            vec![name.to_owned()]
        }
        "user:notification" => {
            needs("read:notifications")?;
            vec![name.to_owned()]
        }
        "user:pleroma_chat" if !akkoma => {
            needs("read:chats")?;
            vec![name.to_owned()]
        }
        "list" => {
            let id = with("list")?;
            needs("read:lists")?;
            if forbidden(&id) {
                return Err(TopicError::BadTopic);
            }
            vec![name.to_owned(), id]
        }
        _ => return Err(TopicError::BadTopic),
    };
    Ok(Sub::live(stream))
}

/// A `pleroma:respond` message.
fn respond(kind: &str, result: Result<&str, &str>) -> String {
    let payload = match result {
        Ok(result) => format!(
            "{{\"result\":{},\"type\":{}}}",
            quote(Style::Jason, result),
            quote(Style::Jason, kind)
        ),
        Err(error) => format!(
            "{{\"error\":{},\"result\":\"error\",\"type\":{}}}",
            quote(Style::Jason, error),
            quote(Style::Jason, kind)
        ),
    };
    format!(
        "{{\"event\":\"pleroma:respond\",\"payload\":{}}}",
        quote(Style::Jason, &payload)
    )
}

impl Pleroma {
    fn dialect(&self) -> Dialect {
        if self.akkoma {
            Dialect::Akkoma
        } else {
            Dialect::Pleroma
        }
    }

    /// A refused upgrade: cowboy's empty reply on Akkoma, `handle_error/2` on Pleroma.
    fn refuse(&self, error: TopicError) -> Vec<u8> {
        let (status, body) = match error {
            TopicError::Unauthorized => ("401 Unauthorized", "Unauthorized"),
            TopicError::BadTopic => ("404 Not Found", "Not Found"),
        };
        if self.akkoma {
            cowboy(status, false, &[], "")
        } else {
            cowboy(status, true, &[], body)
        }
    }

    /// The user and topic of an upgrade (`init/2`, `connect/1`).
    fn accept(&self, shared: &Shared, req: &RecordedRequest) -> Result<Handshake, Vec<u8>> {
        let places: &[TokenPlace] = if self.akkoma {
            &[TokenPlace::AccessToken, TokenPlace::Protocol]
        } else {
            &[TokenPlace::AccessToken]
        };
        let found = auth::find_token(req, places);
        let place = found.as_ref().map(|(p, _)| *p);
        let grant = match found.map(|(_, t)| auth::lookup(shared, &t)) {
            _ if auth::open(shared) => Grant::Anything,
            Some(Lookup::Valid(grant)) => grant,
            Some(_) => return Err(self.refuse(TopicError::Unauthorized)),
            None => Grant::Anonymous,
        };
        let initial = match req.param("stream") {
            None => Initial::None,
            Some(name) => {
                let forbidden = |id: &str| shared.lock().forbidden_lists.iter().any(|l| l == id);
                let param = |k: &str| req.param(k).map(str::to_owned);
                let sub = topic(name, param, &grant, forbidden, self.akkoma)
                    .map_err(|e| self.refuse(e))?;
                Initial::Subs(vec![sub])
            }
        };
        let protocol = req
            .header("sec-websocket-protocol")
            .filter(|_| self.akkoma)
            .map(str::to_owned);
        Ok(Handshake {
            grant,
            place,
            protocol,
            initial,
        })
    }

    /// The `stream` of a message: Akkoma's internal topic, Pleroma's Mastodon name.
    fn stream(&self, sub: &Sub, event: &str) -> Vec<String> {
        if !self.akkoma {
            return sub.name.clone();
        }
        let uid = || self.dialect().status_ids().render(Account::new(VIEWER).id);
        let topic = match sub.kind() {
            // Notifications go out on the bare topic they were dispatched with.
            "user" if event == "notification" => "user".to_owned(),
            "user" | "direct" => format!("{}:{}", sub.kind(), uid()),
            kind if sub.name.len() > 1 => format!("{kind}:{}", sub.param()),
            kind => kind.to_owned(),
        };
        vec![topic]
    }

    /// Pleroma's `handle_client_event/2`.
    fn pleroma_event(
        &self,
        cx: &Cx<'_>,
        m: &serde_json::Map<String, serde_json::Value>,
    ) -> Vec<Action> {
        let kind = field(m, "type").unwrap_or_default();
        match kind.as_str() {
            "subscribe" | "unsubscribe" => {
                let name = field(m, "stream").unwrap_or_default();
                let param = |k: &str| field(m, k);
                let sub = match topic(&name, param, cx.grant, |id| cx.forbidden(id), false) {
                    Ok(sub) => sub,
                    Err(e) => return vec![Action::Send(respond(&kind, Err(e.name())))],
                };
                let present = cx.subs.contains(&sub);
                match (kind.as_str(), present) {
                    ("subscribe", false) => vec![
                        Action::Subscribe(sub),
                        Action::Send(respond(&kind, Ok("success"))),
                    ],
                    ("unsubscribe", true) => vec![
                        Action::Unsubscribe(sub.name),
                        Action::Send(respond(&kind, Ok("success"))),
                    ],
                    _ => vec![Action::Send(respond(&kind, Ok("ignored")))],
                }
            }
            "pleroma:authenticate" => {
                if *cx.grant != Grant::Anonymous {
                    return vec![Action::Send(respond(&kind, Err("already_authenticated")))];
                }
                let token = field(m, "token").unwrap_or_default();
                match auth::lookup(cx.shared, &token) {
                    Lookup::Valid(grant) => vec![
                        Action::Authenticate(grant),
                        Action::Send(respond(&kind, Ok("success"))),
                    ],
                    Lookup::Open => vec![
                        Action::Authenticate(Grant::Anything),
                        Action::Send(respond(&kind, Ok("success"))),
                    ],
                    Lookup::Invalid => vec![Action::Send(respond(&kind, Err("unauthorized")))],
                }
            }
            _ => Vec::new(),
        }
    }
}

impl Speaks for Pleroma {
    fn handshake(&self, shared: &Shared, req: &RecordedRequest) -> Result<Handshake, Vec<u8>> {
        self.accept(shared, req)
    }

    fn text(&self, cx: &Cx<'_>, text: &str) -> Vec<Action> {
        if self.akkoma && matches!(text, "ping" | "PING") {
            return vec![Action::Send("pong".to_owned())];
        }
        let Ok(serde_json::Value::Object(m)) = serde_json::from_str(text) else {
            return Vec::new();
        };
        if !self.akkoma {
            return self.pleroma_event(cx, &m);
        }
        // Akkoma: `get_topic(stream, user, token, %{})` — no parameters, no reply.
        if field(&m, "type").as_deref() != Some("subscribe") {
            return Vec::new();
        }
        let name = field(&m, "stream").unwrap_or_default();
        topic(&name, |_| None, cx.grant, |id| cx.forbidden(id), true)
            .map(Action::Subscribe)
            .into_iter()
            .collect()
    }

    fn deliver(&self, cx: &Cx<'_>, wire: &Wire) -> Vec<String> {
        let event = quote(Style::Jason, &wire.name);
        let payload = quote(Style::Jason, &wire.payload);
        cx.reached(wire)
            .map(|s| {
                if wire.name == "delete" {
                    return format!("{{\"event\":{event},\"payload\":{payload}}}");
                }
                let stream: Vec<String> = self
                    .stream(s, &wire.name)
                    .iter()
                    .map(|p| quote(Style::Jason, p))
                    .collect();
                format!(
                    "{{\"event\":{event},\"payload\":{payload},\"stream\":[{}]}}",
                    stream.join(",")
                )
            })
            .collect()
    }

    fn unknown_api(&self, _shared: &Shared, _req: &RecordedRequest) -> Vec<u8> {
        let json = ("content-type", "application/json; charset=utf-8");
        cowboy(
            "404 Not Found",
            true,
            &[json],
            r#"{"error":"Not implemented"}"#,
        )
    }

    fn no_upgrade(&self, shared: &Shared, req: &RecordedRequest) -> Vec<u8> {
        if let Err(refusal) = self.accept(shared, req) {
            return refusal;
        }
        if self.akkoma {
            // cowboy_websocket's `upgrade/5` without an upgrade (inferred for cowboy 2.14).
            let extra = [("connection", "upgrade"), ("upgrade", "websocket")];
            return cowboy("426 Upgrade Required", false, &extra, "");
        }
        // `WebSockAdapter.UpgradeError`'s message (order of its checks inferred).
        let got = req.header("connection").unwrap_or("");
        let got = if got.is_empty() {
            "[]".to_owned()
        } else {
            format!("[\"{}\"]", got.to_ascii_lowercase())
        };
        let body = format!("'connection' header must contain 'upgrade', got {got}");
        cowboy("400 Bad Request", true, &[], &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_pleromas() {
        assert_eq!(
            respond("subscribe", Ok("success")),
            r#"{"event":"pleroma:respond","payload":"{\"result\":\"success\",\"type\":\"subscribe\"}"}"#
        );
        assert_eq!(
            respond("subscribe", Err("bad_topic")),
            r#"{"event":"pleroma:respond","payload":"{\"error\":\"bad_topic\",\"result\":\"error\",\"type\":\"subscribe\"}"}"#
        );
        let refusal =
            String::from_utf8(Pleroma { akkoma: false }.refuse(TopicError::Unauthorized)).unwrap();
        assert!(refusal.starts_with(
            "HTTP/1.1 401 Unauthorized\r\ncache-control: max-age=0, private, must-revalidate\r\ncontent-length: 12\r\ndate: "
        ));
        assert!(
            refusal.ends_with("\r\nserver: Cowboy\r\n\r\nUnauthorized"),
            "{refusal}"
        );
    }

    #[test]
    fn topics_need_their_parameters_and_scopes() {
        let none = |_: &str| None;
        let no = |_: &str| false;
        let anon = Grant::Anonymous;
        assert_eq!(
            topic("public", none, &anon, no, true),
            Ok(Sub::live(vec!["public".into()]))
        );
        assert_eq!(
            topic("hashtag", none, &anon, no, true),
            Err(TopicError::BadTopic)
        );
        assert_eq!(
            topic("hashtag:local", none, &anon, no, true),
            Err(TopicError::BadTopic)
        );
        assert_eq!(
            topic("user", none, &anon, no, true),
            Err(TopicError::Unauthorized)
        );
        let tag = |k: &str| (k == "tag").then(|| "rust".to_owned());
        assert_eq!(
            topic("hashtag", tag, &anon, no, true).unwrap().name,
            ["hashtag", "rust"]
        );
        let notes = Grant::Scopes(vec!["read:notifications".into()]);
        assert_eq!(
            topic("public", none, &notes, no, true),
            Err(TopicError::Unauthorized)
        );
        assert_eq!(
            topic("user:pleroma_chat", none, &Grant::Anything, no, true),
            Err(TopicError::BadTopic)
        );
    }
}
