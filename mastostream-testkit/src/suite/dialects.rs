//! The client against every server the fake plays ([`Dialect`]), on real loopback TCP:
//! each test is written once, for every dialect with Mastodon streaming, and each
//! adapter's `tests/dialects.rs` expands [`dialect_tests!`](crate::dialect_tests) with its
//! runtime. A test is named `scenario::dialect` (`several_streams::akkoma`).
//!
//! | scenario | file (`src/suite/`) |
//! |---|---|
//! | `connect`, `several_streams`, Sharkey | `dialects_connect.rs` |
//! | `reconnect_and_catch_up`, `revoked_token` | `dialects_recover.rs` |
//! | `refused_streams`, `unknown_events` | `dialects_refuse.rs` |
//! | transport fallback both ways | `dialects_fallback.rs` |
//!
//! This file holds what each dialect expects of the client, the setup every test shares
//! (a server of the dialect with a token, a client with that token), a reader that drives
//! a stream while waiting (bounded, naming what it waited for), and the token check:
//! every request carried the token where its server reads it and nowhere else, and no
//! item, error or trace line shows it.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use futures_util::future::{Either, select};
use mastostream_client::{Channel, Client, Error, Event, EventStream, Item, Runtime};
use mastostream_proto::Software;

use super::token::Captured;
use super::{Outcome, WAIT, ensure};
use crate::fake::{Dialect, FakeServer, ServerOptions, TokenPlace};
use crate::scenarios::drive::real_sleep;

/// The dialects with Mastodon streaming, as tests name them.
pub const DIALECTS: [(&str, Dialect); 7] = [
    ("mastodon4", Dialect::Mastodon4),
    ("mastodon3", Dialect::Mastodon3),
    ("gotosocial", Dialect::GoToSocial),
    ("akkoma", Dialect::Akkoma),
    ("pleroma", Dialect::Pleroma),
    ("iceshrimp", Dialect::Iceshrimp),
    ("iceshrimp_net", Dialect::IceshrimpNet),
];

/// One `#[test]` per dialect test for a runtime, named `scenario::dialect`, and the
/// tests of one server or none (`servers::...`): `$run` is a function `fn(name: &str)`
/// that runs [`run`] with that name on that runtime and panics on failure.
#[macro_export]
macro_rules! dialect_tests {
    ($run:path) => {
        $crate::dialect_tests!(@scenarios $run,
            [mastodon4, mastodon3, gotosocial, akkoma, pleroma, iceshrimp, iceshrimp_net],
            [
                connect,
                several_streams,
                reconnect_and_catch_up,
                refused_streams,
                unknown_events,
                revoked_token,
            ]);
        $crate::dialect_tests!(@module $run, servers, [
            sharkey_has_no_mastodon_streaming,
            unknown_software_moves_from_refused_sse_to_the_websocket,
            a_refused_upgrade_page_moves_mastodon_to_sse,
            a_refused_upgrade_404_moves_mastodon_to_sse,
        ]);
    };
    (@scenarios $run:path, $dialects:tt, [$($scenario:ident),* $(,)?]) => {
        $( $crate::dialect_tests!(@module $run, $scenario, $dialects); )*
    };
    (@module $run:path, $module:ident, [$($name:ident),* $(,)?]) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $name() {
                    $run(concat!(stringify!($module), "::", stringify!($name)));
                }
            )*
        }
    };
}

/// Runs the dialect test `name` (`scenario::dialect`, or `servers::test`) on `rt`.
pub async fn run<R: Runtime + Default>(rt: R, name: &str) -> Outcome {
    use super::dialects_refuse as x;
    use super::{dialects_connect as c, dialects_fallback as f, dialects_recover as r};
    let (scenario, which) = name
        .split_once("::")
        .ok_or_else(|| format!("{name}: not scenario::dialect"))?;
    if scenario == "servers" {
        return match which {
            "sharkey_has_no_mastodon_streaming" => c::sharkey(rt).await,
            "unknown_software_moves_from_refused_sse_to_the_websocket" => f::sse_refused(rt).await,
            "a_refused_upgrade_page_moves_mastodon_to_sse" => f::upgrade_refused(rt, true).await,
            "a_refused_upgrade_404_moves_mastodon_to_sse" => f::upgrade_refused(rt, false).await,
            other => Err(format!("no dialect test named {other}")),
        };
    }
    let (_, dialect) = DIALECTS
        .iter()
        .find(|(n, _)| *n == which)
        .ok_or_else(|| format!("no dialect named {which}"))?;
    let setup = Setup::start(*dialect, name)?;
    let result = match scenario {
        "connect" => c::connect(rt, &setup).await,
        "several_streams" => c::several_streams(rt, &setup).await,
        "reconnect_and_catch_up" => r::reconnect_and_catch_up(rt, &setup).await,
        "revoked_token" => r::revoked_token(rt, &setup).await,
        "refused_streams" => x::refused_streams(rt, &setup).await,
        "unknown_events" => x::unknown_events(rt, &setup).await,
        other => return Err(format!("no dialect scenario named {other}")),
    };
    result.map_err(|e| format!("{} ({}): {e}", name, dialect.software_name()))
}

/// The software the client must recognize a dialect as.
pub fn software(d: Dialect) -> Software {
    match d {
        Dialect::Mastodon4 | Dialect::Mastodon3 => Software::Mastodon,
        Dialect::GoToSocial => Software::GoToSocial,
        Dialect::Akkoma => Software::Akkoma,
        Dialect::Pleroma => Software::Pleroma,
        Dialect::Iceshrimp => Software::Iceshrimp,
        Dialect::IceshrimpNet => Software::IceshrimpNet,
        _ => Software::Misskey,
    }
}

/// Where the client must put its token on a stream request to a server of this dialect:
/// a header where the server reads one, else the `access_token` parameter.
pub fn token_place(d: Dialect) -> TokenPlace {
    match d {
        Dialect::Mastodon4 | Dialect::Mastodon3 | Dialect::GoToSocial => TokenPlace::Authorization,
        _ => TokenPlace::AccessToken,
    }
}

/// A server of a dialect that accepts one token, and a client with that token.
pub struct Setup {
    /// The server.
    pub server: FakeServer,
    /// The token (unique to the test, so that a trace line of another test never holds it).
    pub token: String,
    /// Where the server must find it on stream requests.
    pub place: TokenPlace,
}

impl Setup {
    /// A server of `dialect` accepting a token made from the test's `name`.
    pub fn start(dialect: Dialect, name: &str) -> Result<Setup, String> {
        Setup::with(
            ServerOptions {
                dialect,
                ..ServerOptions::default()
            },
            token_place(dialect),
            name,
        )
    }

    /// A server with `opts` (and the token), expecting the token at `place` on streams.
    pub fn with(opts: ServerOptions, place: TokenPlace, name: &str) -> Result<Setup, String> {
        traces()?;
        let token = format!("Tok-{}-5ecret", name.replace("::", "-"));
        let server = FakeServer::start(ServerOptions {
            token: Some(token.clone()),
            ..opts
        });
        Ok(Setup {
            server,
            token,
            place,
        })
    }

    /// The dialect.
    pub fn dialect(&self) -> Dialect {
        self.server.dialect()
    }

    /// A client of the server with the token, reconnecting within milliseconds.
    pub fn client<R: Runtime + Default>(&self) -> Result<Client<R>, String> {
        Ok(super::client::<R>(&self.server)
            .map_err(|e| e.to_string())?
            .token(self.token.clone()))
    }

    /// The id the server gives the status stored under `key`.
    pub fn status_id(&self, key: u64) -> String {
        self.server.wire_id(crate::fake::Collection::Statuses, key)
    }

    /// The token went where the server reads it and nowhere else: on every stream request
    /// at [`Setup::place`] only, on every other request (discovery, catch-up) in the
    /// `Authorization` header only; never in a request target but as the `access_token`
    /// of an upgrade that needs it there; every WebSocket's token read where it was put;
    /// and no item (`shown`: their `Debug`, the errors), URL or trace line shows it.
    pub fn check_token(&self, items: &[Item], shown: &str) -> Outcome {
        let requests = self.server.requests();
        ensure(!requests.is_empty(), || "the server saw no request".into())?;
        for r in &requests {
            let want = if r.is_stream() {
                self.place
            } else {
                TokenPlace::Authorization
            };
            ensure(r.token_places() == [want], || {
                format!(
                    "{} carried the token at {:?}, want {want:?}",
                    r.path,
                    r.token_places()
                )
            })?;
            let in_target = r.target.contains(&self.token);
            ensure(!in_target || want == TokenPlace::AccessToken, || {
                format!("the token is in {}", r.target)
            })?;
        }
        for ws in self.server.ws_connections() {
            ensure(ws.token_place == Some(self.place), || {
                format!(
                    "the server read the WebSocket's token at {:?}",
                    ws.token_place
                )
            })?;
        }
        let mut text = format!("{shown}{items:?}");
        for item in items {
            if let Item::Connected { url, .. } = item {
                text.push_str(url);
            }
        }
        ensure(!text.contains(&self.token), || {
            format!("the token shows in items, errors or URLs: {text}")
        })?;
        let traces = traces()?.text();
        ensure(!traces.contains(&self.token), || {
            "the token is in a trace line".into()
        })?;
        // The capture works: the connected URLs of this test are in it.
        for item in items {
            if let Item::Connected { url, .. } = item {
                ensure(traces.contains(url.as_str()), || {
                    format!("no trace line names {url}")
                })?;
            }
        }
        Ok(())
    }
}

/// Everything any test of this binary traces, at every level: a global subscriber, set by
/// the first test that asks (before it opens any stream, so no callsite is cached as
/// uninteresting).
pub(super) fn traces() -> Result<&'static Captured, String> {
    static TRACES: OnceLock<Option<Captured>> = OnceLock::new();
    TRACES
        .get_or_init(|| {
            let captured = Captured::default();
            tracing::subscriber::set_global_default(captured.subscriber())
                .ok()
                .map(|()| captured)
        })
        .as_ref()
        .ok_or_else(|| "another global tracing subscriber was set first".into())
}

/// A stream and everything it handed out so far.
pub struct Reader<R: Runtime> {
    rt: R,
    /// The stream.
    pub stream: EventStream<R>,
    /// Its items, in order.
    pub items: Vec<Item>,
    /// How it ended: `Some(Ok)` closed, `Some(Err)` a fatal error.
    pub end: Option<Result<(), Error>>,
}

impl<R: Runtime> Reader<R> {
    /// Reads `stream` on `rt`.
    pub fn new(rt: &R, stream: EventStream<R>) -> Reader<R> {
        Reader {
            rt: rt.clone(),
            stream,
            items: Vec::new(),
            end: None,
        }
    }

    /// Reads items until `done` holds for them (it may also look at the server: it is
    /// asked again every few milliseconds), for at most [`WAIT`] of real time. Fails
    /// naming `what` (and what came) after that, or when the stream ends first.
    pub async fn wait(&mut self, what: &str, mut done: impl FnMut(&[Item]) -> bool) -> Outcome {
        let start = Instant::now();
        loop {
            if done(&self.items) {
                return Ok(());
            }
            if let Some(end) = &self.end {
                return Err(format!(
                    "the stream ended ({end:?}) before {what}; it said: {}",
                    brief(&self.items)
                ));
            }
            if start.elapsed() > WAIT {
                return Err(format!(
                    "gave up after {WAIT:?} waiting for {what}; the stream said: {}",
                    brief(&self.items)
                ));
            }
            self.step().await;
        }
    }

    /// Reads until the stream ends (at most [`WAIT`]): its fatal error, `None` if closed.
    pub async fn wait_end(&mut self, what: &str) -> Result<Option<Error>, String> {
        let start = Instant::now();
        while self.end.is_none() {
            if start.elapsed() > WAIT {
                return Err(format!(
                    "gave up after {WAIT:?} waiting for {what}; the stream said: {}",
                    brief(&self.items)
                ));
            }
            self.step().await;
        }
        Ok(self.end.as_ref().and_then(|e| e.as_ref().err()).cloned())
    }

    /// One item, or a few milliseconds without one.
    async fn step(&mut self) {
        let next = std::pin::pin!(self.stream.next());
        let tick = std::pin::pin!(real_sleep(&self.rt, Duration::from_millis(3)));
        if let Either::Left((next, _)) = select(next, tick).await {
            match next {
                Some(Ok(item)) => self.items.push(item),
                Some(Err(e)) => self.end = Some(Err(e)),
                None => self.end = Some(Ok(())),
            }
        }
    }

    /// Closes the stream and reads it to its end.
    pub async fn close(&mut self) -> Outcome {
        self.stream.close();
        match self.wait_end("the stream to close").await? {
            None => Ok(()),
            Some(e) => Err(format!("closing ended in an error: {e}")),
        }
    }
}

/// The id of an event that has one (statuses, notifications, deletions).
pub fn event_id(event: &Event) -> Option<String> {
    match event {
        Event::Update(s) | Event::StatusUpdate(s) => Some(s.id.to_string()),
        Event::Notification(n) => Some(n.id.to_string()),
        Event::Delete(id) => Some(id.to_string()),
        _ => None,
    }
}

/// The `update` events among `items`: id, stream and whether it was recovered.
pub fn updates(items: &[Item]) -> Vec<(String, Option<Channel>, bool)> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Event(e) => match &e.event {
                Event::Update(s) => Some((s.id.to_string(), e.channel.clone(), e.recovered)),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// Which connection the client is on (the first is 1), if it is connected now: it said
/// [`Item::Connected`] that many times, and no [`Item::Disconnected`] since.
pub fn connected_now(items: &[Item]) -> Option<usize> {
    let mut n = 0;
    let mut up = false;
    for item in items {
        match item {
            Item::Connected { .. } => (n, up) = (n + 1, true),
            Item::Disconnected { .. } => up = false,
            _ => {}
        }
    }
    up.then_some(n)
}

/// How many times the client lost its connection.
pub fn disconnects(items: &[Item]) -> usize {
    items
        .iter()
        .filter(|i| matches!(i, Item::Disconnected { .. }))
        .count()
}

/// The refusals among `items`: stream, status, message, dropped.
pub fn refusals(items: &[Item]) -> Vec<(Option<Channel>, Option<u16>, String, bool)> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::StreamError {
                channel,
                status,
                error,
                dropped,
            } => Some((channel.clone(), *status, error.clone(), *dropped)),
            _ => None,
        })
        .collect()
}

/// What `items` say, one short line each (events by kind, id and stream).
pub fn brief(items: &[Item]) -> String {
    let lines: Vec<String> = items
        .iter()
        .map(|i| match i {
            Item::Event(e) => {
                let mut s = e.event.kind().as_str().to_owned();
                if let Some(id) = event_id(&e.event) {
                    s.push_str(&format!(" {id}"));
                }
                if let Some(c) = &e.channel {
                    s.push_str(&format!(" on {c}"));
                }
                if e.recovered {
                    s.push_str(" (recovered)");
                }
                s
            }
            other => format!("{other:?}"),
        })
        .collect();
    format!("[{}]", lines.join("; "))
}
