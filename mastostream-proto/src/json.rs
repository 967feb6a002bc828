//! The JSON backend switch: serde_json by default, simd-json with the `simd-json` feature.
//!
//! Both backends decode into the same serde types and give the same results. Input is
//! checked for UTF-8 first, so both report [`DecodeError::InvalidUtf8`] for the same bytes.
//! When simd-json rejects a payload, serde_json decodes it again and its verdict stands, so
//! a payload is malformed for one backend exactly when it is for the other (differential
//! tests over fixtures, generated events and random corruptions check the other direction).

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, Visitor};

use crate::DecodeError;

/// Which JSON parser decodes event payloads.
///
/// ```
/// use mastostream_proto::{JsonBackend, RawEvent, Event};
/// let raw = RawEvent::new("delete".into(), "110988741790818968".into());
/// let event = raw.decode_with(JsonBackend::default());
/// assert!(matches!(event, Event::Delete(id) if id == "110988741790818968"));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JsonBackend {
    /// serde_json: portable, no copy of the input.
    #[default]
    SerdeJson,
    /// simd-json: SIMD-accelerated; decodes from a private copy of the input (it parses in
    /// place), with buffers reused per thread. A payload it rejects is decoded again by
    /// serde_json, whose result (value or error) is returned.
    #[cfg(feature = "simd-json")]
    SimdJson,
}

/// Nesting limit for both backends (serde_json's fixed recursion limit).
#[cfg(feature = "simd-json")]
const MAX_DEPTH: usize = 128;

/// A `T` that must be written as a JSON object.
///
/// serde's derived structs also accept a JSON array holding their fields by position
/// (`["1"]` would be a conversation with id `1`). No Mastodon payload is written that way,
/// and the id readers ([`crate::RawEvent::id`]) look for an object's `id` member only, so
/// event payloads and WebSocket messages are decoded through this: an array is an error.
pub(crate) struct Object<T>(pub(crate) T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
            }
        }
        deserializer
            .deserialize_map(ObjectVisitor(PhantomData))
            .map(Object)
    }
}

/// Decodes one JSON document, which must be an object (see [`Object`]), into `T` with the
/// chosen backend.
pub(crate) fn object_from_slice<T: DeserializeOwned>(
    backend: JsonBackend,
    input: &[u8],
) -> Result<T, DecodeError> {
    from_slice::<Object<T>>(backend, input).map(|o| o.0)
}

/// Decodes one JSON document into `T` with the chosen backend.
pub(crate) fn from_slice<T: DeserializeOwned>(
    backend: JsonBackend,
    input: &[u8],
) -> Result<T, DecodeError> {
    match backend {
        JsonBackend::SerdeJson => serde(utf8(input)?),
        // simd-json validates UTF-8 itself (in its first, SIMD pass), so the separate check
        // runs only when it failed. Then serde_json decides: the parsers differ at the edges
        // (simd-json rejects `1e400` even in an ignored field, serde_json skips it), and
        // malformed payloads are rare enough that the second parse costs nothing in practice.
        #[cfg(feature = "simd-json")]
        JsonBackend::SimdJson => simd::from_slice(input).or_else(|_| serde(utf8(input)?)),
    }
}

fn utf8(input: &[u8]) -> Result<&str, DecodeError> {
    std::str::from_utf8(input).map_err(|e| DecodeError::InvalidUtf8 {
        offset: e.valid_up_to(),
    })
}

fn serde<T: DeserializeOwned>(text: &str) -> Result<T, DecodeError> {
    serde_json::from_str(text).map_err(|e| DecodeError::Json {
        message: e.to_string(),
    })
}

#[cfg(feature = "simd-json")]
mod simd {
    use std::cell::RefCell;

    use serde::de::DeserializeOwned;
    use simd_json::Buffers;

    use super::MAX_DEPTH;
    use crate::DecodeError;

    struct Scratch {
        input: Vec<u8>,
        buffers: Buffers,
    }

    thread_local! {
        static SCRATCH: RefCell<Option<Scratch>> = const { RefCell::new(None) };
    }

    /// Largest input whose scratch space is kept for the next call.
    const KEEP_LIMIT: usize = 1 << 20;

    pub(super) fn from_slice<T: DeserializeOwned>(input: &[u8]) -> Result<T, DecodeError> {
        SCRATCH.with(|cell| {
            // Not re-entrant in practice; if it ever is, use fresh buffers rather than panic.
            let Ok(mut slot) = cell.try_borrow_mut() else {
                return decode(input, &mut fresh(input.len()));
            };
            let mut scratch = slot.take().unwrap_or_else(|| fresh(input.len()));
            let result = decode(input, &mut scratch);
            if scratch.input.capacity() <= KEEP_LIMIT {
                *slot = Some(scratch);
            }
            result
        })
    }

    fn fresh(len: usize) -> Scratch {
        Scratch {
            input: Vec::with_capacity(len),
            buffers: Buffers::with_max_depth(len, MAX_DEPTH),
        }
    }

    fn decode<T: DeserializeOwned>(input: &[u8], scratch: &mut Scratch) -> Result<T, DecodeError> {
        scratch.input.clear();
        scratch.input.extend_from_slice(input);
        simd_json::serde::from_slice_with_buffers(&mut scratch.input, &mut scratch.buffers).map_err(
            |e| DecodeError::Json {
                message: e.to_string(),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backends() -> Vec<JsonBackend> {
        vec![
            JsonBackend::SerdeJson,
            #[cfg(feature = "simd-json")]
            JsonBackend::SimdJson,
        ]
    }

    #[test]
    fn invalid_utf8_is_reported_identically() {
        for backend in backends() {
            let err = from_slice::<serde_json::Value>(backend, b"{\"a\":\"x\xff\"}").unwrap_err();
            assert_eq!(err, DecodeError::InvalidUtf8 { offset: 7 }, "{backend:?}");
        }
    }

    #[test]
    fn both_backends_reject_the_same_inputs() {
        let bad: &[&[u8]] = &[
            b"",
            b"   ",
            b"{",
            b"{\"a\":1",
            b"{\"a\":1}x",
            b"{\"a\":1,}",
            b"[1,2,]",
            b"{'a':1}",
            b"{\"a\":\"\\x\"}",
            b"{\"a\":01}",
            b"{\"a\":1e}",
            b"undefined",
            b"{\"a\":\"\\ud800\"}",
            b"{\"a\":\"tab\there\"}",
        ];
        for input in bad {
            for backend in backends() {
                let r = from_slice::<serde_json::Value>(backend, input);
                assert!(
                    r.is_err(),
                    "{backend:?} accepted {:?}",
                    String::from_utf8_lossy(input)
                );
            }
        }
    }

    #[test]
    fn nesting_limit_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        for backend in backends() {
            assert!(from_slice::<serde_json::Value>(backend, deep.as_bytes()).is_err());
        }
    }

    #[test]
    fn both_backends_agree_on_valid_input() {
        let good = br#"{"a":[1,-2,3.5,1e3,"\u00e9\ud83d\ude00",null,true],"b":{"c":"x\/y"},"d":18446744073709551615}"#;
        let expected: serde_json::Value = serde_json::from_slice(good).unwrap();
        for backend in backends() {
            let v: serde_json::Value = from_slice(backend, good).unwrap();
            assert_eq!(v, expected, "{backend:?}");
        }
    }

    #[test]
    fn payloads_must_be_objects_not_arrays() {
        #[derive(Debug, Deserialize, PartialEq)]
        struct Pair {
            id: String,
            #[serde(default)]
            n: u32,
        }
        for backend in backends() {
            let pair: Pair = object_from_slice(backend, br#" {"n":2,"id":"1"} "#).unwrap();
            assert_eq!(
                pair,
                Pair {
                    id: "1".into(),
                    n: 2
                },
                "{backend:?}"
            );
            // A derived struct alone reads its fields from an array by position.
            assert!(from_slice::<Pair>(backend, br#"["1",2]"#).is_ok());
            for bad in [
                &br#"["1",2]"#[..],
                br#"["1"]"#,
                b"[]",
                b"null",
                b"\"1\"",
                b"1",
            ] {
                let err = object_from_slice::<Pair>(backend, bad).unwrap_err();
                assert!(
                    matches!(err, DecodeError::Json { .. }),
                    "{backend:?}: {err:?}"
                );
            }
            let err = object_from_slice::<Pair>(backend, b"[\"\xff\"]").unwrap_err();
            assert_eq!(err, DecodeError::InvalidUtf8 { offset: 2 }, "{backend:?}");
        }
    }
}
