//! One line per event: the human line (styled; `anstream` strips the styles where colour
//! is off) and the `--json` object.

use anstyle::{AnsiColor, Style};
use mastostream_cli::text::{one_line, plain, printable};
use mastostream_tokio::proto::model::Status;
use mastostream_tokio::{Channel, Event, ServerSource, StreamEvent};

use crate::json::Obj;

/// The `[stream]` prefix of `--ws` lines.
const STREAM: Style = AnsiColor::Blue.on_default();
/// Accounts.
const ACCT: Style = Style::new().bold();
/// The `(recovered)` mark.
const RECOVERED: Style = AnsiColor::Yellow.on_default().italic();
/// What a line says beyond the text (ids, counts).
const QUIET: Style = Style::new().dimmed();

/// How long a status's text may be on one line, in characters.
const TEXT: usize = 100;
/// How long the text quoted by a notification or conversation may be.
const QUOTE: usize = 80;

/// The event's `--json` line: [`Event::summary_json`] (kind first, then the fields that
/// identify the event), then `"stream"` (the stream's array, or `null`) and `"recovered"`.
pub(crate) fn json_line(se: &StreamEvent) -> String {
    let stream = se.channel.as_ref().map(Channel::stream_array);
    Obj::extend(&se.event.summary_json())
        .strings("stream", stream.as_deref())
        .raw("recovered", se.recovered)
        .end()
}

/// The event's human line (`None` for a heartbeat): `[stream] ` with `ws`, the kind padded
/// to 14 columns, what it is about, and `  (recovered)` for a recovered event.
pub(crate) fn human_line(se: &StreamEvent, ws: bool) -> Option<String> {
    let event = &se.event;
    if event.is_heartbeat() {
        return None;
    }
    let kind = match event {
        Event::Unknown { name, .. } | Event::Malformed { name, .. } => {
            one_line(&printable(name), 40)
        }
        _ => event.kind().as_str().to_owned(),
    };
    let style = kind_style(event);
    let mut line = String::new();
    if let (true, Some(channel)) = (ws, &se.channel) {
        let stream = printable(&channel.stream_array().join(" "));
        line.push_str(&format!("{STREAM}[{stream}]{STREAM:#} "));
    }
    line.push_str(&format!("{style}{kind:<14}{style:#} {}", about(event)));
    if se.recovered {
        line.push_str(&format!("  {RECOVERED}(recovered){RECOVERED:#}"));
    }
    Some(line)
}

/// The kind's colour.
fn kind_style(event: &Event) -> Style {
    match event {
        Event::Update(_) => AnsiColor::Green.on_default(),
        Event::StatusUpdate(_) => AnsiColor::Cyan.on_default(),
        Event::Delete(_) | Event::AnnouncementDelete(_) => AnsiColor::Red.on_default(),
        Event::Notification(_) => AnsiColor::Magenta.on_default(),
        Event::Conversation(_) => AnsiColor::BrightBlue.on_default(),
        Event::Announcement(_) | Event::AnnouncementReaction(_) => {
            AnsiColor::BrightYellow.on_default()
        }
        Event::ChatUpdate(_) | Event::FollowRelationshipsUpdate(_) => {
            AnsiColor::BrightMagenta.on_default()
        }
        Event::Malformed { .. } => AnsiColor::Red.on_default().bold(),
        _ => QUIET,
    }
}

/// `@acct`, styled.
fn acct(name: &str) -> String {
    format!("{ACCT}@{}{ACCT:#}", one_line(&printable(name), 60))
}

/// An id or a count, quiet.
fn quiet(text: &str) -> String {
    format!("{QUIET}{}{QUIET:#}", one_line(&printable(text), 80))
}

/// A status: `@bob: text`, `@alice boosted @bob: text`, `@bob: [CW spoiler]`.
fn status(s: &Status, max: usize) -> String {
    let (by, shown) = match &s.reblog {
        Some(inner) => (
            format!(
                "{} boosted {}",
                acct(&s.account.acct),
                acct(&inner.account.acct)
            ),
            &**inner,
        ),
        None => (acct(&s.account.acct), s),
    };
    let text = if shown.spoiler_text.is_empty() {
        one_line(&plain(&shown.content), max)
    } else {
        format!("[CW {}]", one_line(&plain(&shown.spoiler_text), max))
    };
    format!("{by}: {text}")
}

/// What the event is about, after its kind.
fn about(event: &Event) -> String {
    match event {
        Event::Update(s) | Event::StatusUpdate(s) => status(s, TEXT),
        Event::Delete(id) | Event::AnnouncementDelete(id) => quiet(id.as_str()),
        Event::Notification(n) => {
            let kind = one_line(&printable(n.kind.as_str()), 40);
            let on = n
                .status
                .as_ref()
                .map(|s| format!(": {}", one_line(&plain(&s.content), QUOTE)));
            format!(
                "{kind} from {}{}",
                acct(&n.account.acct),
                on.unwrap_or_default()
            )
        }
        Event::Conversation(c) => {
            let who: Vec<String> = c.accounts.iter().map(|a| acct(&a.acct)).collect();
            let last = c
                .last_status
                .as_ref()
                .map(|s| one_line(&plain(&s.content), QUOTE));
            format!(
                "{} with {}: {}",
                quiet(c.id.as_str()),
                who.join(", "),
                last.unwrap_or_default()
            )
        }
        Event::Announcement(a) => format!(
            "{}: {}",
            quiet(a.id.as_str()),
            one_line(&plain(&a.content), TEXT)
        ),
        Event::AnnouncementReaction(r) => format!(
            "{} ×{} on {}",
            one_line(&printable(&r.name), 40),
            r.count,
            quiet(r.announcement_id.as_str())
        ),
        Event::ChatUpdate(c) => {
            let with = c
                .account
                .as_ref()
                .map(|a| format!(" with {}", acct(&a.acct)));
            let last = c.last_message.as_ref().and_then(|m| m.content.as_deref());
            let last = last.map(|t| format!(": {}", one_line(&plain(t), QUOTE)));
            format!(
                "{}{}{}",
                quiet(c.id.as_str()),
                with.unwrap_or_default(),
                last.unwrap_or_default()
            )
        }
        Event::FollowRelationshipsUpdate(f) => format!(
            "{}: {} follows {}",
            one_line(&printable(&f.state), 40),
            quiet(f.follower.id.as_str()),
            quiet(f.following.id.as_str())
        ),
        Event::NotificationsMerged => quiet("(notifications were merged: refetch them)"),
        Event::FiltersChanged => quiet("(your filters changed: refetch them)"),
        Event::EncryptedMessage(data) => quiet(&format!("({} bytes)", data.len())),
        Event::Unknown { data, .. } => quiet(&format!("(unknown event, {} bytes)", data.len())),
        Event::Malformed { error, .. } => format!(
            "malformed: {}",
            one_line(&printable(&error.to_string()), TEXT)
        ),
        _ => String::new(),
    }
}

/// How the streaming URL was learnt: the `--json` code, the fallback's reason, and words.
pub(crate) fn source(s: &ServerSource) -> (&'static str, Option<String>, String) {
    match s {
        ServerSource::Configured => ("configured", None, "configured".to_owned()),
        ServerSource::InstanceV2 => (
            "instance_v2",
            None,
            "configuration.urls.streaming in /api/v2/instance".to_owned(),
        ),
        ServerSource::InstanceV1 => (
            "instance_v1",
            None,
            "urls.streaming_api in /api/v1/instance".to_owned(),
        ),
        ServerSource::Fallback(why) => {
            let why = one_line(&printable(why), 200);
            let words = format!("the instance itself: {why}");
            ("fallback", Some(why), words)
        }
        _ => ("other", None, "learnt another way".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mastostream_tokio::Id;

    fn strip(s: &str) -> String {
        anstream::adapter::strip_str(s).to_string()
    }

    #[test]
    fn json_lines_end_with_stream_and_recovered() {
        let delete = Event::Delete(Id::from("110988741790818968"));
        let live = StreamEvent::live(delete.clone(), Some(Channel::hashtag("café \"x\"")));
        let line = json_line(&live);
        assert_eq!(
            line,
            r#"{"kind":"delete","id":"110988741790818968","stream":["hashtag","café \"x\""],"recovered":false}"#
        );
        let none = StreamEvent::recovered(delete, None);
        assert!(json_line(&none).ends_with(r#","stream":null,"recovered":true}"#));
    }

    #[test]
    fn human_lines() {
        let delete = StreamEvent::live(Event::Delete(Id::from("7")), Some(Channel::list("42")));
        assert_eq!(
            strip(&human_line(&delete, false).unwrap()),
            "delete         7"
        );
        assert_eq!(
            strip(&human_line(&delete, true).unwrap()),
            "[list 42] delete         7"
        );
        let recovered = StreamEvent::recovered(Event::Delete(Id::from("7")), None);
        assert_eq!(
            strip(&human_line(&recovered, true).unwrap()),
            "delete         7  (recovered)"
        );
        let beat = StreamEvent::live(Event::Heartbeat(Default::default()), None);
        assert_eq!(human_line(&beat, false), None);
        let unknown = StreamEvent::live(
            Event::Unknown {
                name: "x.\u{1b}[31m".into(),
                data: "{}".into(),
            },
            None,
        );
        assert_eq!(
            strip(&human_line(&unknown, false).unwrap()),
            "x.\u{FFFD}[31m        (unknown event, 2 bytes)"
        );
    }
}
