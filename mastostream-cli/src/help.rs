//! The long help texts (`--help`): what the output lines are, every `--json` field, and
//! the exit codes. The crate README says the same. `tests/arguments.rs` checks that every
//! field and diagnostic is listed here; `tests/events.rs`, `demo.rs` and `exits.rs` check
//! that the program writes exactly these.

/// `mastostream --help`, before the flags.
pub(crate) const ABOUT: &str = "\
Follow Mastodon's streaming API from a terminal: any stream over SSE or WebSocket, with \
what was missed during reconnects caught up over REST.

  mastostream                     the offline demo (a generated stream, a drop, catch-up)
  mastostream tail --instance URL --stream NAME [--json] [--ws] [--since-id ID]
  mastostream health --instance URL

`mastostream tail --help` describes the output and every --json field.";

/// The exit codes, shown after `mastostream --help` and `mastostream tail --help`.
macro_rules! exit_codes {
    () => {
        "\
Exit codes:
  0    done: --limit reached, the stream closed, the demo's end, or stdout closed (a pipe
       to `head`: no error is printed); `health`: the streaming server is healthy
  1    a fatal error (a refused token, an unknown list, an unreachable instance, ...), on
       stderr; `health`: not healthy, or no answer
  2    bad arguments (the message says which)
  130  interrupted: Ctrl-C closed the stream cleanly (a WebSocket with its close frame)"
    };
}

/// The exit codes, after `mastostream --help`.
pub(crate) const EXIT_CODES: &str = exit_codes!();

/// `mastostream tail --help`, before the flags.
pub(crate) const TAIL_ABOUT: &str = "\
Print a stream, one line per event, until Ctrl-C or --limit.

Without --instance, an offline demo server starts on loopback, in this process: it serves \
a generated stream over real HTTP (or its WebSocket with --ws), drops the connection \
halfway, and ends once it has published 300 events. The reconnect, the catch-up of what was missed and the \
end show as they would on a real instance.

Reconnects are automatic (exponential backoff with jitter; a server's Retry-After is \
honoured, capped at 15 minutes); after each one, what was missed is fetched over REST and \
printed marked as recovered, before the live events that followed.";

/// `mastostream tail --help`, after the flags: output lines and JSON fields.
pub(crate) const TAIL_AFTER: &str = concat!(
    "\
Output:
  stdout carries one line per event; stderr carries diagnostics, then one summary line.

  Human lines: the event kind, the account, the text with HTML reduced to plain text:
    update         @bob@example.org: Ferris says hi #rust
    notification   mention from @carol: @alice look at this
    delete         110988741790818968
  `  (recovered)` ends an event fetched over REST after a reconnect; with --ws a line
  starts with the stream it came from: `[hashtag rust] update ...`. Heartbeats are not
  shown. Colour on a terminal only (see --color; NO_COLOR is respected).
  Diagnostics start with `-- `:
    -- connected to https://mastodon.social/api/v1/streaming/user (SSE)
    -- 503 Service Unavailable (Retry-After 30 s): reconnecting in 30.0 s (attempt 2)
    -- caught up on home: 12 recovered
    -- summary: 250 events, 12 recovered, 0 gaps, 1 reconnects, 61.3 s
  and a fatal error is one `error: ...` line before the summary.

--json, stdout: one object per event, `kind` first, `stream` and `recovered` last:
  kind             update, status.update, delete, notification, conversation,
                   announcement, announcement.reaction, announcement.delete,
                   notifications_merged, filters_changed, encrypted_message,
                   pleroma:chat_update, pleroma:follow_relationships_update (Pleroma,
                   Akkoma), heartbeat, unknown (an event name this version does not
                   know), malformed (an event whose payload did not decode)
  id               update, status.update, delete, notification, conversation,
                   announcement, announcement.delete, pleroma:chat_update (the chat):
                   the id (always a string); pleroma:follow_relationships_update: the
                   follower's account id
  acct             update, status.update, notification: the account (user@domain, or
                   user on its own server)
  type             notification: mention, status, reblog, follow, follow_request,
                   favourite, poll, update, admin.sign_up, admin.report, or any newer type
  state            pleroma:follow_relationships_update: the follow's state
                   (follow_accept, follow_pending, follow_reject, ...)
  announcement_id  announcement.reaction: the announcement
  name             announcement.reaction: the emoji; unknown, malformed: the event name
  error            malformed: why the payload did not decode
  stream           the stream the event came from, as Mastodon names it (`[\"user\"]`,
                   `[\"hashtag\",\"rust\"]`, `[\"list\",\"42\"]`), or null when the server
                   named none
  recovered        true for an event fetched over REST after a reconnect (or for
                   --since-id), false for a live one

--json, stderr: one object per diagnostic, `kind` first:
  {\"kind\":\"demo\",\"url\":URL}                     the demo server started
  {\"kind\":\"discovered\",\"streaming\":URL,\"source\":S,\"reason\":R,\"software\":SW,\"version\":V}
        where the stream is served from; S is configured, instance_v2, instance_v1 or
        fallback (R says why; null otherwise); SW what the server runs, as learnt from
        NodeInfo or the instance (\"Mastodon 4.3.2\", \"Pleroma 2.7.2\"); V the version the
        instance reported, or null
  {\"kind\":\"transport\",\"transport\":\"SSE\"|\"WebSocket\",\"reason\":TEXT}
        the session chose the transport, or moved to the other (the server offers no SSE,
        refused one, ...)
  {\"kind\":\"connected\",\"url\":URL,\"transport\":\"SSE\"|\"WebSocket\"}
  {\"kind\":\"disconnected\",\"reason\":TEXT}
  {\"kind\":\"reconnecting\",\"attempt\":N,\"delay_s\":SECONDS,\"reason\":TEXT,\"capped_from_s\":SECONDS|null}
        capped_from_s: the longer wait the server asked for, when it was capped to delay_s
  {\"kind\":\"caught_up\",\"timeline\":NAME,\"recovered\":N}
  {\"kind\":\"gap\",\"timeline\":NAME,\"after\":ID|null,\"before\":ID|null,\"reason\":TEXT}
        items of that timeline between the two ids may be missing
  {\"kind\":\"stream_error\",\"stream\":ARRAY|null,\"status\":N|null,\"error\":TEXT,\"dropped\":BOOL}
        the WebSocket server refused a subscription (dropped: it is not sent again)
  {\"kind\":\"interrupted\"}                         Ctrl-C: closing the stream
  {\"kind\":\"demo_ended\"}                          the demo's stream is over
  {\"kind\":\"error\",\"status\":N|null,\"error\":TEXT}  the fatal error (the server's message
        when it sent one)
  {\"kind\":\"summary\",\"events\":N,\"recovered\":N,\"gaps\":N,\"reconnects\":N,\"elapsed_s\":SECONDS,\"exit\":CODE}
        always the last line: events counts no heartbeat

",
    exit_codes!()
);

/// `mastostream health --help`, before the flags.
pub(crate) const HEALTH_ABOUT: &str = "\
Where an instance streams from, and whether its streaming server says it is healthy.

Asks the instance (GET /api/v2/instance, then /api/v1/instance for older servers) for its \
streaming URL, falling back to the instance URL itself, then asks \
GET /api/v1/streaming/health there.";

/// `mastostream health --help`, after the flags.
pub(crate) const HEALTH_AFTER: &str = "\
Output:
  instance   https://mastodon.social
  streaming  https://streaming.mastodon.social (configuration.urls.streaming in /api/v2/instance)
  software   Mastodon 4.3.2
  health     200 OK: healthy

--json: one object on stdout:
  {\"kind\":\"health\",\"instance\":URL,\"streaming\":URL,\"source\":S,\"reason\":R,\"software\":SW,\"version\":V,\"status\":N|null,\"healthy\":BOOL}
  source, reason, software and version as in `mastostream tail --help`; status: the health
  endpoint's HTTP status. When no answer came, nothing on stdout and
  {\"kind\":\"error\",\"status\":N|null,\"error\":TEXT} on stderr.

Exit codes: 0 healthy; 1 not healthy, or no answer; 2 bad arguments.";
