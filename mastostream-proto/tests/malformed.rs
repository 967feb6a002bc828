//! Payloads that do not decode give one `Event::Malformed` with a sensible error, never a
//! panic: malformed JSON, invalid UTF-8, truncation, wrong types, bad ids, huge and deeply
//! nested payloads.

mod common;

use bytes::Bytes;
use common::{backends, fixtures};
use mastostream_proto::model::MAX_NESTING;
use mastostream_proto::{DecodeError, Event, EventKind, RawEvent};

/// Decodes with every backend and returns the error, checking that name and data are kept.
fn malformed(name: &str, data: Bytes) -> Vec<DecodeError> {
    let raw = RawEvent::new(Bytes::copy_from_slice(name.as_bytes()), data.clone());
    backends()
        .into_iter()
        .map(|backend| match raw.decode_with(backend) {
            Event::Malformed {
                name: n,
                data: d,
                error,
            } => {
                assert_eq!(n, name);
                assert_eq!(d, data);
                error
            }
            other => panic!(
                "{name} ({backend:?}) decoded: {:.300}",
                format!("{other:?}")
            ),
        })
        .collect()
}

#[test]
fn every_malformed_fixture_gives_the_expected_error() {
    let all = fixtures("malformed");
    assert!(all.len() >= 25, "only {} fixtures", all.len());
    for f in &all {
        // File names say which error to expect: `json__…`, `utf8__…`, `id__…`.
        let expected = f.file.split("__").next().unwrap_or_default();
        for error in malformed(&f.event, f.data.clone()) {
            let ok = match (expected, &error) {
                ("json", DecodeError::Json { message }) => !message.is_empty(),
                ("utf8", DecodeError::InvalidUtf8 { offset }) => {
                    std::str::from_utf8(&f.data).unwrap_err().valid_up_to() == *offset
                }
                ("id", DecodeError::InvalidId { text }) => f.data.starts_with(text.as_bytes()),
                _ => false,
            };
            assert!(ok, "{}: {error:?}", f.label());
            // Malformed events keep the kind of their name, for routing.
            let event =
                RawEvent::new(Bytes::copy_from_slice(f.event.as_bytes()), f.data.clone()).decode();
            assert_eq!(event.kind(), EventKind::from_name(f.event.as_bytes()));
        }
    }
}

#[test]
fn json_errors_say_what_is_wrong() {
    let errors = malformed(
        "update",
        Bytes::from_static(br#"{"id":"1","created_at":"x","visibility":"public","uri":"u"}"#),
    );
    assert!(errors[0].to_string().contains("account"), "{}", errors[0]);
    let errors = malformed("update", Bytes::from_static(br#"{"id":{}}"#));
    assert!(errors[0].to_string().contains("id"), "{}", errors[0]);
    let errors = malformed("delete", Bytes::from_static(b"1.5"));
    assert_eq!(errors[0].to_string(), "invalid id payload \"1.5\"");
}

#[test]
fn every_truncation_of_a_status_is_malformed_or_complete() {
    let data = common::fixture("events/update/user_stream_full.json");
    // Every prefix that cuts the object short is malformed (the last byte closes it).
    for len in (0..data.len()).step_by(7).chain([data.len() - 1]) {
        malformed("update", data.slice(..len));
    }
}

#[test]
fn huge_payloads() {
    // 16 MiB of content in a valid status decodes, whole.
    let content = "🍞 bread ".repeat(16 << 20 >> 4);
    let json = format!(
        r#"{{"id":"1","created_at":"x","visibility":"public","uri":"u","content":"{content}","account":{{"id":"2","username":"a","acct":"a","created_at":"x"}}}}"#
    );
    let raw = RawEvent::new(Bytes::from_static(b"update"), Bytes::from(json.clone()));
    for backend in backends() {
        match raw.decode_with(backend) {
            Event::Update(s) => assert_eq!(s.content.len(), content.len()),
            other => panic!("{:.200}", format!("{other:?}")),
        }
    }
    assert_eq!(raw.id().unwrap(), "1");
    // The same payload cut before its end is malformed.
    let cut = Bytes::from(json).slice(..8 << 20);
    for error in malformed("update", cut) {
        assert!(matches!(error, DecodeError::Json { .. }), "{error:?}");
    }
    // 8 MiB of an unknown field that never closes.
    let open = format!(r#"{{"id":"1","x":"{}"#, "a".repeat(8 << 20));
    malformed("notification", Bytes::from(open));
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    // In an ignored field.
    let deep = format!(
        r#"{{"id":"1","future":{}{}}}"#,
        "[".repeat(1 << 20),
        "]".repeat(1 << 20)
    );
    for error in malformed("update", Bytes::from(deep)) {
        assert!(matches!(error, DecodeError::Json { .. }), "{error:?}");
    }
    // Through the recursive types: a chain of boosts, each boosting the next.
    let status = |inner: &str| {
        format!(
            r#"{{"id":"1","created_at":"x","visibility":"public","uri":"u","account":{{"id":"2","username":"a","acct":"a","created_at":"x"}},"reblog":{inner}}}"#
        )
    };
    let chain = |levels: u32| (0..levels).fold("null".to_owned(), |inner, _| status(&inner));
    for error in malformed("update", Bytes::from(chain(MAX_NESTING + 1))) {
        assert!(error.to_string().contains("nested more than"), "{error}");
    }
    // Far deeper, the JSON parser's own depth limit may answer first; an error either way.
    for error in malformed("update", Bytes::from(chain(10_000))) {
        assert!(matches!(error, DecodeError::Json { .. }), "{error:?}");
    }
    // Up to the limit is fine (`reblog` fields nested MAX_NESTING deep, counting the
    // innermost `null`), on every backend, and the count resets between payloads.
    let raw = RawEvent::new(
        Bytes::from_static(b"update"),
        Bytes::from(chain(MAX_NESTING)),
    );
    for backend in backends() {
        for _ in 0..3 {
            assert!(
                matches!(raw.decode_with(backend), Event::Update(_)),
                "{backend:?}"
            );
        }
    }
}

#[test]
fn invalid_utf8_anywhere_in_a_payload() {
    let data = common::fixture("events/notification/mention.json");
    for at in (0..data.len()).step_by(97) {
        let mut bytes = data.to_vec();
        bytes[at] = 0xff;
        for error in malformed("notification", Bytes::from(bytes)) {
            assert_eq!(error, DecodeError::InvalidUtf8 { offset: at });
        }
    }
}
