//! Catch-up over many pages on real sockets: more than a hundred statuses missed while the
//! client waited out a `Retry-After`, live statuses racing the catch-up; every status
//! arrives exactly once, in order.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use mastostream_client::testing::Paused;
use mastostream_client::{Channel, Client, Event, Id, Item, Runtime, StreamTransport, Timeline};

use super::{Outcome, ensure, wait_for, within};
use crate::fake::{Cut, FakeServer, ServerOptions};

/// The statuses seen, as (id, recovered), with the count of `CaughtUp` items and whether
/// the client waits on the paused clock.
#[derive(Default)]
struct Seen {
    statuses: Vec<(u64, bool)>,
    caught_up: usize,
    waiting: Option<Duration>,
    reconnects: usize,
    connected: usize,
}

/// 120 statuses are published while the client waits out a `503` with `Retry-After: 30`
/// (on a paused clock); once it is back, live statuses are published while it pages
/// through the missed ones (three pages and more). Nothing is lost, nothing is twice,
/// everything in order, the missed ones marked recovered.
pub async fn many_pages_with_live_racing<R: Runtime + Default>(rt: R) -> Outcome {
    // `SUITE_TRACE=1` shows what the client does.
    if std::env::var_os("SUITE_TRACE").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .try_init();
    }
    let server = Arc::new(FakeServer::start(ServerOptions::default()));
    let clock = Paused::new(
        rt.clone(),
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_420_800),
    );
    let client = Client::with_runtime(&server.url(), clock.clone())
        .map_err(|e| e.to_string())?
        .discover(false);
    let seen = Arc::new(Mutex::new(Seen::default()));
    let log = seen.clone();
    let mut stream = client.stream_user();
    let control = stream.controller();
    rt.spawn(Box::pin(async move {
        while let Some(Ok(item)) = stream.next().await {
            let mut s = log.lock().unwrap_or_else(|e| e.into_inner());
            match item {
                Item::Event(e) => {
                    if let Event::Update(st) = &e.event
                        && let Ok(id) = st.id.as_str().parse()
                    {
                        s.statuses.push((id, e.recovered));
                    }
                }
                Item::CaughtUp { .. } => s.caught_up += 1,
                Item::Connected { .. } => s.connected += 1,
                Item::Reconnecting { delay, .. } => {
                    s.waiting = Some(delay);
                    s.reconnects += 1;
                }
                _ => {}
            }
        }
    }));
    let state = |f: fn(&Seen) -> bool| {
        let seen = seen.clone();
        move || f(&seen.lock().unwrap_or_else(|e| e.into_inner()))
    };
    // Live, with the home and notifications timelines anchored.
    wait_for(&rt, "the stream to be live", state(|s| s.connected == 1)).await?;
    let anchored = |n| {
        server
            .requests()
            .iter()
            .filter(|r| crate::scenarios::is_timeline(&r.path))
            .count()
            >= n
    };
    wait_for(&rt, "the two anchors", || anchored(2)).await?;
    let first = server.publish_update();
    wait_for(&rt, "the first status", state(|s| s.statuses.len() == 1)).await?;
    // Down: the next stream request is answered 503, Retry-After 30 (a paused clock).
    server.refuse_streams(1, 503, 30);
    server.cut_streams(Cut::Drop);
    // The drop's backoff passes on the paused clock; the reconnect gets the 503.
    wait_for(&rt, "the drop's backoff", state(|s| s.reconnects == 1)).await?;
    let backoff = seen
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .waiting
        .unwrap_or_default();
    clock.advance(backoff);
    wait_for(&rt, "the 503 and its wait", state(|s| s.reconnects == 2)).await?;
    let wait = seen.lock().unwrap_or_else(|e| e.into_inner()).waiting;
    ensure(wait.is_some_and(|d| d >= Duration::from_secs(30)), || {
        format!("waits {wait:?} after the 503")
    })?;
    let mut missed = Vec::new();
    for _ in 0..120 {
        missed.push(server.publish_update());
    }
    clock.advance(Duration::from_secs(31));
    wait_for(&rt, "the reconnect", state(|s| s.connected == 2)).await?;
    // Live statuses race the catch-up.
    let mut live = Vec::new();
    for _ in 0..10 {
        live.push(server.publish_update());
    }
    wait_for(
        &rt,
        "catch-up of both timelines",
        state(|s| s.caught_up >= 2),
    )
    .await?;
    for _ in 0..3 {
        live.push(server.publish_update());
    }
    let total = 1 + missed.len() + live.len();
    wait_for(&rt, "every status", || {
        seen.lock()
            .unwrap_or_else(|e| e.into_inner())
            .statuses
            .len()
            >= total
    })
    .await?;
    control.close();
    let got = seen
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .statuses
        .clone();
    let ids: Vec<u64> = got.iter().map(|(id, _)| *id).collect();
    let want: Vec<u64> = std::iter::once(first)
        .chain(missed.iter().copied())
        .chain(live.iter().copied())
        .collect();
    ensure(ids == want, || format!("statuses {ids:?}\nwant {want:?}"))?;
    let recovered: Vec<u64> = got.iter().filter(|(_, r)| *r).map(|(id, _)| *id).collect();
    ensure(recovered == missed, || {
        format!("recovered {recovered:?}, want the 120 missed")
    })?;
    let pages = server
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v1/timelines/home" && r.param("min_id").is_some())
        .count();
    ensure(pages >= 3, || {
        format!("{pages} home pages for 120 statuses")
    })
}

/// [`Client::newest_id`] is a resume point: empty timeline `None`; after three statuses the
/// third; a later session resuming from it gets exactly what came after, recovered. With a
/// token the server refuses, the error names the `401`.
pub async fn newest_id_is_a_resume_point<R: Runtime + Default>(rt: R) -> Outcome {
    let server = FakeServer::start(ServerOptions {
        token: Some("good".into()),
        ..ServerOptions::default()
    });
    let client = super::client::<R>(&server)
        .map_err(|e| e.to_string())?
        .token("good");
    let newest = |c: &Client<R>| {
        let (c, rt) = (c.clone(), rt.clone());
        async move { within(&rt, "newest_id", c.newest_id(&Timeline::Home)).await }
    };
    let empty = newest(&client).await?.map_err(|e| e.to_string())?;
    ensure(empty.is_none(), || format!("an empty home: {empty:?}"))?;
    let ids: Vec<u64> = (0..3).map(|_| server.publish_update()).collect();
    let at = newest(&client).await?.map_err(|e| e.to_string())?;
    ensure(at == Some(Id::from(ids[2].to_string())), || {
        format!("newest {at:?}, published {ids:?}")
    })?;
    let later: Vec<u64> = (0..2).map(|_| server.publish_update()).collect();
    let at = at.ok_or("no id")?;
    let cfg = client
        .session_config(StreamTransport::Sse, [Channel::User])
        .resume_from(Timeline::Home, at);
    let mut stream = client.open(cfg);
    let mut got = Vec::new();
    while got.len() < later.len() {
        let item = within(&rt, "the missed statuses", stream.next()).await?;
        match item {
            Some(Ok(Item::Event(e))) => {
                if let Event::Update(s) = &e.event {
                    got.push((s.id.as_str().to_owned(), e.recovered));
                }
            }
            Some(Ok(_)) => {}
            other => return Err(format!("the stream ended: {other:?}")),
        }
    }
    let want: Vec<(String, bool)> = later.iter().map(|i| (i.to_string(), true)).collect();
    ensure(got == want, || {
        format!("resumed with {got:?}, want {want:?}")
    })?;
    stream.close();
    let refused = newest(&client.clone().token("revoked")).await?;
    match refused {
        Err(e) if e.status() == Some(401) && !e.to_string().contains("revoked") => Ok(()),
        other => Err(format!("with a refused token: {other:?}")),
    }
}
