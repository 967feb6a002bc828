//! Iceshrimp JS (Ernous/iceshrimp @ecdae885; Firefish took the same Mastodon layer in
//! v20240326, blueset/fireghoti 3dbaa6899) and Iceshrimp.NET (kaido2ki/Iceshrimp.NET
//! @b3d9f649, 2024.1-beta4).
//!
//! Iceshrimp JS sources: `packages/backend/src/server/api/streaming.ts`
//! (`initializeStreamingServer`: the token, `ping`), `…/api/mastodon/streaming/index.ts`
//! (`MastodonStreamingConnection`: subscriptions, `send`), `…/streaming/channels/*.ts`,
//! `…/server/api/index.ts` (the 404), WebSocket-Node's `WebSocketRequest.reject`.
//! - WebSocket only, on any path under `/api/v1/streaming`; SSE paths get Koa's
//!   `404 Not Found` (text).
//! - The token: `i`, else `access_token`, else the whole `Sec-WebSocket-Protocol`; the first
//!   offered protocol is echoed. `Authorization` is not read. No valid token:
//!   `400 Bad Request` (WebSocket-Node's bare reply), public streams included.
//! - Subscribe messages need `type` and `stream`; an unknown stream is ignored; a stream
//!   whose scopes the token lacks (`user`: `read:statuses` and `read:notifications`;
//!   others `read:statuses`) closes the connection (code 1000, WebSocket-Node's default,
//!   inferred). Unsubscribing goes by name only (every list at once).
//! - `stream` holds the channel name only: `["list"]`, `["hashtag"]`.
//! - A text `ping` is answered `pong`.
//! - `public:allow_local_only` is not modelled (the fake ignores it, as an unknown stream).
//!
//! Iceshrimp.NET sources: `Controllers/Mastodon/WebSocketController.cs`
//! (`GetStreamingSocket`, `Authenticate`), `Controllers/Mastodon/Streaming/
//! WebSocketConnection.cs` (`HandleSocketMessageAsync`), `…/Streaming/Channels/*.cs`
//! (`ListChannel.OnNoteDeleted`), `Controllers/Web/FallbackController.cs`,
//! `Core/Middleware/ErrorHandlerMiddleware.cs`, `Startup.cs` (keep-alive).
//! - WebSocket only; other `/api/…` paths answer `501` with an error document.
//! - The token: `access_token`, else the first offered protocol, which is not echoed.
//!   None: `400 {"error":"Missing WebSocket protocol header"}`; unknown: `401`.
//! - A text `ping` is answered `pong`; any other message that is not a subscribe or
//!   unsubscribe object (or longer than the server's 256-byte receive buffer) closes with
//!   1007, missing scopes with 1008, a binary message with 1003. Unknown streams are
//!   ignored.
//! - Messages are written by `System.Text.Json` (`"` as `\u0022`); a deletion reaches
//!   list subscriptions as a `status.update` with a bare id (`ListChannel.OnNoteDeleted`).
//! - Keepalive: unsolicited pong frames (ASP.NET's `KeepAliveInterval`, inferred).
//!
//! Real Iceshrimp.NET always names `wss://` URLs; the fake names `ws://` without TLS.

use tungstenite::Message;

use crate::auth::{self, Grant, Lookup, TokenPlace};
use crate::dialect::escape::{Style, quote};
use crate::dialect::mastodon::{field, subscribe_text};
use crate::dialect::{Action, Cx, Handshake, Initial, Speaks, Sub, raw_response};
use crate::http::RecordedRequest;
use crate::publish::Wire;
use crate::server::Shared;
use crate::ws;

/// Iceshrimp JS (`net: false`) or Iceshrimp.NET.
pub(crate) struct Iceshrimp {
    pub(crate) net: bool,
}

/// The streams both serve (besides `public:allow_local_only`, not modelled).
const STREAMS: [&str; 12] = [
    "user",
    "user:notification",
    "direct",
    "list",
    "public",
    "public:media",
    "public:local",
    "public:local:media",
    "public:remote",
    "public:remote:media",
    "hashtag",
    "hashtag:local",
];

/// Koa's default 404 (inferred).
const KOA_404: &[u8] =
    b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 9\r\n\r\nNot Found";

/// An Iceshrimp.NET error response: `ErrorHandlerMiddleware` writes the JSON with
/// `WriteAsJsonAsync` (content type inferred) and a `Request-Id`. The body runs to the
/// end of the connection here; Kestrel frames it itself (not read).
fn net_error(shared: &Shared, status: &str, body: &str) -> Vec<u8> {
    let trace = trace_id(shared);
    let body = body.replace("<trace id>", &trace);
    raw_response(
        status,
        &[
            ("Content-Type", "application/json; charset=utf-8"),
            ("Request-Id", &trace),
        ],
        &body,
    )
}

/// An ASP.NET `TraceIdentifier`-like request id.
fn trace_id(shared: &Shared) -> String {
    let n = shared.lock().requests.len();
    format!("0HNFAKE{n:06X}:00000001")
}

/// The scopes a stream needs: `user` both `read:statuses` and `read:notifications`.
fn scopes_cover(grant: &Grant, kind: &str) -> bool {
    grant.allows("read:statuses") && (kind != "user" || grant.allows("read:notifications"))
}

impl Iceshrimp {
    /// The token and the grant, or the refusal.
    fn authorize(
        &self,
        shared: &Shared,
        req: &RecordedRequest,
    ) -> Result<(Grant, Option<TokenPlace>), Vec<u8>> {
        let found = if self.net {
            auth::find_token(req, &[TokenPlace::AccessToken]).or_else(|| {
                ws::protocol_token(req)
                    .filter(|p| !p.is_empty())
                    .map(|p| (TokenPlace::Protocol, p.to_owned()))
            })
        } else {
            auth::find_token(
                req,
                &[TokenPlace::I, TokenPlace::AccessToken, TokenPlace::Protocol],
            )
        };
        let place = found.as_ref().map(|(p, _)| *p);
        let refuse = |missing: bool| {
            if !self.net {
                return b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n".to_vec();
            }
            if missing {
                net_error(
                    shared,
                    "400 Bad Request",
                    r#"{"error":"Missing WebSocket protocol header"}"#,
                )
            } else {
                net_error(
                    shared,
                    "401 Unauthorized",
                    r#"{"error":"This method requires an authenticated user"}"#,
                )
            }
        };
        match found.map(|(_, t)| auth::lookup(shared, &t)) {
            _ if auth::open(shared) => Ok((Grant::Anything, place)),
            Some(Lookup::Valid(grant)) => Ok((grant, place)),
            Some(_) => Err(refuse(false)),
            None => Err(refuse(true)),
        }
    }

    /// A subscribe or unsubscribe request, as both servers read one.
    fn request(
        &self,
        cx: &Cx<'_>,
        kind: &str,
        m: &serde_json::Map<String, serde_json::Value>,
    ) -> Vec<Action> {
        let stream = field(m, "stream").unwrap_or_default();
        if !STREAMS.contains(&stream.as_str()) {
            return Vec::new();
        }
        let bad = || {
            if self.net {
                vec![Action::Close(1007)]
            } else {
                // Iceshrimp JS's channels drop a subscription they cannot make (inferred).
                Vec::new()
            }
        };
        let name = match stream.as_str() {
            "list" => match field(m, "list").filter(|l| !l.is_empty()) {
                Some(id) if !cx.forbidden(&id) => vec![stream, id],
                _ => return bad(),
            },
            "hashtag" | "hashtag:local" => match field(m, "tag").filter(|t| !t.is_empty()) {
                Some(tag) => vec![stream, tag],
                None => return bad(),
            },
            _ => vec![stream],
        };
        match kind {
            "subscribe" => {
                let private = matches!(
                    name[0].as_str(),
                    "user" | "user:notification" | "direct" | "list"
                );
                if (self.net || private) && !scopes_cover(cx.grant, &name[0]) {
                    return vec![Action::Close(if self.net { 1008 } else { 1000 })];
                }
                vec![Action::Subscribe(Sub::live(name))]
            }
            _ if self.net => vec![Action::Unsubscribe(name)],
            _ => vec![Action::UnsubscribeKind(name[0].clone())],
        }
    }
}

impl Speaks for Iceshrimp {
    fn upgrade_path(&self, path: &str) -> bool {
        if self.net {
            path.trim_end_matches('/') == "/api/v1/streaming"
        } else {
            path.starts_with("/api/v1/streaming")
        }
    }

    fn handshake(&self, shared: &Shared, req: &RecordedRequest) -> Result<Handshake, Vec<u8>> {
        let (grant, place) = self.authorize(shared, req)?;
        let protocol = ws::protocol_token(req)
            .filter(|p| !self.net && !p.is_empty())
            .map(str::to_owned);
        Ok(Handshake {
            grant,
            place,
            protocol,
            initial: subscribe_text(req).map_or(Initial::None, Initial::Message),
        })
    }

    fn text(&self, cx: &Cx<'_>, text: &str) -> Vec<Action> {
        if text == "ping" {
            return vec![Action::Send("pong".to_owned())];
        }
        if self.net && text.len() > 256 {
            // Read in 256-byte pieces with no reassembly: never valid JSON (inferred).
            return vec![Action::Close(1007)];
        }
        let m = match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(m)) => m,
            _ if self.net => return vec![Action::Close(1007)],
            _ => return Vec::new(),
        };
        let strings =
            ["type", "stream"].map(|k| m.get(k).and_then(|v| v.as_str()).map(str::to_owned));
        match strings {
            [Some(kind), Some(_)] if kind == "subscribe" || kind == "unsubscribe" => {
                self.request(cx, &kind, &m)
            }
            _ if self.net => vec![Action::Close(1007)],
            _ => Vec::new(),
        }
    }

    fn binary(&self, _cx: &Cx<'_>, _bytes: &[u8]) -> Vec<Action> {
        if self.net {
            vec![Action::Close(1003)]
        } else {
            Vec::new()
        }
    }

    fn deliver(&self, cx: &Cx<'_>, wire: &Wire) -> Vec<String> {
        cx.reached(wire)
            .map(|s| {
                if !self.net {
                    return format!(
                        "{{\"stream\":[{}],\"event\":{},\"payload\":{}}}",
                        quote(Style::Js, s.kind()),
                        quote(Style::Js, &wire.name),
                        quote(Style::Js, &wire.payload)
                    );
                }
                let event = if s.kind() == "list" && wire.name == "delete" {
                    "status.update"
                } else {
                    &wire.name
                };
                let stream: Vec<String> = s.name.iter().map(|p| quote(Style::Stj, p)).collect();
                format!(
                    "{{\"stream\":[{}],\"event\":{},\"payload\":{}}}",
                    stream.join(","),
                    quote(Style::Stj, event),
                    quote(Style::Stj, &wire.payload)
                )
            })
            .collect()
    }

    fn heartbeat(&self) -> Message {
        if self.net {
            Message::Pong(Default::default())
        } else {
            Message::Ping(Default::default())
        }
    }

    fn unknown_api(&self, shared: &Shared, _req: &RecordedRequest) -> Vec<u8> {
        if self.net {
            net_error(
                shared,
                "501 Not Implemented",
                r#"{"statusCode":501,"error":"NotImplemented","message":"This API method has not been implemented","requestId":"<trace id>"}"#,
            )
        } else {
            KOA_404.to_vec()
        }
    }

    fn no_upgrade(&self, shared: &Shared, _req: &RecordedRequest) -> Vec<u8> {
        if self.net {
            net_error(
                shared,
                "400 Bad Request",
                r#"{"error":"Not a WebSocket request"}"#,
            )
        } else {
            KOA_404.to_vec()
        }
    }
}
