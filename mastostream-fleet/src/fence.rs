//! The fence: what makes the lease revision a fencing token that JetStream itself checks.
//!
//! Each stream key has a fence subject, `<root>-fence.<key>`, in the events stream; its
//! last (and, by `Nats-Rollup: sub`, only) message names the lease allowed to publish.
//! A new owner, right after its claim and before publishing anything, writes a fence
//! naming its lease revision, and only if the current fence names an older revision (it
//! writes expecting the fence's sequence, so two writers cannot both win). Every event it
//! publishes then carries
//!
//! ```text
//! Nats-Expected-Last-Subject-Sequence: <sequence of its fence message>
//! Nats-Expected-Last-Subject-Sequence-Subject: <root>-fence.<key>
//! ```
//!
//! so the server stores the event only while that fence is the current one. Once a newer
//! owner fenced the key, or `remove` closed it, whatever the old owner still sends (queued
//! in a stalled connection, say) is refused with "wrong last sequence".

use async_nats::HeaderMap;
use async_nats::jetstream::Context;
use async_nats::jetstream::context::PublishErrorKind;
use async_nats::jetstream::stream::LastRawMessageErrorKind;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::names::{Names, StreamKey};

/// A fence message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct FenceValue {
    /// The lease revision allowed to publish.
    revision: u64,
    /// Its worker.
    worker: String,
    /// Its claim nonce.
    nonce: u64,
    /// The stream was removed: no lease passes until a new claim fences it again.
    #[serde(default)]
    closed: bool,
}

/// Why a fence could not be raised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FenceError {
    /// A newer lease already fenced the key: this lease is lost.
    #[error("a newer lease (revision {0}) holds the fence")]
    Superseded(u64),
    /// JetStream did not answer (retry while the lease holds).
    #[error("{0}")]
    Other(String),
}

/// The headers that make a publish conditional on fence message `seq`.
pub fn headers(names: &Names, key: &StreamKey, seq: u64) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        "Nats-Expected-Last-Subject-Sequence",
        seq.to_string().as_str(),
    );
    h.insert(
        "Nats-Expected-Last-Subject-Sequence-Subject",
        names.fence_subject(key).as_str(),
    );
    h
}

async fn last(
    js: &Context,
    names: &Names,
    key: &StreamKey,
) -> Result<(u64, Option<FenceValue>), FenceError> {
    let stream = js
        .get_stream_no_info(names.stream_name())
        .await
        .map_err(|e| FenceError::Other(e.to_string()))?;
    match stream
        .get_last_raw_message_by_subject(&names.fence_subject(key))
        .await
    {
        Ok(m) => Ok((m.sequence, serde_json::from_slice(&m.payload).ok())),
        Err(e) if e.kind() == LastRawMessageErrorKind::NoMessageFound => Ok((0, None)),
        Err(e) => Err(FenceError::Other(e.to_string())),
    }
}

/// Fences `key` for the lease acquired at `revision` (by `worker`, claim `nonce`).
/// Returns the fence message's sequence, for [`headers`].
pub async fn raise(
    js: &Context,
    names: &Names,
    key: &StreamKey,
    revision: u64,
    worker: &str,
    nonce: u64,
) -> Result<u64, FenceError> {
    let mine = FenceValue {
        revision,
        worker: worker.to_owned(),
        nonce,
        closed: false,
    };
    for _ in 0..5 {
        let (seq, current) = last(js, names, key).await?;
        match &current {
            // Ours already (an earlier attempt whose acknowledgement was lost).
            Some(v) if *v == mine => return Ok(seq),
            Some(v) if !v.closed && v.revision > revision => {
                return Err(FenceError::Superseded(v.revision));
            }
            _ => {}
        }
        let mut h = HeaderMap::new();
        h.insert(
            "Nats-Expected-Last-Subject-Sequence",
            seq.to_string().as_str(),
        );
        h.insert("Nats-Rollup", "sub");
        let body = Bytes::from(serde_json::to_vec(&mine).unwrap_or_default());
        let ack = js
            .publish_with_headers(names.fence_subject(key), h, body)
            .await
            .map_err(|e| FenceError::Other(e.to_string()))?;
        match ack.await {
            Ok(a) => return Ok(a.sequence),
            // Someone wrote the fence meanwhile: read it again.
            Err(e) if e.kind() == PublishErrorKind::WrongLastSequence => continue,
            Err(e) => return Err(FenceError::Other(e.to_string())),
        }
    }
    Err(FenceError::Other("the fence kept changing".into()))
}

/// Closes the fence of `key` (on `remove`): publishes from any current lease are refused
/// from now on.
pub async fn close(js: &Context, names: &Names, key: &StreamKey) -> Result<(), String> {
    let mut h = HeaderMap::new();
    h.insert("Nats-Rollup", "sub");
    let body = Bytes::from(
        serde_json::to_vec(&FenceValue {
            closed: true,
            ..FenceValue::default()
        })
        .unwrap_or_default(),
    );
    js.publish_with_headers(names.fence_subject(key), h, body)
        .await
        .map_err(|e| e.to_string())?
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}
