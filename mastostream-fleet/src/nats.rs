//! NATS plumbing: connecting, creating the stream and the buckets when missing, and KV
//! writes with an expected revision and a per-key TTL.
//!
//! async-nats' `Store::update` takes no TTL, and its `create_with_ttl` re-creates a deleted
//! key without one; a lease must carry its TTL on every write, so lease writes are
//! published here directly: `$KV.<bucket>.<key>` with `Nats-Expected-Last-Subject-Sequence`
//! (the revision, `0` for "no entry") and `Nats-TTL`.

use std::future::Future;
use std::time::Duration;

use async_nats::jetstream::context::PublishErrorKind;
use async_nats::jetstream::kv::{self, Operation};
use async_nats::jetstream::stream::{self, StorageType};
use async_nats::jetstream::{self, Context};
use async_nats::{HeaderMap, ServerAddr};
use bytes::Bytes;

use crate::config::FleetConfig;
use crate::error::FleetError;

/// A connection and its JetStream context.
#[derive(Clone, Debug)]
pub struct Nats {
    /// The core client.
    pub client: async_nats::Client,
    /// JetStream.
    pub js: Context,
}

/// How a process connects.
#[derive(Clone, Debug, Default)]
pub struct ConnectOptions {
    /// The connection's name (shown by the server).
    pub name: String,
    /// Use only the given URLs, never the servers a server advertises (NATS behind a
    /// proxy or NAT).
    pub ignore_discovered: bool,
    /// Keep trying to connect until the servers answer (workers), instead of failing.
    pub wait: bool,
}

/// Connects to comma-separated `nats://` URLs.
pub async fn connect(urls: &str, opts: &ConnectOptions) -> Result<Nats, FleetError> {
    let addrs: Vec<ServerAddr> = urls
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(|u| u.parse::<ServerAddr>())
        .collect::<Result<_, _>>()
        .map_err(|e| FleetError::Connect {
            urls: urls.to_owned(),
            message: e.to_string(),
        })?;
    if addrs.is_empty() {
        return Err(FleetError::Connect {
            urls: urls.to_owned(),
            message: "no URL given".into(),
        });
    }
    let mut o = async_nats::ConnectOptions::new()
        .name(&opts.name)
        .connection_timeout(Duration::from_secs(5))
        .request_timeout(Some(Duration::from_secs(5)))
        .ping_interval(Duration::from_secs(5))
        .max_reconnects(None);
    if opts.ignore_discovered {
        o = o.ignore_discovered_servers();
    }
    if opts.wait {
        o = o.retry_on_initial_connect();
    }
    let client = o.connect(addrs).await.map_err(|e| FleetError::Connect {
        urls: urls.to_owned(),
        message: e.to_string(),
    })?;
    let js = jetstream::new(client.clone());
    Ok(Nats { client, js })
}

/// The fleet's three buckets.
#[derive(Clone, Debug)]
pub struct Buckets {
    /// Registered streams.
    pub registry: kv::Store,
    /// Leases and cursors.
    pub leases: kv::Store,
    /// Live workers.
    pub workers: kv::Store,
}

/// Retries `f` for up to about 30 s while JetStream has no leader (a node just died).
pub(crate) async fn retry<T, E: std::fmt::Display, F, Fut>(what: &str, mut f: F) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut delay = Duration::from_millis(250);
    let mut waited = Duration::ZERO;
    loop {
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) if waited < Duration::from_secs(30) => {
                tracing::debug!(error = %e, "{what}: retrying");
                tokio::time::sleep(delay).await;
                waited += delay;
                delay = (delay * 2).min(Duration::from_secs(4));
            }
            Err(e) => return Err(e),
        }
    }
}

fn js_err(what: &'static str) -> impl Fn(String) -> FleetError {
    move |message| FleetError::JetStream { what, message }
}

/// Creates the `MASTOSTREAM` stream and the buckets when missing (with `cfg`'s replicas
/// and duplicate window), and checks that an existing stream's window covers the
/// catch-up overlap.
pub async fn setup(nats: &Nats, cfg: &FleetConfig) -> Result<Buckets, FleetError> {
    let js = &nats.js;
    let name = cfg.names.stream_name();
    let wanted = stream::Config {
        name: name.clone(),
        description: Some("mastostream fleet events".into()),
        subjects: cfg.names.stream_subjects(),
        duplicate_window: cfg.duplicate_window,
        num_replicas: cfg.replicas,
        max_age: cfg.max_age,
        storage: StorageType::File,
        allow_rollup: true,
        allow_direct: true,
        ..Default::default()
    };
    let s = retry("stream", || async {
        js.get_or_create_stream(wanted.clone())
            .await
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(js_err("creating the stream"))?;
    let needed = cfg.overlap_bound();
    let info = &s.cached_info().config;
    if info.duplicate_window < needed {
        return Err(FleetError::Window {
            stream: name,
            window: info.duplicate_window,
            needed,
        });
    }
    let bucket = |bucket: String, ttl: bool| kv::Config {
        bucket,
        history: 1,
        num_replicas: cfg.replicas,
        storage: StorageType::File,
        limit_markers: ttl.then_some(cfg.lease_ttl.max(Duration::from_secs(1))),
        ..Default::default()
    };
    Ok(Buckets {
        registry: ensure_bucket(js, bucket(cfg.names.registry_bucket(), false)).await?,
        leases: ensure_bucket(js, bucket(cfg.names.leases_bucket(), true)).await?,
        workers: ensure_bucket(js, bucket(cfg.names.workers_bucket(), true)).await?,
    })
}

async fn ensure_bucket(js: &Context, config: kv::Config) -> Result<kv::Store, FleetError> {
    retry("bucket", || async {
        match js.get_key_value(config.bucket.clone()).await {
            Ok(store) => Ok(store),
            Err(_) => match js.create_key_value(config.clone()).await {
                Ok(store) => Ok(store),
                // Created meanwhile by another process.
                Err(e) => js
                    .get_key_value(config.bucket.clone())
                    .await
                    .map_err(|_| e.to_string()),
            },
        }
    })
    .await
    .map_err(js_err("creating a bucket"))
}

/// Opens the existing buckets (for `status` and `remove`, which create nothing).
pub async fn open(nats: &Nats, cfg: &FleetConfig) -> Result<Buckets, FleetError> {
    let get = |b: String| async move {
        retry("bucket", || async {
            nats.js
                .get_key_value(b.clone())
                .await
                .map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| FleetError::NoFleet {
            root: cfg.names.root().to_owned(),
            message: e,
        })
    };
    Ok(Buckets {
        registry: get(cfg.names.registry_bucket()).await?,
        leases: get(cfg.names.leases_bucket()).await?,
        workers: get(cfg.names.workers_bucket()).await?,
    })
}

/// Why a conditional KV write failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KvWriteError {
    /// The key is not at the expected revision.
    #[error("the key changed")]
    Conflict,
    /// Anything else (time-outs, no leader yet, ...): the write may or may not be applied.
    #[error("{0}")]
    Other(String),
}

/// Writes `value` to `key` of `bucket`, only if the key is at revision `expect` (`Some(0)`:
/// has no entry; `None`: unconditionally), with a TTL (whole seconds) if given. Returns
/// the new revision.
pub async fn kv_write(
    js: &Context,
    bucket: &str,
    key: &str,
    value: Bytes,
    expect: Option<u64>,
    ttl: Option<Duration>,
) -> Result<u64, KvWriteError> {
    let mut headers = HeaderMap::new();
    if let Some(rev) = expect {
        headers.insert(
            "Nats-Expected-Last-Subject-Sequence",
            rev.to_string().as_str(),
        );
    }
    if let Some(ttl) = ttl {
        headers.insert("Nats-TTL", ttl.as_secs().max(1).to_string().as_str());
    }
    let ack = js
        .publish_with_headers(format!("$KV.{bucket}.{key}"), headers, value)
        .await
        .map_err(|e| KvWriteError::Other(e.to_string()))?;
    match ack.await {
        Ok(a) => Ok(a.sequence),
        Err(e) if e.kind() == PublishErrorKind::WrongLastSequence => Err(KvWriteError::Conflict),
        Err(e) => Err(KvWriteError::Other(e.to_string())),
    }
}

/// The live value of `key` (`None` when absent, deleted, purged or expired), with its
/// revision; or the revision of the marker it left (`Err`-free "free at revision").
pub async fn kv_read(store: &kv::Store, key: &str) -> Result<KvState, String> {
    match store.entry(key).await {
        Ok(None) => Ok(KvState::Free { revision: 0 }),
        Ok(Some(e)) if e.operation == Operation::Put => Ok(KvState::Held {
            revision: e.revision,
            value: e.value,
        }),
        Ok(Some(e)) => Ok(KvState::Free {
            revision: e.revision,
        }),
        Err(e) => Err(e.to_string()),
    }
}

/// What a key holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvState {
    /// Nothing (never written, or a delete/purge/expiry marker at `revision`): create it
    /// expecting `revision`.
    Free {
        /// The revision a create must expect.
        revision: u64,
    },
    /// A value.
    Held {
        /// Its revision.
        revision: u64,
        /// The value.
        value: Bytes,
    },
}
