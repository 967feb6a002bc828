//! SSE sessions: going live, catching up, plain streams, redirects and errors, giving up,
//! discovery.

use super::*;

/// Writes the SSE scenarios.
pub fn sse(out: &mut Seeds) {
    // SSE: live, anchored, events, a dropped stream, catch-up of twelve statuses.
    let mut ops = live(&[frag::UPDATE_5, frag::NOTIFICATION_4]);
    // Anchor fetches (home, notifications): each is the newest transport.
    ops.extend([
        Op::Connected { t: 0 },
        data(0, frag::PAGE_ONE),
        Op::Connected { t: 0 },
        data(0, frag::NOTIFICATIONS),
        data(2, frag::UPDATE_9),
        data(2, frag::THUMP),
        Op::Failed { t: 2 },
        Op::ToDeadline,
        Op::Connected { t: 0 },
        data(0, frag::HEAD),
        data(0, frag::UPDATE_9),
        Op::Connected { t: 0 },
        data(1, frag::EDIT_5),
        data(1, frag::DELETE_3),
        data(1, frag::UPDATE_5),
        data(0, frag::PAGE_TWELVE),
        Op::Drained { t: 1 },
        Op::Connected { t: 0 },
        data(0, frag::PAGE_EMPTY),
        Op::Connected { t: 0 },
        data(0, frag::NOTIFICATIONS),
        Op::AdvanceSecs { secs: 30 },
        data(0, frag::THUMP),
        Op::AdvanceSecs { secs: 60 },
        Op::ToDeadline,
        Op::Close,
    ]);
    add(out, "sse_catch_up", setup(), ops.clone());
    add(
        out,
        "sse_catch_up_small_limits",
        Setup {
            limits: 0x5f,
            max_held: 0,
            simd_json: true,
            pages: 0,
            max_body: 4,
            resume: true,
            ..setup()
        },
        ops,
    );

    // SSE without catch-up: heartbeats, bad events, a long line, retry, the end of the body.
    let mut ops = live(&[
        frag::THUMP,
        frag::BAD_UPDATE,
        frag::CONVERSATION_6,
        frag::RETRY_0,
        frag::LONG_LINE,
        frag::UPDATE_9,
        frag::LAST_CHUNK,
    ]);
    ops.extend([
        Op::StaleTimeout { ms: 1000 },
        Op::ToDeadline,
        Op::Connected { t: 0 },
        Op::AdvanceSecs { secs: 16 },
        Op::ToDeadline,
        Op::Connected { t: 0 },
        data(0, frag::HEAD_UNTIL_EOF),
        data(0, 32),
        Op::Eof { t: 0 },
        Op::Eof { t: 1 },
        Op::ToDeadline,
    ]);
    add(out, "sse_plain", plain(), ops);

    // SSE: redirects, a retried 429 / 503, an HTML answer, then a fatal 401.
    add(
        out,
        "sse_redirects_and_errors",
        Setup {
            channel: 2,
            ..plain()
        },
        vec![
            Op::Connected { t: 0 },
            data(0, frag::STATUS_301),
            Op::Connected { t: 0 },
            data(0, frag::STATUS_302),
            Op::Connected { t: 0 },
            data(0, frag::STATUS_429),
            Op::ToDeadline,
            Op::Connected { t: 0 },
            data(0, frag::STATUS_503),
            Op::ToDeadline,
            Op::Connected { t: 0 },
            data(0, frag::HTML),
            Op::ToDeadline,
            Op::Connected { t: 0 },
            data(0, frag::STATUS_401),
            Op::AdvanceSecs { secs: 600 },
            Op::Connected { t: 0 },
        ],
    );

    // SSE: connection refused until the session gives up.
    add(
        out,
        "sse_gives_up",
        Setup {
            max_attempts: 2,
            ..setup()
        },
        vec![
            Op::ConnectFailed { t: 0 },
            Op::ToDeadline,
            Op::AdvanceMs { ms: 10_000 },
            Op::ToDeadline,
            Op::ConnectFailed { t: 0 },
            Op::ToDeadline,
        ],
    );

    // SSE with discovery: the instance names its streaming server (downgrade, other host).
    for (name, instance) in [("", frag::INSTANCE_V2), ("_plain", frag::INSTANCE_V2_PLAIN)] {
        let mut ops = vec![Op::Connected { t: 0 }, data(0, instance)];
        if instance == frag::INSTANCE_V2_PLAIN {
            // Refused: v1 is asked next.
            ops.extend([Op::Connected { t: 0 }, data(0, frag::INSTANCE_V1)]);
        }
        ops.extend(live(&[frag::UPDATE_5]));
        add(
            out,
            &format!("sse_discovery{name}"),
            Setup {
                discover: true,
                ..plain()
            },
            ops,
        );
    }
}
