//! Token hygiene: the access token is sent as a header on every request to its origins
//! (the WebSocket upgrade too) and never appears in `Debug` output, errors, URLs or
//! traces.
//!
//! Each adapter runs these alone in a test binary of their own: tracing caches each
//! callsite's interest globally, and with a thread-local subscriber another test thread
//! that reaches a callsite first, without a subscriber, can leave it disabled for these.

use std::collections::HashSet;
use std::io::Write;
use std::sync::{Arc, Mutex};

use mastostream_client::{Channel, Item, Runtime};

use super::{Outcome, client, ensure, within};
use crate::fake::{FakeServer, Plan, Reply, ServerOptions};

/// Collects everything tracing writes.
#[derive(Clone, Default)]
pub(super) struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    pub(super) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }

    /// A subscriber writing everything, at every level, here.
    pub(super) fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync {
        let sink = self.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || sink.clone())
            .finish()
    }
}

/// SSE, over TLS, through a 503, a restart and a 401: the token is on every stream
/// request, and nowhere it must not be.
pub async fn token_never_leaks_sse<R: Runtime + Default>(rt: R) -> Outcome {
    const SECRET: &str = "SECRET-token-5c1f9a";
    let captured = Captured::default();
    let _guard = tracing::subscriber::set_default(captured.subscriber());
    let server = FakeServer::start(ServerOptions {
        tls: true,
        token: Some(SECRET.into()),
        ..ServerOptions::default()
    });
    server.plan([
        Plan::Reply(Reply::unavailable(None)),
        Plan::default(),
        Plan::Reply(Reply::unauthorized("Invalid access token")),
    ]);
    let client = client::<R>(&server)
        .map_err(|e| e.to_string())?
        .token(SECRET);
    let mut stream = client.stream_user();
    let mut shown = format!("{client:?} {stream:?}");
    let mut updates = HashSet::new();
    let end = within(&rt, "the 401", async {
        loop {
            match stream.next().await {
                Some(Ok(item)) => {
                    shown.push_str(&format!("{item:?}"));
                    if let Item::Connected { url, .. } = &item {
                        shown.push_str(url);
                        server.publish_update();
                    }
                    if let Some(mastostream_client::Event::Update(s)) = item.event() {
                        updates.insert(s.id.clone());
                        server.restart();
                    }
                }
                Some(Err(e)) => break Some(e),
                None => break None,
            }
        }
    })
    .await?
    .ok_or("must end with the 401")?;
    shown.push_str(&format!("{end} {end:?} {}", end.summary_json()));
    ensure(end.status() == Some(401), || format!("ended with {end}"))?;
    ensure(updates.len() == 1, || format!("updates {updates:?}"))?;
    let traces = captured.text();
    ensure(traces.contains("connected"), || {
        format!("tracing must report connects: {traces}")
    })?;
    ensure(traces.contains("reconnecting"), || {
        "and backoff waits".into()
    })?;
    ensure(!shown.contains(SECRET), || {
        format!("token in Debug or errors: {shown}")
    })?;
    ensure(!traces.contains(SECRET), || "token in traces".into())?;
    let requests = server.requests();
    let streams = requests.iter().filter(|r| r.is_stream()).count();
    ensure(streams >= 3, || format!("{streams} stream requests"))?;
    for r in requests {
        ensure(!r.target.contains(SECRET), || {
            format!("token in {}", r.target)
        })?;
        if r.is_stream() {
            let auth = r.header("authorization");
            ensure(auth == Some(format!("Bearer {SECRET}").as_str()), || {
                format!("{auth:?}")
            })?;
        }
    }
    Ok(())
}

/// A WebSocket over TLS: the token is in the upgrade's header, never in its URL, errors or
/// traces, through a revoked token's 401.
pub async fn token_never_leaks_websocket<R: Runtime + Default>(rt: R) -> Outcome {
    const SECRET: &str = "SECRET-ws-token-77e1";
    let captured = Captured::default();
    let _guard = tracing::subscriber::set_default(captured.subscriber());
    let server = FakeServer::start(ServerOptions {
        tls: true,
        token: Some(SECRET.into()),
        ..ServerOptions::default()
    });
    let client = client::<R>(&server)
        .map_err(|e| e.to_string())?
        .token(SECRET);
    let mut stream = client.websocket([Channel::User]);
    let mut shown = format!("{client:?} {stream:?}");
    let end = within(&rt, "the revoked token's 401", async {
        loop {
            match stream.next().await {
                Some(Ok(item)) => {
                    shown.push_str(&format!("{item:?}"));
                    if let Item::Connected { .. } = item {
                        server.revoke_token();
                        server.restart();
                    }
                }
                Some(Err(e)) => break Some(e),
                None => break None,
            }
        }
    })
    .await?
    .ok_or("the revoked token must end it")?;
    ensure(end.status() == Some(401), || format!("ended with {end}"))?;
    shown.push_str(&format!("{end} {end:?}"));
    let traces = captured.text();
    ensure(traces.contains("opening WebSocket"), || traces.clone())?;
    ensure(!shown.contains(SECRET), || {
        format!("token in Debug or errors: {shown}")
    })?;
    ensure(!traces.contains(SECRET), || "token in traces".into())?;
    let upgrades: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.is_stream())
        .collect();
    ensure(upgrades.len() == 2, || {
        format!("{} upgrades", upgrades.len())
    })?;
    for r in upgrades {
        ensure(r.tls && !r.target.contains(SECRET), || r.target.clone())?;
        let auth = r.header("authorization");
        ensure(auth == Some(format!("Bearer {SECRET}").as_str()), || {
            format!("{auth:?}")
        })?;
    }
    Ok(())
}
