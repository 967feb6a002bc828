//! `tail`: print a Mastodon stream, one line per event (a stable command-line contract).
//!
//! ```text
//! cargo run --release -p mastostream-tokio --example tail -- [--instance URL] [--stream NAME]
//!     [--tag T] [--list ID] [--token T] [--json] [--limit N] [--ws]
//! ```
//!
//! - Without `--instance`, an embedded demo server starts on loopback (the testkit's fake
//!   Mastodon server, in this process) and serves a realistic generated stream over real
//!   HTTP/1.1 chunked SSE with heartbeats; the client connects to it exactly as to a real
//!   instance. Halfway the demo drops the connection mid-event, so reconnect and catch-up
//!   show; when its stream is over it answers the reconnect with `410` and the message
//!   "The demo stream has ended", which `tail` recognises: it exits 0.
//! - `--stream`: Mastodon's names: `user`, `user:notification`, `public`, `public:local`,
//!   `public:remote`, `public:media`, `public:local:media`, `public:remote:media`,
//!   `hashtag` (with `--tag`), `hashtag:local`, `list` (with `--list`), `direct`. Default:
//!   `user`, or `public` when no token is given for a real instance.
//! - `--token`, or the `MASTODON_TOKEN` environment variable.
//! - Output: one line per event (kind, account, text without HTML, shortened), and lines
//!   starting with `--` for connects, disconnects, reconnects, catch-up and gaps. With
//!   `--json`, stdout carries exactly one `Event::summary_json()` object per event (and
//!   `{"kind":"heartbeat"}` per heartbeat, as `events2json` prints them), and the `--`
//!   lines go to stderr.
//! - `--limit N`: exit 0 after N events (heartbeats not counted).
//! - `--ws`: Mastodon's multiplexed WebSocket (`wss://HOST/api/v1/streaming`) instead of
//!   SSE, with every `--stream` on one connection: `--stream` may then be repeated, e.g.
//!   `--ws --stream public --stream hashtag --tag rust --stream list --list 42`. Each
//!   `hashtag` or `hashtag:local` stream takes the next `--tag` in the order given, each
//!   `list` stream the next `--list`; a missing or unused `--tag`/`--list` is an argument
//!   error. (Without `--ws`, one `--stream` only.) The demo works over the WebSocket too.
//!   Human lines start with the stream the server named, in brackets (`[hashtag rust]`);
//!   a subscription the server refuses shows as a `--` line and the rest goes on. With
//!   `--json`, each line is the same `Event::summary_json()` object with one more member
//!   at the end, `"stream"`: the server's stream array (`["hashtag","rust"]`), or `null`
//!   for an event recovered over REST after a reconnect (it came from no stream).
//! - A fatal error (such as the server's `401`) exits 1 with one line on stderr; bad
//!   arguments exit 2.

use std::io::Write;
use std::process::ExitCode;

use futures::StreamExt;
use mastostream_testkit::fake::demo::{self, Demo, DemoOptions};
use mastostream_tokio::proto::model::Status;
use mastostream_tokio::{Channel, Client, Error, Event, EventStream, Item, WsStream};

struct Args {
    instance: Option<String>,
    streams: Vec<String>,
    tags: Vec<String>,
    lists: Vec<String>,
    token: Option<String>,
    json: bool,
    limit: Option<u64>,
    ws: bool,
}

const USAGE: &str = "usage: tail [--instance URL] [--stream NAME]... [--tag T]... [--list ID]... [--token T] [--json] [--limit N] [--ws]";

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        instance: None,
        streams: Vec::new(),
        tags: Vec::new(),
        lists: Vec::new(),
        token: None,
        json: false,
        limit: None,
        ws: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--instance" => a.instance = Some(value("--instance")?),
            "--stream" => a.streams.push(value("--stream")?),
            "--tag" => a.tags.push(value("--tag")?),
            "--list" => a.lists.push(value("--list")?),
            "--ws" => a.ws = true,
            "--token" => a.token = Some(value("--token")?),
            "--json" => a.json = true,
            "--limit" => {
                let n = value("--limit")?;
                a.limit = Some(
                    n.parse()
                        .map_err(|_| format!("--limit: not a number: {n}"))?,
                );
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if a.token.is_none() {
        a.token = std::env::var("MASTODON_TOKEN")
            .ok()
            .filter(|t| !t.is_empty());
    }
    if !a.ws && (a.streams.len() > 1 || a.tags.len() > 1 || a.lists.len() > 1) {
        return Err(format!(
            "several --stream, --tag or --list need --ws (one WebSocket for many streams)\n{USAGE}"
        ));
    }
    Ok(a)
}

/// The streams asked for: each hashtag stream takes the next `--tag`, each list stream the
/// next `--list`.
fn channels(a: &Args) -> Result<Vec<Channel>, String> {
    let default = if a.token.is_some() || a.instance.is_none() {
        "user"
    } else {
        "public"
    };
    let names = if a.streams.is_empty() {
        vec![default.to_owned()]
    } else {
        a.streams.clone()
    };
    let (mut tags, mut lists) = (a.tags.iter(), a.lists.iter());
    let mut out = Vec::new();
    for name in &names {
        let tag = matches!(name.as_str(), "hashtag" | "hashtag:local")
            .then(|| tags.next())
            .flatten();
        let list = (name == "list").then(|| lists.next()).flatten();
        let channel = Channel::parse(name, tag.map(String::as_str), list.map(String::as_str))
            .map_err(|e| format!("--stream {name}: {e}"))?;
        out.push(channel);
    }
    if let Some(t) = tags.next() {
        return Err(format!("--tag {t}: no hashtag stream left to take it"));
    }
    if let Some(l) = lists.next() {
        return Err(format!("--list {l}: no list stream left to take it"));
    }
    Ok(out)
}

/// Text without HTML tags, with the common entities decoded and whitespace collapsed,
/// shortened to `max` characters.
fn plain(html: &str, max: usize) -> String {
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
fn human(event: &Event) -> Option<String> {
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

/// What `tail` reads: one SSE stream, or the WebSocket.
enum Tail {
    Sse(EventStream),
    Ws(WsStream),
}

impl Tail {
    async fn next(&mut self) -> Option<Result<Item, Error>> {
        match self {
            Tail::Sse(s) => s.next().await,
            Tail::Ws(s) => s.next().await,
        }
    }

    fn close(&self) {
        match self {
            Tail::Sse(s) => s.close(),
            Tail::Ws(s) => s.close(),
        }
    }
}

/// An event's `--json` line: `summary_json()`, and over a WebSocket a last member
/// `"stream"` (the server's stream array, or `null` for a recovered event).
fn json_line(e: &Event, ws: bool, stream: Option<&[String]>) -> String {
    let line = e.summary_json();
    if !ws {
        return line;
    }
    let stream = serde_json::to_string(&stream).unwrap_or_else(|_| "null".into());
    let open = line.strip_suffix('}').unwrap_or(&line);
    format!("{open},\"stream\":{stream}}}")
}

/// Whether a fatal error is the demo server saying its stream is over.
fn is_demo_end(e: &Error) -> bool {
    e.status() == Some(demo::END_STATUS) && e.server_message() == Some(demo::END_MESSAGE)
}

struct Out {
    json: bool,
    stdout: std::io::Stdout,
}

impl Out {
    /// An event line (stdout).
    fn event(&self, line: &str) -> std::io::Result<()> {
        writeln!(self.stdout.lock(), "{line}")
    }

    /// A status line (`-- ...`): stdout in human mode, stderr with `--json`.
    fn note(&self, line: &str) -> std::io::Result<()> {
        if self.json {
            eprintln!("-- {line}");
            Ok(())
        } else {
            writeln!(self.stdout.lock(), "-- {line}")
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("tail: {e}");
            return ExitCode::from(2);
        }
    };
    let out = Out {
        json: args.json,
        stdout: std::io::stdout(),
    };
    let channels = match channels(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("tail: {e}");
            return ExitCode::from(2);
        }
    };
    // The demo server lives as long as `main`.
    let (demo, url) = match &args.instance {
        Some(url) => (None, url.clone()),
        None => {
            let demo = Demo::start(DemoOptions::default());
            let url = demo.url();
            let _ = out.note(&format!("demo server on {url} (no --instance given)"));
            (Some(demo), url)
        }
    };
    let client = match Client::new(&url) {
        Ok(c) => c.token_opt(args.token.clone()),
        Err(e) => {
            eprintln!("tail: {e}");
            return ExitCode::from(2);
        }
    };
    let mut stream = if args.ws {
        Tail::Ws(client.websocket(channels))
    } else {
        Tail::Sse(client.stream(channels.into_iter().next().unwrap_or(Channel::User)))
    };
    let mut events = 0u64;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let result = loop {
        let next = tokio::select! {
            next = stream.next() => next,
            _ = &mut ctrl_c => {
                stream.close();
                continue;
            }
        };
        let item = match next {
            None => break Ok(()),
            Some(Err(e)) => break Err(e),
            Some(Ok(item)) => item,
        };
        let written = match &item {
            Item::Event(e) | Item::Recovered(e) | Item::StreamEvent { event: e, .. } => {
                let recovered = matches!(item, Item::Recovered(_));
                let stream = match &item {
                    Item::StreamEvent { stream, .. } => Some(stream.as_slice()),
                    _ => None,
                };
                if !e.is_heartbeat() {
                    events += 1;
                }
                let line = if args.json {
                    Some(json_line(e, args.ws, stream))
                } else {
                    human(e).map(|l| match (stream, recovered) {
                        (_, true) => format!("{l}  (recovered)"),
                        (Some(s), _) => format!("[{}] {l}", s.join(" ")),
                        (None, _) => l,
                    })
                };
                line.map_or(Ok(()), |l| out.event(&l))
            }
            Item::StreamError {
                channel,
                status,
                error,
            } => {
                let about = channel
                    .as_ref()
                    .map_or(String::new(), |c| format!(" ({c})"));
                let status = status.map_or(String::new(), |s| format!("{s} "));
                out.note(&format!("stream error{about}: {status}{error}"))
            }
            Item::Connected { url } => out.note(&format!("connected to {url}")),
            Item::Disconnected { error } => out.note(&format!("disconnected: {error}")),
            Item::Reconnecting { attempt, delay, .. } => out.note(&format!(
                "reconnecting in {:.1} s (attempt {attempt})",
                delay.as_secs_f64()
            )),
            Item::CaughtUp {
                timeline,
                recovered,
            } => out.note(&format!("caught up on {timeline}: {recovered} recovered")),
            Item::Gap(gap) => out.note(&format!(
                "gap in {}: items may be missing ({})",
                gap.timeline, gap.reason
            )),
            _ => Ok(()),
        };
        if written.is_err() {
            // stdout closed (a pipe to `head`, say): stop quietly.
            return ExitCode::SUCCESS;
        }
        if args.limit.is_some_and(|n| events >= n) {
            break Ok(());
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if demo.is_some() && is_demo_end(&e) => {
            let _ = out.note(&format!("demo stream ended after {events} events"));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tail: {e}");
            ExitCode::from(1)
        }
    }
}
