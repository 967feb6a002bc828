//! `tail`'s command line: the arguments, and the streams they ask for (with `--ws`, several
//! on one WebSocket, each `hashtag` stream taking the next `--tag` and each `list` stream the
//! next `--list`).

use mastostream_proto::Channel;

/// The usage line.
pub const USAGE: &str = "usage: tail [--instance URL] [--stream NAME]... [--tag T]... [--list ID]... [--token T] [--json] [--limit N] [--ws]";

/// The command line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Args {
    /// `--instance URL` (`None`: run the offline demo).
    pub instance: Option<String>,
    /// Every `--stream NAME`, in order (at most one without `--ws`).
    pub streams: Vec<String>,
    /// Every `--tag T`, in order.
    pub tags: Vec<String>,
    /// Every `--list ID`, in order.
    pub lists: Vec<String>,
    /// `--token T`, else `MASTODON_TOKEN` when set and not empty.
    pub token: Option<String>,
    /// `--json`.
    pub json: bool,
    /// `--limit N`.
    pub limit: Option<u64>,
    /// `--ws`: Mastodon's multiplexed WebSocket instead of one SSE stream.
    pub ws: bool,
}

/// What `tail` opens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Streams {
    /// One SSE stream.
    Sse(Channel),
    /// One WebSocket with these subscriptions (`--ws`).
    Ws(Vec<Channel>),
}

impl Args {
    /// Parses the arguments (without the program name); `Err` with the message to print.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
        let mut a = Args::default();
        let mut it = args.into_iter();
        while let Some(arg) = it.next() {
            let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
            match arg.as_str() {
                "--instance" => a.instance = Some(value("--instance")?),
                "--stream" => a.streams.push(value("--stream")?),
                "--tag" => a.tags.push(value("--tag")?),
                "--list" => a.lists.push(value("--list")?),
                "--token" => a.token = Some(value("--token")?),
                "--json" => a.json = true,
                "--ws" => a.ws = true,
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
        if !a.ws && (a.streams.len() > 1 || a.tags.len() > 1 || a.lists.len() > 1) {
            return Err(format!(
                "several --stream, --tag or --list need --ws (one WebSocket for many streams)\n{USAGE}"
            ));
        }
        if a.token.is_none() {
            a.token = std::env::var("MASTODON_TOKEN")
                .ok()
                .filter(|t| !t.is_empty());
        }
        Ok(a)
    }

    /// The streams asked for, in order: `--stream` (by default `user`, or `public` for a
    /// real instance without a token). Each `hashtag` or `hashtag:local` stream takes the
    /// next `--tag`, each `list` stream the next `--list`; a stream left without one, or a
    /// `--tag` or `--list` left over, is an error.
    pub fn channels(&self) -> Result<Vec<Channel>, String> {
        let default = if self.token.is_some() || self.instance.is_none() {
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
        let mut out = Vec::with_capacity(names.len());
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

    /// What to open: the WebSocket with every stream (`--ws`), else the one SSE stream.
    pub fn streams(&self) -> Result<Streams, String> {
        let mut channels = self.channels()?;
        Ok(if self.ws {
            Streams::Ws(channels)
        } else {
            // `parse` allows one stream without `--ws`, and `channels` gives at least one.
            Streams::Sse(channels.swap_remove(0))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mastostream_proto::PublicScope;

    fn args(list: &[&str]) -> Result<Args, String> {
        Args::parse(list.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn arguments() {
        let a = args(&[
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
        assert!(
            args(&["--limit", "x"])
                .unwrap_err()
                .contains("not a number")
        );
        assert!(args(&["--token"]).unwrap_err().contains("needs a value"));
        assert!(args(&["--bogus"]).unwrap_err().contains("unknown argument"));
        assert_eq!(args(&["--help"]).unwrap_err(), USAGE);
        let missing_tag = args(&["--stream", "hashtag"]).unwrap();
        assert!(missing_tag.channels().is_err());
    }

    #[test]
    fn default_stream() {
        let demo = Args::default();
        assert_eq!(demo.streams().unwrap(), Streams::Sse(Channel::User));
        let anonymous = Args {
            instance: Some("https://m.example".into()),
            ..Args::default()
        };
        assert_eq!(anonymous.channels().unwrap()[0].to_string(), "public");
        let with_token = Args {
            token: Some("t".into()),
            ..anonymous
        };
        assert_eq!(with_token.channels().unwrap(), [Channel::User]);
        let ws = Args {
            ws: true,
            ..Args::default()
        };
        assert_eq!(ws.streams().unwrap(), Streams::Ws(vec![Channel::User]));
    }

    #[test]
    fn several_streams_need_ws() {
        for list in [
            &["--stream", "public", "--stream", "user"][..],
            &["--tag", "a", "--tag", "b"][..],
            &["--list", "1", "--list", "2"][..],
        ] {
            assert!(args(list).unwrap_err().contains("need --ws"), "{list:?}");
        }
    }

    #[test]
    fn each_hashtag_and_list_stream_takes_the_next_value() {
        let a = args(&[
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
        let leftover_tag = args(&["--ws", "--stream", "public", "--tag", "rust"]).unwrap();
        assert_eq!(
            leftover_tag.channels().unwrap_err(),
            "--tag rust: no hashtag stream left to take it"
        );
        let leftover_list =
            args(&["--ws", "--stream", "list", "--list", "1", "--list", "2"]).unwrap();
        assert_eq!(
            leftover_list.channels().unwrap_err(),
            "--list 2: no list stream left to take it"
        );
        let missing = args(&["--ws", "--stream", "hashtag", "--stream", "hashtag"]);
        assert!(
            missing
                .unwrap()
                .channels()
                .unwrap_err()
                .starts_with("--stream hashtag: ")
        );
    }
}
