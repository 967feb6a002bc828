//! A REST rate limit, as Mastodon's: a budget of requests a window, announced in
//! `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` on every timeline
//! response, and `429` (with `Retry-After` as well) once it is spent.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::corpus::json::push_iso;
use crate::http::Reply;
use crate::server::FakeServer;

/// A REST rate limit: `limit` requests a `window`, counted over the timeline, notification
/// and conversation requests (streams, `/api/v2/instance` and `health` are not counted).
/// Mastodon's own default is 300 requests per 5 minutes.
///
/// The window is a fixed one, started by its first request and measured on the wall
/// clock, so a test that must not depend on time refills the budget on command instead
/// ([`FakeServer::reset_rate_limit`]) and uses a window longer than the test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed in a window (`X-RateLimit-Limit`).
    pub limit: u32,
    /// How long a window lasts from its first request (`X-RateLimit-Reset` is its end;
    /// `Retry-After` on a `429` the whole seconds left, at least 1).
    pub window: Duration,
}

impl Default for RateLimit {
    /// 300 requests per 5 minutes, as Mastodon.
    fn default() -> Self {
        RateLimit {
            limit: 300,
            window: Duration::from_secs(300),
        }
    }
}

/// The budget of the current window.
#[derive(Clone, Debug)]
pub(crate) struct Budget {
    pub(crate) limit: RateLimit,
    used: u32,
    since: Option<Instant>,
}

impl Budget {
    pub(crate) fn new(limit: RateLimit) -> Budget {
        Budget {
            limit,
            used: 0,
            since: None,
        }
    }

    /// Spends one request at `now`: the headers to send with the answer, or the `429`
    /// to send instead.
    pub(crate) fn spend(&mut self, now: Instant) -> Result<Vec<(String, String)>, Reply> {
        let since = match self.since {
            Some(t) if now.duration_since(t) < self.limit.window => t,
            _ => {
                self.used = 0;
                *self.since.insert(now)
            }
        };
        let left = self.limit.window.saturating_sub(now.duration_since(since));
        let over = self.used >= self.limit.limit;
        if !over {
            self.used += 1;
        }
        let headers = self.headers(left);
        if over {
            let secs = (left.as_secs() + u64::from(left.subsec_nanos() > 0)).max(1);
            let mut r = Reply::too_many_requests(secs);
            r.headers.extend(headers);
            return Err(r);
        }
        Ok(headers)
    }

    fn headers(&self, left: Duration) -> Vec<(String, String)> {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .saturating_add(left);
        let mut reset = String::new();
        push_iso(&mut reset, wall.as_millis() as u64);
        vec![
            ("X-RateLimit-Limit".into(), self.limit.limit.to_string()),
            (
                "X-RateLimit-Remaining".into(),
                (self.limit.limit.saturating_sub(self.used)).to_string(),
            ),
            ("X-RateLimit-Reset".into(), reset),
        ]
    }
}

impl FakeServer {
    /// Rate-limits REST requests from now on, with a full budget (`None`: no limit and no
    /// headers, the default).
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        self.shared.lock().budget = limit.map(Budget::new);
    }

    /// Refills the rate limit's budget now, as if its window had passed.
    pub fn reset_rate_limit(&self) {
        if let Some(b) = &mut self.shared.lock().budget {
            *b = Budget::new(b.limit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(h: &'a [(String, String)], name: &str) -> &'a str {
        h.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap()
    }

    #[test]
    fn budgets_spend_then_refuse_until_the_window_passes() {
        let limit = RateLimit {
            limit: 2,
            window: Duration::from_secs(60),
        };
        let mut b = Budget::new(limit);
        let t0 = Instant::now();
        let h = b.spend(t0).unwrap();
        assert_eq!(header(&h, "X-RateLimit-Limit"), "2");
        assert_eq!(header(&h, "X-RateLimit-Remaining"), "1");
        assert!(header(&h, "X-RateLimit-Reset").ends_with('Z'));
        let h = b.spend(t0 + Duration::from_secs(1)).unwrap();
        assert_eq!(header(&h, "X-RateLimit-Remaining"), "0");
        let r = b.spend(t0 + Duration::from_millis(30_500)).unwrap_err();
        assert_eq!(r.status, 429);
        assert_eq!(header(&r.headers, "Retry-After"), "30");
        assert_eq!(header(&r.headers, "X-RateLimit-Remaining"), "0");
        // A refused request spends nothing; a new window refills.
        let h = b.spend(t0 + Duration::from_secs(60)).unwrap();
        assert_eq!(header(&h, "X-RateLimit-Remaining"), "1");
    }
}
