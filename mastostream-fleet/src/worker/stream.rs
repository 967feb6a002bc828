//! One owned stream: the source's items published in order under the fence, the lease
//! renewed (and the stream stopped before it can expire), the cursor written as
//! acknowledgements confirm it, and a graceful release on rebalance or shutdown.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::HeaderMap;
use async_nats::jetstream::context::PublishErrorKind;
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::FuturesOrdered;
use tokio::sync::watch;

use super::Ctx;
use super::claim::{Claimed, CursorRecord, cursor_key, lease_key, read_cursor};
use crate::cursor::Cursor;
use crate::lease::{Lease, LeaseState, LeaseValue};
use crate::message::{event_body, gap_body};
use crate::names::{StreamKey, msg_id, uri_msg_id};
use crate::nats::{KvState, KvWriteError, kv_read, kv_write};
use crate::registry::Registration;
use crate::source::{Source, SourceItem};

/// Why the worker stops a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Another worker should own it now: hand it over.
    Release,
    /// It was unregistered.
    Removed,
}

/// How a stream task ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Released,
    Removed,
    Lost(String),
}

/// A message to publish, kept for retries.
#[derive(Clone)]
struct Publish {
    subject: String,
    headers: HeaderMap,
    body: Bytes,
    counted: bool,
    attempt: u32,
    /// Not sent at or after this (the lease's validity when it was queued).
    until: Instant,
}

enum Done {
    Acked {
        counted: bool,
        duplicate: bool,
    },
    Failed {
        publish: Publish,
        kind: PublishErrorKind,
        error: String,
    },
    Checkpoint(Cursor),
}

type Pending = Pin<Box<dyn Future<Output = Done> + Send>>;
type Boxed<T> = Pin<Box<dyn Future<Output = T> + Send>>;

fn publish(js: async_nats::jetstream::Context, p: Publish) -> Pending {
    Box::pin(async move {
        if p.attempt > 0 {
            let backoff = Duration::from_millis(100u64 << p.attempt.min(5));
            tokio::time::sleep(backoff).await;
        }
        if Instant::now() >= p.until {
            return Done::Failed {
                kind: PublishErrorKind::TimedOut,
                error: "not sent: the lease may have expired".into(),
                publish: p,
            };
        }
        let sent = match js
            .publish_with_headers(p.subject.clone(), p.headers.clone(), p.body.clone())
            .await
        {
            Ok(ack) => ack.await,
            Err(e) => Err(e),
        };
        match sent {
            Ok(a) => Done::Acked {
                counted: p.counted,
                duplicate: a.duplicate,
            },
            Err(e) => Done::Failed {
                kind: e.kind(),
                error: e.to_string(),
                publish: p,
            },
        }
    })
}

struct Task {
    ctx: Arc<Ctx>,
    key: StreamKey,
    reg: Registration,
    stream_array: Vec<String>,
    lease: Lease,
    nonce: u64,
    fence_seq: u64,
    /// Confirmed: everything below it is stored.
    cursor: Cursor,
    cursor_rev: u64,
    cursor_dirty: bool,
    events: u64,
    live: bool,
    live_at_ms: Option<u64>,
    anonymous: u64,
}

impl Task {
    fn report(&self, event: &str, reason: Option<&str>) {
        self.ctx
            .report
            .emit(event, Some(&self.key), Some(self.lease.acquired), reason);
    }

    fn headers(&self, id: &str) -> HeaderMap {
        let mut h = crate::fence::headers(&self.ctx.cfg.names, &self.key, self.fence_seq);
        h.insert("Nats-Msg-Id", id);
        h.insert(
            "Mastostream-Lease",
            self.lease.acquired.to_string().as_str(),
        );
        h.insert("Mastostream-Worker", self.ctx.name.as_str());
        h
    }

    fn push(
        &self,
        pending: &mut FuturesOrdered<Pending>,
        subject: String,
        id: &str,
        body: Bytes,
        counted: bool,
    ) {
        let p = Publish {
            subject,
            headers: self.headers(id),
            body,
            counted,
            attempt: 0,
            until: self.lease.valid_until(),
        };
        pending.push_back(publish(self.ctx.nats.js.clone(), p));
    }

    /// Handles a source item; `false` when the source ended.
    fn on_item(&mut self, item: SourceItem, pending: &mut FuturesOrdered<Pending>) -> bool {
        let names = &self.ctx.cfg.names;
        match item {
            SourceItem::Event(e) => {
                let id = match &e.entity {
                    Some(entity) => msg_id(&self.key, &e.event, entity),
                    None => {
                        // No identity: unique per lease (retries of this publish still
                        // de-duplicate).
                        self.anonymous += 1;
                        format!("{}.r{}-{}", self.key, self.lease.acquired, self.anonymous)
                    }
                };
                let body = event_body(&self.reg.instance, &self.stream_array, &e);
                if self.ctx.cfg.uri_dedup
                    && e.event == "update"
                    && let Some(uri) = &e.uri
                {
                    self.push(
                        pending,
                        names.uri_subject(&e.event),
                        &uri_msg_id(uri),
                        body.clone(),
                        false,
                    );
                }
                self.push(
                    pending,
                    names.event_subject(&self.key, &e.event),
                    &id,
                    body,
                    true,
                );
            }
            SourceItem::Gap(g) => {
                let entity = format!(
                    "{}@{}@{}",
                    g.timeline,
                    g.after.as_deref().unwrap_or(""),
                    g.before.as_deref().unwrap_or("")
                );
                let id = msg_id(&self.key, "gap", &entity);
                let body = gap_body(&self.reg.instance, &self.stream_array, &g);
                tracing::warn!(key = %self.key, timeline = %g.timeline, reason = %g.reason, "gap published");
                self.push(
                    pending,
                    names.event_subject(&self.key, "gap"),
                    &id,
                    body,
                    false,
                );
            }
            SourceItem::Checkpoint(c) => {
                pending.push_back(Box::pin(async move { Done::Checkpoint(c) }))
            }
            SourceItem::Connected => self.live = false,
            SourceItem::Live => {
                self.live = true;
                self.live_at_ms = Some(super::report::now_ms());
                self.report("live", None);
            }
            SourceItem::Disconnected(why) => {
                self.live = false;
                tracing::info!(key = %self.key, %why, "stream disconnected; reconnecting");
                self.report("disconnected", Some(&why));
            }
            SourceItem::Stopped(why) => {
                self.live = false;
                tracing::warn!(key = %self.key, %why, "stream stopped; it is opened again later");
                self.report("stopped", Some(&why));
                return false;
            }
        }
        true
    }

    /// Handles a finished publish; `Some` when the stream must stop.
    fn on_done(&mut self, done: Done, pending: &mut FuturesOrdered<Pending>) -> Option<Outcome> {
        match done {
            Done::Acked { counted, duplicate } => {
                if counted && !duplicate {
                    self.events += 1;
                }
            }
            Done::Checkpoint(c) => {
                self.cursor = c;
                self.cursor_dirty = true;
            }
            // 10164: the server is still applying an earlier publish under this fence (a
            // clustered stream checks a subject's last sequence one proposal at a time).
            Done::Failed {
                kind: PublishErrorKind::WrongLastSequence,
                error,
                publish,
            } if error.contains("10164") => {
                pending.push_front(self::publish(self.ctx.nats.js.clone(), publish));
            }
            Done::Failed {
                kind: PublishErrorKind::WrongLastSequence,
                ..
            } => {
                return Some(Outcome::Lost(
                    "fenced: a newer lease or a removal closed the fence".into(),
                ));
            }
            Done::Failed {
                kind: PublishErrorKind::MaxPayloadExceeded,
                error,
                ..
            } => tracing::error!(key = %self.key, %error, "event too large for NATS; skipped"),
            Done::Failed {
                mut publish, error, ..
            } => {
                tracing::debug!(key = %self.key, %error, attempt = publish.attempt, "publish failed; retrying");
                publish.attempt += 1;
                publish.until = self.lease.valid_until();
                pending.push_front(self::publish(self.ctx.nats.js.clone(), publish));
            }
        }
        None
    }

    fn lease_value(&self) -> Bytes {
        let v = LeaseValue {
            worker: self.ctx.name.clone(),
            nonce: self.nonce,
            acquired: self.lease.acquired,
            cursor: self.cursor.clone(),
            events: self.events,
            live_at_ms: self.live_at_ms,
        };
        Bytes::from(serde_json::to_vec(&v).unwrap_or_default())
    }

    fn renewal(&mut self) -> Boxed<Result<u64, KvWriteError>> {
        if self.live {
            self.live_at_ms = Some(super::report::now_ms());
        }
        let (js, bucket) = (self.ctx.nats.js.clone(), self.ctx.cfg.names.leases_bucket());
        let (key, body, rev, ttl) = (
            lease_key(&self.key),
            self.lease_value(),
            self.lease.revision,
            self.ctx.cfg.lease_ttl,
        );
        Box::pin(async move { kv_write(&js, &bucket, &key, body, Some(rev), Some(ttl)).await })
    }

    /// A renewal answered; `Some` when the lease is lost.
    async fn on_renewed(&mut self, r: Result<u64, KvWriteError>) -> Option<Outcome> {
        match r {
            Ok(rev) => self.lease.renewed(rev),
            Err(KvWriteError::Conflict) => {
                match kv_read(&self.ctx.buckets.leases, &lease_key(&self.key)).await {
                    // Our own earlier write, whose acknowledgement was lost.
                    Ok(KvState::Held { revision, value })
                        if serde_json::from_slice::<LeaseValue>(&value)
                            .is_ok_and(|v| v.nonce == self.nonce) =>
                    {
                        self.lease.renewed(revision);
                    }
                    Ok(_) => return Some(Outcome::Lost("the lease changed hands".into())),
                    Err(_) => self.lease.renewal_failed(Instant::now()),
                }
            }
            Err(KvWriteError::Other(e)) => {
                tracing::debug!(key = %self.key, error = %e, "lease renewal failed; retrying");
                self.lease.renewal_failed(Instant::now());
            }
        }
        None
    }

    fn cursor_write(&mut self) -> Boxed<Result<u64, KvWriteError>> {
        self.cursor_dirty = false;
        let rec = CursorRecord {
            cursor: self.cursor.clone(),
            events: self.events,
            worker: self.ctx.name.clone(),
            lease: self.lease.acquired,
        };
        let body = Bytes::from(serde_json::to_vec(&rec).unwrap_or_default());
        let (js, bucket, key, rev) = (
            self.ctx.nats.js.clone(),
            self.ctx.cfg.names.leases_bucket(),
            cursor_key(&self.key),
            self.cursor_rev,
        );
        Box::pin(async move { kv_write(&js, &bucket, &key, body, Some(rev), None).await })
    }

    async fn on_cursor_written(&mut self, r: Result<u64, KvWriteError>) {
        match r {
            Ok(rev) => self.cursor_rev = rev,
            Err(KvWriteError::Conflict) => {
                // Written by someone else meanwhile (a former owner's last write): both
                // are lower bounds, so keep the newer position of each.
                if let Ok((rec, rev)) = read_cursor(&self.ctx, &self.key).await {
                    self.cursor = self.cursor.merge(&rec.cursor);
                    self.events = self.events.max(rec.events);
                    self.cursor_rev = rev;
                }
                self.cursor_dirty = true;
            }
            Err(KvWriteError::Other(_)) => self.cursor_dirty = true,
        }
    }

    /// Hands the stream over: finish what is in flight (while the lease holds), write the
    /// cursor, delete the lease so the next owner need not wait for it to expire.
    async fn release(&mut self, mut pending: FuturesOrdered<Pending>) -> Outcome {
        let until = self.lease.valid_until();
        while !pending.is_empty() {
            tokio::select! {
                Some(done) = pending.next() => {
                    if let Some(o) = self.on_done(done, &mut pending) {
                        self.report("lost", None);
                        return o;
                    }
                }
                _ = tokio::time::sleep_until(until.into()) => {
                    self.report("lost", Some("in-flight publishes outlived the lease"));
                    return Outcome::Lost("in-flight publishes outlived the lease".into());
                }
            }
        }
        let write = self.cursor_write();
        if let Ok(Ok(r)) = tokio::time::timeout_at(until.into(), write).await {
            self.cursor_rev = r;
        }
        let deleted = self
            .ctx
            .buckets
            .leases
            .delete_expect_revision(lease_key(&self.key), Some(self.lease.revision))
            .await;
        if let Err(e) = deleted {
            tracing::debug!(key = %self.key, error = %e, "deleting the lease; it expires instead");
        }
        self.report("released", None);
        Outcome::Released
    }
}

/// Runs an owned stream until it is released, removed or lost.
pub(crate) async fn run(
    ctx: Arc<Ctx>,
    key: StreamKey,
    reg: Registration,
    claimed: Claimed,
    mut stop: watch::Receiver<Option<Stop>>,
) -> Outcome {
    let mut t = Task {
        stream_array: reg.stream_array(),
        lease: claimed.lease,
        nonce: claimed.nonce,
        fence_seq: claimed.fence_seq,
        cursor: claimed.record.cursor,
        cursor_rev: claimed.cursor_rev,
        cursor_dirty: false,
        events: claimed.record.events,
        live: false,
        live_at_ms: None,
        anonymous: 0,
        ctx,
        key,
        reg,
    };
    t.report("claimed", None);
    let cfg = t.ctx.cfg.clone();
    let gate = t.ctx.polite.gate(t.key.instance());
    let mut pending: FuturesOrdered<Pending> = FuturesOrdered::new();
    let mut source: Option<Source> = None;
    let mut opening: Option<Boxed<Result<Source, String>>> = None;
    let mut reopen_at = Instant::now();
    let mut renewal: Option<Boxed<Result<u64, KvWriteError>>> = None;
    let mut cursor_write: Option<Boxed<Result<u64, KvWriteError>>> = None;
    let mut next_cursor_write = Instant::now();
    loop {
        let now = Instant::now();
        match t.lease.state(now) {
            LeaseState::Expired => {
                let why = "the lease could not be renewed in time";
                t.report("lost", Some(why));
                return Outcome::Lost(why.into());
            }
            LeaseState::RenewDue => {
                t.lease.renewal_sent(now);
                renewal = Some(t.renewal());
            }
            LeaseState::Held => {}
        }
        if cursor_write.is_none() && t.cursor_dirty && now >= next_cursor_write {
            cursor_write = Some(t.cursor_write());
            next_cursor_write = now + cfg.cursor_every;
        }
        if source.is_none() && opening.is_none() && now >= reopen_at {
            let (spec, cursor, opts, gate) = (
                t.reg.source_spec(),
                t.cursor.clone(),
                cfg.source,
                gate.clone(),
            );
            opening = Some(Box::pin(async move {
                Source::open(&spec, cursor, opts, gate).await
            }));
        }
        let mut wake = t.lease.next_wake();
        if t.cursor_dirty {
            wake = wake.min(next_cursor_write);
        }
        if source.is_none() && opening.is_none() {
            wake = wake.min(reopen_at);
        }
        let take = source.is_some() && pending.len() < cfg.max_in_flight;
        tokio::select! {
            biased;
            changed = stop.changed() => {
                let why = if changed.is_ok() { *stop.borrow() } else { Some(Stop::Release) };
                match why {
                    Some(Stop::Removed) => {
                        t.report("removed", None);
                        return Outcome::Removed;
                    }
                    Some(Stop::Release) => {
                        drop(source.take());
                        return t.release(pending).await;
                    }
                    None => {}
                }
            }
            Some(done) = pending.next(), if !pending.is_empty() => {
                if let Some(o) = t.on_done(done, &mut pending) {
                    if let Outcome::Lost(why) = &o {
                        t.report("lost", Some(why));
                    }
                    return o;
                }
            }
            r = async { renewal.as_mut().expect("guarded").await }, if renewal.is_some() => {
                renewal = None;
                if let Some(o) = t.on_renewed(r).await {
                    if let Outcome::Lost(why) = &o {
                        t.report("lost", Some(why));
                    }
                    return o;
                }
            }
            r = async { cursor_write.as_mut().expect("guarded").await }, if cursor_write.is_some() => {
                cursor_write = None;
                t.on_cursor_written(r).await;
            }
            r = async { opening.as_mut().expect("guarded").await }, if opening.is_some() => {
                opening = None;
                match r {
                    Ok(s) => source = Some(s),
                    Err(e) => {
                        t.report("stopped", Some(&e));
                        reopen_at = Instant::now() + Duration::from_secs(30);
                    }
                }
            }
            item = async { source.as_mut().expect("guarded").next().await }, if take => {
                if !t.lease.may_publish(Instant::now()) {
                    // Too late: the loop stops the stream; the next owner recovers it.
                    continue;
                }
                let alive = item.is_some_and(|i| t.on_item(i, &mut pending));
                if !alive {
                    source = None;
                    reopen_at = Instant::now();
                }
            }
            () = tokio::time::sleep_until(wake.into()) => {}
        }
    }
}
