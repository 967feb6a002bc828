//! Catch-up after a reconnect (the [`Session`]'s REST side): anchors, pages, held live
//! events, gaps.

use super::catchup::{Anchor, CatchUp, Progress};
use super::rest::{Collector, Response};
use super::stream::{Fetch, Origin, Purpose, Session, State};
use super::transport::{Kind, Transport};
use super::{Gap, GapReason, Item, Output, Timeline, TransportId};
use crate::error::{Error, ErrorKind};
use crate::http::Request;

impl Session {
    /// Queues anchor fetches for timelines that have no anchor yet (a stream subscribed
    /// while live).
    pub(super) fn anchor_new_timelines(&mut self) {
        let new: Vec<Timeline> = self
            .timelines
            .iter()
            .filter(|t| !self.anchors.contains_key(*t) && !self.anchor_queue.contains(*t))
            .cloned()
            .collect();
        self.anchor_queue.extend(new);
        self.next_fetch();
    }

    pub(super) fn start_catch_up(&mut self) {
        let mut c = CatchUp::default();
        for timeline in self.timelines.clone() {
            if self.anchors.contains_key(&timeline) {
                c.pending.push_back(timeline);
            } else {
                self.emit(Item::Gap(Gap {
                    timeline,
                    after: None,
                    before: None,
                    reason: GapReason::NoAnchor,
                }));
            }
        }
        if c.pending.is_empty() {
            return;
        }
        self.catch_up = Some(c);
        self.next_timeline();
    }

    /// Starts the next pending timeline, or ends the catch-up when none is left.
    pub(super) fn next_timeline(&mut self) {
        let Some(c) = &mut self.catch_up else { return };
        match c.pending.pop_front() {
            Some(timeline) => {
                let cursor = self
                    .anchors
                    .get(&timeline)
                    .map_or_else(|| Anchor::Empty.min_id(), Anchor::min_id);
                c.current = Some(Progress {
                    timeline,
                    cursor,
                    pages: 0,
                    recovered: 0,
                });
                self.next_fetch();
            }
            None => self.end_catch_up(),
        }
    }

    /// Delivers what was held back, and resumes live delivery.
    pub(super) fn end_catch_up(&mut self) {
        if let Some(c) = self.catch_up.take() {
            for (event, origin) in c.held {
                self.deliver(event, origin);
            }
        }
        self.next_fetch();
    }

    /// Catch-up cannot finish (the live stream outran it): report gaps, release the held
    /// events.
    pub(super) fn abandon_catch_up(&mut self, reason: GapReason) {
        self.cancel_fetch();
        let Some(mut c) = self.catch_up.take() else {
            return;
        };
        let unfinished = c.current.take().map(|p| (p.timeline, Some(p.cursor)));
        let rest = c.pending.drain(..).map(|t| {
            let after = self.anchors.get(&t).and_then(|a| a.id().cloned());
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
        for (event, origin) in c.held {
            self.deliver(event, origin);
        }
    }

    /// The stream dropped mid-catch-up. Held events that a timeline holds are dropped: the
    /// next catch-up fetches them again, in order. The others (deletes, edits, ...) cannot
    /// be fetched again, so they are delivered now.
    pub(super) fn interrupt_catch_up(&mut self) {
        self.cancel_fetch();
        let Some(c) = self.catch_up.take() else {
            return;
        };
        for (event, origin) in c.held {
            if self.place(&event, &origin).is_none() {
                self.deliver(event, origin);
            }
        }
    }

    /// Opens the next REST request: an anchor, or a catch-up page.
    pub(super) fn next_fetch(&mut self) {
        if self.fetch.is_some() || self.state == State::Finished {
            return;
        }
        let (purpose, target) =
            if let Some(p) = self.catch_up.as_ref().and_then(|c| c.current.as_ref()) {
                (
                    Purpose::Page,
                    p.timeline
                        .page_target(Some(&p.cursor), self.cfg.catch_up.page_size),
                )
            } else if let Some(timeline) = self.anchor_queue.pop_front() {
                let target = timeline.page_target(None, 1);
                (Purpose::Anchor(timeline), target)
            } else {
                return;
            };
        let instance = self.cfg.instance.clone();
        let target = instance.request_target(&target);
        let request = Request::get(instance.host_header(), target)
            .accept("application/json")
            .token_opt(self.cfg.token.clone())
            .user_agent(self.cfg.user_agent.clone());
        let id = self.id();
        let transport = Transport::open(
            id,
            instance,
            &request,
            self.cfg.timeouts,
            Kind::Rest,
            self.now,
            &mut self.out,
        );
        self.fetch = Some(Fetch {
            transport,
            collector: Collector::new(self.cfg.limits.max_head, self.cfg.catch_up.max_body),
            purpose,
        });
    }

    pub(super) fn cancel_fetch(&mut self) {
        if let Some(f) = self.fetch.take() {
            self.out.push_back(Output::Close {
                transport: f.transport.id,
            });
        }
    }

    pub(super) fn fetch_is(&self, id: TransportId) -> bool {
        self.fetch.as_ref().is_some_and(|f| f.transport.id == id)
    }

    /// A REST request finished (or failed).
    pub(super) fn fetched(&mut self, result: Result<Response, Error>) {
        let Some(f) = self.fetch.take() else { return };
        self.out.push_back(Output::Close {
            transport: f.transport.id,
        });
        let result = result.and_then(|r| {
            if r.head.status() == 200 {
                Ok(r)
            } else {
                let message = crate::decoder::server_message(&r.head, &r.body);
                Err(ErrorKind::Status {
                    head: r.head,
                    message,
                }
                .into())
            }
        });
        match f.purpose {
            Purpose::Anchor(timeline) => {
                if let Ok(r) = result {
                    self.anchored(timeline, &r);
                }
                self.next_fetch();
            }
            Purpose::Page => match result {
                Ok(r) => self.page(&r),
                Err(e) => self.page_failed(e.to_string()),
            },
        }
    }

    pub(super) fn anchored(&mut self, timeline: Timeline, r: &Response) {
        let Ok(events) = timeline.decode_page(&r.body, self.cfg.json) else {
            return;
        };
        let newest = events
            .iter()
            .filter_map(|e| Timeline::place(std::slice::from_ref(&timeline), e).map(|(_, id)| id))
            .max();
        let slot = self.anchors.entry(timeline).or_insert(Anchor::Empty);
        if let Some(id) = newest {
            let mut s = Some(slot.clone());
            Anchor::advance(&mut s, &id);
            if let Some(a) = s {
                *slot = a;
            }
        }
    }

    pub(super) fn page_failed(&mut self, error: String) {
        let Some(c) = &mut self.catch_up else { return };
        let Some(p) = c.current.take() else { return };
        let before = c.first_live.get(&p.timeline).cloned();
        self.emit(Item::Gap(Gap {
            timeline: p.timeline,
            after: Some(p.cursor),
            before,
            reason: GapReason::FetchFailed(error),
        }));
        self.next_timeline();
    }

    /// A catch-up page arrived: deliver it oldest first, then decide whether to go on.
    pub(super) fn page(&mut self, r: &Response) {
        let Some(c) = &mut self.catch_up else { return };
        let Some(p) = &mut c.current else { return };
        let events = match p.timeline.decode_page(&r.body, self.cfg.json) {
            Ok(events) => events,
            Err(e) => return self.page_failed(e),
        };
        let timeline = p.timeline.clone();
        let first_live = c.first_live.get(&timeline).cloned();
        p.pages += 1;
        let pages = p.pages;
        let mut reached_live = false;
        let mut newest = p.cursor.clone();
        let mut fresh = Vec::with_capacity(events.len());
        // Pages are newest first; deliver oldest first.
        for event in events.into_iter().rev() {
            let id = Timeline::place(std::slice::from_ref(&timeline), &event).map(|(_, id)| id);
            if let Some(id) = &id {
                if first_live.as_ref().is_some_and(|l| id >= l) {
                    reached_live = true;
                    continue;
                }
                if *id > newest {
                    newest = id.clone();
                }
            }
            fresh.push(event);
        }
        // Prefer the server's own cursor for the next page when it names one.
        let cursor = r
            .link("prev")
            .and_then(|url| min_id_of(&url))
            .filter(|c| *c >= newest)
            .unwrap_or(newest);
        let empty = fresh.is_empty() && !reached_live;
        let count = fresh.len();
        for event in fresh {
            self.deliver(event, Origin::Recovered(timeline.clone()));
        }
        let Some(c) = &mut self.catch_up else { return };
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
            let p = c.current.take();
            if let Some(p) = p {
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

/// The `min_id` query parameter of a `Link` URL.
fn min_id_of(url: &str) -> Option<crate::Id> {
    let query = url.split_once('?')?.1;
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix("min_id="))
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map(crate::Id::from)
}
