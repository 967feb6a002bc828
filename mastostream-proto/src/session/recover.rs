//! Catch-up after a reconnect (the [`Session`]'s REST side): anchors, pages, held live
//! events, gaps; and the one REST request at a time every purpose shares, paced by the
//! server's rate limits.

use std::time::{Duration, Instant};

use super::catchup::{Anchor, CatchUp, Origin, Progress};
use super::discover::Step;
use super::io::{Close, Output, TransportError, TransportId, after};
use super::machine::{Session, State};
use super::rest::{Collector, Response};
use super::transport::{Kind, Transport};
use super::{Gap, GapReason, Item, Timeline};
use crate::error::{Error, ErrorKind};
use crate::http::Request;

/// What a REST request is for.
#[derive(Debug)]
pub(super) enum Purpose {
    /// Asking the instance where it streams from.
    Discover(Step),
    /// The newest id of a timeline, on the first connection.
    Anchor(Timeline),
    /// A catch-up page (the progress is in `CatchUp::current`).
    Page,
}

/// One REST request in flight.
#[derive(Debug)]
pub(super) struct Fetch {
    pub(super) transport: Transport,
    pub(super) collector: Collector,
    pub(super) purpose: Purpose,
}

/// The session's REST requests: one at a time, never sooner than the server allows.
#[derive(Debug, Default)]
pub(super) struct Fetcher {
    pub(super) current: Option<Fetch>,
    /// No request before this: the server's rate limit ran out, or it asked to wait.
    pub(super) not_before: Option<Instant>,
    /// How many times the current page was asked again after a `429`/`503`.
    pub(super) retries: u32,
}

impl Fetcher {
    pub(super) fn deadline(&self) -> Option<Instant> {
        match &self.current {
            Some(f) => Some(f.transport.deadline()),
            None => self.not_before,
        }
    }

    fn is(&self, id: TransportId) -> bool {
        self.current.as_ref().is_some_and(|f| f.transport.id == id)
    }
}

impl Session {
    /// Opens a REST request for `path_and_query` on the instance.
    pub(super) fn open_fetch(&mut self, purpose: Purpose, path_and_query: &str) {
        let instance = self.cfg.instance.clone();
        let target = instance.request_target(path_and_query);
        let request = Request::get(instance.host_header(), target)
            .accept("application/json")
            .token_opt(self.cfg.token.clone())
            .user_agent(self.cfg.user_agent.clone());
        let id = self.id();
        let (transport, output) = Transport::open(
            id,
            instance,
            &request,
            self.cfg.timeouts,
            Kind::Rest,
            self.now,
        );
        self.push(output);
        self.fetch.current = Some(Fetch {
            transport,
            collector: Collector::new(self.cfg.limits.max_head, self.cfg.catch_up.max_body),
            purpose,
        });
    }

    /// The stream is live: catch up the timelines with a known position, anchor the
    /// others on the first connection, report the rest as gaps.
    pub(super) fn start_recovery(&mut self) {
        let first = !self.recovery.ever_live;
        self.recovery.ever_live = true;
        let mut c = CatchUp::default();
        for timeline in self.recovery.timelines.clone() {
            if self.recovery.anchors.contains_key(&timeline) {
                c.pending.push_back(timeline);
            } else if first && self.cfg.catch_up.anchor {
                self.recovery.anchor_queue.push_back(timeline);
            } else if !first {
                self.emit(Item::Gap(Gap {
                    timeline,
                    after: None,
                    before: None,
                    reason: GapReason::NoAnchor,
                }));
            }
        }
        if !c.pending.is_empty() {
            self.recovery.catch_up = Some(c);
            self.next_timeline();
        } else {
            self.next_fetch();
        }
    }

    /// Queues anchor fetches for timelines that have no anchor yet (a stream subscribed
    /// while live).
    pub(super) fn anchor_new_timelines(&mut self) {
        let r = &mut self.recovery;
        let new: Vec<Timeline> = r
            .timelines
            .iter()
            .filter(|t| !r.anchors.contains_key(*t) && !r.anchor_queue.contains(*t))
            .cloned()
            .collect();
        r.anchor_queue.extend(new);
        self.next_fetch();
    }

    /// Starts the next pending timeline, or ends the catch-up when none is left.
    fn next_timeline(&mut self) {
        let Some(c) = &mut self.recovery.catch_up else {
            return;
        };
        match c.pending.pop_front() {
            Some(timeline) => {
                let cursor = self
                    .recovery
                    .anchors
                    .get(&timeline)
                    .map_or_else(|| Anchor::Empty.min_id(), Anchor::min_id);
                c.current = Some(Progress {
                    timeline,
                    cursor,
                    pages: 0,
                    recovered: 0,
                });
                self.fetch.retries = 0;
                self.next_fetch();
            }
            None => self.end_catch_up(),
        }
    }

    /// Delivers what was held back, and resumes live delivery.
    fn end_catch_up(&mut self) {
        if let Some(c) = self.recovery.catch_up.take() {
            for (event, data, origin) in c.held {
                self.deliver(event, data, origin);
            }
        }
        self.next_fetch();
    }

    /// Catch-up cannot finish (the live stream outran it): report gaps, release the held
    /// events.
    pub(super) fn abandon_catch_up(&mut self, reason: GapReason) {
        self.cancel_fetch();
        let Some(mut c) = self.recovery.catch_up.take() else {
            return;
        };
        let unfinished = c.current.take().map(|p| (p.timeline, Some(p.cursor)));
        let anchors = &self.recovery.anchors;
        let rest = c.pending.drain(..).map(|t| {
            let after = anchors.get(&t).and_then(|a| a.id().cloned());
            (t, after)
        });
        let gaps: Vec<_> = unfinished.into_iter().chain(rest).collect();
        for (timeline, after) in gaps {
            let before = c.first_live.get(&timeline).cloned();
            self.emit(Item::Gap(Gap {
                timeline,
                after,
                before,
                reason: reason.clone(),
            }));
        }
        for (event, data, origin) in c.held {
            self.deliver(event, data, origin);
        }
    }

    /// The stream dropped mid-catch-up. Held events that a timeline holds are dropped: the
    /// next catch-up fetches them again, in order. The others (deletes, edits, ...) cannot
    /// be fetched again, so they are delivered now.
    pub(super) fn interrupt_catch_up(&mut self) {
        self.cancel_fetch();
        let Some(c) = self.recovery.catch_up.take() else {
            return;
        };
        for (event, data, origin) in c.held {
            if self.recovery.place(&event, &origin).is_none() {
                self.deliver(event, data, origin);
            }
        }
    }

    /// Opens the next REST request: a catch-up page, or an anchor; not before the server
    /// allows.
    pub(super) fn next_fetch(&mut self) {
        if self.fetch.current.is_some() || matches!(self.state, State::Finished | State::Closing) {
            return;
        }
        if self.fetch.not_before.is_some_and(|at| at > self.now) {
            return;
        }
        self.fetch.not_before = None;
        let page = self
            .recovery
            .catch_up
            .as_ref()
            .and_then(|c| c.current.as_ref());
        let (purpose, target) = if let Some(p) = page {
            let target = p
                .timeline
                .page_target(Some(&p.cursor), self.cfg.catch_up.page_size);
            (Purpose::Page, target)
        } else if let Some(timeline) = self.recovery.anchor_queue.pop_front() {
            let target = timeline.page_target(None, 1);
            (Purpose::Anchor(timeline), target)
        } else {
            return;
        };
        self.open_fetch(purpose, &target);
    }

    pub(super) fn cancel_fetch(&mut self) {
        if let Some(f) = self.fetch.current.take() {
            self.push(Output::Close {
                transport: f.transport.id,
                how: Close::Now,
            });
        }
    }

    pub(super) fn fetch_is(&self, id: TransportId) -> bool {
        self.fetch.is(id)
    }

    pub(super) fn fetch_connected(&mut self) {
        if let Some(f) = &mut self.fetch.current
            && let Some(out) = f.transport.connected(self.now)
        {
            self.push(out);
        }
    }

    pub(super) fn fetch_data(&mut self, data: bytes::Bytes) {
        let Some(f) = &mut self.fetch.current else {
            return;
        };
        match f.collector.feed(data) {
            Ok(Some(response)) => self.fetched(Ok(response)),
            Ok(None) => {}
            Err(e) => self.fetched(Err(e)),
        }
    }

    pub(super) fn fetch_eof(&mut self) {
        if let Some(f) = &mut self.fetch.current {
            let result = f.collector.eof();
            self.fetched(result);
        }
    }

    pub(super) fn fetch_failed(&mut self, error: TransportError) {
        if let Some(f) = &self.fetch.current {
            let e = f.transport.transport_error(error);
            self.fetched(Err(e));
        }
    }

    pub(super) fn fetch_drained(&mut self) {
        if let Some(f) = &mut self.fetch.current {
            f.transport.drained(self.now);
        }
    }

    /// The fetch timers: a request that took too long fails; a wait imposed by the server
    /// ends (and is forgotten, even when a request went out meanwhile, as discovery's
    /// does, so that no deadline stays behind in the past).
    pub(super) fn fetch_timeout(&mut self) {
        let waited = self.fetch.not_before.is_some_and(|at| at <= self.now);
        if waited {
            self.fetch.not_before = None;
        }
        match &self.fetch.current {
            Some(f) if f.transport.deadline() <= self.now => {
                let e = f.transport.timeout_error();
                self.fetched(Err(e));
            }
            Some(_) => {}
            None if waited => self.next_fetch(),
            None => {}
        }
    }

    /// A REST request finished (or failed).
    fn fetched(&mut self, result: Result<Response, Error>) {
        let Some(f) = self.fetch.current.take() else {
            return;
        };
        self.push(Output::Close {
            transport: f.transport.id,
            how: Close::Now,
        });
        if let Ok(r) = &result {
            self.pace(r);
        }
        let result = result.and_then(Response::success);
        match f.purpose {
            Purpose::Discover(step) => self.discovered(step, result),
            Purpose::Anchor(timeline) => {
                if let Ok(r) = result {
                    self.anchored(timeline, &r);
                }
                self.next_fetch();
            }
            Purpose::Page => match result {
                Ok(r) => self.page(&r),
                Err(e) => self.page_failed(e),
            },
        }
    }

    /// Honours the server's rate limit: when a response says none is left
    /// (`X-RateLimit-Remaining: 0`), no request goes out before `X-RateLimit-Reset`
    /// (capped at the longest server delay).
    fn pace(&mut self, r: &Response) {
        if let Some(reset) = r.rate_limit_reset_after_empty() {
            let wait = reset
                .duration_since(self.wall_now())
                .unwrap_or(Duration::ZERO)
                .min(self.cfg.max_server_delay);
            // A reset already past (or a zero cap) is no wait: no timer for it.
            if !wait.is_zero() {
                self.fetch.not_before = Some(after(self.now, wait));
            }
        }
    }

    fn anchored(&mut self, timeline: Timeline, r: &Response) {
        let dialect = self.discovery.dialect.clone();
        let Ok(newest) = timeline.newest_in_page(&r.body, self.cfg.json, &dialect) else {
            return;
        };
        let slot = self
            .recovery
            .anchors
            .entry(timeline)
            .or_insert(Anchor::Empty);
        if let Some(id) = newest {
            let mut s = Some(slot.clone());
            Anchor::advance(&mut s, &id, &dialect);
            if let Some(a) = s {
                *slot = a;
            }
        }
    }

    /// A page request failed: a rate limit or an outage is waited out and the page asked
    /// again (a few times); anything else leaves a gap.
    fn page_failed(&mut self, error: Error) {
        let retry = match error.kind() {
            ErrorKind::Status { head, .. } if matches!(head.status(), 429 | 503) => {
                let asked = head
                    .retry_after()
                    .map_or(Duration::from_secs(5), |r| r.delay_from(self.wall_now()));
                Some(asked.min(self.cfg.max_server_delay))
            }
            _ => None,
        };
        if let Some(wait) = retry
            && self.fetch.retries < self.cfg.catch_up.page_retries
        {
            self.fetch.retries += 1;
            let at = after(self.now, wait);
            self.fetch.not_before = Some(self.fetch.not_before.map_or(at, |n| n.max(at)));
            return self.next_fetch();
        }
        let Some(c) = &mut self.recovery.catch_up else {
            return;
        };
        let Some(p) = c.current.take() else { return };
        let before = c.first_live.get(&p.timeline).cloned();
        self.emit(Item::Gap(Gap {
            timeline: p.timeline,
            after: Some(p.cursor),
            before,
            reason: GapReason::FetchFailed(error.to_string()),
        }));
        self.next_timeline();
    }

    /// A catch-up page arrived: deliver it oldest first, then decide whether to go on.
    fn page(&mut self, r: &Response) {
        let Some(c) = &mut self.recovery.catch_up else {
            return;
        };
        let Some(p) = &mut c.current else { return };
        let events = match p.timeline.decode_page(&r.body, self.cfg.json) {
            Ok(events) => events,
            Err(e) => return self.page_failed(ErrorKind::UnexpectedResponse(e).into()),
        };
        self.fetch.retries = 0;
        let timeline = p.timeline.clone();
        let first_live = c.first_live.get(&timeline).cloned();
        p.pages += 1;
        let pages = p.pages;
        let mut reached_live = false;
        let mut newest = p.cursor.clone();
        let mut fresh = Vec::with_capacity(events.len());
        let d = &self.discovery.dialect;
        for (id, event, data) in oldest_first(events, &timeline, d) {
            if let Some(id) = &id {
                if first_live
                    .as_ref()
                    .is_some_and(|l| d.cmp_ids(id, l).is_ge())
                {
                    reached_live = true;
                    continue;
                }
                if d.cmp_ids(id, &p.cursor).is_le() {
                    // Not above the cursor: a server that ignored `min_id`, or an item
                    // delivered already.
                    continue;
                }
                if d.cmp_ids(id, &newest).is_gt() {
                    newest = id.clone();
                }
            }
            fresh.push((event, data));
        }
        // Prefer the server's own cursor for the next page when it names one.
        let cursor = r
            .link("prev")
            .and_then(|url| min_id_of(&url))
            .filter(|c| d.cmp_ids(c, &newest).is_ge())
            .unwrap_or(newest);
        let empty = fresh.is_empty() && !reached_live;
        let count = fresh.len();
        for (event, data) in fresh {
            self.deliver(event, data, Origin::Recovered(timeline.clone()));
        }
        let Some(c) = &mut self.recovery.catch_up else {
            return;
        };
        let Some(p) = &mut c.current else { return };
        p.recovered += count;
        p.cursor = cursor.clone();
        if empty || reached_live {
            let (timeline, recovered) = (p.timeline.clone(), p.recovered);
            c.current = None;
            self.emit(Item::CaughtUp {
                timeline,
                recovered,
            });
            self.next_timeline();
        } else if pages >= self.cfg.catch_up.max_pages {
            if let Some(p) = c.current.take() {
                self.emit(Item::Gap(Gap {
                    timeline: p.timeline,
                    after: Some(cursor),
                    before: first_live,
                    reason: GapReason::PageCap,
                }));
            }
            self.next_timeline();
        } else {
            self.next_fetch();
        }
    }
}

/// A page's events, oldest first, each with its id in the timeline. Servers answer newest
/// first (Mastodon, GoToSocial, Pleroma, ...) or oldest first (Iceshrimp.NET): the page is
/// sorted by id, in the server's order of ids, whatever order it came in. Events without
/// an id (malformed ones) come first, in their order.
type Placed = (Option<crate::Id>, crate::Event, bytes::Bytes);

fn oldest_first(
    events: Vec<(crate::Event, bytes::Bytes)>,
    timeline: &Timeline,
    dialect: &crate::Dialect,
) -> Vec<Placed> {
    let placed =
        |e: &crate::Event| Timeline::place(std::slice::from_ref(timeline), e).map(|(_, id)| id);
    let (mut with, without): (Vec<Placed>, Vec<Placed>) = events
        .into_iter()
        .map(|(e, d)| (placed(&e), e, d))
        .partition(|(id, _, _)| id.is_some());
    with.sort_by(|(a, _, _), (b, _, _)| match (a, b) {
        (Some(a), Some(b)) => dialect.cmp_ids(a, b),
        _ => std::cmp::Ordering::Equal,
    });
    without.into_iter().chain(with).collect()
}

/// The `min_id` query parameter of a `Link` URL.
fn min_id_of(url: &str) -> Option<crate::Id> {
    let query = url.split_once('?')?.1;
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix("min_id="))
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map(crate::Id::from)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::Channel;
    use crate::session::{Instance, SessionConfig};
    use crate::testing::{Sim, json_response};

    const STREAMING: &str = r#"{"configuration":{"urls":{"streaming":"wss://m.example"}}}"#;

    fn discovering(max_server_delay: Duration) -> Sim {
        let instance = Instance::parse("https://m.example").unwrap();
        let mut cfg = SessionConfig::new(instance, Channel::User);
        cfg.discover = true;
        cfg.dialect = Some(crate::Dialect::default()); // straight to the instance endpoints
        cfg.catch_up.enabled = false;
        cfg.max_server_delay = max_server_delay;
        Sim::new(cfg)
    }

    /// Found by `session_ops`: a spent rate limit with a reset already past (or a zero
    /// `max_server_delay`) left a wait ending now, with nothing to wake up for: the next
    /// `Wait` named a deadline that was not in the future.
    #[test]
    fn a_rate_limit_reset_in_the_past_sets_no_timer() {
        let mut sim = discovering(Duration::from_secs(900));
        let id = sim.until_connect("/api/v2/instance", Duration::ZERO);
        let headers = "X-RateLimit-Remaining: 0\r\nX-RateLimit-Reset: 2000-01-01T00:00:00.000Z\r\n";
        sim.data(id, json_response("200 OK", STREAMING, headers));
        assert!(
            sim.deadline.is_some_and(|d| d > sim.now),
            "{:?}",
            sim.deadline
        );
        sim.advance(Duration::from_secs(60));
    }

    /// Found by `session_ops`: a rate-limit wait that ran out while discovery's next
    /// request was in flight stayed behind; once discovery was over, the session's deadline
    /// was that wait's end, in the past.
    #[test]
    fn a_rate_limit_wait_over_during_a_request_is_forgotten() {
        let mut sim = discovering(Duration::from_secs(900));
        let id = sim.until_connect("/api/v2/instance", Duration::ZERO);
        // The simulation's wall clock starts at 2026-11-23 08:00:00 UTC: a reset 5 s on.
        let headers = "X-RateLimit-Remaining: 0\r\nX-RateLimit-Reset: 2026-11-23T08:00:05.000Z\r\n";
        sim.data(id, json_response("429 Too Many Requests", "{}", headers));
        sim.until_connect("/api/v1/instance", Duration::ZERO);
        // v1 never answers: after its connect timeout, discovery falls back.
        sim.advance(Duration::from_secs(30));
        assert!(
            sim.deadline.is_some_and(|d| d > sim.now),
            "{:?}",
            sim.deadline
        );
    }
}
