//! Dialects: how Mastodon-compatible servers other than Mastodon (and older Mastodons)
//! stream, and what a client must do differently for each. The session learns the
//! server's software from NodeInfo (see [`Software::from_nodeinfo`]) and asks its
//! [`Dialect`] every question below; nothing else in the crate branches on software.
//!
//! The facts come from each server's own source code (repository, file, function):
//!
//! | server | SSE | token on the WebSocket upgrade | how streams are chosen | `stream` member of events | errors on the socket | catch-up ids |
//! |---|---|---|---|---|---|---|
//! | Mastodon ≥ 4 | yes | `Authorization: Bearer` (`streaming/index.js` `accountFromRequest`) | subscribe messages (`subscribeWebsocketToChannel`) | `[name, param]` | `{"error","status"}` (`streaming/errors.js`) | snowflakes: shorter is older |
//! | Mastodon 3.x | yes | as ≥ 4 | as ≥ 4 | as ≥ 4 | `{"error"}`, no status (each from `subscribeWebsocketToChannel`'s `catch`: a refusal); no `/api/v2/instance` (added in 4.0) | snowflakes |
//! | GoToSocial | no: 404 JSON (`cmd/gotosocial/action/server/server.go` NoRoute) | `access_token` query, else `Sec-WebSocket-Protocol`, else `Authorization` (`internal/api/client/streaming/stream.go` `StreamGETHandler`) | the query (`?stream=&list=`), and subscribe messages for `user`, `public`, `public:local`, `direct`, `list` only; `tag` not read; no hashtag streams; `user:notification` only in the query (`readFromWSConn`) | internal: `["list:<id>"]` (`internal/stream/stream.go`) | none: unknown streams are ignored; a non-JSON text frame drops the connection | ULIDs, fixed length |
//! | Akkoma | no: 404 JSON (`lib/pleroma/web/router.ex` fallback) | `access_token` query or `Sec-WebSocket-Protocol`, never `Authorization` (`websocket_handler.ex` `authenticate_request/2`) | the query (`?stream=&tag=&list=`); subscribe messages without `tag`/`list`; no unsubscribe | internal topics: `["user:<uid>"]`, `["hashtag:rust"]`, `["list:12"]`; none on `delete` (`streamer.ex`, `streamer_view.ex`) | none | FlakeIds (18 base62 chars, ASCII order); integer notification ids |
//! | Pleroma ≥ 2.6 | no | `access_token` query (2.7: only that; `websocket_handler.ex` `connect/1`) | the query, and subscribe/unsubscribe messages with `tag`/`list` | `[name, param]`; none on `delete` | `pleroma:respond` events (`streamer_view.ex` `pleroma_respond.json`) | FlakeIds |
//! | Pleroma ≤ 2.5 | no | `access_token` query | the query only (messages ignored) | none at all | none | FlakeIds |
//! | Iceshrimp (JS), Firefish ≥ 2024-03 | no: 404 text (`server/api/index.ts`) | `access_token` query or `Sec-WebSocket-Protocol`; not `Authorization` (`server/api/streaming.ts`) | the query and subscribe messages with `tag`/`list` (`api/mastodon/streaming/index.ts`) | the name only: `["list"]`, `["hashtag"]` | none: unknown streams ignored; missing scopes close the socket | 8 base36 time chars + random, 16–24 chars: compared byte-wise (`misc/gen-id.ts`) |
//! | Iceshrimp.NET | no: 501 JSON (`Controllers/Web/FallbackController.cs`) | `access_token` query or the first `Sec-WebSocket-Protocol`, not echoed (`WebSocketController.cs`) | the query and subscribe messages | `[name, param]` | none: a list it cannot stream closes the socket with 1007, missing scopes with 1008 (`WebSocketConnection.cs`, `ListChannel.cs`) | 16 chars, fixed length; `min_id` pages come oldest first (`LinkPaginationAttribute.cs`) |
//! | Sharkey, Misskey | no | — | — | — | no Mastodon streaming at all (`StreamingApiServerService.ts`) | — |
//!
//! Where a table cell says "none", a refused subscription is silent: the session cannot
//! tell the application, so it refuses, up front and as an
//! [`Item::StreamError`](crate::session::Item::StreamError), what it knows the server cannot
//! do. A server that refuses by closing the socket has the subscription in flight refused
//! the same way ([`Dialect::close_refuses`]), so that reconnecting does not ask for it
//! again. Every page of a catch-up is sorted by id before use, so a server that answers
//! oldest first is read right.

use std::cmp::Ordering;
use std::fmt;

use crate::{Channel, Id};

/// The software behind an instance, as far as streaming goes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Software {
    /// Mastodon (or a fork that keeps its streaming server, such as glitch-soc, Hometown).
    Mastodon,
    /// GoToSocial.
    GoToSocial,
    /// Akkoma.
    Akkoma,
    /// Pleroma.
    Pleroma,
    /// Iceshrimp (the JavaScript one), and Firefish since it took Iceshrimp's Mastodon API
    /// (March 2024).
    Iceshrimp,
    /// Iceshrimp.NET.
    IceshrimpNet,
    /// Misskey and its forks without a Mastodon streaming API (Sharkey, ...).
    Misskey,
    /// Software this version does not know: treated as Mastodon, falling back between
    /// transports when one is refused.
    Other(String),
}

impl Software {
    /// The software NodeInfo names (`software.name`, any case).
    pub fn from_nodeinfo(name: &str) -> Software {
        match name.trim().to_ascii_lowercase().as_str() {
            "mastodon" | "hometown" | "glitch-soc" | "glitchsoc" => Software::Mastodon,
            "gotosocial" => Software::GoToSocial,
            "akkoma" => Software::Akkoma,
            "pleroma" => Software::Pleroma,
            "iceshrimp" | "firefish" | "catodon" => Software::Iceshrimp,
            "iceshrimp.net" => Software::IceshrimpNet,
            "misskey" | "sharkey" | "foundkey" | "cherrypick" => Software::Misskey,
            _ => Software::Other(crate::http::quoted(name)),
        }
    }

    /// The software an instance's `version` string names (`4.3.2`, `2.7.2 (compatible;
    /// Akkoma 3.13.2)`, `0.20.0+git-57cb4fe`), when NodeInfo could not be asked.
    pub fn from_instance_version(version: &str) -> Software {
        let compatible = version
            .split_once("(compatible;")
            .map(|(_, rest)| rest.trim_start().to_ascii_lowercase());
        if let Some(rest) = compatible {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
                .collect();
            return Software::from_nodeinfo(&name);
        }
        if version.contains("+git-") {
            return Software::GoToSocial;
        }
        Software::Mastodon
    }
}

impl fmt::Display for Software {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Software::Mastodon => "Mastodon",
            Software::GoToSocial => "GoToSocial",
            Software::Akkoma => "Akkoma",
            Software::Pleroma => "Pleroma",
            Software::Iceshrimp => "Iceshrimp",
            Software::IceshrimpNet => "Iceshrimp.NET",
            Software::Misskey => "Misskey",
            Software::Other(name) => name,
        })
    }
}

/// Where the token goes on a WebSocket upgrade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenPlace {
    /// `Authorization: Bearer`.
    Header,
    /// The `access_token` query parameter (for servers that read nothing else; the URL
    /// with it is never logged).
    Query,
}

/// How a server streams: the answers to every question the session asks about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dialect {
    /// The software.
    pub software: Software,
    /// Its version, when known (`4.3.2`, `2.7.2`).
    pub version: Option<String>,
}

impl Default for Dialect {
    /// Mastodon, version unknown.
    fn default() -> Self {
        Dialect::new(Software::Mastodon, None)
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.version {
            Some(v) => write!(f, "{} {v}", self.software),
            None => write!(f, "{}", self.software),
        }
    }
}

impl Dialect {
    /// The dialect of `software` at `version`.
    pub fn new(software: Software, version: Option<String>) -> Dialect {
        Dialect { software, version }
    }

    /// The leading `major.minor` of the version, when it has one.
    fn major_minor(&self) -> Option<(u32, u32)> {
        let v = self.version.as_deref()?;
        let mut parts = v.split(|c: char| !c.is_ascii_digit());
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().and_then(|m| m.parse().ok()).unwrap_or(0);
        Some((major, minor))
    }

    /// Whether the server has a Mastodon streaming API at all.
    pub fn has_mastodon_streaming(&self) -> bool {
        self.software != Software::Misskey
    }

    /// Whether the server offers SSE (`/api/v1/streaming/<stream>`). Unknown software is
    /// tried, and the session falls back to the WebSocket when it refuses.
    pub fn has_sse(&self) -> bool {
        matches!(self.software, Software::Mastodon | Software::Other(_))
    }

    /// Where the token goes on the WebSocket upgrade.
    pub fn ws_token(&self) -> TokenPlace {
        match self.software {
            Software::Mastodon | Software::GoToSocial | Software::Other(_) => TokenPlace::Header,
            _ => TokenPlace::Query,
        }
    }

    /// Whether the first stream goes in the upgrade's query (`?stream=…&tag=…`) rather than
    /// in a subscribe message: for servers that read `tag`/`list` only there, or read no
    /// messages at all.
    pub fn first_stream_in_query(&self) -> bool {
        matches!(
            self.software,
            Software::Akkoma | Software::Pleroma | Software::GoToSocial
        )
    }

    /// Why the server cannot take `channel` by a subscribe message, if it cannot.
    pub fn cannot_subscribe(&self, channel: &Channel) -> Option<&'static str> {
        match (&self.software, channel) {
            (Software::GoToSocial, Channel::Hashtag { .. }) => {
                Some("GoToSocial has no hashtag streams")
            }
            (Software::GoToSocial, Channel::UserNotification) => {
                Some("GoToSocial takes user:notification only as a connection's first stream")
            }
            (Software::Pleroma | Software::Akkoma, Channel::Hashtag { local: true, .. }) => {
                Some("Pleroma and Akkoma have no hashtag:local stream")
            }
            (Software::Akkoma, Channel::Hashtag { .. } | Channel::List { .. }) => {
                Some("Akkoma takes hashtag and list streams only as a connection's first stream")
            }
            (Software::Pleroma, _) if self.major_minor().is_some_and(|v| v < (2, 6)) => {
                Some("Pleroma before 2.6 takes one stream per connection")
            }
            _ => None,
        }
    }

    /// Whether a WebSocket error message that answers a subscription refuses it for good
    /// (the session drops it, and does not ask for it after reconnects), given the status
    /// it carries: a 4xx status; no status from Mastodon (and software taken as Mastodon):
    /// versions whose errors carry none (3.x; `status` came with `streaming/errors.js`)
    /// send an error only when a subscription fails (`subscribeWebsocketToChannel`'s
    /// `catch` in `streaming/index.js`).
    pub fn error_refuses(&self, status: Option<u16>) -> bool {
        match status {
            Some(status) => (400..=499).contains(&status),
            None => matches!(self.software, Software::Mastodon | Software::Other(_)),
        }
    }

    /// Why a close frame with `code` refuses the subscription in flight, for servers that
    /// refuse a subscription by closing the socket: Iceshrimp.NET closes with 1007 for a
    /// list it cannot stream and 1008 when the token lacks a stream's scopes
    /// (`WebSocketConnection.cs`). The words name the kind of stream to blame where they
    /// can (a list).
    pub fn close_refuses(&self, code: u16) -> Option<&'static str> {
        match (&self.software, code) {
            (Software::IceshrimpNet, 1007) => {
                Some("Iceshrimp.NET closed the connection (1007): a list it cannot stream")
            }
            (Software::IceshrimpNet, 1008) => Some(
                "Iceshrimp.NET closed the connection (1008): the token lacks the stream's scopes",
            ),
            _ => None,
        }
    }

    /// Whether unsubscribe messages work (else the session just stops delivering the
    /// stream's events).
    pub fn can_unsubscribe(&self) -> bool {
        self.software != Software::Akkoma
            && !(self.software == Software::Pleroma
                && self.major_minor().is_some_and(|v| v < (2, 6)))
    }

    /// Orders two ids of the same kind from this server: older first.
    ///
    /// Snowflakes, FlakeIds and integer ids: the shorter is older, then byte-wise (as
    /// [`Id`]'s own order). Iceshrimp's ids vary in length with a fixed-length time prefix:
    /// byte-wise.
    pub fn cmp_ids(&self, a: &Id, b: &Id) -> Ordering {
        match self.software {
            Software::Iceshrimp => a.as_str().as_bytes().cmp(b.as_str().as_bytes()),
            _ => a.cmp(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn software_from_nodeinfo_and_versions() {
        assert_eq!(
            Software::from_nodeinfo("Iceshrimp.NET"),
            Software::IceshrimpNet
        );
        assert_eq!(Software::from_nodeinfo("gotosocial"), Software::GoToSocial);
        assert_eq!(Software::from_nodeinfo("sharkey"), Software::Misskey);
        assert_eq!(
            Software::from_nodeinfo("bonfire"),
            Software::Other("bonfire".into())
        );
        let v = Software::from_instance_version;
        assert_eq!(v("2.7.2 (compatible; Akkoma 3.13.2)"), Software::Akkoma);
        assert_eq!(v("2.7.2 (compatible; Pleroma 2.7.0)"), Software::Pleroma);
        assert_eq!(
            v("4.2.1 (compatible; Iceshrimp.NET/2024.1)"),
            Software::IceshrimpNet
        );
        assert_eq!(
            v("4.2.1 (compatible; Iceshrimp 2023.12)"),
            Software::Iceshrimp
        );
        assert_eq!(
            v("4.2.8 (compatible; Firefish 20240326)"),
            Software::Iceshrimp
        );
        assert_eq!(v("3.0.0 (compatible; Sharkey 2024.3)"), Software::Misskey);
        assert_eq!(v("0.20.0+git-57cb4fe"), Software::GoToSocial);
        assert_eq!(v("3.5.3+0.20.0+git-57cb4fe"), Software::GoToSocial);
        assert_eq!(v("4.3.2"), Software::Mastodon);
    }

    #[test]
    fn questions_per_dialect() {
        let d = |s, v: Option<&str>| Dialect::new(s, v.map(str::to_owned));
        let gts = d(Software::GoToSocial, None);
        assert!(!gts.has_sse());
        assert_eq!(gts.ws_token(), TokenPlace::Header);
        assert!(gts.cannot_subscribe(&Channel::hashtag("rust")).is_some());
        assert!(gts.cannot_subscribe(&Channel::list("1")).is_none());
        let akkoma = d(Software::Akkoma, None);
        assert_eq!(akkoma.ws_token(), TokenPlace::Query);
        assert!(akkoma.first_stream_in_query() && !akkoma.can_unsubscribe());
        let old = d(Software::Pleroma, Some("2.5.2"));
        assert!(old.cannot_subscribe(&Channel::User).is_some());
        assert!(!old.can_unsubscribe());
        let new = d(Software::Pleroma, Some("2.7.0"));
        assert!(new.cannot_subscribe(&Channel::User).is_none() && new.can_unsubscribe());
        assert!(Dialect::default().has_sse());
        assert!(!d(Software::Misskey, None).has_mastodon_streaming());
    }

    #[test]
    fn refusals_without_a_status_and_by_closing() {
        let d = |s, v: Option<&str>| Dialect::new(s, v.map(str::to_owned));
        let m3 = d(Software::Mastodon, Some("3.5.3"));
        assert!(m3.error_refuses(None) && m3.error_refuses(Some(401)));
        assert!(!m3.error_refuses(Some(500)));
        let pleroma = d(Software::Pleroma, Some("2.7.0"));
        assert!(pleroma.error_refuses(Some(400)) && !pleroma.error_refuses(None));
        let net = d(Software::IceshrimpNet, None);
        assert!(net.close_refuses(1007).is_some_and(|w| w.contains("list")));
        assert!(net.close_refuses(1008).is_some() && net.close_refuses(1000).is_none());
        assert!(d(Software::Iceshrimp, None).close_refuses(1007).is_none());
    }

    /// FlakeIds are 128-bit numbers written in base62 with the alphabet `0-9A-Za-z`, which
    /// is ASCII order; every id since 1975 is 18 characters. So [`Id`]'s order (shorter
    /// first, then byte-wise) is their numeric, hence time, order. Checked against the
    /// numbers themselves for ids spread over 2015–2100.
    #[test]
    fn flake_ids_order_as_their_numbers() {
        fn base62(mut n: u128) -> String {
            const ALPHABET: &[u8] =
                b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
            let mut out = Vec::new();
            while n > 0 {
                out.push(ALPHABET[(n % 62) as usize]);
                n /= 62;
            }
            out.reverse();
            String::from_utf8(out).unwrap_or_default()
        }
        let flake = |ms: u64, worker: u64, seq: u16| {
            (u128::from(ms) << 64) | (u128::from(worker & 0xffff_ffff_ffff) << 16) | u128::from(seq)
        };
        let mut numbers: Vec<u128> = Vec::new();
        let mut ms = 1_420_070_400_000u64; // 2015-01-01
        while ms < 4_102_444_800_000 {
            // ... to 2100-01-01, in uneven steps.
            numbers.push(flake(ms, ms % 7919, (ms % 65_521) as u16));
            ms += 86_400_000 * 13 + ms % 1_000_003;
        }
        let pleroma = Dialect::new(Software::Pleroma, None);
        for w in numbers.windows(2) {
            let (a, b) = (Id::from(base62(w[0])), Id::from(base62(w[1])));
            assert_eq!(a.as_str().len(), 18, "{a}");
            assert_eq!(pleroma.cmp_ids(&a, &b), w[0].cmp(&w[1]), "{a} vs {b}");
        }
        assert_eq!(base62(flake(1_704_067_200_000, 0, 0)).len(), 18);
    }

    #[test]
    fn iceshrimp_ids_order_by_their_time_prefix_whatever_their_length() {
        let ice = Dialect::new(Software::Iceshrimp, None);
        let older = Id::from("9nxpxc00a1b2c3d4e5f6g7h8"); // 24 chars
        let newer = Id::from("9nxpxc01a1b2c3d4"); // 16 chars, a millisecond later
        assert_eq!(ice.cmp_ids(&older, &newer), Ordering::Less);
        assert_eq!(
            older.cmp(&newer),
            Ordering::Greater,
            "length-first would be wrong here"
        );
    }
}
