//! `RawEvent` decoding on arbitrary payloads, under every event name Mastodon sends (and a
//! few it does not):
//!
//! - serde_json and simd-json give identical `Event`s: both malformed (with the same error)
//!   or equal values;
//! - the decoded event has the kind its name says (`RawEvent::kind`, `Event::kind`);
//! - `RawEvent::id()` (the cheap prefix scan, with its fallback) agrees with the decoded
//!   event's id whenever the payload decodes: the status, notification, conversation or
//!   announcement id, the deleted id, the reacted announcement's id;
//! - `Event::encode()` of a decoded event gives the same name and a payload that decodes
//!   (on both backends) to an equal event, and encoding that again gives the same bytes.
//!
//! Input: `[name, payload...]`; `name` picks from `mastostream_fuzz::EVENT_NAMES` (modulo
//! its length).

#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use mastostream_fuzz::{EVENT_NAMES, event_id};
use mastostream_proto::{Event, EventKind, JsonBackend, RawEvent};

fuzz_target!(|input: &[u8]| {
    let Some((&name, payload)) = input.split_first() else {
        return;
    };
    let name = EVENT_NAMES[usize::from(name) % EVENT_NAMES.len()];
    let raw = RawEvent::new(
        Bytes::from_static(name.as_bytes()),
        Bytes::copy_from_slice(payload),
    );

    let serde = raw.decode_with(JsonBackend::SerdeJson);
    let simd = raw.decode_with(JsonBackend::SimdJson);
    assert_eq!(serde, simd, "serde_json and simd-json disagree");

    assert_eq!(
        serde.kind(),
        raw.kind(),
        "decoded kind differs from the name's"
    );
    assert_eq!(raw.kind(), EventKind::from_name(name.as_bytes()));
    assert!(!serde.is_heartbeat(), "decode made a heartbeat");

    if let Some(id) = event_id(&serde) {
        assert_eq!(
            raw.id().as_ref(),
            Some(id),
            "RawEvent::id disagrees with the event"
        );
    }
    if let Event::Malformed { name: n, data, .. } = &serde {
        assert_eq!(n, name);
        assert_eq!(&data[..], payload);
        return;
    }

    let encoded = serde
        .encode()
        .expect("a decoded, well-formed event encodes");
    assert_eq!(
        encoded.name_bytes(),
        raw.name_bytes(),
        "encode changed the name"
    );
    for backend in [JsonBackend::SerdeJson, JsonBackend::SimdJson] {
        let again = encoded.decode_with(backend);
        assert_eq!(again, serde, "encode/decode round trip ({backend:?})");
    }
    assert_eq!(
        encoded.id(),
        event_id(&serde).cloned(),
        "RawEvent::id of the encoded event"
    );
    let twice = encoded.decode().encode().expect("encodes again");
    assert_eq!(twice, encoded, "encoding is not stable");
});
