//! The runtime-independent half of the `tail` examples (`mastostream-tokio` and
//! `mastostream-smol` both print through it, so their arguments, output and exit codes are
//! one contract): parsing the command line, starting the offline [`Demo`] when no
//! `--instance` is given, one line per item, and the exit code. Each example keeps only its
//! runtime's loop:
//!
//! ```text
//! let Start { mut tail, url, token, streams } = match tail::start(std::env::args().skip(1)) {
//!     Ok(start) => start,
//!     Err(code) => return code,
//! };
//! let client = match Client::new(&url) {
//!     Ok(c) => c.token_opt(token),
//!     Err(e) => return tail::bad_arguments(e),
//! };
//! let mut stream = match streams {           // one SSE stream, or the WebSocket
//!     Streams::Sse(channel) => client.stream(channel),
//!     Streams::Ws(channels) => client.websocket(channels),
//! };
//! let result = loop {
//!     match next(&mut stream) {      // the runtime's way, racing Ctrl-C -> stream.close()
//!         None => break Ok(()),
//!         Some(Err(e)) => break Err(e),
//!         Some(Ok(item)) => if let ControlFlow::Break(code) = tail.item(&item) { return code },
//!     }
//! };
//! tail.end(result)
//! ```
//!
//! The contract (the examples' docs repeat it):
//! - `--stream`: Mastodon's names (see
//!   [`Channel::parse`](mastostream_proto::Channel::parse)); default `user`, or `public`
//!   when no token is given for a real instance. `--token`, or `MASTODON_TOKEN`.
//! - `--ws`: Mastodon's multiplexed WebSocket instead of SSE, with every `--stream` on one
//!   connection (`--stream` may then be repeated). Each `hashtag` or `hashtag:local` stream
//!   takes the next `--tag` in the order given, each `list` stream the next `--list`; a
//!   missing or left-over `--tag` / `--list` is an argument error, and so is more than one
//!   `--stream`, `--tag` or `--list` without `--ws` ([`Args::channels`]).
//! - One line per event (kind, account, text without HTML, shortened), and lines starting
//!   with `--` for connects, disconnects, reconnects, catch-up and gaps. With `--json`,
//!   stdout carries exactly one `Event::summary_json()` object per event (heartbeats
//!   included, as `events2json` prints them), and the `--` lines go to stderr.
//! - With `--ws`, a human line starts with the stream the server named, in brackets
//!   (`[hashtag rust] update …`; an event recovered over REST after a reconnect has none and
//!   ends with `(recovered)` instead); a subscription the server refuses is a
//!   `-- stream error (list 42): 401 Not authorized to stream this list` line and the rest
//!   goes on. With `--json`, each object is the same `summary_json()` with one more member at
//!   the end, `"stream"`: the server's stream array (`["hashtag","rust"]`), or `null` for an
//!   event recovered over REST ([`json_line`]).
//! - `--limit N`: exit 0 after N events (heartbeats not counted). A closed stdout (a pipe
//!   to `head`) ends quietly with 0.
//! - A fatal error exits 1 with one line on stderr, except the demo's own end (its `410`
//!   with [`demo::END_MESSAGE`]), which exits 0; bad arguments exit 2.

use std::fmt::Display;
use std::io::Write;
use std::ops::ControlFlow;
use std::process::ExitCode;

use mastostream_proto::model::Status;
use mastostream_proto::session::Item;
use mastostream_proto::{Channel, Error, Event};

use crate::fake::demo::{self, Demo, DemoOptions};

mod args;
pub mod contract;

pub use args::{Args, Streams, USAGE};

/// What a `tail` needs to open its stream, once the arguments are good.
#[derive(Debug)]
pub struct Start {
    /// Prints items and decides the exit code (it owns the demo server, if any).
    pub tail: Tail,
    /// The instance URL (the demo server's without `--instance`).
    pub url: String,
    /// The access token.
    pub token: Option<String>,
    /// The stream, or the WebSocket's streams.
    pub streams: Streams,
}

/// Parses the command line and, without `--instance`, starts the demo server (and says
/// so). `Err` with the exit code (2) once the problem is printed.
pub fn start(args: impl IntoIterator<Item = String>) -> Result<Start, ExitCode> {
    let args = Args::parse(args).map_err(bad_arguments)?;
    let streams = args.streams().map_err(bad_arguments)?;
    let mut tail = Tail {
        json: args.json,
        ws: args.ws,
        limit: args.limit,
        events: 0,
        demo: None,
    };
    let url = match &args.instance {
        Some(url) => url.clone(),
        None => {
            let demo = Demo::start(DemoOptions::default());
            let url = demo.url();
            let _ = tail.note(&format!("demo server on {url} (no --instance given)"));
            tail.demo = Some(demo);
            url
        }
    };
    Ok(Start {
        tail,
        url,
        token: args.token,
        streams,
    })
}

/// Prints `tail: {e}` to stderr; the exit code for bad arguments (2).
pub fn bad_arguments(e: impl Display) -> ExitCode {
    eprintln!("tail: {e}");
    ExitCode::from(2)
}

/// Prints a stream's items and decides the exit code. Holds the demo server, if any: it
/// lives as long as this.
#[derive(Debug)]
pub struct Tail {
    json: bool,
    ws: bool,
    limit: Option<u64>,
    events: u64,
    demo: Option<Demo>,
}

impl Tail {
    /// Prints one item. `Break` with the exit code when `tail` is done: `--limit` reached,
    /// or stdout closed.
    pub fn item(&mut self, item: &Item) -> ControlFlow<ExitCode> {
        let written = match item {
            Item::Event(se) => {
                let e = &se.event;
                if !e.is_heartbeat() {
                    self.events += 1;
                }
                let array = se.channel.as_ref().map(Channel::stream_array);
                let stream = array.as_deref().filter(|_| self.ws && !se.recovered);
                let line = if self.json {
                    Some(if self.ws {
                        json_line(e, stream)
                    } else {
                        e.summary_json()
                    })
                } else {
                    human(e).map(|l| match (se.recovered, stream) {
                        (true, _) => format!("{l}  (recovered)"),
                        (_, Some(s)) => format!("[{}] {l}", s.join(" ")),
                        _ => l,
                    })
                };
                line.map_or(Ok(()), |l| writeln!(std::io::stdout().lock(), "{l}"))
            }
            Item::StreamError {
                channel,
                status,
                error,
                ..
            } => {
                let about = channel
                    .as_ref()
                    .map_or(String::new(), |c| format!(" ({c})"));
                let status = status.map_or(String::new(), |s| format!("{s} "));
                self.note(&format!("stream error{about}: {status}{error}"))
            }
            Item::Connected { url, .. } => self.note(&format!("connected to {url}")),
            Item::Disconnected { error } => self.note(&format!("disconnected: {error}")),
            Item::Reconnecting { attempt, delay, .. } => self.note(&format!(
                "reconnecting in {:.1} s (attempt {attempt})",
                delay.as_secs_f64()
            )),
            Item::CaughtUp {
                timeline,
                recovered,
            } => self.note(&format!("caught up on {timeline}: {recovered} recovered")),
            Item::Gap(gap) => self.note(&format!(
                "gap in {}: items may be missing ({})",
                gap.timeline, gap.reason
            )),
            _ => Ok(()),
        };
        if written.is_err() {
            // stdout closed (a pipe to `head`, say): stop quietly.
            return ControlFlow::Break(ExitCode::SUCCESS);
        }
        if self.limit.is_some_and(|n| self.events >= n) {
            return ControlFlow::Break(ExitCode::SUCCESS);
        }
        ControlFlow::Continue(())
    }

    /// The exit code for how the stream ended: 0 when closed or when the demo says its
    /// stream is over, otherwise 1 with the error on stderr.
    pub fn end(&self, result: Result<(), Error>) -> ExitCode {
        match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) if self.demo.is_some() && is_demo_end(&e) => {
                let _ = self.note(&format!("demo stream ended after {} events", self.events));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("tail: {e}");
                ExitCode::from(1)
            }
        }
    }

    /// A status line (`-- ...`): stdout in human mode, stderr with `--json`.
    fn note(&self, line: &str) -> std::io::Result<()> {
        if self.json {
            eprintln!("-- {line}");
            Ok(())
        } else {
            writeln!(std::io::stdout().lock(), "-- {line}")
        }
    }
}

/// Whether a fatal error is the demo server saying its stream is over.
fn is_demo_end(e: &Error) -> bool {
    e.status() == Some(demo::END_STATUS) && e.server_message() == Some(demo::END_MESSAGE)
}

/// An event's `--json` line on the WebSocket: `summary_json()` with one more member at
/// the end, `"stream"`: the stream the server named, or `null` (an event recovered over
/// REST came from no stream).
pub fn json_line(event: &Event, stream: Option<&[String]>) -> String {
    let line = event.summary_json();
    // A list of strings (or null) always serializes.
    let stream = serde_json::to_string(&stream).unwrap_or_default();
    let open = line.strip_suffix('}').unwrap_or(&line);
    format!("{open},\"stream\":{stream}}}")
}

/// Text without HTML tags, with the common entities decoded and whitespace collapsed,
/// shortened to `max` characters.
pub fn plain(html: &str, max: usize) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for (i, c) in html.char_indices() {
        match c {
            '<' => {
                in_tag = true;
                let tag = &html[i + 1..];
                if ["p", "/p", "br"].iter().any(|t| tag.starts_with(t)) {
                    text.push(' ');
                }
            }
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    let words: Vec<&str> = text.split_whitespace().collect();
    let text = words.join(" ");
    if text.chars().count() > max {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        text
    }
}

fn status_line(s: &Status) -> String {
    match &s.reblog {
        Some(inner) => format!(
            "@{} boosted @{}: {}",
            s.account.acct,
            inner.account.acct,
            plain(&inner.content, 100)
        ),
        None if !s.spoiler_text.is_empty() => {
            format!("@{}: [CW {}]", s.account.acct, plain(&s.spoiler_text, 80))
        }
        None => format!("@{}: {}", s.account.acct, plain(&s.content, 100)),
    }
}

/// One human-readable line for an event (`None` for heartbeats).
pub fn human(event: &Event) -> Option<String> {
    let kind = event.kind().as_str();
    let rest = match event {
        Event::Heartbeat(_) => return None,
        Event::Update(s) | Event::StatusUpdate(s) => status_line(s),
        Event::Delete(id) | Event::AnnouncementDelete(id) => id.to_string(),
        Event::Notification(n) => {
            let about = n
                .status
                .as_ref()
                .map(|s| format!(": {}", plain(&s.content, 80)))
                .unwrap_or_default();
            format!("{} from @{}{about}", n.kind.as_str(), n.account.acct)
        }
        Event::Conversation(c) => {
            let who: Vec<String> = c.accounts.iter().map(|a| format!("@{}", a.acct)).collect();
            let last = c
                .last_status
                .as_ref()
                .map(|s| plain(&s.content, 80))
                .unwrap_or_default();
            format!("{} with {}: {last}", c.id, who.join(", "))
        }
        Event::Announcement(a) => format!("{}: {}", a.id, plain(&a.content, 100)),
        Event::AnnouncementReaction(r) => {
            format!("{} ×{} on {}", r.name, r.count, r.announcement_id)
        }
        Event::Unknown { name, data } => format!("{name} ({} bytes)", data.len()),
        Event::Malformed { name, error, .. } => return Some(format!("malformed {name}: {error}")),
        _ => String::new(),
    };
    Some(format!("{kind:<14} {rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_end_with_the_stream() {
        let event = Event::Delete("110988741790818968".into());
        let tagged = ["hashtag".to_owned(), "caf\u{e9} \"x\"".to_owned()];
        let line = json_line(&event, Some(&tagged));
        assert_eq!(
            line,
            format!(
                "{},\"stream\":[\"hashtag\",\"caf\u{e9} \\\"x\\\"\"]}}",
                event.summary_json().strip_suffix('}').unwrap()
            )
        );
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["stream"][1], "caf\u{e9} \"x\"");
        assert!(json_line(&event, None).ends_with(",\"stream\":null}"));
    }

    #[test]
    fn plain_text() {
        assert_eq!(
            plain(
                "<p>Hello &amp; <a href=\"x\">welcome</a></p><p>two</p>",
                100
            ),
            "Hello & welcome two"
        );
        assert_eq!(plain("abcdef", 4), "abc…");
    }
}
