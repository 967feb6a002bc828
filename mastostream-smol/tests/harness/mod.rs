//! What the scenario tests share: the time scale (smol has no virtual clock), a watchdog,
//! and the observer that stamps each item with the scaled clock.
#![allow(dead_code, unreachable_pub)]

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::mpsc;
use std::task::Poll;
use std::time::{Duration, Instant};

use futures_lite::{Stream, future};
use mastostream_smol::{Backoff, Client, Error, Item, Timeouts};
use mastostream_testkit::scenarios::What;
use smol::Timer;

/// How much faster than real Mastodon timing the sessions run here: the 45 s idle
/// timeout becomes 0.9 s, the 10 s connect timeout 200 ms, the 500 ms backoff floor 10 ms.
pub const SCALE: u32 = 50;

pub fn scaled(client: Client) -> Client {
    client.configure(|c| {
        let t = c.timeouts;
        c.timeouts = Timeouts {
            connect: t.connect / SCALE,
            head: t.head / SCALE,
            idle: t.idle / SCALE,
            request: t.request / SCALE,
            ws_idle: t.ws_idle / SCALE,
        };
        let b = c.backoff;
        c.backoff = Backoff {
            min: b.min / SCALE,
            initial: b.initial / SCALE,
            max: b.max / SCALE,
            ..b
        };
        c.healthy_after /= SCALE;
    })
}

/// Exits the test process if a scenario hangs.
pub struct Watchdog(#[allow(dead_code)] mpsc::Sender<()>);

pub fn watchdog(name: &str) -> Watchdog {
    let (tx, rx) = mpsc::channel::<()>();
    let name = name.to_owned();
    std::thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(Duration::from_secs(60)) {
            eprintln!("scenario {name:?} hung for 60 s");
            std::process::exit(101);
        }
    });
    Watchdog(tx)
}

fn what(next: Option<Result<Item, Error>>) -> What {
    match next {
        Some(Ok(item)) => What::Item(item),
        Some(Err(e)) => What::End(Err(e)),
        None => What::End(Ok(())),
    }
}

/// The stream under test, each item stamped with the client's clock when the stream made
/// the progress that produced it: the start of the first poll after the stream last waited
/// (items produced by one read share it). A stamp taken after the item came back would
/// also count the event's decoding and the harness's own work, which the scenarios' timing
/// checks (a paused clock's, on tokio) do not expect: "disconnected no sooner than the idle
/// timeout after the last data" must compare the data's arrival, not its observation.
pub struct Observer<S> {
    pub stream: S,
    /// When the current run of progress started (`None`: the stream waited since).
    mark: Option<Instant>,
    early: VecDeque<(Duration, What)>,
    ended: bool,
    t0: Instant,
}

impl<S: Stream<Item = Result<Item, Error>> + Unpin> Observer<S> {
    pub fn new(stream: S, t0: Instant) -> Observer<S> {
        Observer {
            stream,
            mark: None,
            early: VecDeque::new(),
            ended: false,
            t0,
        }
    }

    /// Lets `d` (scaled) pass in real time with the stream running; what it delivers
    /// meanwhile is reported after.
    pub async fn advance(&mut self, d: Duration) {
        let until = Instant::now() + d / SCALE;
        let mut early = Vec::new();
        while let Some(seen) = self.next(Some(until)).await {
            early.push(seen);
        }
        self.early.extend(early);
    }

    /// The scenario's clock at `at`: real time since the start, scaled up.
    pub fn clock(&self, at: Instant) -> Duration {
        (at - self.t0) * SCALE
    }

    /// The next item (or the end) with its stamp.
    async fn item(&mut self) -> (Instant, Option<Result<Item, Error>>) {
        future::poll_fn(|cx| {
            let mark = *self.mark.get_or_insert_with(Instant::now);
            match Pin::new(&mut self.stream).poll_next(cx) {
                Poll::Ready(next) => Poll::Ready((mark, next)),
                Poll::Pending => {
                    self.mark = None;
                    Poll::Pending
                }
            }
        })
        .await
    }

    /// The next observation, or `None` when `until` came first.
    pub async fn next(&mut self, until: Option<Instant>) -> Option<(Duration, What)> {
        if let Some(early) = self.early.pop_front() {
            return Some(early);
        }
        assert!(
            until.is_some() || !self.ended,
            "the harness waits for an item after the end"
        );
        let timer = async {
            match until {
                Some(at) => {
                    Timer::at(at).await;
                    None
                }
                None => future::pending().await,
            }
        };
        let ended = self.ended;
        let item = async {
            if ended {
                // A stream is over after its end: report nothing more, just let time pass.
                return future::pending().await;
            }
            Some(self.item().await)
        };
        let (at, next) = match future::or(item, timer).await {
            Some(stamped) => stamped,
            None => {
                // The harness's timer won: the stream waits (or is over) meanwhile.
                self.mark = None;
                return None;
            }
        };
        let what = what(next);
        self.ended |= matches!(what, What::End(_));
        Some((self.clock(at), what))
    }
}

pub fn tracing() {
    if std::env::var_os("SCENARIO_TRACE").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_max_level(::tracing::Level::TRACE)
            .with_test_writer()
            .try_init();
    }
}
