//! Byte-level readers for ids: the `{"id":"…"` prefix scan and bare-id payloads.

use crate::{DecodeError, Id};

/// Reads the id from a payload that starts `{"id":"…"` (whitespace allowed where JSON
/// allows it). `None` when the payload starts any other way, or when the id has characters
/// other than ASCII letters and digits (such as escapes): the caller then decodes.
pub(super) fn leading_id(data: &[u8]) -> Option<&str> {
    let rest = skip_ws(data).strip_prefix(b"{")?;
    let rest = skip_ws(rest).strip_prefix(b"\"id\"")?;
    let rest = skip_ws(rest).strip_prefix(b":")?;
    let rest = skip_ws(rest).strip_prefix(b"\"")?;
    let len = rest.iter().position(|b| !b.is_ascii_alphanumeric())?;
    if len == 0 || rest[len] != b'"' {
        return None;
    }
    // ASCII alphanumerics only, so this cannot fail.
    std::str::from_utf8(&rest[..len]).ok()
}

fn skip_ws(data: &[u8]) -> &[u8] {
    let start = data
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .unwrap_or(data.len());
    &data[start..]
}

/// Parses a bare-id payload (`delete`, `announcement.delete`): `110988741790818968`, with
/// surrounding whitespace or JSON quotes tolerated. Ids are ASCII letters, digits, `-` and
/// `_`; anything else (a number with a fraction, an object, an empty payload, a JavaScript
/// literal such as `null` or `undefined`) is an error.
pub(super) fn bare_id(data: &[u8]) -> Result<Id, DecodeError> {
    let trimmed = data.trim_ascii();
    let inner = match trimmed {
        [b'"', inner @ .., b'"'] => inner,
        other => other,
    };
    let valid = inner.iter().any(u8::is_ascii_alphanumeric)
        && inner
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
        && !matches!(
            inner,
            b"null" | b"undefined" | b"true" | b"false" | b"NaN" | b"Infinity"
        );
    match std::str::from_utf8(inner) {
        Ok(text) if valid => Ok(Id::from(text)),
        _ => Err(match std::str::from_utf8(data) {
            Err(e) => DecodeError::InvalidUtf8 {
                offset: e.valid_up_to(),
            },
            Ok(text) => DecodeError::InvalidId {
                text: shorten(text, 64).to_owned(),
            },
        }),
    }
}

/// The longest prefix of `text` of at most `max` bytes that ends on a char boundary.
fn shorten(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_id_fast_path() {
        assert_eq!(
            leading_id(br#"{"id":"110988741790818968","x":1}"#),
            Some("110988741790818968")
        );
        assert_eq!(
            leading_id(b" {\n\t\"id\" :\r \"01ARZ3NDEKTSV4RRFFQ69G5FAV\"}"),
            Some("01ARZ3NDEKTSV4RRFFQ69G5FAV")
        );
        // Anything unusual is left to the full decode.
        assert_eq!(leading_id(br#"{"id":"12\u0033"}"#), None);
        assert_eq!(leading_id(br#"{"id":""}"#), None);
        assert_eq!(leading_id(br#"{"id":123}"#), None);
        assert_eq!(leading_id(br#"{"uri":"x","id":"1"}"#), None);
        assert_eq!(leading_id(br#"{"id":"12"#), None);
        assert_eq!(leading_id(br#"{"idx":"12"}"#), None);
        assert_eq!(leading_id(b""), None);
    }

    #[test]
    fn bare_ids() {
        assert_eq!(
            bare_id(b"110988741790818968").unwrap(),
            "110988741790818968"
        );
        assert_eq!(bare_id(b"  42 \r\n").unwrap(), "42");
        assert_eq!(bare_id(b"\"42\"").unwrap(), "42");
        assert_eq!(
            bare_id(b"01ARZ3NDEKTSV4RRFFQ69G5FAV").unwrap(),
            "01ARZ3NDEKTSV4RRFFQ69G5FAV"
        );
        for bad in [
            "",
            "  ",
            "\"\"",
            "1.5",
            "{}",
            "12 34",
            "\"42",
            "null",
            "undefined",
            "-",
            "_-",
            "\"4\\u0032\"",
        ] {
            let err = bare_id(bad.as_bytes()).unwrap_err();
            assert!(
                matches!(err, DecodeError::InvalidId { .. }),
                "{bad:?}: {err:?}"
            );
        }
        assert_eq!(
            bare_id(b"12\xff").unwrap_err(),
            DecodeError::InvalidUtf8 { offset: 2 }
        );
        let long = "x".repeat(1000) + " y";
        match bare_id(long.as_bytes()).unwrap_err() {
            DecodeError::InvalidId { text } => assert_eq!(text.len(), 64),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn shorten_respects_char_boundaries() {
        assert_eq!(shorten("ééé", 3), "é");
        assert_eq!(shorten("abc", 64), "abc");
    }
}
