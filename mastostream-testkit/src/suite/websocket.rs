//! The WebSocket surfaces on real loopback sockets: subscriptions changed from another
//! task while a listener runs in the background, refusals, and the close handshake.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use mastostream_client::testing::Paused;
use mastostream_client::{Callbacks, Channel, Client, Item, Runtime};

use super::{Outcome, client, ensure, wait_for, within};
use crate::fake::{FakeServer, Plan, ServerOptions};

/// A WebSocket opened with no stream, subscribed from another task while a listener runs
/// in the background: every event names its stream; the handle shows the subscriptions.
pub async fn ws_subscribes_from_another_task<R: Runtime + Default>(rt: R) -> Outcome {
    let server = Arc::new(FakeServer::start(ServerOptions::default()));
    let client = client::<R>(&server).map_err(|e| e.to_string())?;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let handle = client
        .websocket([])
        .spawn(Callbacks::new().on_any_event(move |e| {
            let stream = e
                .channel
                .as_ref()
                .map_or(String::new(), ToString::to_string);
            let entry = (stream, e.event.kind().as_str().to_owned());
            log.lock().unwrap_or_else(|e| e.into_inner()).push(entry);
        }));
    wait_for(&rt, "the WebSocket to be live", || handle.is_receiving()).await?;
    ensure(handle.subscriptions().is_empty(), || {
        format!("{:?}", handle.subscriptions())
    })?;
    let controller = handle.controller();
    let (tx, rx) = flag::pair();
    rt.spawn(Box::pin(async move {
        controller.subscribe(Channel::hashtag("rust"));
        controller.subscribe(Channel::public());
        tx.done();
    }));
    wait_for(&rt, "the other task's subscriptions", || rx.is_done()).await?;
    let both =
        |ws: &[crate::fake::WsConnection]| ws.last().is_some_and(|c| c.subscriptions.len() == 2);
    wait_for(&rt, "the server to see both subscriptions", || {
        both(&server.ws_connections())
    })
    .await?;
    let id = server.publish_update();
    server.publish_delete(id);
    wait_for(&rt, "four events", || {
        seen.lock().unwrap_or_else(|e| e.into_inner()).len() >= 4
    })
    .await?;
    let got = seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let pair = |s: &str, k: &str| (s.to_owned(), k.to_owned());
    let want = [
        pair("hashtag #rust", "update"),
        pair("public", "update"),
        pair("hashtag #rust", "delete"),
        pair("public", "delete"),
    ];
    ensure(got == want, || format!("got {got:?}"))?;
    let subs = handle.subscriptions();
    ensure(
        subs == [Channel::hashtag("rust"), Channel::public()],
        || format!("{subs:?}"),
    )?;
    let sent = server.ws_connections()[0].messages.clone();
    ensure(sent.iter().all(|m| !m.contains("\"user\"")), || {
        format!("no placeholder stream: {sent:?}")
    })?;
    handle.close();
    within(&rt, "the handle to end", handle.join())
        .await?
        .map_err(|e| e.to_string())
}

/// A small one-shot flag, runtime-free.
mod flag {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    pub(super) struct Tx(Arc<AtomicBool>);
    pub(super) struct Rx(Arc<AtomicBool>);

    pub(super) fn pair() -> (Tx, Rx) {
        let flag = Arc::new(AtomicBool::new(false));
        (Tx(flag.clone()), Rx(flag))
    }

    impl Tx {
        pub(super) fn done(self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    impl Rx {
        pub(super) fn is_done(&self) -> bool {
            self.0.load(Ordering::SeqCst)
        }
    }
}

/// A refused subscription is reported and dropped; the connection and the other
/// subscriptions stay.
pub async fn ws_refusal<R: Runtime + Default>(rt: R) -> Outcome {
    let server = FakeServer::start(ServerOptions::default());
    server.forbid_list("42");
    let client = client::<R>(&server).map_err(|e| e.to_string())?;
    let mut stream = client.websocket([Channel::public(), Channel::list("42")]);
    let asked = stream.subscriptions();
    ensure(asked == [Channel::public(), Channel::list("42")], || {
        format!("{asked:?}")
    })?;
    let refusal = within(&rt, "the refusal", async {
        loop {
            match stream.next().await {
                Some(Ok(Item::StreamError {
                    channel,
                    status,
                    dropped,
                    ..
                })) => {
                    break Ok((channel, status, dropped));
                }
                Some(Ok(Item::Disconnected { error })) => break Err(error.to_string()),
                Some(Ok(_)) => {}
                other => break Err(format!("ended: {other:?}")),
            }
        }
    })
    .await??;
    ensure(
        refusal == (Some(Channel::list("42")), Some(401), true),
        || format!("{refusal:?}"),
    )?;
    ensure(stream.subscriptions() == [Channel::public()], || {
        format!("{:?}", stream.subscriptions())
    })?;
    ensure(stream.is_receiving(), || "still live".into())?;
    stream.close();
    within(&rt, "the end", drain(&mut stream)).await?
}

async fn drain<R: Runtime>(stream: &mut mastostream_client::EventStream<R>) -> Outcome {
    while let Some(item) = stream.next().await {
        item.map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Closing sends a close frame (1000) and the stream ends only once the handshake is
/// over: the server has the frame by then.
pub async fn ws_close_frame<R: Runtime + Default>(rt: R) -> Outcome {
    let server = FakeServer::start(ServerOptions::default());
    let client = client::<R>(&server).map_err(|e| e.to_string())?;
    let mut stream = client.websocket([Channel::public()]);
    within(&rt, "the connection", async {
        while !matches!(stream.next().await, Some(Ok(Item::Connected { .. })) | None) {}
    })
    .await?;
    stream.close();
    within(&rt, "the end", drain(&mut stream)).await??;
    let ws = server.ws_connections();
    ensure(
        ws.len() == 1 && ws[0].client_close == Some(Some(1000)),
        || format!("{ws:?}"),
    )?;
    wait_for(&rt, "the server to see the socket closed", || {
        !server.ws_connections()[0].open
    })
    .await
}

/// Dropping a live stream still sends a close frame, in the background.
pub async fn ws_drop_close_frame<R: Runtime + Default>(rt: R) -> Outcome {
    let server = FakeServer::start(ServerOptions::default());
    let client = client::<R>(&server).map_err(|e| e.to_string())?;
    let mut stream = client.websocket([Channel::public()]);
    within(&rt, "the connection", async {
        while !matches!(stream.next().await, Some(Ok(Item::Connected { .. })) | None) {}
    })
    .await?;
    drop(stream);
    wait_for(&rt, "a close frame and a closed socket", || {
        // The server may record the connection a moment after the client saw it live.
        let ws = server.ws_connections();
        ws.first()
            .is_some_and(|c| c.client_close == Some(Some(1000)) && !c.open)
    })
    .await
}

/// Closing while the upgrade is unanswered ends the stream without waiting for any grace
/// period: on a paused clock that never moves, a wait for the grace period would hang.
pub async fn ws_close_during_upgrade<R: Runtime + Default>(rt: R) -> Outcome {
    let server = FakeServer::start(ServerOptions::default());
    // The server reads the upgrade request and never answers it.
    server.plan([Plan::Silent]);
    let paused = Paused::new(rt.clone(), SystemTime::UNIX_EPOCH);
    let client = Client::with_runtime(&server.url(), paused)
        .map_err(|e| e.to_string())?
        .discover(false);
    let mut stream = client.websocket([Channel::public()]);
    let control = stream.controller();
    let upgrade_seen = async {
        let seen = wait_for(&rt, "the upgrade request", || {
            server.requests().iter().any(|r| r.is_stream())
        })
        .await;
        control.close();
        seen
    };
    let (seen, end) = futures_util::future::join(
        upgrade_seen,
        within(&rt, "the end without a grace period", drain(&mut stream)),
    )
    .await;
    seen?;
    end??;
    ensure(server.ws_connections().is_empty(), || {
        "no WebSocket was opened".into()
    })
}
