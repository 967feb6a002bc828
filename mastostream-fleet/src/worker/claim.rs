//! Claiming a stream: create its lease entry (KV create at the revision of whatever marker
//! the last lease left, with a TTL), read its cursor, raise its fence.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::Ctx;
use crate::cursor::Cursor;
use crate::fence::{self, FenceError};
use crate::lease::{Lease, LeaseValue};
use crate::names::StreamKey;
use crate::nats::{KvState, KvWriteError, kv_read, kv_write};

/// A stream's durable progress (`cursor.<key>`, no TTL): it outlives leases, which vanish
/// when they expire.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CursorRecord {
    /// The cursor.
    #[serde(default)]
    pub cursor: Cursor,
    /// Events published on the stream so far.
    #[serde(default)]
    pub events: u64,
    /// The worker that wrote it.
    #[serde(default)]
    pub worker: String,
    /// The lease (acquisition revision) it wrote under.
    #[serde(default)]
    pub lease: u64,
}

/// A lease won, fenced, with the stream's progress.
#[derive(Debug)]
pub(crate) struct Claimed {
    pub(crate) lease: Lease,
    pub(crate) nonce: u64,
    pub(crate) fence_seq: u64,
    pub(crate) record: CursorRecord,
    pub(crate) cursor_rev: u64,
}

/// A random 64-bit number (std's randomly seeded hasher over a counter).
pub(crate) fn nonce() -> u64 {
    static N: AtomicU64 = AtomicU64::new(0);
    std::collections::hash_map::RandomState::new().hash_one(N.fetch_add(1, Ordering::Relaxed))
}

pub(crate) fn lease_key(key: &StreamKey) -> String {
    format!("lease.{key}")
}

pub(crate) fn cursor_key(key: &StreamKey) -> String {
    format!("cursor.{key}")
}

/// Reads the stream's cursor record and its revision (0 when it has none).
pub(crate) async fn read_cursor(ctx: &Ctx, key: &StreamKey) -> Result<(CursorRecord, u64), String> {
    Ok(
        match kv_read(&ctx.buckets.leases, &cursor_key(key)).await? {
            KvState::Held { revision, value } => {
                (serde_json::from_slice(&value).unwrap_or_default(), revision)
            }
            KvState::Free { revision } => (CursorRecord::default(), revision),
        },
    )
}

/// Tries to claim `key`. `Ok(None)` when someone holds it (or won the race).
pub(crate) async fn claim(ctx: &Ctx, key: &StreamKey) -> Result<Option<Claimed>, String> {
    let bucket = ctx.cfg.names.leases_bucket();
    let lk = lease_key(key);
    let KvState::Free { revision: marker } = kv_read(&ctx.buckets.leases, &lk).await? else {
        return Ok(None);
    };
    let (record, cursor_rev) = read_cursor(ctx, key).await?;
    let nonce = nonce();
    let value = LeaseValue {
        worker: ctx.name.clone(),
        nonce,
        acquired: 0,
        cursor: record.cursor.clone(),
        events: record.events,
        live_at_ms: None,
    };
    let body = Bytes::from(serde_json::to_vec(&value).unwrap_or_default());
    let sent = Instant::now();
    let ttl = Some(ctx.cfg.lease_ttl);
    let revision = match kv_write(&ctx.nats.js, &bucket, &lk, body, Some(marker), ttl).await {
        Ok(rev) => rev,
        Err(KvWriteError::Conflict) => return Ok(None),
        Err(KvWriteError::Other(e)) => match kv_read(&ctx.buckets.leases, &lk).await? {
            // Applied, though the acknowledgement was lost.
            KvState::Held { revision, value }
                if serde_json::from_slice::<LeaseValue>(&value).is_ok_and(|v| v.nonce == nonce) =>
            {
                revision
            }
            _ => return Err(e),
        },
    };
    let lease = Lease::granted(revision, sent, ctx.cfg.lease_times());
    let fence_seq = loop {
        match fence::raise(
            &ctx.nats.js,
            &ctx.cfg.names,
            key,
            revision,
            &ctx.name,
            nonce,
        )
        .await
        {
            Ok(seq) => break seq,
            Err(FenceError::Superseded(newer)) => {
                tracing::warn!(%key, revision, newer, "a newer lease holds the fence; giving up the claim");
                return Ok(None);
            }
            Err(FenceError::Other(e)) if lease.may_publish(Instant::now()) => {
                tracing::debug!(%key, error = %e, "raising the fence; retrying");
                tokio::time::sleep(ctx.cfg.lease_times().retry_every).await;
            }
            Err(FenceError::Other(e)) => return Err(e),
        }
    };
    // Unregistered meanwhile? `remove` purges the registration before it closes the fence,
    // so a claim that still sees the registration here was fenced before the closing.
    match ctx.buckets.registry.get(key.to_string()).await {
        Ok(Some(_)) => {}
        Ok(None) => return Ok(None),
        Err(e) => return Err(e.to_string()),
    }
    Ok(Some(Claimed {
        lease,
        nonce,
        fence_seq,
        record,
        cursor_rev,
    }))
}
