//! JSON string escaping as each server's encoder does it. The escapes differ, so a
//! double-encoded payload differs byte for byte from one server to the next even where the
//! decoded values are the same.

use std::fmt::Write as _;

use crate::corpus::json::escape_into;

/// Whose JSON encoder writes the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    /// `JSON.stringify` (Mastodon's streaming server, Iceshrimp JS): `"`, `\` and control
    /// characters only.
    Js,
    /// Go's `encoding/json` (GoToSocial): also `<`, `>`, `&` as `\u003c`, `\u003e`,
    /// `\u0026`, and U+2028/U+2029 (Go's `encodeState.string`, HTML escaping on, the
    /// default; inferred from the Go standard library, not from GoToSocial's code).
    Go,
    /// Elixir's Jason with `escape: :json` (Akkoma, Pleroma): `"`, `\`, control characters,
    /// those without a short form as `\u00XX` in upper case (Jason's `~4.16.0B`; inferred).
    Jason,
    /// .NET `System.Text.Json` with its default encoder (Iceshrimp.NET): `"` as `\u0022`,
    /// and `'`, `+`, `<`, `>`, `&`, `` ` ``, DEL and everything outside ASCII as `\uXXXX`
    /// in upper case (`JavaScriptEncoder.Default`; inferred from .NET, not from
    /// Iceshrimp.NET's code).
    Stj,
}

/// `s` as a JSON string literal in `style`.
pub(crate) fn quote(style: Style, s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    if style == Style::Js {
        escape_into(&mut out, s);
        return out;
    }
    out.push('"');
    for c in s.chars() {
        let short = match c {
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            '"' if style != Style::Stj => Some("\\\""),
            _ => None,
        };
        if let Some(short) = short {
            out.push_str(short);
            continue;
        }
        let escape = match style {
            Style::Go => c < ' ' || matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}'),
            Style::Jason => c < ' ',
            _ => {
                c < ' '
                    || !c.is_ascii()
                    || matches!(c, '"' | '\'' | '+' | '<' | '>' | '&' | '`' | '\u{7f}')
            }
        };
        if !escape {
            out.push(c);
            continue;
        }
        let mut units = [0u16; 2];
        for u in c.encode_utf16(&mut units) {
            let _ = match style {
                Style::Go => write!(out, "\\u{u:04x}"),
                _ => write!(out, "\\u{u:04X}"),
            };
        }
    }
    out.push('"');
    out
}

/// Compact JSON text (as the fake server writes entities, `JSON.stringify`-style) with
/// every string re-encoded in `style`: what the server's own encoder would have written.
pub(crate) fn reencode(style: Style, json: &str) -> String {
    if matches!(style, Style::Js | Style::Jason) {
        // Same escapes for the characters our entities hold (no raw control characters).
        return json.to_owned();
    }
    let mut out = String::with_capacity(json.len() + json.len() / 8);
    let mut rest = json;
    while let Some(open) = rest.find('"') {
        out.push_str(&rest[..open]);
        let body = &rest[open + 1..];
        let mut end = None;
        let mut escaped = false;
        for (i, b) in body.bytes().enumerate() {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let Some(end) = end else {
            out.push_str(&rest[open..]);
            return out;
        };
        let literal = &rest[open..open + end + 2];
        match serde_json::from_str::<String>(literal) {
            Ok(text) => out.push_str(&quote(style, &text)),
            Err(_) => out.push_str(literal),
        }
        rest = &rest[open + end + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_encoder_escapes_its_own_set() {
        let s = "a\"b<p>&'+é\n\u{1}\u{2028}😀";
        assert_eq!(quote(Style::Js, s), "\"a\\\"b<p>&'+é\\n\\u0001\u{2028}😀\"");
        assert_eq!(
            quote(Style::Go, s),
            "\"a\\\"b\\u003cp\\u003e\\u0026'+é\\n\\u0001\\u2028😀\""
        );
        assert_eq!(
            quote(Style::Jason, s),
            "\"a\\\"b<p>&'+é\\n\\u0001\u{2028}😀\""
        );
        assert_eq!(
            quote(Style::Stj, s),
            "\"a\\u0022b\\u003Cp\\u003E\\u0026\\u0027\\u002B\\u00E9\\n\\u0001\\u2028\\uD83D\\uDE00\""
        );
    }

    #[test]
    fn reencoding_keeps_the_value() {
        let json = r#"{"id":"1","content":"<p>\"hi\" & \\ bye</p>","n":[1,"é"]}"#;
        for style in [Style::Go, Style::Stj] {
            let out = reencode(style, json);
            let a: serde_json::Value = serde_json::from_str(json).unwrap();
            let b: serde_json::Value = serde_json::from_str(&out).unwrap();
            assert_eq!(a, b, "{out}");
        }
        assert_eq!(
            reencode(Style::Go, r#"{"content":"<p>a</p>"}"#),
            r#"{"content":"\u003cp\u003ea\u003c/p\u003e"}"#
        );
        assert_eq!(
            reencode(Style::Stj, r#"{"id":"9nxpxc00abcdefgh"}"#),
            r#"{"id":"9nxpxc00abcdefgh"}"#
        );
    }
}
