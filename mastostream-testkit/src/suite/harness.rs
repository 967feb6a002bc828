//! What the hostile-server tests share: a [`HostileServer`] with a client on a paused clock
//! ([`Hostile`]), a recorder of everything a stream hands out that lets backoff time pass
//! when the client says it waits ([`Watch`]), and a check that nothing panicked anywhere in
//! the process ([`checked`], [`verdict`]).

use std::fmt::Write as _;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant, SystemTime};

use futures_util::future::{Either, select};
use mastostream_client::proto::error::DecodeError;
use mastostream_client::testing::Paused;
use mastostream_client::{
    Channel, Client, Error, Event, EventStream, Item, Runtime, SessionConfig,
};

use super::{Outcome, WAIT};
use crate::hostile::{Connection, GOOD_ID, HostileOptions, HostileServer};
use crate::scenarios::drive::real_sleep;

/// The token every hostile test's client sends (to check where it went).
pub const SECRET: &str = "hostile-suite-token-4b1d";

/// The wall clock the paused clients start at (for `Retry-After` dates): 2026-11-24.
pub(crate) fn wall0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_420_800)
}

/// A hostile server and a runtime whose clock moves only when a test says so.
pub(crate) struct Hostile<R: Runtime> {
    /// The runtime underneath, for real-time bounds.
    pub(crate) rt: R,
    /// The clients' clock.
    pub(crate) clock: Paused<R>,
    pub(crate) server: HostileServer,
}

impl<R: Runtime> Hostile<R> {
    pub(crate) fn start(rt: R, opts: HostileOptions) -> Self {
        Hostile {
            clock: Paused::new(rt.clone(), wall0()),
            rt,
            server: HostileServer::start(opts),
        }
    }

    /// A client of the main listener on the paused clock: the suite's token, no discovery
    /// and no catch-up (a hostile server has no REST API: every request it gets is a
    /// stream's), trusting the server's CA; `configure` adjusts the sessions further.
    pub(crate) fn client(
        &self,
        configure: impl Fn(&mut SessionConfig) + Send + Sync + 'static,
    ) -> Result<Client<Paused<R>>, String> {
        let mut client = Client::with_runtime(&self.server.url(), self.clock.clone())
            .map_err(|e| e.to_string())?
            .token(SECRET)
            .discover(false)
            .configure(move |c| {
                c.catch_up.enabled = false;
                configure(c);
            });
        if let Some(ca) = self.server.ca() {
            client = client
                .add_root_certificate(ca.ca_der().clone())
                .map_err(|e| e.to_string())?;
        }
        Ok(client)
    }

    /// The `user` stream over SSE only, watched.
    pub(crate) fn sse(
        &self,
        configure: impl Fn(&mut SessionConfig) + Send + Sync + 'static,
    ) -> Result<Watch<R>, String> {
        Ok(self.watch(self.client(forced(configure))?.stream_user()))
    }

    /// A WebSocket (only) subscribed to `public`, watched.
    pub(crate) fn ws(
        &self,
        configure: impl Fn(&mut SessionConfig) + Send + Sync + 'static,
    ) -> Result<Watch<R>, String> {
        let client = self.client(forced(configure))?;
        Ok(self.watch(client.websocket([Channel::public()])))
    }

    pub(crate) fn watch(&self, stream: EventStream<Paused<R>>) -> Watch<R> {
        Watch {
            rt: self.rt.clone(),
            clock: self.clock.clone(),
            stream,
            items: Vec::new(),
            end: None,
            backoff: true,
        }
    }

    /// Waits (at most [`WAIT`]) until `pred` holds for the server's connections.
    pub(crate) fn server_saw(
        &self,
        what: &str,
        pred: impl FnMut(&[Connection]) -> bool,
    ) -> Outcome {
        let held = self.server.wait_until(WAIT, pred);
        super::ensure(held, || {
            format!(
                "gave up after {WAIT:?} waiting for the server to see {what}; it saw {}",
                connections(&self.server.connections())
            )
        })
    }
}

/// The server's connections in a line each: behaviour, request, bytes, ending.
pub(crate) fn connections(cs: &[Connection]) -> String {
    let mut out = String::new();
    for c in cs {
        let target = c.request.as_ref().map_or("-", |r| r.target.as_str());
        let _ = write!(
            out,
            "\n  #{} {:?} {} {target} wrote {} stalls {} frames {} ending {:?}",
            c.index,
            c.listener,
            c.behaviour.unwrap_or("-"),
            c.bytes_written,
            c.write_stalls,
            c.frames.len(),
            c.ending
        );
    }
    out
}

/// A stream and everything it handed out.
pub(crate) struct Watch<R: Runtime> {
    rt: R,
    clock: Paused<R>,
    pub(crate) stream: EventStream<Paused<R>>,
    pub(crate) items: Vec<Item>,
    /// How it ended, once it did: `Ok` when closed, the fatal error otherwise.
    pub(crate) end: Option<Result<(), Error>>,
    /// Whether a `Reconnecting` item moves the clock by its delay (so the next attempt
    /// comes at once).
    pub(crate) backoff: bool,
}

/// One `Item::Reconnecting`, as a test checks it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Retry {
    pub(crate) delay: Duration,
    pub(crate) error: String,
    pub(crate) capped: Option<Duration>,
    pub(crate) transient: bool,
}

impl<R: Runtime> Watch<R> {
    /// Records what `next()` gave; `false` once the stream is over.
    fn record(&mut self, next: Option<Result<Item, Error>>) -> bool {
        match next {
            Some(Ok(item)) => {
                if let (true, Item::Reconnecting { delay, .. }) = (self.backoff, &item) {
                    self.clock.advance(*delay);
                }
                self.items.push(item);
                true
            }
            Some(Err(e)) => {
                self.end = Some(Err(e));
                false
            }
            None => {
                self.end.get_or_insert(Ok(()));
                false
            }
        }
    }

    /// Takes items until one satisfies `pred` (returned), letting backoff time pass. Fails
    /// when the stream ends first, or after [`WAIT`] of real time, naming `what`.
    pub(crate) async fn until(
        &mut self,
        what: &str,
        mut pred: impl FnMut(&Item) -> bool,
    ) -> Result<Item, String> {
        let rt = self.rt.clone();
        let found = super::within(&rt, what, async {
            loop {
                let next = self.stream.next().await;
                if !self.record(next) {
                    return None;
                }
                if self.items.last().is_some_and(&mut pred) {
                    return self.items.last().cloned();
                }
            }
        })
        .await;
        match found {
            Ok(Some(item)) => Ok(item),
            Ok(None) => Err(format!("the stream ended before {what}; {}", self.log())),
            Err(e) => Err(format!("{e}; {}", self.log())),
        }
    }

    /// Takes items until the [`GOOD_ID`] update.
    pub(crate) async fn good_event(&mut self) -> Outcome {
        self.until("the good event", |i| update_id(i) == Some(GOOD_ID))
            .await
            .map(drop)
    }

    /// Takes items until the stream ends; returns its fatal error.
    pub(crate) async fn fatal(&mut self, what: &str) -> Result<Error, String> {
        if self.end.is_none() {
            let _ = self.until(what, |_| false).await;
        }
        match &self.end {
            Some(Err(e)) => Ok(e.clone()),
            Some(Ok(())) => Err(format!("{what}: the stream ended cleanly; {}", self.log())),
            None => Err(format!("{what}: the stream did not end; {}", self.log())),
        }
    }

    /// Keeps the client running (taking and recording its items, without letting time
    /// pass) for a moment, then until `done()` holds; fails if the stream ends first, or
    /// after [`WAIT`].
    pub(crate) async fn pump(&mut self, what: &str, mut done: impl FnMut() -> bool) -> Outcome {
        let start = Instant::now();
        let backoff = std::mem::replace(&mut self.backoff, false);
        let mut rounds = 0;
        let result = loop {
            // The client runs only while polled: at least one round, whatever `done` says.
            if rounds > 0 && done() {
                break Ok(());
            }
            rounds += 1;
            if start.elapsed() > WAIT {
                break Err(format!("gave up after {WAIT:?} waiting for {what}"));
            }
            let next = {
                let next = std::pin::pin!(self.stream.next());
                let nap = std::pin::pin!(real_sleep(&self.rt, Duration::from_millis(2)));
                match select(next, nap).await {
                    Either::Left((next, _)) => next,
                    Either::Right(_) => continue,
                }
            };
            if !self.record(next) {
                break Err(format!("the stream ended before {what}"));
            }
        };
        self.backoff = backoff;
        result.map_err(|e| format!("{e}; {}", self.log()))
    }

    /// Releases connection 0's [`Pace::Step`](crate::hostile::Pace::Step) drip one byte at
    /// a time, the client running between bytes, until the stream went live or retried;
    /// returns how many bytes it took. Fails past `max` bytes.
    pub(crate) async fn drip_until_live(
        &mut self,
        server: &HostileServer,
        max: u64,
    ) -> Result<u64, String> {
        let mut released = 0;
        while self.connects() == 0 && self.retries().is_empty() {
            super::ensure(released < max, || {
                format!("live within {max} bytes; {}", self.log())
            })?;
            server.release(1);
            released += 1;
            self.pump("the dripped byte", || {
                server
                    .connection(0)
                    .is_some_and(|c| c.bytes_written >= released || c.ending.is_some())
            })
            .await?;
        }
        Ok(released)
    }

    /// After [`drip_until_live`](Watch::drip_until_live) went live: the rest of the drip at
    /// once, then the good event on the same connection, nothing before its bytes.
    pub(crate) async fn drip_the_rest(&mut self, server: &HostileServer) -> Outcome {
        super::ensure(self.updates().is_empty(), || {
            format!("no event before its bytes; {}", self.log())
        })?;
        server.release(1 << 20);
        self.good_event().await?;
        super::ensure(self.retries().is_empty() && self.connects() == 1, || {
            format!("one connection, no retry; {}", self.log())
        })
    }

    /// Keeps the client running for `d` of real time, recording its items, letting no time
    /// pass on its clock.
    pub(crate) async fn settle(&mut self, d: Duration) -> Outcome {
        let until = Instant::now() + d;
        self.pump("a pause", || Instant::now() >= until).await
    }

    /// Closes the stream and takes what is left, to its end.
    pub(crate) async fn close(&mut self) -> Outcome {
        self.stream.close();
        if self.end.is_none() {
            let _ = self.until("the end after closing", |_| false).await;
        }
        match &self.end {
            Some(Ok(())) => Ok(()),
            other => Err(format!("closing ended with {other:?}; {}", self.log())),
        }
    }

    /// Every `Reconnecting` item so far.
    pub(crate) fn retries(&self) -> Vec<Retry> {
        self.items
            .iter()
            .filter_map(|i| match i {
                Item::Reconnecting {
                    delay,
                    error,
                    capped,
                    ..
                } => Some(Retry {
                    delay: *delay,
                    error: error.to_string(),
                    capped: *capped,
                    transient: error.is_transient(),
                }),
                _ => None,
            })
            .collect()
    }

    /// The reasons of every `Reconnecting` item so far.
    pub(crate) fn retry_reasons(&self) -> Vec<String> {
        self.retries().into_iter().map(|r| r.error).collect()
    }

    /// The reasons of every `Disconnected` item so far.
    pub(crate) fn disconnects(&self) -> Vec<String> {
        self.items
            .iter()
            .filter_map(|i| match i {
                Item::Disconnected { error } => Some(error.to_string()),
                _ => None,
            })
            .collect()
    }

    /// Every malformed event so far: its name, payload size and error.
    pub(crate) fn malformed(&self) -> Vec<(String, usize, DecodeError)> {
        self.items
            .iter()
            .filter_map(|i| match i.event() {
                Some(Event::Malformed { name, data, error }) => {
                    Some((name.clone(), data.len(), error.clone()))
                }
                _ => None,
            })
            .collect()
    }

    /// The ids of every `update` so far.
    pub(crate) fn updates(&self) -> Vec<u64> {
        self.items.iter().filter_map(update_id).collect()
    }

    /// How many times the stream went live.
    pub(crate) fn connects(&self) -> usize {
        let connected = |i: &&Item| matches!(i, Item::Connected { .. });
        self.items.iter().filter(connected).count()
    }

    /// What the stream handed out, one short line per item, for failure messages.
    pub(crate) fn log(&self) -> String {
        let mut out = String::from("the client saw:");
        for item in &self.items {
            out.push_str("\n  ");
            out.push_str(&summary(item));
        }
        if let Some(end) = &self.end {
            let _ = write!(out, "\n  end: {end:?}");
        }
        out
    }
}

/// An `update`'s id as a number.
pub(crate) fn update_id(item: &Item) -> Option<u64> {
    match item.event() {
        Some(Event::Update(s)) => s.id.as_str().parse().ok(),
        _ => None,
    }
}

fn summary(item: &Item) -> String {
    match item {
        Item::Event(e) => match &e.event {
            Event::Malformed { name, data, error } => {
                format!("malformed {name} ({} bytes): {error}", data.len())
            }
            Event::Update(s) => format!("update {}", s.id),
            other => format!("{:?}", other.kind()),
        },
        Item::Reconnecting {
            attempt,
            delay,
            error,
            capped,
        } => format!("reconnecting #{attempt} in {delay:?} (capped {capped:?}): {error}"),
        Item::Disconnected { error } => format!("disconnected: {error}"),
        Item::Connected { url, .. } => format!("connected {url}"),
        other => {
            let mut s = format!("{other:?}");
            s.truncate(200);
            s
        }
    }
}

/// The message every hostile test's failure starts with (the panic check leaves those
/// alone).
const FAILED: &str = "hostile test failed";

static PANICS: AtomicUsize = AtomicUsize::new(0);
static LAST_PANIC: Mutex<String> = Mutex::new(String::new());

fn count_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let text = info.to_string();
            if !text.contains(FAILED) {
                PANICS.fetch_add(1, Ordering::SeqCst);
                *LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()) = text;
            }
            previous(info);
        }));
    });
}

/// `configure`, with the transport forced: a hostile answer is the transport's to
/// handle, not a reason to try the other one (the fallback has tests of its own).
fn forced(
    configure: impl Fn(&mut SessionConfig) + Send + Sync + 'static,
) -> impl Fn(&mut SessionConfig) + Send + Sync + 'static {
    move |cfg| {
        cfg.choose_transport = false;
        configure(cfg);
    }
}

/// Runs a hostile test, then fails it if anything in the process panicked meanwhile (a
/// runtime's worker thread included, where a panicking task would otherwise only show as
/// a stream that hangs).
pub async fn checked(test: impl Future<Output = Outcome>) -> Outcome {
    count_panics();
    let before = PANICS.load(Ordering::SeqCst);
    let outcome = test.await;
    let after = PANICS.load(Ordering::SeqCst);
    let last = LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let panicked = super::ensure(after == before, || {
        format!(
            "{} panic(s) in the process, the last: {last}",
            after - before
        )
    });
    outcome.and(panicked)
}

/// Panics with `name` and the failure, if the test failed.
pub fn verdict(name: &str, outcome: Outcome) {
    if let Err(e) = outcome {
        panic!("{FAILED}: {name}: {e}");
    }
}
