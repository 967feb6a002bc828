//! The command line: subcommands, flags and their help texts (clap), and the checks clap
//! cannot make (how `--stream`, `--tag` and `--list` pair up; what `--since-id` applies
//! to). Anything wrong here exits 2 before any connection.

use clap::builder::PossibleValuesParser;
use clap::{Args, Parser, Subcommand, ValueEnum};
use mastostream_tokio::{Channel, Instance, Timeline};

use crate::help;

/// Mastodon's stream names, as `--stream` takes them.
pub(crate) const STREAMS: [&str; 12] = [
    "user",
    "user:notification",
    "public",
    "public:local",
    "public:remote",
    "public:media",
    "public:local:media",
    "public:remote:media",
    "hashtag",
    "hashtag:local",
    "list",
    "direct",
];

/// The whole command line.
#[derive(Debug, Parser)]
#[command(
    name = "mastostream",
    version,
    about = "Follow Mastodon's streaming API from a terminal: any stream over SSE or \
             WebSocket, with what was missed during reconnects caught up over REST.",
    long_about = help::ABOUT,
    after_long_help = help::EXIT_CODES,
)]
pub(crate) struct Cli {
    /// When to colour output: `auto` colours a terminal unless NO_COLOR is set (CLICOLOR=0
    /// turns it off, CLICOLOR_FORCE=1 on); `always`; `never`.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto, global = true)]
    pub(crate) color: ColorWhen,

    /// What to do; without one, `tail` (the offline demo when no `--instance` is given).
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorWhen {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl ColorWhen {
    /// Makes this the choice of every `anstream` writer in the process.
    pub(crate) fn apply(self) {
        let choice = match self {
            ColorWhen::Auto => anstream::ColorChoice::Auto,
            ColorWhen::Always => anstream::ColorChoice::Always,
            ColorWhen::Never => anstream::ColorChoice::Never,
        };
        choice.write_global();
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Print a stream, one line per event, until Ctrl-C or `--limit`; without `--instance`,
    /// an offline demo.
    #[command(long_about = help::TAIL_ABOUT, after_long_help = help::TAIL_AFTER)]
    Tail(TailArgs),
    /// Where an instance streams from, and whether its streaming server says it is healthy.
    #[command(long_about = help::HEALTH_ABOUT, after_long_help = help::HEALTH_AFTER)]
    Health(HealthArgs),
}

/// `mastostream tail`.
#[derive(Debug, Args)]
pub(crate) struct TailArgs {
    /// The instance (`https://mastodon.social`; a bare host means https://). Without it, an
    /// offline demo server starts on loopback, in this process, and `tail` follows it.
    #[arg(long, value_name = "URL", value_parser = instance_url)]
    pub(crate) instance: Option<String>,

    /// A stream, by Mastodon's name. Default: `user`, or `public` for an instance when no
    /// token is given. Several only with `--ws`, all on one connection.
    #[arg(long = "stream", value_name = "NAME", value_parser = PossibleValuesParser::new(STREAMS))]
    pub(crate) streams: Vec<String>,

    /// The hashtag of a `hashtag` or `hashtag:local` stream (a leading `#` is dropped).
    /// With several hashtag streams, each takes the next `--tag`, in the order given.
    #[arg(long = "tag", value_name = "TAG")]
    pub(crate) tags: Vec<String>,

    /// The id of a `list` stream's list. With several list streams, each takes the next
    /// `--list`, in the order given.
    #[arg(long = "list", value_name = "ID")]
    pub(crate) lists: Vec<String>,

    #[command(flatten)]
    pub(crate) auth: Auth,

    /// One JSON object per event on stdout (heartbeats included), and diagnostics as JSON
    /// objects on stderr, one a line: every field is listed below.
    #[arg(long)]
    pub(crate) json: bool,

    /// Stop after N events (heartbeats are not counted): close the stream cleanly, exit 0.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) limit: Option<u64>,

    /// Use Mastodon's multiplexed WebSocket instead of SSE: every `--stream` on one
    /// connection, each line saying which stream it came from.
    #[arg(long)]
    pub(crate) ws: bool,

    /// Start from this status id: first every status newer than it, fetched over REST,
    /// oldest first and marked recovered, then the live stream, with nothing lost or
    /// repeated in between. Applies to the streams' status timelines (home, public,
    /// hashtag, list); notifications and conversations start live.
    #[arg(long, value_name = "ID", value_parser = status_id)]
    pub(crate) since_id: Option<String>,
}

/// The access token, for `tail` and `health`.
#[derive(Debug, Args)]
pub(crate) struct Auth {
    /// An access token with the `read` scope (current Mastodon servers want one even for
    /// public streams). Sent only as `Authorization: Bearer`, only to the instance and its
    /// streaming server; never printed.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "MASTODON_TOKEN",
        hide_env_values = true
    )]
    pub(crate) token: Option<String>,
}

impl Auth {
    /// The token, unless empty.
    pub(crate) fn token(&self) -> Option<String> {
        self.token.clone().filter(|t| !t.is_empty())
    }
}

/// `mastostream health`.
#[derive(Debug, Args)]
pub(crate) struct HealthArgs {
    /// The instance (`https://mastodon.social`; a bare host means https://).
    #[arg(long, value_name = "URL", value_parser = instance_url)]
    pub(crate) instance: String,

    #[command(flatten)]
    pub(crate) auth: Auth,

    /// The answer as one JSON object on stdout (fields below).
    #[arg(long)]
    pub(crate) json: bool,
}

/// What `tail` opens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Streams {
    /// One SSE stream.
    Sse(Channel),
    /// One WebSocket with these subscriptions (`--ws`).
    Ws(Vec<Channel>),
}

impl Streams {
    /// Every stream, in order.
    pub(crate) fn channels(&self) -> &[Channel] {
        match self {
            Streams::Sse(c) => std::slice::from_ref(c),
            Streams::Ws(cs) => cs,
        }
    }
}

impl TailArgs {
    /// What to open. Each `hashtag` or `hashtag:local` stream takes the next `--tag`, each
    /// `list` stream the next `--list`; a stream left without one, a value left over, more
    /// than one of them without `--ws`, or a `--since-id` no stream can use, is an error.
    pub(crate) fn streams(&self) -> Result<Streams, String> {
        if !self.ws && (self.streams.len() > 1 || self.tags.len() > 1 || self.lists.len() > 1) {
            return Err(
                "several --stream, --tag or --list need --ws (one WebSocket for many streams)"
                    .into(),
            );
        }
        let default = if self.auth.token().is_some() || self.instance.is_none() {
            "user"
        } else {
            "public"
        };
        let names = if self.streams.is_empty() {
            vec![default.to_owned()]
        } else {
            self.streams.clone()
        };
        let (mut tags, mut lists) = (self.tags.iter(), self.lists.iter());
        let mut channels = Vec::with_capacity(names.len());
        for name in &names {
            let tag = matches!(name.as_str(), "hashtag" | "hashtag:local")
                .then(|| tags.next())
                .flatten();
            let list = (name == "list").then(|| lists.next()).flatten();
            let channel =
                Channel::parse(name, tag.map(String::as_str), list.map(String::as_str))
                    .map_err(|e| format!("--stream {name}: {e} (give it a --{})", param(name)))?;
            channels.push(channel);
        }
        if let Some(t) = tags.next() {
            return Err(format!("--tag {t}: no hashtag stream left to take it"));
        }
        if let Some(l) = lists.next() {
            return Err(format!("--list {l}: no list stream left to take it"));
        }
        if self.since_id.is_some() && !channels.iter().any(|c| !status_timelines(c).is_empty()) {
            return Err(format!(
                "--since-id: no status timeline in {}: it applies to user, public, hashtag \
                 and list streams",
                names.join(", ")
            ));
        }
        Ok(if self.ws {
            Streams::Ws(channels)
        } else {
            Streams::Sse(channels.swap_remove(0))
        })
    }
}

/// The flag a stream's parameter comes from.
fn param(name: &str) -> &'static str {
    if name == "list" { "list" } else { "tag" }
}

/// The timelines of `channel` that hold statuses (where a status id is a position).
pub(crate) fn status_timelines(channel: &Channel) -> Vec<Timeline> {
    Timeline::for_channel(channel)
        .into_iter()
        .filter(|t| {
            matches!(
                t,
                Timeline::Home
                    | Timeline::Public { .. }
                    | Timeline::Hashtag { .. }
                    | Timeline::List { .. }
            )
        })
        .collect()
}

/// `--instance`: a URL the client accepts.
fn instance_url(s: &str) -> Result<String, String> {
    Instance::parse(s)
        .map(|_| s.to_owned())
        .map_err(|e| e.to_string())
}

/// `--since-id`: Mastodon's ids are decimal; other servers' are short alphanumerics.
fn status_id(s: &str) -> Result<String, String> {
    let ok = !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric());
    ok.then(|| s.to_owned())
        .ok_or_else(|| "a status id is 1 to 64 letters and digits".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use mastostream_tokio::PublicScope;

    fn tail(args: &[&str]) -> Result<TailArgs, clap::Error> {
        let argv = ["mastostream", "tail"].iter().chain(args);
        match Cli::try_parse_from(argv)?.command {
            Some(Command::Tail(t)) => Ok(t),
            other => panic!("not tail: {other:?}"),
        }
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn arguments() {
        let a = tail(&[
            "--instance",
            "https://m.example",
            "--stream",
            "hashtag",
            "--tag",
            "rust",
            "--json",
            "--limit",
            "5",
        ])
        .unwrap();
        assert_eq!(a.instance.as_deref(), Some("https://m.example"));
        assert!(a.json && !a.ws);
        assert_eq!(a.limit, Some(5));
        assert_eq!(a.streams().unwrap(), Streams::Sse(Channel::hashtag("rust")));
        for bad in [
            &["--limit", "x"][..],
            &["--limit", "0"],
            &["--token"],
            &["--bogus"],
            &["--stream", "nonsense"],
            &["--instance", "ftp://x"],
            &["--since-id", "12 34"],
        ] {
            let e = tail(bad).map(|_| ()).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad:?}");
        }
        let missing_tag = tail(&["--stream", "hashtag"]).unwrap();
        assert!(
            missing_tag
                .streams()
                .unwrap_err()
                .contains("give it a --tag")
        );
    }

    #[test]
    fn default_stream() {
        let demo = tail(&[]).unwrap();
        assert_eq!(demo.streams().unwrap(), Streams::Sse(Channel::User));
        let mut anonymous = tail(&["--instance", "https://m.example"]).unwrap();
        anonymous.auth.token = None;
        assert_eq!(
            anonymous.streams().unwrap(),
            Streams::Sse(Channel::public())
        );
        anonymous.auth.token = Some(String::new());
        assert_eq!(
            anonymous.streams().unwrap(),
            Streams::Sse(Channel::public())
        );
        anonymous.auth.token = Some("t".into());
        assert_eq!(anonymous.streams().unwrap(), Streams::Sse(Channel::User));
        let ws = tail(&["--ws"]).unwrap();
        assert_eq!(ws.streams().unwrap(), Streams::Ws(vec![Channel::User]));
    }

    #[test]
    fn several_streams_need_ws() {
        for list in [
            &["--stream", "public", "--stream", "user"][..],
            &["--tag", "a", "--tag", "b"][..],
            &["--list", "1", "--list", "2"][..],
        ] {
            let e = tail(list).unwrap().streams().unwrap_err();
            assert!(e.contains("need --ws"), "{list:?}");
        }
    }

    #[test]
    fn each_hashtag_and_list_stream_takes_the_next_value() {
        let a = tail(&[
            "--ws",
            "--tag",
            "rust",
            "--stream",
            "hashtag",
            "--stream",
            "public:local",
            "--stream",
            "list",
            "--stream",
            "hashtag:local",
            "--list",
            "42",
            "--tag",
            "café",
        ])
        .unwrap();
        assert_eq!(
            a.streams().unwrap(),
            Streams::Ws(vec![
                Channel::hashtag("rust"),
                Channel::Public {
                    scope: PublicScope::Local,
                    only_media: false
                },
                Channel::list("42"),
                Channel::hashtag("café").local_only(),
            ])
        );
        let leftover = tail(&["--ws", "--stream", "public", "--tag", "rust"]).unwrap();
        assert_eq!(
            leftover.streams().unwrap_err(),
            "--tag rust: no hashtag stream left to take it"
        );
        let leftover = tail(&["--ws", "--stream", "list", "--list", "1", "--list", "2"]).unwrap();
        assert_eq!(
            leftover.streams().unwrap_err(),
            "--list 2: no list stream left to take it"
        );
    }

    #[test]
    fn since_id_needs_a_status_timeline() {
        let a = tail(&["--stream", "user:notification", "--since-id", "1"]).unwrap();
        assert!(a.streams().unwrap_err().starts_with("--since-id: "));
        let a = tail(&[
            "--ws",
            "--stream",
            "direct",
            "--stream",
            "public",
            "--since-id",
            "1",
        ]);
        assert!(a.unwrap().streams().is_ok());
        assert_eq!(status_timelines(&Channel::User), [Timeline::Home]);
        assert!(status_timelines(&Channel::Direct).is_empty());
    }
}
