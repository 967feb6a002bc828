//! Which subscription an event belongs to, whatever the server calls the stream.

use crate::Channel;

/// The subscribed stream an event belongs to. Servers name streams in their own ways
/// (see [`crate::dialect`]): Mastodon's `["hashtag", "rust"]`; Akkoma's internal topics
/// `["user:<uid>"]`, `["hashtag:rust"]`, `["list:12"]`; GoToSocial's `["list:<id>"]`;
/// Iceshrimp's bare `["list"]`, `["hashtag:local"]`; Pleroma's nothing at all. So: the
/// named stream if it is subscribed; else its internal name read as Mastodon's; else the
/// only subscription of the stream name the server wrote (`hashtag:local` is Iceshrimp's
/// local hashtag stream, not Akkoma's `#local`); else the only subscription of its kind;
/// else, when the message named none, the only subscription; else the name as it was.
pub(super) fn attribute(named: Option<Channel>, routes: &[Channel]) -> Option<Channel> {
    let Some(named) = named else {
        return match routes {
            [only] => Some(only.clone()),
            _ => None,
        };
    };
    if routes.contains(&named) {
        return Some(named);
    }
    let written = named.name().to_owned();
    let named = internal_topic(&named).unwrap_or(named);
    if routes.contains(&named) {
        return Some(named);
    }
    if let [only] = routes
        .iter()
        .filter(|r| r.name() == written)
        .collect::<Vec<_>>()
        .as_slice()
    {
        return Some((*only).clone());
    }
    let same_kind: Vec<&Channel> = routes
        .iter()
        .filter(|r| {
            std::mem::discriminant(*r) == std::mem::discriminant(&named) || r.name() == named.name()
        })
        .collect();
    match same_kind.as_slice() {
        [only] => Some((*only).clone()),
        _ => Some(named),
    }
}

/// An internal topic name (`user:<uid>`, `user:notification:<uid>`, `hashtag:rust`,
/// `list:12`, `direct:<uid>`) as the Mastodon stream it stands for.
fn internal_topic(channel: &Channel) -> Option<Channel> {
    let Channel::Other { stream } = channel else {
        return None;
    };
    let [name] = stream.as_slice() else {
        return None;
    };
    let (kind, rest) = name.split_once(':')?;
    match kind {
        "hashtag" => Some(Channel::hashtag(rest)),
        "list" => Some(Channel::list(rest)),
        "direct" => Some(Channel::Direct),
        "user" if rest == "notification" || rest.starts_with("notification:") => {
            Some(Channel::UserNotification)
        }
        "user" => Some(Channel::User),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn other(s: &[&str]) -> Option<Channel> {
        Some(Channel::Other {
            stream: s.iter().map(|x| (*x).to_owned()).collect(),
        })
    }

    #[test]
    fn events_go_to_the_subscription_they_belong_to_whatever_the_server_calls_it() {
        let routes = [Channel::User, Channel::hashtag("rust"), Channel::list("12")];
        assert_eq!(attribute(Some(Channel::User), &routes), Some(Channel::User));
        assert_eq!(
            attribute(other(&["user:9xyzAB"]), &routes),
            Some(Channel::User)
        );
        assert_eq!(
            attribute(other(&["hashtag:rust"]), &routes),
            Some(Channel::hashtag("rust"))
        );
        assert_eq!(
            attribute(other(&["list:12"]), &routes),
            Some(Channel::list("12"))
        );
        // Iceshrimp names the kind only: the one list subscribed.
        assert_eq!(
            attribute(other(&["list"]), &routes),
            Some(Channel::list("12"))
        );
        // Pleroma names nothing: with several subscriptions, nothing can be said.
        assert_eq!(attribute(None, &routes), None);
        assert_eq!(attribute(None, &[Channel::Direct]), Some(Channel::Direct));
        assert_eq!(
            attribute(
                other(&["user:notification:9x"]),
                &[Channel::UserNotification]
            ),
            Some(Channel::UserNotification)
        );
        assert_eq!(
            attribute(other(&["public:bubble"]), &routes),
            other(&["public:bubble"])
        );
    }

    #[test]
    fn iceshrimp_names_local_hashtags_by_their_stream_name() {
        let tag = Channel::hashtag("rust");
        let local = Channel::hashtag("rust").local_only();
        let routes = [tag.clone(), local.clone()];
        assert_eq!(attribute(other(&["hashtag:local"]), &routes), Some(local));
        assert_eq!(attribute(other(&["hashtag"]), &routes), Some(tag));
        // Akkoma's topic for #local is still #local, when subscribed.
        let akkoma = [Channel::hashtag("local"), Channel::hashtag("rust")];
        assert_eq!(
            attribute(other(&["hashtag:local"]), &akkoma),
            Some(Channel::hashtag("local"))
        );
    }
}
