//! What the scenario tests share: tokio's paused clock held still during real I/O, a
//! watchdog, and the translation of stream items into observations.
#![allow(dead_code, unreachable_pub)]

use std::sync::mpsc;
use std::time::Duration;

use mastostream_testkit::scenarios::{self, What};

/// Keeps tokio's paused clock from jumping ahead while real I/O is in flight: a running
/// blocking task inhibits auto-advance, so time moves only by `tokio::time::advance`.
pub struct ClockHold(#[allow(dead_code)] mpsc::Sender<()>);

pub fn hold_clock() -> ClockHold {
    let (tx, rx) = mpsc::channel::<()>();
    tokio::task::spawn_blocking(move || {
        let _ = rx.recv();
    });
    ClockHold(tx)
}

/// Exits the test process if a scenario hangs (a frozen clock cannot time it out).
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

/// Waits a little real time (the paused clock stays put meanwhile).
pub async fn settle() {
    let _ = tokio::task::spawn_blocking(|| std::thread::sleep(scenarios::SETTLE)).await;
}

/// Lets `d` pass on the paused clock.
pub async fn advance(d: Duration) {
    // tokio rounds timer deadlines up to the next millisecond.
    tokio::time::advance(d + Duration::from_millis(1)).await;
}

pub fn what(next: Option<Result<mastostream_tokio::Item, mastostream_tokio::Error>>) -> What {
    match next {
        Some(Ok(item)) => What::Item(item),
        Some(Err(e)) => What::End(Err(e)),
        None => What::End(Ok(())),
    }
}

pub fn tracing() -> bool {
    let on = std::env::var_os("SCENARIO_TRACE").is_some();
    if on {
        let _ = tracing_subscriber::fmt()
            .with_max_level(::tracing::Level::TRACE)
            .with_test_writer()
            .try_init();
    }
    on
}
