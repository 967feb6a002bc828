//! `ws::decode_with` on arbitrary bytes (a WebSocket text message from the server):
//!
//! - never panics, and serde_json and simd-json give identical results (the same message,
//!   or the same error);
//! - an event message's event is exactly what the SSE transport gives for the same name and
//!   payload: the payload, unwrapped as `mastostream_fuzz::ws_payload` documents, re-wrapped
//!   as a `RawEvent` decodes to an equal event;
//! - its `channel` is `Channel::from_stream` of its `stream`;
//! - an error message carries the envelope's `error` text.
//!
//! Input: the message bytes.

#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use mastostream_fuzz::{WsEnvelope, ws_payload};
use mastostream_proto::ws::{self, WsMessage};
use mastostream_proto::{Channel, JsonBackend, RawEvent};

fuzz_target!(|input: &[u8]| {
    let serde = ws::decode_with(input, JsonBackend::SerdeJson);
    let simd = ws::decode_with(input, JsonBackend::SimdJson);
    assert_eq!(serde, simd, "serde_json and simd-json disagree");

    let Ok(message) = serde else { return };
    // The message decoded, so it is a JSON object whose members have the right types.
    let envelope: WsEnvelope =
        serde_json::from_slice(input).expect("a decoded message has a WebSocket envelope");
    match message {
        WsMessage::Event {
            stream,
            channel,
            event,
            data,
        } => {
            let name = envelope.event.expect("an event message has an event name");
            assert_eq!(stream, envelope.stream.unwrap_or_default());
            assert_eq!(channel, Channel::from_stream(&stream));
            let payload = ws_payload(envelope.payload.as_ref());
            assert_eq!(
                &data[..],
                payload.as_bytes(),
                "the event keeps its payload as sent"
            );
            let raw = RawEvent::new(Bytes::from(name), Bytes::from(payload));
            for backend in [JsonBackend::SerdeJson, JsonBackend::SimdJson] {
                assert_eq!(
                    raw.decode_with(backend),
                    event,
                    "the SSE transport decodes the same name and payload differently ({backend:?})"
                );
            }
        }
        // Pleroma answers with `pleroma:respond` events; everyone else with `error` members.
        WsMessage::Error { .. } | WsMessage::Ack { .. }
            if envelope.event.as_deref() == Some("pleroma:respond") => {}
        WsMessage::Error { error, .. } => {
            assert_eq!(envelope.event, None);
            assert_eq!(Some(error), envelope.error);
        }
        _ => {}
    }
});
