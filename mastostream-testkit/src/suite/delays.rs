//! Absurd delays: `503` and `429` with `Retry-After` in seconds of any length, HTTP-dates
//! far away or long past, and garbage. The delay is computed without overflow, capped at
//! `max_server_delay` with the `Reconnecting` item saying what was asked, and the reason
//! names the status and the value; the next attempt waits for the delay (on the paused
//! clock) and no longer.

use std::time::Duration;

use mastostream_client::{Item, Runtime};

use super::harness::{Hostile, Retry, wall0};
use super::hostile_http::matches;
use super::{Outcome, ensure};
use crate::hostile::{Behaviour, HostileOptions};

/// The cap the tests configure (the default is 15 minutes).
const MAX: Duration = Duration::from_secs(600);

/// One `Retry-After` case: the status, the value sent, the reason expected (see
/// [`matches`]), and the delay asked for (`None`: none understood, the client's own
/// backoff applies).
struct Case {
    status: u16,
    value: String,
    reason: String,
    asked: Option<Duration>,
}

fn case(status: u16, value: &str, asked: Option<Duration>) -> Case {
    let name = if status == 429 {
        "Too Many Requests"
    } else {
        "Service Unavailable"
    };
    let shown = match (value.is_empty(), value.bytes().all(|b| b.is_ascii_digit())) {
        (true, _) => String::new(),
        (false, true) => format!(" (Retry-After {value} s)"),
        (false, false) => format!(" (Retry-After {value})"),
    };
    Case {
        status,
        value: value.to_owned(),
        reason: format!("{status} {name}{shown}: {name}"),
        asked,
    }
}

/// Runs the cases in order on one SSE stream; each retry must give its reason, a delay no
/// shorter than asked and capped at [`MAX`] (saying so), or the client's own backoff.
async fn retries<R: Runtime + Default>(rt: R, cases: Vec<Case>) -> Outcome {
    let h = Hostile::start(rt, HostileOptions::default());
    h.server.queue(
        cases
            .iter()
            .map(|c| Behaviour::retry_after(c.status, &c.value)),
    );
    let mut w = h.sse(|c| c.max_server_delay = MAX)?;
    w.good_event().await?;
    let got = w.retries();
    ensure(got.len() == cases.len(), || {
        format!("one retry per case; {}", w.log())
    })?;
    let backoff = mastostream_client::Backoff::default().max;
    for (r, c) in got.iter().zip(&cases) {
        let delay_ok = match c.asked {
            Some(asked) if asked > MAX => r.delay == MAX && r.capped == Some(asked),
            Some(asked) => r.delay >= asked && r.delay <= asked.max(backoff) && r.capped.is_none(),
            None => r.delay <= backoff && r.capped.is_none(),
        };
        ensure(
            matches(&r.error, &c.reason) && r.transient && delay_ok,
            || {
                format!(
                    "Retry-After {:?}: got {r:?}, want the reason {:?} and a delay for {:?}",
                    c.value, c.reason, c.asked
                )
            },
        )?;
    }
    Ok(())
}

/// Seconds: small, zero, past `u64::MAX` seconds in any length (read saturating).
pub async fn sse_retry_after_seconds<R: Runtime + Default>(rt: R) -> Outcome {
    let secs = Duration::from_secs;
    let saturated = Some(secs(u64::MAX));
    retries(
        rt,
        vec![
            case(503, "30", Some(secs(30))),
            case(429, "0", Some(Duration::ZERO)),
            case(
                503,
                "9999999999999999999",
                Some(secs(9_999_999_999_999_999_999)),
            ),
            case(503, "99999999999999999999999999999999", saturated),
            case(429, "18446744073709551616", saturated),
        ],
    )
    .await
}

/// HTTP-dates: two minutes ahead (waited exactly), in the year 9999 (capped), long past
/// (no wait); and values that are neither (`soon`, empty, `-1`, `1e10`: the client's
/// own backoff).
pub async fn sse_retry_after_dates_and_garbage<R: Runtime + Default>(rt: R) -> Outcome {
    let soon = httpdate_after(Duration::from_secs(120));
    let far = "Fri, 31 Dec 9999 23:59:59 GMT";
    let far_asked = httpdate::parse_http_date(far)
        .map_err(|e| e.to_string())?
        .duration_since(wall0());
    let mut cases = vec![
        case(503, &soon, Some(Duration::from_secs(120))),
        case(429, far, far_asked.ok()),
        case(503, "Thu, 01 Jan 1970 00:00:00 GMT", None),
        case(503, "Sun, 06 Nov 1994 08:49:37 GMT", None),
    ];
    for v in ["soon", "", "-1", "1e10"] {
        cases.push(case(503, v, None));
    }
    // The far date is asked from a wall clock a little later than the start: by then the
    // first case's wait has passed.
    cases[1].asked = cases[1].asked.map(|d| d - Duration::from_secs(120));
    retries(rt, cases).await
}

/// An HTTP-date `d` after the paused clients' start.
fn httpdate_after(d: Duration) -> String {
    httpdate::fmt_http_date(wall0() + d)
}

/// A capped wait is waited: with the clock one second short of the cap, the server sees
/// no new attempt; one second later it does, and the good event follows.
pub async fn sse_capped_retry_after_waits_the_cap<R: Runtime + Default>(rt: R) -> Outcome {
    let h = Hostile::start(rt, HostileOptions::default());
    h.server
        .queue([Behaviour::retry_after(503, "9999999999999999999")]);
    let mut w = h.sse(|c| c.max_server_delay = MAX)?;
    w.backoff = false;
    w.until("the retry", |i| matches!(i, Item::Reconnecting { .. }))
        .await?;
    let asked = Duration::from_secs(9_999_999_999_999_999_999);
    let want = Retry {
        delay: MAX,
        error: "503 Service Unavailable (Retry-After 9999999999999999999 s): Service Unavailable"
            .into(),
        capped: Some(asked),
        transient: true,
    };
    ensure(w.retries() == [want.clone()], || {
        format!("want {want:?}; {}", w.log())
    })?;
    h.clock.advance(MAX - Duration::from_secs(1));
    w.settle(Duration::from_millis(200)).await?;
    let asked_again = h.server.requests().len();
    ensure(asked_again == 1, || {
        format!("{asked_again} requests before the cap passed")
    })?;
    h.clock.advance(Duration::from_secs(1));
    w.good_event().await?;
    ensure(h.server.requests().len() == 2, || w.log())
}
