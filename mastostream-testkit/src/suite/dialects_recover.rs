//! Losing the connection on every dialect: the client reconnects, subscribes again, and
//! catches up over REST with the server's own pagination and ids (what was published
//! while it was away arrives once, in order, recovered); a revoked token ends the stream
//! with the server's own refusal.

use mastostream_client::{Channel, Item, Runtime, Timeline};

use super::dialects::{Reader, Setup, disconnects, refusals, updates};
use super::{Outcome, ensure};
use crate::fake::{Cut, Dialect, StatusBuilder};

/// How many catch-up pages the missed statuses fill (four a page).
const PAGE: usize = 4;
const MISSED: usize = 10;

/// Whether the server has seen `n` REST timeline requests (the first connection's
/// anchors: one REST request at a time, so all but the last are answered).
fn timeline_requests(s: &Setup) -> usize {
    s.server
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/api/v1/timelines/") || r.path == "/api/v1/notifications")
        .count()
}

/// `user` and `public:local` on one WebSocket. Three statuses arrive live; the stream
/// stalls, ten statuses are published, the server restarts; the client reconnects,
/// subscribes to both again, and catches the home timeline up four at a time with
/// `min_id` in the server's id format: the ten arrive recovered, once each, in order,
/// before the status published after them.
pub(super) async fn reconnect_and_catch_up<R: Runtime + Default>(rt: R, s: &Setup) -> Outcome {
    let channels = [Channel::User, Channel::public_local()];
    let client = s
        .client::<R>()?
        .configure(|c| c.catch_up.page_size = PAGE as u32);
    let mut r = Reader::new(&rt, client.websocket(channels.clone()));
    r.wait("both subscriptions and the three anchors", |_| {
        let subs = s
            .server
            .ws_connections()
            .last()
            .map(|c| c.subscriptions.len());
        subs == Some(2) && timeline_requests(s) >= 3
    })
    .await?;
    // A remote author's public status: on `user` (home), not on `public:local`.
    let remote = || StatusBuilder::new().account("bob@example.org");
    let publish = |n: usize| -> Vec<String> {
        (0..n)
            .map(|_| s.status_id(s.server.publish_status(&remote())))
            .collect()
    };
    let live = publish(3);
    r.wait("three live statuses", |items| updates(items).len() == 3)
        .await?;
    s.server.cut_streams(Cut::Stall);
    r.wait("the stream to stall", |_| s.server.live_streams() == 0)
        .await?;
    let requests_before = s.server.requests().len();
    let missed = publish(MISSED);
    s.server.restart();
    // Caught up, and subscribed again on the server: what comes next is live.
    r.wait("the missed statuses, caught up, and both streams again", |items| {
        let caught_up = items.iter().any(|i| {
            matches!(i, Item::CaughtUp { timeline: Timeline::Home, recovered } if *recovered == MISSED)
        });
        let ws = s.server.ws_connections();
        caught_up && ws.len() == 2 && ws[1].subscriptions.len() == 2
    })
    .await?;
    let after = publish(1);
    r.wait("the status published after", |items| {
        updates(items).iter().any(|u| u.0 == after[0])
    })
    .await?;

    let mut want: Vec<(String, Option<Channel>, bool)> = Vec::new();
    for (ids, recovered) in [(&live, false), (&missed, true), (&after, false)] {
        want.extend(
            ids.iter()
                .map(|id| (id.clone(), Some(Channel::User), recovered)),
        );
    }
    let got = updates(&r.items);
    ensure(got == want, || format!("updates {got:?}, want {want:?}"))?;
    let gaps: Vec<&Item> = r
        .items
        .iter()
        .filter(|i| matches!(i, Item::Gap(_)))
        .collect();
    ensure(gaps.is_empty() && refusals(&r.items).is_empty(), || {
        format!("gaps or refusals: {gaps:?} {:?}", refusals(&r.items))
    })?;
    let drops = disconnects(&r.items);
    ensure(drops == 1, || format!("{drops} disconnects, want 1"))?;

    let ws = s.server.ws_connections();
    ensure(ws.len() == 2, || format!("{} WebSockets, want 2", ws.len()))?;
    ensure(ws[1].subscriptions == ws[0].subscriptions, || {
        format!(
            "subscribed {:?} again, want {:?}",
            ws[1].subscriptions, ws[0].subscriptions
        )
    })?;
    // The home pages after the restart: `min_id` walking up from the last id seen, one
    // full page at a time, until an empty page.
    let pages: Vec<(Option<String>, Option<String>)> = s.server.requests()[requests_before..]
        .iter()
        .filter(|q| q.path == "/api/v1/timelines/home")
        .map(|q| {
            let p = |k: &str| q.param(k).map(str::to_owned);
            (p("min_id"), p("limit"))
        })
        .collect();
    let mut from = vec![live[2].clone()];
    from.extend(missed.iter().skip(PAGE - 1).step_by(PAGE).cloned());
    from.push(missed[MISSED - 1].clone());
    let want: Vec<_> = from
        .into_iter()
        .map(|id| (Some(id), Some(PAGE.to_string())))
        .collect();
    ensure(pages == want, || {
        format!("home pages asked {pages:?}, want {want:?}")
    })?;
    s.check_token(&r.items, "")?;
    r.close().await
}

/// The refusal each server answers a revoked token with, on the stream `user` reconnects
/// to: status and message (where the server sends one).
fn refusal(d: Dialect) -> (u16, Option<&'static str>) {
    match d {
        Dialect::Mastodon4 => (401, Some("Invalid access token")),
        Dialect::Mastodon3 => (401, Some("Error: Invalid access token")),
        Dialect::GoToSocial => (401, Some("Unauthorized: token not supplied")),
        Dialect::Akkoma => (401, None),
        Dialect::Pleroma => (401, Some("Unauthorized")),
        Dialect::Iceshrimp => (400, None),
        _ => (401, Some("This method requires an authenticated user")),
    }
}

/// The token is revoked and the server restarts: the reconnect is refused as the server
/// refuses it, and that ends the stream (no retry), with the server's message where it
/// sends one.
pub(super) async fn revoked_token<R: Runtime + Default>(rt: R, s: &Setup) -> Outcome {
    let client = s.client::<R>()?;
    let mut r = Reader::new(&rt, client.stream_user());
    r.wait("the stream to be live and anchored", |_| {
        s.server.live_streams() == 1 && timeline_requests(s) >= 2
    })
    .await?;
    s.server.revoke_token();
    s.server.restart();
    let err = r
        .wait_end("the revoked token's refusal")
        .await?
        .ok_or("a revoked token must end the stream with an error")?;
    let (status, message) = refusal(s.dialect());
    ensure(err.status() == Some(status), || {
        format!("ended with {err}, want status {status}")
    })?;
    ensure(err.server_message() == message, || {
        format!(
            "ended with {err}: message {:?}, want {message:?}",
            err.server_message()
        )
    })?;
    ensure(!err.is_transient(), || format!("{err} is fatal"))?;
    let streams = s.server.requests().iter().filter(|q| q.is_stream()).count();
    ensure(streams == 2, || {
        format!("{streams} stream requests, want 2 (no retry after the refusal)")
    })?;
    let drops = disconnects(&r.items);
    ensure(drops == 1, || format!("{drops} disconnects, want 1"))?;
    s.check_token(&r.items, &format!("{err} {err:?}"))
}
