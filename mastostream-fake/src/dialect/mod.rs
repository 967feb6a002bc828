//! Dialects: the Mastodon-API servers the fake server can play, each speaking streaming,
//! discovery and pagination as its own source code does.
//!
//! One file per family: [`mastodon`] (4.x and 3.x), [`gotosocial`], [`pleroma`] (Akkoma
//! and Pleroma), [`iceshrimp`] (Iceshrimp JS / Firefish and Iceshrimp.NET), [`sharkey`].
//! [`discovery`] answers NodeInfo and the instance documents, [`paging`] the REST
//! timelines, [`ids`] writes ids in each server's format and [`escape`] JSON strings as
//! each server's encoder does.

pub(crate) mod discovery;
pub(crate) mod escape;
pub(crate) mod gotosocial;
pub(crate) mod iceshrimp;
pub(crate) mod ids;
pub(crate) mod mastodon;
pub(crate) mod paging;
pub(crate) mod pleroma;
pub(crate) mod sharkey;

use tungstenite::Message;

use crate::auth::{Grant, TokenPlace};
use crate::http::RecordedRequest;
use crate::publish::Wire;
use crate::server::Shared;
use ids::IdFormat;

/// Which server a [`FakeServer`](crate::FakeServer) plays. Every dialect serves the same
/// published statuses, notifications and timelines; what differs is how the server says
/// it: its transports, where it reads the token, its subscribe messages and replies, the
/// bytes of its messages, its ids, its pagination and its discovery documents. The crate
/// docs have [the table](crate#dialects).
///
/// ```
/// use std::io::{Read, Write};
/// use std::net::TcpStream;
///
/// use mastostream_fake::{Dialect, FakeServer, ServerOptions};
///
/// let server = FakeServer::start(ServerOptions {
///     dialect: Dialect::GoToSocial,
///     ..ServerOptions::default()
/// });
/// // GoToSocial has no SSE: its streaming paths answer 404.
/// let mut tcp = TcpStream::connect(server.addr()).unwrap();
/// tcp.write_all(b"GET /api/v1/streaming/user HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
/// let mut answer = String::new();
/// tcp.read_to_string(&mut answer).unwrap();
/// assert!(answer.ends_with("\r\n\r\n{\"error\":\"Not Found\"}"));
/// assert_eq!(server.dialect().software_name(), "gotosocial");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Dialect {
    /// Mastodon 4.3 (the default): SSE and the multiplexed WebSocket.
    #[default]
    Mastodon4,
    /// Mastodon 3.5: no `/api/v2/instance`, errors without `status`, `filters_changed`
    /// without payload, anonymous public streams.
    Mastodon3,
    /// GoToSocial 0.20: WebSocket only, ULID ids.
    GoToSocial,
    /// Akkoma 3.16: WebSocket only, internal topics in `stream`, FlakeIds.
    Akkoma,
    /// Pleroma 2.7: WebSocket only, `access_token` only, `pleroma:respond` replies.
    Pleroma,
    /// Iceshrimp JS (and Firefish from v20240326, which took its Mastodon API):
    /// WebSocket only, streams named without their list or tag.
    Iceshrimp,
    /// Iceshrimp.NET 2024.1: WebSocket only, `\u0022`-escaped messages, `min_id` pages
    /// oldest first.
    IceshrimpNet,
    /// Sharkey 2023.12: no Mastodon streaming (its WebSocket speaks only Misskey's
    /// protocol).
    Sharkey,
}

impl Dialect {
    /// Every dialect.
    pub const ALL: [Dialect; 8] = [
        Dialect::Mastodon4,
        Dialect::Mastodon3,
        Dialect::GoToSocial,
        Dialect::Akkoma,
        Dialect::Pleroma,
        Dialect::Iceshrimp,
        Dialect::IceshrimpNet,
        Dialect::Sharkey,
    ];

    /// NodeInfo's `software.name`, as the server writes it (`Iceshrimp.NET` is not lower
    /// case).
    pub fn software_name(self) -> &'static str {
        match self {
            Dialect::Mastodon4 | Dialect::Mastodon3 => "mastodon",
            Dialect::GoToSocial => "gotosocial",
            Dialect::Akkoma => "akkoma",
            Dialect::Pleroma => "pleroma",
            Dialect::Iceshrimp => "iceshrimp",
            Dialect::IceshrimpNet => "Iceshrimp.NET",
            Dialect::Sharkey => "sharkey",
        }
    }

    /// NodeInfo's `software.version`: the release the dialect was read from.
    pub fn software_version(self) -> &'static str {
        match self {
            Dialect::Mastodon4 => "4.3.0",
            Dialect::Mastodon3 => "3.5.3",
            Dialect::GoToSocial => "0.20.0+git-57cb4fe",
            Dialect::Akkoma => "3.16.0",
            Dialect::Pleroma => "2.7.0",
            Dialect::Iceshrimp => "2026.5.1",
            Dialect::IceshrimpNet => "2024.1-beta4",
            Dialect::Sharkey => "2023.12.0.beta1",
        }
    }

    /// The `version` of `/api/v1/instance` (and v2 where the server has it).
    pub fn instance_version(self) -> String {
        let v = self.software_version();
        match self {
            Dialect::Mastodon4 | Dialect::Mastodon3 | Dialect::GoToSocial => v.to_owned(),
            Dialect::Akkoma => format!("2.7.2 (compatible; Akkoma {v})"),
            Dialect::Pleroma => format!("2.7.2 (compatible; Pleroma {v})"),
            Dialect::Iceshrimp => format!("4.2.1 (compatible; Iceshrimp {v})"),
            Dialect::IceshrimpNet => format!("4.2.1 (compatible; Iceshrimp.NET/{v})"),
            Dialect::Sharkey => format!("3.0.0 (compatible; Sharkey {v})"),
        }
    }

    /// Whether the server offers SSE streams (`/api/v1/streaming/...`): only Mastodon.
    pub fn has_sse(self) -> bool {
        matches!(self, Dialect::Mastodon4 | Dialect::Mastodon3)
    }

    /// Whether the server speaks Mastodon's streaming protocol at all (not Sharkey).
    pub fn has_mastodon_streaming(self) -> bool {
        self != Dialect::Sharkey
    }

    /// Whether the server has `/api/v2/instance`.
    pub fn has_instance_v2(self) -> bool {
        !matches!(
            self,
            Dialect::Mastodon3 | Dialect::Akkoma | Dialect::Iceshrimp | Dialect::Sharkey
        )
    }

    /// How status (and account, media) ids are written.
    pub(crate) fn status_ids(self) -> IdFormat {
        match self {
            Dialect::Mastodon4 | Dialect::Mastodon3 => IdFormat::Decimal,
            Dialect::GoToSocial => IdFormat::Ulid,
            Dialect::Akkoma | Dialect::Pleroma => IdFormat::Flake,
            Dialect::Iceshrimp => IdFormat::Aid,
            Dialect::IceshrimpNet => IdFormat::Icn,
            Dialect::Sharkey => IdFormat::Aidx,
        }
    }

    /// How notification and conversation ids are written: integers on Pleroma and Akkoma
    /// (`Pleroma.Notification` has a bigserial key), as statuses elsewhere.
    pub(crate) fn counter_ids(self) -> IdFormat {
        match self {
            Dialect::Akkoma | Dialect::Pleroma => IdFormat::Decimal,
            d => d.status_ids(),
        }
    }

    /// Whose JSON encoder writes the server's entities.
    pub(crate) fn style(self) -> escape::Style {
        match self {
            Dialect::GoToSocial => escape::Style::Go,
            Dialect::Akkoma | Dialect::Pleroma => escape::Style::Jason,
            Dialect::IceshrimpNet => escape::Style::Stj,
            _ => escape::Style::Js,
        }
    }

    /// Entity JSON as the fake writes it (Mastodon's ids and escapes) as this server
    /// writes it: its ids (the top-level one of a notification or conversation as a
    /// counter), its encoder's escapes.
    pub(crate) fn localize(self, entity: Entity, json: &str) -> String {
        let ids = self.status_ids();
        if ids == IdFormat::Decimal {
            return json.to_owned();
        }
        let top = match entity {
            Entity::Status => ids,
            Entity::Counted => self.counter_ids(),
        };
        let json = ids::rewrite_ids(json, |n| top.render(n), |n| ids.render(n));
        escape::reencode(self.style(), &json)
    }

    /// An event's data as this server writes it: entities localized, a deleted id in the
    /// server's format; other events as they are.
    pub(crate) fn localize_event(self, name: &str, data: &str) -> String {
        match name {
            "update" | "status.update" => self.localize(Entity::Status, data),
            "notification" | "conversation" => self.localize(Entity::Counted, data),
            "delete" => match data.parse::<u64>() {
                Ok(id) => self.status_ids().render(id),
                Err(_) => data.to_owned(),
            },
            _ => data.to_owned(),
        }
    }

    /// Whether the server ever sends this event (events it has no code for are never
    /// sent, whatever is published; names it does not know as Mastodon events pass).
    pub(crate) fn sends(self, event: &str) -> bool {
        let never: &[&str] = match self {
            Dialect::Mastodon4 => &[],
            // `status.update` came with edits in 3.5.0; `notifications_merged` in 4.3.
            Dialect::Mastodon3 => &["notifications_merged"],
            Dialect::GoToSocial => &[
                "announcement",
                "announcement.reaction",
                "announcement.delete",
                "notifications_merged",
                "encrypted_message",
            ],
            Dialect::Akkoma | Dialect::Pleroma | Dialect::IceshrimpNet => &[
                "filters_changed",
                "announcement",
                "announcement.reaction",
                "announcement.delete",
                "notifications_merged",
                "encrypted_message",
            ],
            Dialect::Iceshrimp => &[
                "filters_changed",
                "announcement.reaction",
                "notifications_merged",
                "encrypted_message",
            ],
            Dialect::Sharkey => return false,
        };
        !never.contains(&event)
    }

    /// The family code that speaks this dialect's WebSocket.
    pub(crate) fn speaks(self) -> &'static dyn Speaks {
        match self {
            Dialect::Mastodon4 => &mastodon::Mastodon { v3: false },
            Dialect::Mastodon3 => &mastodon::Mastodon { v3: true },
            Dialect::GoToSocial => &gotosocial::GoToSocial,
            Dialect::Akkoma => &pleroma::Pleroma { akkoma: true },
            Dialect::Pleroma => &pleroma::Pleroma { akkoma: false },
            Dialect::Iceshrimp => &iceshrimp::Iceshrimp { net: false },
            Dialect::IceshrimpNet => &iceshrimp::Iceshrimp { net: true },
            Dialect::Sharkey => &sharkey::Sharkey,
        }
    }
}

/// What kind of entity a JSON document is, for its top-level id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Entity {
    /// A status: its id is a status id.
    Status,
    /// A notification or conversation: its id is a counter.
    Counted,
}

/// One subscription of a WebSocket connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Sub {
    /// The stream as Mastodon names it (`["hashtag", "rust"]`), which decides what reaches
    /// it; for a stream the server accepts but never posts to, the server's own name.
    pub(crate) name: Vec<String>,
    /// Whether anything ever reaches it (GoToSocial accepts any stream name and posts to
    /// five).
    pub(crate) live: bool,
}

impl Sub {
    pub(crate) fn live(name: Vec<String>) -> Sub {
        Sub { name, live: true }
    }

    /// The stream's name (`hashtag`), without its parameter.
    pub(crate) fn kind(&self) -> &str {
        self.name.first().map_or("", String::as_str)
    }

    /// The stream's parameter (a tag, a list id), or `""`.
    pub(crate) fn param(&self) -> &str {
        self.name.get(1).map_or("", String::as_str)
    }
}

/// What a client's message makes the connection do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    Subscribe(Sub),
    /// Remove the subscriptions to exactly this stream.
    Unsubscribe(Vec<String>),
    /// Remove every subscription of this kind (Iceshrimp unsubscribes by name only).
    UnsubscribeKind(String),
    /// Send this text message.
    Send(String),
    /// The connection's token is now this (Pleroma's `pleroma:authenticate`).
    Authenticate(Grant),
    /// Send a close frame with this code (no reason) and end the connection.
    Close(u16),
    /// Drop the TCP connection without a close frame.
    Drop,
}

/// An accepted upgrade.
#[derive(Clone, Debug)]
pub(crate) struct Handshake {
    pub(crate) grant: Grant,
    /// Where the token the server used came from.
    pub(crate) place: Option<TokenPlace>,
    /// The `Sec-WebSocket-Protocol` the `101` carries.
    pub(crate) protocol: Option<String>,
    /// What the upgrade URL subscribes to.
    pub(crate) initial: Initial,
}

/// What an upgrade URL's `?stream=` does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Initial {
    None,
    /// Subscribed at the upgrade (errors refused the upgrade already).
    Subs(Vec<Sub>),
    /// Handled as if the client had sent this subscribe message first.
    Message(String),
}

/// What a dialect needs to know about a connection.
pub(crate) struct Cx<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) grant: &'a Grant,
    pub(crate) subs: &'a [Sub],
}

impl Cx<'_> {
    /// Whether list `id` is one the test forbade.
    pub(crate) fn forbidden(&self, id: &str) -> bool {
        self.shared.lock().forbidden_lists.iter().any(|l| l == id)
    }

    /// The live subscriptions an event reaches, in subscription order.
    pub(crate) fn reached<'s>(&'s self, wire: &'s Wire) -> impl Iterator<Item = &'s Sub> {
        self.subs
            .iter()
            .filter(|s| s.live && wire.route.reaches(&s.name, &wire.name, false))
    }
}

/// How a family speaks the WebSocket endpoint. Default methods are Mastodon's behaviour.
pub(crate) trait Speaks: Sync {
    /// Whether an upgrade to `path` reaches the streaming endpoint.
    fn upgrade_path(&self, path: &str) -> bool {
        path.trim_end_matches('/') == "/api/v1/streaming"
    }

    /// Accepts the upgrade, or refuses it with these response bytes.
    fn handshake(&self, shared: &Shared, req: &RecordedRequest) -> Result<Handshake, Vec<u8>>;

    /// What a client's text message does.
    fn text(&self, cx: &Cx<'_>, text: &str) -> Vec<Action>;

    /// What a client's binary message does (nothing, by default).
    fn binary(&self, _cx: &Cx<'_>, _bytes: &[u8]) -> Vec<Action> {
        Vec::new()
    }

    /// The text messages an event becomes on this connection.
    fn deliver(&self, cx: &Cx<'_>, wire: &Wire) -> Vec<String>;

    /// The frame a heartbeat sends.
    fn heartbeat(&self) -> Message {
        Message::Ping(Default::default())
    }

    /// The answer to an API path the server does not have: SSE paths
    /// (`/api/v1/streaming/...`) on a server without SSE, `/api/v2/instance` on one
    /// without it.
    fn unknown_api(&self, shared: &Shared, req: &RecordedRequest) -> Vec<u8>;

    /// The answer to `GET /api/v1/streaming` without an upgrade, on a server without SSE.
    fn no_upgrade(&self, shared: &Shared, req: &RecordedRequest) -> Vec<u8> {
        self.unknown_api(shared, req)
    }
}

/// A whole HTTP/1.1 response as a server writes it: the status line, these headers in this
/// order, the body. Nothing is added: the connection closes after it.
pub(crate) fn raw_response(status: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(body);
    out.into_bytes()
}

/// The current time as an HTTP date (for servers whose refusals carry `date`).
pub(crate) fn date_now() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    crate::corpus::json::http_date(ms)
}

/// The public streams (which servers let through without a user or scopes).
pub(crate) fn is_public(kind: &str) -> bool {
    kind.starts_with("public") || kind.starts_with("hashtag")
}
