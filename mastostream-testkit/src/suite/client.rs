//! The client's surfaces on real loopback sockets: the demo end to end (nothing lost or
//! duplicated), callbacks and background handles, fatal errors, health, discovery, TLS.

use std::sync::{Arc, Mutex};

use mastostream_client::{Callbacks, Client, Error, Event, Item, Listener, Runtime};
use mastostream_proto::model::Status;

use super::{Outcome, client, ensure, wait_for, within};
use crate::corpus::{self, EventKind, GeneratedEvent};
use crate::demo::{self, Demo, DemoOptions};
use crate::fake::{Certificate, Cut, FakeServer, Plan, Reply, ServerOptions, StreamPlan};

/// The demo's stream, with a drop mid-event and events missed meanwhile, arrives whole:
/// every status and notification exactly once, in order, the missed ones recovered.
pub async fn demo_arrives_whole<R: Runtime + Default>(rt: R) -> Outcome {
    let opts = DemoOptions {
        events: 160,
        drop_after: Some(70),
        missed: 25,
        pace: std::time::Duration::from_millis(1),
        ..DemoOptions::default()
    };
    let demo = Demo::start(opts.clone());
    let client = super::fast(Client::<R>::new(&demo.url()).map_err(|e| e.to_string())?);
    let mut stream = client.stream_user();
    let (mut statuses, mut notifications, mut recovered) = (Vec::new(), Vec::new(), 0);
    let end = within(&rt, "the demo's end", async {
        loop {
            match stream.next().await {
                Some(Ok(Item::Event(e))) => {
                    recovered += usize::from(e.recovered);
                    match e.event {
                        Event::Update(s) => statuses.push(s.id.as_str().parse::<u64>().ok()),
                        Event::Notification(n) => {
                            notifications.push(n.id.as_str().parse::<u64>().ok())
                        }
                        _ => {}
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => break Some(e),
                None => break None,
            }
        }
    })
    .await?;
    let end = end.ok_or("the demo must end with its 410, not a clean end")?;
    ensure(end.status() == Some(demo::END_STATUS), || {
        format!("ended with {end}")
    })?;
    ensure(end.server_message() == Some(demo::END_MESSAGE), || {
        format!("ended with {end}")
    })?;
    let (mut want_s, mut want_n) = (Vec::new(), Vec::new());
    for item in corpus::events(&demo::corpus_config(&opts)) {
        if let GeneratedEvent::Event(e) = item {
            match e.kind {
                EventKind::Update => want_s.push(e.id),
                EventKind::Notification => want_n.push(e.id),
                _ => {}
            }
        }
    }
    ensure(statuses == want_s, || {
        format!("statuses {statuses:?}, want {want_s:?}")
    })?;
    ensure(notifications == want_n, || {
        format!("notifications {notifications:?}, want {want_n:?}")
    })?;
    ensure(recovered > 0, || "the drop must be caught up".into())?;
    let opened = demo.server().streams_opened();
    ensure(opened == 2, || format!("{opened} streams opened, want 2"))
}

/// A background handle's callback closes its own stream (a close handle works from
/// inside a callback); the handle then ends cleanly.
pub async fn callbacks_close_their_own_stream<R: Runtime + Default>(rt: R) -> Outcome {
    let server = FakeServer::start(ServerOptions::default());
    let client = client::<R>(&server).map_err(|e| e.to_string())?;
    let stream = client.stream_public();
    let control = stream.controller();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let handle = stream.spawn(Callbacks::new().on_update(move |s| {
        log.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(s.id.to_string());
        control.close();
    }));
    wait_for(&rt, "the stream to be live", || handle.is_receiving()).await?;
    ensure(handle.is_alive(), || "alive while live".into())?;
    let id = server.publish_update();
    within(
        &rt,
        "the handle to end after the callback closed it",
        handle.join(),
    )
    .await?
    .map_err(|e| format!("closing is no error: {e}"))?;
    let seen = seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
    ensure(seen == [id.to_string()], || format!("saw {seen:?}"))
}

#[derive(Default)]
struct Counter {
    updates: usize,
    connects: usize,
    aborts: Vec<String>,
}

impl Listener for Counter {
    fn on_update(&mut self, _: Box<Status>) {
        self.updates += 1;
    }
    fn on_connect(&mut self, _: String) {
        self.connects += 1;
    }
    fn on_abort(&mut self, error: &Error) {
        self.aborts.push(error.to_string());
    }
}

/// A listener's run loop goes on until a fatal error, which reaches `on_abort` once and
/// comes back from `run`.
pub async fn fatal_error_reaches_on_abort<R: Runtime + Default>(rt: R) -> Outcome {
    let server = Arc::new(FakeServer::start(ServerOptions::default()));
    server.plan([
        Plan::Stream(StreamPlan {
            cut: Some((2, Cut::End)),
            ..Default::default()
        }),
        Plan::Reply(Reply::unauthorized(
            "This action is outside the authorized scopes",
        )),
    ]);
    let client = client::<R>(&server)
        .map_err(|e| e.to_string())?
        .discover(false);
    let mut listener = Counter::default();
    let s = server.clone();
    let feeder = std::thread::spawn(move || {
        let live = s.wait_until(super::WAIT, |_, live, _| live == 1);
        for _ in 0..3 {
            s.publish_update();
        }
        live
    });
    let result = within(&rt, "the 401", client.stream_user().run(&mut listener)).await?;
    ensure(feeder.join().unwrap_or(false), || {
        "the stream never went live".into()
    })?;
    let err = result.err().ok_or("run must end with the 401")?;
    ensure(err.status() == Some(401), || format!("ended with {err}"))?;
    let want = "401 Unauthorized: This action is outside the authorized scopes";
    ensure(err.to_string() == want, || format!("{err}"))?;
    ensure(listener.aborts == [want], || {
        format!("aborts {:?}", listener.aborts)
    })?;
    ensure(listener.updates == 2 && listener.connects == 1, || {
        format!(
            "{} updates, {} connects",
            listener.updates, listener.connects
        )
    })
}

/// Health and discovery over TLS, with the streaming host apart from the API host.
pub async fn health_and_discovery_over_tls<R: Runtime + Default>(rt: R) -> Outcome {
    let server = FakeServer::start(ServerOptions {
        tls: true,
        separate_streaming: true,
        ..ServerOptions::default()
    });
    let client = client::<R>(&server).map_err(|e| e.to_string())?;
    let healthy = within(&rt, "the health check", client.stream_healthy()).await?;
    ensure(healthy.as_ref().is_ok_and(|h| *h), || {
        format!("health {healthy:?}")
    })?;
    let found = within(&rt, "discovery", client.discover_streaming_url()).await?;
    let found = found.map_err(|e| e.to_string())?.map(|i| i.to_string());
    let want = server.streaming_url().replacen("wss", "https", 1);
    ensure(found.as_deref() == Some(want.as_str()), || {
        format!("found {found:?}, want {want}")
    })
}

/// A certificate from an unknown CA, for another host, or expired: TLS fails with that
/// fault named, and the server saw no request (the token went nowhere).
pub async fn certificate_faults<R: Runtime + Default>(rt: R) -> Outcome {
    for (certificate, trust, fault) in [
        (Certificate::Valid, false, "UnknownIssuer"),
        (Certificate::WrongHost, true, "not valid for name"),
        (Certificate::Expired, true, "expired"),
    ] {
        let server = FakeServer::start(ServerOptions {
            tls: true,
            certificate,
            token: Some("s3cr3t".into()),
            ..ServerOptions::default()
        });
        let mut client = Client::<R>::new(&server.url())
            .map_err(|e| e.to_string())?
            .token("s3cr3t")
            .discover(false);
        if trust && let Some(ca) = server.ca() {
            client = client
                .add_root_certificate(ca.ca_der().clone())
                .map_err(|e| e.to_string())?;
        }
        let err = within(&rt, "the TLS failure", client.stream_healthy()).await?;
        let err = err
            .err()
            .ok_or(format!("{certificate:?}: the certificate must be refused"))?;
        let text = err.to_string();
        ensure(
            text.starts_with("connect failed: invalid peer certificate: ") && text.contains(fault),
            || format!("{certificate:?}: {text}"),
        )?;
        ensure(server.requests().is_empty(), || {
            format!("{certificate:?}: the server saw {:?}", server.requests())
        })?;
    }
    Ok(())
}
