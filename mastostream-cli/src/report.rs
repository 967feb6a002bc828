//! What `tail` writes: event lines on stdout, diagnostics on stderr (`-- ` lines, or JSON
//! objects with `--json`), the fatal error, and the summary line; and the counts behind it.

use std::fmt::Display;
use std::io::{self, Stderr, Stdout, Write};
use std::time::Duration;

use anstream::AutoStream;
use anstyle::{AnsiColor, Style};
use mastostream_tokio::{Item, StreamEvent};

use crate::json::Obj;
use crate::lines::{human_line, json_line};
use crate::notes::{NOTE, Note, note};
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
            Item::Reconnecting { .. } => self.counts.reconnects += 1,
            Item::Gap(_) => self.counts.gaps += 1,
            _ => {}
        }
        if let Some(n) = note(item) {
            self.note(n);
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

    /// A diagnostic: `-- words` in `style`, or the JSON object with `--json`. Errors
    /// writing to stderr are ignored: there is nowhere left to report them.
    pub(crate) fn note(&mut self, note: Note) {
        let Note { style, words, json } = note;
        let _ = if self.json {
            writeln!(self.err, "{}", json.end())
        } else {
            writeln!(self.err, "{style}-- {words}{style:#}")
        };
    }

    /// A plain diagnostic (`kind` with no other field in JSON).
    pub(crate) fn simple(&mut self, kind: &str, words: &str) {
        self.note(Note::new(NOTE, words.to_owned(), Obj::kind(kind)));
    }

    /// The demo server started at `url`.
    #[cfg(feature = "demo")]
    pub(crate) fn demo(&mut self, url: &str) {
        let json = Obj::kind("demo").str("url", url);
        let words = format!("demo server on {url} (no --instance given)");
        self.note(Note::new(NOTE, words, json));
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
        let words = format!(
            "summary: {} events, {} recovered, {} gaps, {} reconnects, {secs:.1} s",
            c.events, c.recovered, c.gaps, c.reconnects
        );
        self.note(Note::new(NOTE, words, json));
    }
}
