//! A worker: announces itself in the workers bucket, follows the registry and the other
//! workers, and owns the streams rendezvous hashing gives it — claiming them when their
//! lease is free, handing them over when another worker should have them.

mod claim;
pub mod report;
mod stream;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::kv::{Entry, Operation, Store, Watch};
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::sync::watch;

pub use claim::CursorRecord;
use claim::{Claimed, claim};
use report::Reporter;
use stream::{Outcome, Stop};

use crate::config::FleetConfig;
use crate::error::FleetError;
use crate::hashing::owner;
use crate::names::{StreamKey, worker_key};
use crate::nats::{Buckets, Nats, kv_write, setup};
use crate::polite::Politeness;
use crate::registry::Registration;

/// What every stream task of a worker shares.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub(crate) nats: Nats,
    pub(crate) cfg: FleetConfig,
    pub(crate) name: String,
    pub(crate) buckets: Buckets,
    pub(crate) polite: Politeness,
    pub(crate) report: Reporter,
}

/// Claims in flight at once.
const MAX_CLAIMS: usize = 64;

type Boxed<T> = Pin<Box<dyn Future<Output = T> + Send>>;
/// A claim in flight: the key and its result.
type ClaimFuture = Boxed<(StreamKey, Result<Option<Claimed>, String>)>;

struct Held {
    stop: watch::Sender<Option<Stop>>,
}

struct Worker {
    ctx: Arc<Ctx>,
    me: String,
    registry: BTreeMap<StreamKey, Registration>,
    workers: HashMap<String, Instant>,
    held: HashMap<StreamKey, Held>,
    claiming: HashSet<StreamKey>,
    tasks: FuturesUnordered<Boxed<(StreamKey, Outcome)>>,
    claims: FuturesUnordered<ClaimFuture>,
}

/// Watches every key of a bucket: the current values first, then every change.
async fn watch_all(store: &Store) -> Watch {
    let mut delay = Duration::from_millis(250);
    loop {
        match store.watch_with_history(">").await {
            Ok(w) => return w,
            Err(e) => {
                tracing::warn!(bucket = %store.name, error = %e, "watching a bucket; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}

impl Worker {
    fn live_workers(&self) -> Vec<String> {
        let ttl = self.ctx.cfg.lease_ttl;
        let now = Instant::now();
        let mut live: Vec<String> = self
            .workers
            .iter()
            .filter(|(_, seen)| now.saturating_duration_since(**seen) < ttl)
            .map(|(w, _)| w.clone())
            .collect();
        if !live.contains(&self.me) {
            live.push(self.me.clone());
        }
        live
    }

    fn on_registry(&mut self, e: Entry) {
        let Some(key) = StreamKey::parse(&e.key) else {
            return;
        };
        match e.operation {
            Operation::Put => match serde_json::from_slice::<Registration>(&e.value) {
                Ok(reg) => {
                    self.registry.insert(key, reg);
                }
                Err(err) => {
                    tracing::warn!(%key, error = %err, "registration does not decode; ignored")
                }
            },
            Operation::Delete | Operation::Purge => {
                self.registry.remove(&key);
            }
        }
    }

    fn on_worker(&mut self, e: Entry) {
        match e.operation {
            Operation::Put => {
                self.workers.insert(e.key, Instant::now());
            }
            Operation::Delete | Operation::Purge => {
                self.workers.remove(&e.key);
            }
        }
    }

    /// Claims what this worker should own, hands over what it should not, stops what was
    /// removed.
    fn rebalance(&mut self) {
        let live = self.live_workers();
        tracing::debug!(
            registered = self.registry.len(),
            held = self.held.len(),
            workers = live.len(),
            "rebalance"
        );
        for (key, reg) in &self.registry {
            let mine = owner(&key.to_string(), &live) == Some(self.me.as_str());
            match self.held.get(key) {
                None if mine && !self.claiming.contains(key) && self.claims.len() < MAX_CLAIMS => {
                    self.claiming.insert(key.clone());
                    let (ctx, key, _reg) = (self.ctx.clone(), key.clone(), reg);
                    self.claims.push(Box::pin(async move {
                        let r = claim(&ctx, &key).await;
                        (key, r)
                    }));
                }
                Some(h) if !mine && h.stop.borrow().is_none() => {
                    let _ = h.stop.send(Some(Stop::Release));
                }
                _ => {}
            }
        }
        for (key, h) in &self.held {
            if !self.registry.contains_key(key) && *h.stop.borrow() != Some(Stop::Removed) {
                let _ = h.stop.send(Some(Stop::Removed));
            }
        }
    }

    fn on_claim(&mut self, key: StreamKey, r: Result<Option<Claimed>, String>) {
        self.claiming.remove(&key);
        let claimed = match r {
            Ok(Some(c)) => c,
            Ok(None) => {
                tracing::debug!(%key, "not claimed: held elsewhere");
                return;
            }
            Err(e) => {
                tracing::debug!(%key, error = %e, "claim failed");
                return;
            }
        };
        let Some(reg) = self.registry.get(&key).cloned() else {
            // Removed meanwhile: the lease expires on its own.
            return;
        };
        let (tx, rx) = watch::channel(None);
        let task = tokio::spawn(stream::run(self.ctx.clone(), key.clone(), reg, claimed, rx));
        self.held.insert(key.clone(), Held { stop: tx });
        self.tasks.push(Box::pin(async move {
            let outcome = task
                .await
                .unwrap_or_else(|e| Outcome::Lost(format!("the stream task failed: {e}")));
            (key, outcome)
        }));
    }

    fn presence(&self) -> Boxed<()> {
        let ctx = self.ctx.clone();
        let body = serde_json::json!({
            "name": ctx.name,
            "pid": std::process::id(),
            "streams": self.held.len(),
        });
        let me = self.me.clone();
        Box::pin(async move {
            let bucket = ctx.cfg.names.workers_bucket();
            let value = Bytes::from(body.to_string());
            if let Err(e) = kv_write(
                &ctx.nats.js,
                &bucket,
                &me,
                value,
                None,
                Some(ctx.cfg.lease_ttl),
            )
            .await
            {
                tracing::debug!(error = %e, "presence not written");
            }
        })
    }

    /// Hands every stream over and leaves.
    async fn shutdown(mut self) {
        for h in self.held.values() {
            let _ = h.stop.send(Some(Stop::Release));
        }
        let deadline = tokio::time::sleep(self.ctx.cfg.lease_ttl);
        tokio::pin!(deadline);
        while !self.held.is_empty() {
            tokio::select! {
                Some((key, _)) = self.tasks.next() => { self.held.remove(&key); }
                () = &mut deadline => break,
            }
        }
        let _ = self.ctx.buckets.workers.delete(&self.me).await;
        self.ctx
            .report
            .emit("stopped", None, None, Some("shutdown"));
    }
}

/// Runs a worker named `name` until `shutdown` completes, then hands its streams over.
/// Creates the stream and the buckets if they are missing.
pub async fn run(
    nats: Nats,
    name: &str,
    cfg: FleetConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), FleetError> {
    cfg.validate()?;
    let buckets = setup(&nats, &cfg).await?;
    let ctx = Arc::new(Ctx {
        polite: Politeness::new(cfg.polite),
        report: Reporter::new(name),
        name: name.to_owned(),
        nats,
        cfg,
        buckets,
    });
    let mut w = Worker {
        me: worker_key(name),
        registry: BTreeMap::new(),
        workers: HashMap::new(),
        held: HashMap::new(),
        claiming: HashSet::new(),
        tasks: FuturesUnordered::new(),
        claims: FuturesUnordered::new(),
        ctx: ctx.clone(),
    };
    ctx.report.emit("started", None, None, None);
    w.presence().await;
    let mut registry = watch_all(&ctx.buckets.registry).await;
    let mut workers = watch_all(&ctx.buckets.workers).await;
    let mut tick = tokio::time::interval(ctx.cfg.scan_every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut presence = tokio::time::interval(ctx.cfg.lease_times().renew_every);
    let mut writing: Option<Boxed<()>> = None;
    // Changes come in bursts (a registry of thousands replayed at start): rebalance once
    // per burst, shortly after it.
    let mut soon: Option<Pin<Box<tokio::time::Sleep>>> = None;
    let settle = || Some(Box::pin(tokio::time::sleep(Duration::from_millis(100))));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            () = async { soon.as_mut().expect("guarded").await }, if soon.is_some() => {
                soon = None;
                w.rebalance();
            }
            _ = presence.tick(), if writing.is_none() => writing = Some(w.presence()),
            () = async { writing.as_mut().expect("guarded").await }, if writing.is_some() => writing = None,
            e = registry.next() => match e {
                Some(Ok(entry)) => {
                    w.on_registry(entry);
                    soon = soon.or_else(settle);
                }
                _ => registry = watch_all(&ctx.buckets.registry).await,
            },
            e = workers.next() => match e {
                Some(Ok(entry)) => {
                    w.on_worker(entry);
                    soon = soon.or_else(settle);
                }
                _ => workers = watch_all(&ctx.buckets.workers).await,
            },
            _ = tick.tick() => w.rebalance(),
            Some((key, r)) = w.claims.next() => {
                w.on_claim(key, r);
                soon = soon.or_else(settle);
            }
            Some((key, outcome)) = w.tasks.next() => {
                w.held.remove(&key);
                tracing::info!(%key, ?outcome, "stream ended");
                soon = soon.or_else(settle);
            }
        }
    }
    w.shutdown().await;
    Ok(())
}
