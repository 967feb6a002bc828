//! `status`: one row per registered stream — owner, lease, cursor, events, lag.

use serde::Serialize;

use crate::config::FleetConfig;
use crate::cursor::Cursor;
use crate::error::FleetError;
use crate::lease::LeaseValue;
use crate::nats::{KvState, Nats, kv_read, open};
use crate::registry::list;
use crate::worker::CursorRecord;
use crate::worker::report::now_ms;

/// One registered stream's state.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatusRow {
    /// The instance URL as registered.
    pub instance: String,
    /// The stream name.
    pub stream: String,
    /// The tag (hashtag streams).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The list id (list streams).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list: Option<String>,
    /// The worker holding the lease (`null`: unowned).
    pub owner: Option<String>,
    /// The lease's revision at acquisition: its fencing token (`null`: unowned).
    pub lease_revision: Option<u64>,
    /// The newest id below which everything was published (statuses, else
    /// notifications, else conversations).
    pub last_id: Option<String>,
    /// Events published on this stream, by every owner, as the owners recorded them (with
    /// each lease renewal and cursor write). Exact while owners hand over cleanly; after a
    /// worker is killed, a lower bound: what it stored after its last record is stored
    /// once but counted by nobody.
    pub events: u64,
    /// Seconds since the owner last saw the stream connected and caught up (`null`:
    /// never).
    pub lag_s: Option<f64>,
    /// The whole cursor.
    pub cursor: Cursor,
}

/// The state of every registered stream, in key order.
pub async fn status(nats: &Nats, cfg: &FleetConfig) -> Result<Vec<StatusRow>, FleetError> {
    let buckets = open(nats, cfg).await?;
    let err = |message: String| FleetError::JetStream {
        what: "reading leases",
        message,
    };
    let mut rows = Vec::new();
    for (key, reg) in list(&buckets).await? {
        let lease = match kv_read(&buckets.leases, &format!("lease.{key}"))
            .await
            .map_err(err)?
        {
            KvState::Held { revision, value } => {
                serde_json::from_slice::<LeaseValue>(&value).ok().map(|v| {
                    (
                        if v.acquired == 0 {
                            revision
                        } else {
                            v.acquired
                        },
                        v,
                    )
                })
            }
            KvState::Free { .. } => None,
        };
        let record = match kv_read(&buckets.leases, &format!("cursor.{key}"))
            .await
            .map_err(err)?
        {
            KvState::Held { value, .. } => {
                serde_json::from_slice::<CursorRecord>(&value).unwrap_or_default()
            }
            KvState::Free { .. } => CursorRecord::default(),
        };
        let (owner, lease_revision, cursor, events, live_at) = match lease {
            Some((rev, v)) => (
                Some(v.worker),
                Some(rev),
                v.cursor.merge(&record.cursor),
                v.events.max(record.events),
                v.live_at_ms,
            ),
            None => (None, None, record.cursor, record.events, None),
        };
        rows.push(StatusRow {
            instance: reg.instance,
            stream: reg.stream,
            tag: reg.tag,
            list: reg.list,
            owner,
            lease_revision,
            last_id: cursor.last_id().map(str::to_owned),
            events,
            lag_s: live_at.map(|t| now_ms().saturating_sub(t) as f64 / 1000.0),
            cursor,
        });
    }
    Ok(rows)
}
