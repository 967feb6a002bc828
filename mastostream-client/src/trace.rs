//! Tracing of what a stream does (target `mastostream_client`): connects, disconnects with
//! their reason, backoff waits, catch-up results, gaps, refusals. Nothing here carries the
//! token: proto keeps it out of URLs, errors and items.

use std::fmt;

use mastostream_proto::session::{Item, SessionConfig, StreamTransport};

/// A session's streams, for log lines: `user`, or `websocket [public, hashtag #rust]`.
pub(crate) struct Spec<'a>(pub(crate) &'a SessionConfig);

impl fmt::Display for Spec<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let channels = &self.0.channels;
        match self.0.transport {
            StreamTransport::Sse => match channels.first() {
                Some(c) => write!(f, "{c}"),
                None => f.write_str("(no stream)"),
            },
            _ => {
                f.write_str("websocket [")?;
                for (i, c) in channels.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{c}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// Traces one item (events themselves are not traced: there are too many).
pub(crate) fn item(cfg: &SessionConfig, item: &Item) {
    let stream = Spec(cfg);
    match item {
        Item::Discovered(server) => {
            tracing::info!(%stream, streaming = %server.streaming, software = %server.dialect, source = ?server.source, "streaming server found");
        }
        Item::TransportChosen { transport, reason } => {
            tracing::info!(%stream, %transport, %reason, "transport chosen");
        }
        Item::Connected { url, transport } => {
            tracing::info!(%stream, %url, %transport, "connected");
        }
        Item::Disconnected { error } => tracing::warn!(%stream, %error, "disconnected"),
        Item::Reconnecting {
            attempt,
            delay,
            error,
            capped,
        } => {
            let capped_ms = capped.map(|c| c.as_millis() as u64);
            tracing::info!(%stream, attempt, delay_ms = delay.as_millis() as u64, ?capped_ms, %error, "reconnecting after backoff");
        }
        Item::CaughtUp {
            timeline,
            recovered,
        } => tracing::info!(%stream, %timeline, recovered, "caught up"),
        Item::Gap(gap) => {
            tracing::warn!(%stream, timeline = %gap.timeline, reason = %gap.reason, "gap: items may be missing");
        }
        Item::StreamError {
            channel,
            status,
            error,
            dropped,
        } => {
            let refused = channel.as_ref().map(ToString::to_string);
            tracing::warn!(%stream, ?refused, ?status, %error, dropped, "the server reported an error");
        }
        _ => {}
    }
}
