//! Transport fallback both ways, on real sockets: software the client does not know
//! refuses SSE, and the client moves to the WebSocket; a Mastodon behind a proxy that
//! passes no WebSocket upgrade on (a `200` page, a `404`), and the client moves to SSE.
//! Once moved, reconnects stay on the transport that works.

use mastostream_client::{Channel, Item, Runtime, StreamTransport};
use mastostream_proto::{Dialect as Spoken, Software};

use super::dialects::{Reader, Setup, updates};
use super::dialects_connect::{chosen, connects};
use super::{Outcome, ensure};
use crate::fake::{Dialect, Reply, ServerOptions, StatusBuilder, TokenPlace};

/// Publishes a status for `user` and waits for it; its id.
async fn one_status<R: Runtime>(r: &mut Reader<R>, s: &Setup) -> Result<String, String> {
    let id = s.status_id(s.server.publish_status(&StatusBuilder::new()));
    r.wait(&format!("status {id}"), |items| {
        updates(items).iter().any(|u| u.0 == id)
    })
    .await?;
    Ok(id)
}

/// Restarts the server and waits for the stream to be live again, `n` streams opened in
/// all.
async fn restart<R: Runtime>(r: &mut Reader<R>, s: &Setup, n: usize) -> Outcome {
    s.server.restart();
    r.wait("the stream to be live again after a restart", |_| {
        s.server.streams_opened() == n && s.server.live_streams() == 1
    })
    .await
}

/// The stream requests so far: (WebSocket upgrades, SSE requests).
fn stream_requests(s: &Setup) -> (usize, usize) {
    let requests = s.server.requests();
    let streams = requests.iter().filter(|q| q.is_stream());
    let upgrades = streams
        .clone()
        .filter(|q| q.header("upgrade").is_some())
        .count();
    (upgrades, streams.count() - upgrades)
}

/// NodeInfo names software the client does not know (`bonfire`), which streams as
/// GoToSocial does: its SSE path answers `404`; the client says so and moves to the
/// WebSocket (token in the header, which the server reads), and stays there.
pub(super) async fn sse_refused<R: Runtime + Default>(rt: R) -> Outcome {
    let opts = ServerOptions {
        dialect: Dialect::GoToSocial,
        software_name: Some("bonfire".into()),
        ..ServerOptions::default()
    };
    let s = Setup::with(opts, TokenPlace::Authorization, "servers::sse_refused")?;
    let client = s.client::<R>()?;
    let mut r = Reader::new(&rt, client.stream_user());
    r.wait("the stream to be live on the server", |_| {
        s.server.live_streams() == 1
    })
    .await?;
    one_status(&mut r, &s).await?;
    let Some(Item::Discovered(found)) = r.items.first() else {
        return Err(format!("discovery first: {:?}", r.items.first()));
    };
    let version = Dialect::GoToSocial.software_version().to_owned();
    let want = Spoken::new(Software::Other("bonfire".into()), Some(version));
    ensure(found.dialect == want, || {
        format!("discovered {}, want {want}", found.dialect)
    })?;
    let reason = "the server refused SSE: 404 Not Found: Not Found".to_owned();
    let want = [(StreamTransport::WebSocket, reason)];
    ensure(chosen(&r.items) == want, || {
        format!("transport chosen: {:?}, want {want:?}", chosen(&r.items))
    })?;
    restart(&mut r, &s, 2).await?;
    one_status(&mut r, &s).await?;
    let transports: Vec<StreamTransport> = connects(&r.items).iter().map(|c| c.0).collect();
    ensure(transports == [StreamTransport::WebSocket; 2], || {
        format!("connected over {transports:?}")
    })?;
    ensure(chosen(&r.items).len() == 1, || "one move only".into())?;
    let requests = stream_requests(&s);
    ensure(requests == (2, 1), || {
        format!("(upgrades, SSE requests) {requests:?}, want (2, 1)")
    })?;
    s.check_token(&r.items, "")?;
    r.close().await
}

/// What a proxy that passes no upgrade on answers one with.
fn proxy_refusal(page: bool) -> Reply {
    let (status, reason, body) = if page {
        (
            200,
            "OK",
            "<html><body><h1>Welcome to nginx!</h1></body></html>\r\n",
        )
    } else {
        (
            404,
            "Not Found",
            "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
        )
    };
    Reply {
        status,
        reason: reason.into(),
        headers: vec![("Content-Type".into(), "text/html".into())],
        body: body.as_bytes().to_vec(),
    }
}

/// A Mastodon whose proxy answers every WebSocket upgrade with a `200` page (`page`) or a
/// `404`: a one-stream WebSocket session says so and moves to SSE, where `user` streams
/// (token in the header), and stays there.
pub(super) async fn upgrade_refused<R: Runtime + Default>(rt: R, page: bool) -> Outcome {
    let refusal = proxy_refusal(page);
    let status = refusal.status;
    let opts = ServerOptions {
        refuse_upgrades: Some(refusal),
        ..ServerOptions::default()
    };
    let name = format!("servers::upgrade_refused_{status}");
    let s = Setup::with(opts, TokenPlace::Authorization, &name)?;
    let client = s.client::<R>()?;
    let mut r = Reader::new(&rt, client.websocket([Channel::User]));
    r.wait("the stream to be live on the server", |_| {
        s.server.live_streams() == 1
    })
    .await?;
    one_status(&mut r, &s).await?;
    let moves = chosen(&r.items);
    let prefix = "the server refused the WebSocket: ";
    let said = moves.first().map(|(t, why)| (*t, why.as_str()));
    ensure(
        moves.len() == 1
            && said.is_some_and(|(t, why)| {
                t == StreamTransport::Sse
                    && why.starts_with(prefix)
                    && why.contains(&status.to_string())
            }),
        || format!("transport chosen: {moves:?}, want SSE, the {status} named"),
    )?;
    restart(&mut r, &s, 2).await?;
    let id = one_status(&mut r, &s).await?;
    let conns = connects(&r.items);
    let sse = conns
        .iter()
        .all(|(t, url)| *t == StreamTransport::Sse && url.ends_with("/api/v1/streaming/user"));
    ensure(conns.len() == 2 && sse, || {
        format!("connected {conns:?}, want SSE `user` twice")
    })?;
    // Live, or caught up if it made the reconnect's catch-up page: once either way.
    let got: Vec<_> = updates(&r.items)
        .into_iter()
        .filter(|u| u.0 == id)
        .map(|u| u.1)
        .collect();
    ensure(got == [Some(Channel::User)], || {
        format!("status {id} arrived on {got:?}")
    })?;
    let requests = stream_requests(&s);
    ensure(requests == (1, 2), || {
        format!("(upgrades, SSE requests) {requests:?}, want (1, 2)")
    })?;
    ensure(chosen(&r.items).len() == 1, || "one move only".into())?;
    s.check_token(&r.items, "")?;
    r.close().await
}
