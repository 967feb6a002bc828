//! What `tail` writes: event lines on stdout, diagnostics on stderr (`-- ` lines, or JSON
//! objects with `--json`), the fatal error, and the summary line; and the counts behind it.

use std::fmt::Display;
use std::io::{self, Stderr, Stdout, Write};
use std::time::Duration;

use anstream::AutoStream;
use anstyle::{AnsiColor, Style};
use mastostream_cli::text::{one_line, printable};
use mastostream_tokio::{Error, Item, Server, StreamEvent};

use crate::json::Obj;
use crate::lines::{human_line, json_line, source};

/// Diagnostics that tell of trouble (disconnects, reconnects, gaps, refusals).
const TROUBLE: Style = AnsiColor::Yellow.on_default();
/// Other diagnostics.
const NOTE: Style = Style::new().dimmed();
/// `error:`.
const ERROR: Style = AnsiColor::Red.on_default().bold();

/// What happened, for the summary line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Events (heartbeats not counted), live and recovered.
    pub(crate) events: u64,
    /// Recovered events.
    pub(crate) recovered: u64,
    /// Gaps reported.
    pub(crate) gaps: u64,
    /// Reconnect waits.
    pub(crate) reconnects: u64,
}

/// Writes `tail`'s output.
pub(crate) struct Printer {
    json: bool,
    ws: bool,
    out: AutoStream<Stdout>,
    err: AutoStream<Stderr>,
    counts: Counts,
}

impl Printer {
    /// A printer for `--json` or human lines, with `[stream]` prefixes for `--ws`.
    pub(crate) fn new(json: bool, ws: bool) -> Printer {
        Printer {
            json,
            ws,
            out: anstream::stdout(),
            err: anstream::stderr(),
            counts: Counts::default(),
        }
    }

    /// The counts so far.
    pub(crate) fn counts(&self) -> Counts {
        self.counts
    }

    /// Prints one item: an event on stdout (`Err` when stdout fails, a closed pipe
    /// included), anything else as a diagnostic.
    pub(crate) fn item(&mut self, item: &Item) -> io::Result<()> {
        match item {
            Item::Event(se) => return self.event(se),
            Item::Discovered(server) => self.discovered(server),
            Item::Connected { url, transport } => {
                let url = printable(url);
                let json = Obj::kind("connected")
                    .str("url", &url)
                    .str("transport", &transport.to_string());
                self.note(NOTE, format_args!("connected to {url} ({transport})"), json);
            }
            Item::Disconnected { error } => {
                let json = Obj::kind("disconnected").str("reason", &error.to_string());
                self.note(TROUBLE, format_args!("disconnected: {error}"), json);
            }
            Item::Reconnecting {
                attempt,
                delay,
                error,
                capped,
            } => {
                self.counts.reconnects += 1;
                self.reconnecting(*attempt, *delay, error, *capped);
            }
            Item::CaughtUp {
                timeline,
                recovered,
            } => {
                let json = Obj::kind("caught_up")
                    .str("timeline", &timeline.to_string())
                    .raw("recovered", recovered);
                self.note(
                    NOTE,
                    format_args!("caught up on {timeline}: {recovered} recovered"),
                    json,
                );
            }
            Item::Gap(gap) => {
                self.counts.gaps += 1;
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
                let words = format_args!(
                    "gap in {}: items{range} may be missing ({})",
                    gap.timeline, gap.reason
                );
                self.note(TROUBLE, words, json);
            }
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
                self.note(
                    TROUBLE,
                    format_args!("stream error{about}: {status}{error}"),
                    json,
                );
            }
            _ => {}
        }
        Ok(())
    }

    /// Prints an event line on stdout (none for a heartbeat in human mode) and counts it.
    fn event(&mut self, se: &StreamEvent) -> io::Result<()> {
        if !se.event.is_heartbeat() {
            self.counts.events += 1;
            self.counts.recovered += u64::from(se.recovered);
        }
        let line = if self.json {
            Some(json_line(se))
        } else {
            human_line(se, self.ws)
        };
        match line {
            Some(line) => writeln!(self.out, "{line}"),
            None => Ok(()),
        }
    }

    fn discovered(&mut self, server: &Server) {
        let (code, reason, words) = source(&server.source);
        let version = server
            .version
            .as_deref()
            .map(|v| one_line(&printable(v), 80));
        let streaming = server.streaming.to_string();
        let json = Obj::kind("discovered")
            .str("streaming", &streaming)
            .str("source", code)
            .opt_str("reason", reason.as_deref())
            .opt_str("version", version.as_deref());
        let version = version.map_or(String::new(), |v| format!("; version {v}"));
        self.note(
            NOTE,
            format_args!("streaming from {streaming} ({words}{version})"),
            json,
        );
    }

    fn reconnecting(
        &mut self,
        attempt: u32,
        delay: Duration,
        error: &Error,
        capped: Option<Duration>,
    ) {
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
        let words = format_args!("{error}: reconnecting in {secs:.1} s (attempt {attempt}{cap})");
        self.note(TROUBLE, words, json);
    }

    /// A diagnostic: `-- words` in `style`, or the JSON object with `--json`. Errors
    /// writing to stderr are ignored: there is nowhere left to report them.
    pub(crate) fn note(&mut self, style: Style, words: impl Display, json: Obj) {
        let _ = if self.json {
            writeln!(self.err, "{}", json.end())
        } else {
            writeln!(self.err, "{style}-- {words}{style:#}")
        };
    }

    /// A plain diagnostic (`kind` with no other field in JSON).
    pub(crate) fn simple(&mut self, kind: &str, words: impl Display) {
        self.note(NOTE, words, Obj::kind(kind));
    }

    /// The demo server started at `url`.
    pub(crate) fn demo(&mut self, url: &str) {
        let json = Obj::kind("demo").str("url", url);
        self.note(
            NOTE,
            format_args!("demo server on {url} (no --instance given)"),
            json,
        );
    }

    /// The fatal error: `error: ...`, or its JSON summary.
    pub(crate) fn fatal(&mut self, e: &dyn Display, json: String) {
        let _ = if self.json {
            writeln!(self.err, "{json}")
        } else {
            writeln!(self.err, "{ERROR}error:{ERROR:#} {e}")
        };
    }

    /// The last line: what happened, how long it took, and the exit code.
    pub(crate) fn summary(&mut self, elapsed: Duration, exit: u8) {
        let c = self.counts;
        let secs = elapsed.as_secs_f64();
        let json = Obj::kind("summary")
            .raw("events", c.events)
            .raw("recovered", c.recovered)
            .raw("gaps", c.gaps)
            .raw("reconnects", c.reconnects)
            .secs("elapsed_s", secs)
            .raw("exit", exit);
        let words = format_args!(
            "summary: {} events, {} recovered, {} gaps, {} reconnects, {secs:.1} s",
            c.events, c.recovered, c.gaps, c.reconnects
        );
        self.note(NOTE, words, json);
    }
}
