//! Text a server controls, made safe to show: the server's message in an error response,
//! and any header or body text quoted in an error.

use super::ResponseHead;

/// The most characters of server-controlled text an error quotes.
pub(crate) const MAX_QUOTED: usize = 200;

/// The server's explanation of an error response: the `error` field of a JSON body
/// (Mastodon's shape), else the `X-Error-Message` header, else a short plain-text body
/// (never HTML or broken JSON). Always [`quoted`]: bounded, control characters escaped.
pub(crate) fn server_message(head: &ResponseHead, body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        error: String,
    }
    if let Ok(b) = serde_json::from_slice::<ErrorBody>(body) {
        return Some(quoted(&b.error));
    }
    if let Some(m) = head.header_str("x-error-message").filter(|m| !m.is_empty()) {
        return Some(quoted(m));
    }
    let text = std::str::from_utf8(body).ok()?.trim();
    let html = head
        .content_type()
        .is_some_and(|ct| ct.to_ascii_lowercase().contains("html"))
        || text.starts_with(['<', '{', '[']);
    if text.is_empty() || html {
        return None;
    }
    Some(quoted(text))
}

/// Server-controlled text as it may appear in an error message or a log line: at most
/// [`MAX_QUOTED`] characters (then `…`), with control characters (terminal escapes, line
/// breaks) written as `\u{..}` escapes, so a hostile server can neither flood nor restyle a
/// terminal.
pub(crate) fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_QUOTED + 8));
    let mut n = 0;
    for c in text.chars() {
        let escaped = c.is_control();
        let width = if escaped {
            c.escape_unicode().count()
        } else {
            1
        };
        if n + width > MAX_QUOTED {
            out.push('…');
            break;
        }
        n += width;
        if escaped {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// [`quoted`] for bytes that may not be UTF-8 (invalid sequences become U+FFFD).
pub(crate) fn quoted_bytes(bytes: &[u8]) -> String {
    let end = bytes.len().min(MAX_QUOTED * 4);
    quoted(&String::from_utf8_lossy(&bytes[..end]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Header;
    use bytes::Bytes;

    fn head(ct: &str, extra: &[(&str, &str)]) -> ResponseHead {
        let mut headers = vec![Header {
            name: "Content-Type".into(),
            value: Bytes::copy_from_slice(ct.as_bytes()),
        }];
        for (n, v) in extra {
            headers.push(Header {
                name: (*n).into(),
                value: Bytes::copy_from_slice(v.as_bytes()),
            });
        }
        ResponseHead::new(401, "Unauthorized", headers)
    }

    #[test]
    fn messages_from_json_header_or_text() {
        let json = head("application/json", &[]);
        assert_eq!(
            server_message(&json, br#"{"error":"Invalid access token"}"#).as_deref(),
            Some("Invalid access token")
        );
        let hdr = head("text/plain", &[("X-Error-Message", "Missing access token")]);
        assert_eq!(
            server_message(&hdr, b"").as_deref(),
            Some("Missing access token")
        );
        assert_eq!(
            server_message(&head("text/plain", &[]), b" Down for maintenance \n").as_deref(),
            Some("Down for maintenance")
        );
        assert_eq!(
            server_message(&head("text/html", &[]), b"<h1>502</h1>"),
            None
        );
        assert_eq!(server_message(&head("text/plain", &[]), b"{broken"), None);
    }

    #[test]
    fn hostile_text_is_bounded_and_escaped() {
        let json = head("application/json", &[]);
        let evil = format!(
            r#"{{"error":"\u001b[2J\u001b[31mgotcha\r\n{}"}}"#,
            "x".repeat(5000)
        );
        let m = server_message(&json, evil.as_bytes()).unwrap();
        assert!(!m.chars().any(char::is_control), "{m:?}");
        assert!(m.starts_with("\\u{1b}[2J"), "{m:?}");
        assert!(m.chars().count() <= MAX_QUOTED + 1, "{}", m.len());
        assert!(m.ends_with('…'));
        assert_eq!(quoted_bytes(b"a\xffb"), "a\u{fffd}b");
    }
}
