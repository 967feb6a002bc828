//! Diagnostics: what each non-event item says, in words for a `-- ` line and as the
//! `--json` object for stderr.

use std::time::Duration;

use anstyle::{AnsiColor, Style};
use mastostream_cli::text::{one_line, printable};
use mastostream_tokio::{Error, Gap, Item, Server};

use crate::json::Obj;
use crate::lines::source;

/// Diagnostics that tell of trouble (disconnects, reconnects, gaps, refusals).
pub(crate) const TROUBLE: Style = AnsiColor::Yellow.on_default();
/// Other diagnostics.
pub(crate) const NOTE: Style = Style::new().dimmed();

/// One diagnostic.
pub(crate) struct Note {
    /// How the `-- ` line looks.
    pub(crate) style: Style,
    /// The `-- ` line, without the `-- `.
    pub(crate) words: String,
    /// The `--json` object.
    pub(crate) json: Obj,
}

impl Note {
    /// A note.
    pub(crate) fn new(style: Style, words: String, json: Obj) -> Note {
        Note { style, words, json }
    }
}

/// What a non-event item says (`None` for an event, or an item this version does not
/// know).
pub(crate) fn note(item: &Item) -> Option<Note> {
    Some(match item {
        Item::Event(_) => return None,
        Item::Discovered(server) => discovered(server),
        Item::Connected { url, transport } => {
            let url = printable(url);
            let json = Obj::kind("connected")
                .str("url", &url)
                .str("transport", &transport.to_string());
            Note::new(NOTE, format!("connected to {url} ({transport})"), json)
        }
        Item::TransportChosen { transport, reason } => {
            let reason = one_line(&printable(reason), 200);
            let json = Obj::kind("transport")
                .str("transport", &transport.to_string())
                .str("reason", &reason);
            Note::new(NOTE, format!("transport: {transport} ({reason})"), json)
        }
        Item::Disconnected { error } => {
            let json = Obj::kind("disconnected").str("reason", &error.to_string());
            Note::new(TROUBLE, format!("disconnected: {error}"), json)
        }
        Item::Reconnecting {
            attempt,
            delay,
            error,
            capped,
        } => reconnecting(*attempt, *delay, error, *capped),
        Item::CaughtUp {
            timeline,
            recovered,
        } => {
            let json = Obj::kind("caught_up")
                .str("timeline", &timeline.to_string())
                .raw("recovered", recovered);
            let words = format!("caught up on {timeline}: {recovered} recovered");
            Note::new(NOTE, words, json)
        }
        Item::Gap(gap) => self::gap(gap),
        Item::StreamError {
            channel,
            status,
            error,
            dropped,
        } => {
            let stream = channel.as_ref().map(|c| c.stream_array());
            let json = Obj::kind("stream_error")
                .strings("stream", stream.as_deref())
                .opt_raw("status", *status)
                .str("error", error)
                .raw("dropped", dropped);
            let about = channel
                .as_ref()
                .map_or(String::new(), |c| format!(" ({c})"));
            let status = status.map_or(String::new(), |s| format!("{s} "));
            let error = printable(error);
            Note::new(
                TROUBLE,
                format!("stream error{about}: {status}{error}"),
                json,
            )
        }
        _ => return None,
    })
}

fn discovered(server: &Server) -> Note {
    let (code, reason, how) = source(&server.source);
    let streaming = server.streaming.to_string();
    let software = software(server);
    let json = Obj::kind("discovered")
        .str("streaming", &streaming)
        .str("source", code)
        .opt_str("reason", reason.as_deref())
        .str("software", &software)
        .opt_str("version", version(server).as_deref());
    let words = format!("streaming from {streaming} ({how}; {software})");
    Note::new(NOTE, words, json)
}

/// What the server runs, with its version when known (`Mastodon 4.3.2`), bounded and
/// printable.
pub(crate) fn software(server: &Server) -> String {
    one_line(&printable(&server.dialect.to_string()), 80)
}

/// The version the instance reported, bounded and printable.
pub(crate) fn version(server: &Server) -> Option<String> {
    server
        .version
        .as_deref()
        .map(|v| one_line(&printable(v), 80))
}

/// `-- 503 Service Unavailable (Retry-After 30 s): reconnecting in 30.0 s (attempt 2)`,
/// and when the server's wait was capped, `(attempt 2; the server asked for 99999.0 s,
/// capped)`.
fn reconnecting(attempt: u32, delay: Duration, error: &Error, capped: Option<Duration>) -> Note {
    let secs = delay.as_secs_f64();
    let json = Obj::kind("reconnecting")
        .raw("attempt", attempt)
        .secs("delay_s", secs)
        .str("reason", &error.to_string());
    let json = match capped {
        Some(asked) => json.secs("capped_from_s", asked.as_secs_f64()),
        None => json.raw("capped_from_s", "null"),
    };
    let cap = capped.map_or(String::new(), |asked| {
        format!(
            "; the server asked for {:.1} s, capped",
            asked.as_secs_f64()
        )
    });
    let words = format!("{error}: reconnecting in {secs:.1} s (attempt {attempt}{cap})");
    Note::new(TROUBLE, words, json)
}

fn gap(gap: &Gap) -> Note {
    let (after, before) = (gap.after.as_ref(), gap.before.as_ref());
    let json = Obj::kind("gap")
        .str("timeline", &gap.timeline.to_string())
        .opt_str("after", after.map(|i| i.as_str()))
        .opt_str("before", before.map(|i| i.as_str()))
        .str("reason", &gap.reason.to_string());
    let range = match (after, before) {
        (Some(a), Some(b)) => format!(" between {a} and {b}"),
        (Some(a), None) => format!(" after {a}"),
        (None, Some(b)) => format!(" before {b}"),
        (None, None) => String::new(),
    };
    let words = format!(
        "gap in {}: items{range} may be missing ({})",
        gap.timeline, gap.reason
    );
    Note::new(TROUBLE, words, json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mastostream_tokio::{Channel, ErrorKind, GapReason, Id, StreamTransport, Timeline};

    fn said(item: &Item) -> (String, serde_json::Value) {
        let n = note(item).expect("a note");
        let json = n.json.end();
        (n.words, serde_json::from_str(&json).expect(&json))
    }

    #[test]
    fn reconnects_say_why_and_whether_the_wait_was_capped() {
        let error = Error::from(ErrorKind::Closed);
        let (words, json) = said(&Item::Reconnecting {
            attempt: 2,
            delay: Duration::from_millis(1500),
            error: error.clone(),
            capped: None,
        });
        assert_eq!(words, format!("{error}: reconnecting in 1.5 s (attempt 2)"));
        assert_eq!(json["kind"], "reconnecting");
        assert_eq!(json["attempt"], 2);
        assert_eq!(json["delay_s"], 1.5);
        assert_eq!(json["reason"], error.to_string());
        assert!(json["capped_from_s"].is_null());
        let (words, json) = said(&Item::Reconnecting {
            attempt: 1,
            delay: Duration::from_secs(900),
            error: error.clone(),
            capped: Some(Duration::from_secs(99_999)),
        });
        assert_eq!(
            words,
            format!(
                "{error}: reconnecting in 900.0 s (attempt 1; the server asked for 99999.0 s, capped)"
            )
        );
        assert_eq!(json["delay_s"], 900.0);
        assert_eq!(json["capped_from_s"], 99_999.0);
    }

    #[test]
    fn every_diagnostic_has_its_documented_fields() {
        let (words, json) = said(&Item::Gap(Gap {
            timeline: Timeline::Home,
            after: Some(Id::from("1")),
            before: None,
            reason: GapReason::PageCap,
        }));
        assert_eq!(
            words,
            "gap in home: items after 1 may be missing (page cap reached)"
        );
        assert_eq!(
            json,
            serde_json::json!({"kind":"gap","timeline":"home","after":"1","before":null,"reason":"page cap reached"})
        );
        let (words, json) = said(&Item::StreamError {
            channel: Some(Channel::list("42")),
            status: Some(401),
            error: "Not authorized to stream this list\u{1b}".into(),
            dropped: true,
        });
        assert_eq!(
            words,
            "stream error (list 42): 401 Not authorized to stream this list\u{FFFD}"
        );
        assert_eq!(json["stream"], serde_json::json!(["list", "42"]));
        assert_eq!(json["status"], 401);
        assert_eq!(json["dropped"], true);
        let (words, json) = said(&Item::Connected {
            url: "wss://m.example/api/v1/streaming".into(),
            transport: StreamTransport::WebSocket,
        });
        assert_eq!(
            words,
            "connected to wss://m.example/api/v1/streaming (WebSocket)"
        );
        assert_eq!(json["transport"], "WebSocket");
        let (_, json) = said(&Item::CaughtUp {
            timeline: Timeline::Notifications,
            recovered: 3,
        });
        assert_eq!(
            json,
            serde_json::json!({"kind":"caught_up","timeline":"notifications","recovered":3})
        );
        let (words, json) = said(&Item::TransportChosen {
            transport: StreamTransport::WebSocket,
            reason: "the server offers no SSE".into(),
        });
        assert_eq!(words, "transport: WebSocket (the server offers no SSE)");
        assert_eq!(
            json,
            serde_json::json!({"kind":"transport","transport":"WebSocket","reason":"the server offers no SSE"})
        );
        let (_, json) = said(&Item::Disconnected {
            error: Error::from(ErrorKind::Closed),
        });
        assert_eq!(json["kind"], "disconnected");
        assert!(json["reason"].is_string());
    }
}
