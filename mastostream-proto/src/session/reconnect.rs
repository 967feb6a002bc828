//! The retry policy: what a failed stream does next (stop, follow a redirect, or wait and
//! reconnect), how long it waits, and where redirects may lead.

use std::time::{Duration, SystemTime};

use super::io::MAX_WAIT;
use super::machine::capped;
use super::transport::Phase;
use super::{Backoff, Rng};
use crate::error::{Error, ErrorKind};
use crate::http::quoted;
use crate::instance::Instance;

/// What to do after a stream failed.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Next {
    /// Reconnect after the backoff delay, and at least after `floor` (what the server asked
    /// for, uncapped).
    Retry { floor: Duration },
    /// Follow a redirect.
    Redirect { location: String, permanent: bool },
    /// Give up: retrying cannot help.
    Stop,
}

/// Decides what a failed stream does next.
///
/// - A redirect (301, 302, 303, 307, 308 with a `Location`) is followed, for an SSE
///   response only: a WebSocket upgrade must answer `101`, anything else is an error.
/// - `408`, `425`, `429` and every `5xx` are retried, no sooner than `Retry-After`.
/// - Other HTTP errors (`400`, `401`, `403`, `404`, `410`, ...) stop: the request is wrong
///   and will stay wrong.
/// - A refused upgrade that is not an error status (a `200` page, a `3xx`) is retried: a
///   proxy or a captive portal, most likely passing.
/// - Bad URLs, redirect loops, too many redirects, and giving up stop.
/// - Everything else (I/O, timeouts, broken framing, a clean end, a page that is not an
///   event stream) is retried.
pub(super) fn classify(error: &Error, phase: Phase, wall_now: SystemTime) -> Next {
    let retry_after = |head: &crate::http::ResponseHead| {
        head.retry_after()
            .map_or(Duration::ZERO, |r| r.delay_from(wall_now))
    };
    match error.kind() {
        ErrorKind::Status { head, .. } => match head.status() {
            301 | 302 | 303 | 307 | 308 => match head.location() {
                Some(location) if phase != Phase::Connecting => Next::Redirect {
                    location: location.to_owned(),
                    permanent: matches!(head.status(), 301 | 308),
                },
                _ => Next::Stop,
            },
            408 | 425 | 429 | 500..=599 => Next::Retry {
                floor: retry_after(head),
            },
            _ => Next::Stop,
        },
        ErrorKind::UpgradeRefused { head, .. } => match head.status() {
            408 | 425 | 429 | 500..=599 => Next::Retry {
                floor: retry_after(head),
            },
            100..=399 => Next::Retry {
                floor: Duration::ZERO,
            },
            _ => Next::Stop,
        },
        ErrorKind::Url(_)
        | ErrorKind::BadRedirect { .. }
        | ErrorKind::RedirectLoop { .. }
        | ErrorKind::TooManyRedirects { .. }
        | ErrorKind::GaveUp { .. }
        | ErrorKind::Config(_)
        | ErrorKind::Unsupported(_) => Next::Stop,
        _ => Next::Retry {
            floor: Duration::ZERO,
        },
    }
}

/// The retry state of a session: consecutive failures, the server's `retry:`, the
/// redirect chain.
#[derive(Debug)]
pub(super) struct Reconnect {
    rng: Rng,
    /// Consecutive failed attempts.
    pub(super) failures: u32,
    /// The server's SSE `retry:` (a floor for reconnect delays), as it asked.
    pub(super) server_retry: Option<Duration>,
    /// The URLs of the current redirect chain (since the last live stream).
    chain: Vec<String>,
    /// Where a permanent redirect sent the stream.
    moved: Option<(Instance, String)>,
    /// Where a temporary redirect sends the next attempt only.
    once: Option<(Instance, String)>,
}

/// A reconnect delay, and what the server asked for when it was capped.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Delay {
    pub(super) delay: Duration,
    pub(super) capped: Option<Duration>,
}

impl Reconnect {
    pub(super) fn new(seed: u64) -> Reconnect {
        Reconnect {
            rng: Rng::new(seed),
            failures: 0,
            server_retry: None,
            chain: Vec::new(),
            moved: None,
            once: None,
        }
    }

    /// The delay before the next attempt, after one more failure: the backoff's, but no
    /// shorter than what the server asked for (`floor`, its `retry:`), which is capped at
    /// `max_server`. No delay is longer than [`MAX_WAIT`], the longest wait a session
    /// keeps: what a server asks beyond it is capped too, so the delay announced is the
    /// delay waited.
    pub(super) fn next_delay(
        &mut self,
        backoff: &Backoff,
        floor: Duration,
        max_server: Duration,
    ) -> Delay {
        self.failures = self.failures.saturating_add(1);
        let ours = backoff.delay(self.failures - 1, &mut self.rng);
        let asked = floor.max(self.server_retry.unwrap_or(Duration::ZERO));
        let (server, capped) = capped(asked, max_server.min(MAX_WAIT));
        Delay {
            delay: ours.max(server).min(MAX_WAIT),
            capped,
        }
    }

    /// An attempt ended other than by a redirect (the stream went live, or failed): the
    /// redirect chain is over.
    pub(super) fn chain_over(&mut self) {
        self.chain.clear();
    }

    /// Where the next attempt goes, if a redirect decided it.
    pub(super) fn location(&mut self) -> Option<(Instance, String)> {
        self.once.take().or_else(|| self.moved.clone())
    }

    /// Follows a redirect from `target` on `from` to `location`: refuses non-HTTP schemes,
    /// https → http downgrades, loops, and chains longer than `max`.
    pub(super) fn redirect(
        &mut self,
        from: &Instance,
        target: &str,
        location: &str,
        permanent: bool,
        max: u32,
    ) -> Result<(), Error> {
        if self.chain.is_empty() {
            self.chain.push(from.absolute(target));
        }
        let next = from
            .resolve(target, location)
            .map_err(|error| ErrorKind::BadRedirect {
                location: quoted(location),
                error,
            })?;
        let url = next.0.absolute(&next.1);
        if self.chain.contains(&url) {
            return Err(ErrorKind::RedirectLoop { location: url }.into());
        }
        if self.chain.len() > max as usize {
            return Err(ErrorKind::TooManyRedirects { limit: max }.into());
        }
        self.chain.push(url);
        if permanent {
            self.moved = Some(next);
        } else {
            self.once = Some(next);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{Header, ResponseHead};
    use bytes::Bytes;

    fn status(code: u16, headers: &[(&str, &str)]) -> Error {
        let headers = headers
            .iter()
            .map(|(n, v)| Header {
                name: (*n).into(),
                value: Bytes::copy_from_slice(v.as_bytes()),
            })
            .collect();
        ErrorKind::Status {
            head: ResponseHead::new(code, "", headers),
            message: None,
        }
        .into()
    }

    #[test]
    fn statuses_stop_retry_or_redirect() {
        let wall = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        for code in [400, 401, 403, 404, 410] {
            assert_eq!(
                classify(&status(code, &[]), Phase::AwaitingHead, wall),
                Next::Stop
            );
        }
        assert_eq!(
            classify(
                &status(503, &[("Retry-After", "30")]),
                Phase::AwaitingHead,
                wall
            ),
            Next::Retry {
                floor: Duration::from_secs(30)
            }
        );
        assert_eq!(
            classify(&status(429, &[]), Phase::AwaitingHead, wall),
            Next::Retry {
                floor: Duration::ZERO
            }
        );
        assert_eq!(
            classify(
                &status(307, &[("Location", "/x")]),
                Phase::AwaitingHead,
                wall
            ),
            Next::Redirect {
                location: "/x".into(),
                permanent: false
            }
        );
        assert_eq!(
            classify(&status(302, &[]), Phase::AwaitingHead, wall),
            Next::Stop
        );
    }

    #[test]
    fn absurd_retry_after_values_never_overflow() {
        let wall = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        for v in [
            "9999999999999999999",
            "99999999999999999999999999999999",
            "Fri, 31 Dec 9999 23:59:59 GMT",
        ] {
            let Next::Retry { floor } = classify(
                &status(503, &[("Retry-After", v)]),
                Phase::AwaitingHead,
                wall,
            ) else {
                panic!("{v}")
            };
            assert!(floor > Duration::from_secs(1 << 30), "{v}: {floor:?}");
            let mut r = Reconnect::new(1);
            let max = Duration::from_secs(900);
            let d = r.next_delay(&Backoff::default(), floor, max);
            assert_eq!(d.delay, max, "{v}");
            assert_eq!(d.capped, Some(floor), "{v}");
        }
    }

    #[test]
    fn delays_respect_server_floors_below_the_cap() {
        let mut r = Reconnect::new(1);
        let d = r.next_delay(
            &Backoff::default(),
            Duration::from_secs(30),
            Duration::from_secs(900),
        );
        assert_eq!(
            d,
            Delay {
                delay: Duration::from_secs(30),
                capped: None
            }
        );
        r.server_retry = Some(Duration::from_secs(u64::MAX));
        let d = r.next_delay(
            &Backoff::default(),
            Duration::ZERO,
            Duration::from_secs(900),
        );
        assert_eq!(d.delay, Duration::from_secs(900));
        assert!(d.capped.is_some());
    }

    /// Found by `session_ops`: with an unbounded `max_server_delay`, a `Retry-After` of
    /// `u64::MAX` seconds was announced as such while the session reconnected after a
    /// century (its longest wait); a backoff whose `max` is unbounded did the same.
    #[test]
    fn delays_beyond_the_longest_wait_are_capped_and_say_so() {
        let asked = Duration::from_secs(u64::MAX);
        let d = Reconnect::new(1).next_delay(&Backoff::default(), asked, Duration::MAX);
        assert_eq!(d.delay, MAX_WAIT);
        assert_eq!(d.capped, Some(asked));
        let just = MAX_WAIT;
        let d = Reconnect::new(1).next_delay(&Backoff::default(), just, Duration::MAX);
        assert_eq!((d.delay, d.capped), (MAX_WAIT, None));
        let huge = Backoff {
            min: Duration::MAX,
            initial: Duration::from_secs(u64::MAX),
            max: Duration::MAX,
            max_attempts: None,
        };
        let mut r = Reconnect::new(1);
        for _ in 0..40 {
            let d = r.next_delay(&huge, Duration::ZERO, Duration::MAX);
            assert_eq!((d.delay, d.capped), (MAX_WAIT, None));
        }
    }

    #[test]
    fn redirects_refuse_loops_downgrades_and_other_schemes() {
        let https = Instance::parse("https://m.example").unwrap();
        let mut r = Reconnect::new(1);
        r.redirect(&https, "/a", "/b", false, 5).unwrap();
        let err = r.redirect(&https, "/b", "/a", false, 5).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::RedirectLoop { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("redirect loop"), "{err}");

        let mut r = Reconnect::new(1);
        let err = r
            .redirect(&https, "/a", "http://m.example/a", false, 5)
            .unwrap_err();
        assert!(err.to_string().contains("https to http"), "{err}");
        for bad in [
            "ftp://m.example/x",
            "javascript:alert(1)",
            "file:///etc/passwd",
        ] {
            let err = Reconnect::new(1)
                .redirect(&https, "/a", bad, false, 5)
                .unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::BadRedirect { .. }),
                "{bad}: {err}"
            );
            assert!(err.to_string().starts_with("redirect to"), "{err}");
        }

        let mut r = Reconnect::new(1);
        for i in 0..2 {
            r.redirect(&https, &format!("/{i}"), &format!("/{}", i + 1), false, 2)
                .unwrap();
        }
        let err = r.redirect(&https, "/2", "/3", false, 2).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::TooManyRedirects { limit: 2 }),
            "{err}"
        );
    }
}
