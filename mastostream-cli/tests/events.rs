//! Every event kind through the binary, from a loopback fake server: each documented
//! `--json` field checked (whole objects compared), and each human line.

mod common;

use std::process::Child;
use std::time::Duration;

use common::{Lines, command, json_lines, read_all, summary, text, wait};
use mastostream_fake::{FakeServer, NotificationBuilder, ServerOptions, StatusBuilder, VIEWER};
use serde_json::{Value, json};

/// How many events [`publish_every_kind`] publishes (heartbeats not counted).
const EVENTS: usize = 20;

/// One published event: what `--json` must print (`stream` and `recovered` added by the
/// check), and how its human line must start.
struct Want {
    json: Value,
    human: String,
}

fn want(json: Value, human: &str) -> Want {
    Want {
        json,
        human: human.to_owned(),
    }
}

/// Starts `tail` on the server's user stream and waits until it is live.
fn start(server: &FakeServer, extra: &[&str], limit: usize) -> Child {
    let limit = limit.to_string();
    let url = server.url();
    let mut args = vec![
        "tail",
        "--instance",
        &url,
        "--stream",
        "user",
        "--limit",
        &limit,
    ];
    args.extend_from_slice(extra);
    let child = command(&args).spawn().expect("mastostream runs");
    let live = server.wait_until(Duration::from_secs(30), |_, live, _| live >= 1);
    if !live {
        common::signal(child.id(), "-KILL");
        panic!(
            "tail never opened its stream: {:?}",
            child.wait_with_output()
        );
    }
    child
}

/// Publishes one event of every kind (a heartbeat in the middle); returns what each must
/// print, in order.
fn publish_every_kind(server: &FakeServer) -> Vec<Want> {
    let generator = server.generator();
    let mut wants = Vec::new();
    let bob = "bob@example.org";
    let status = StatusBuilder::new()
        .account(bob)
        .text("Ferris says hi & waves")
        .tag("rust");
    let id = server.publish_status(&status).to_string();
    wants.push(want(
        json!({"kind":"update","id":id,"acct":bob}),
        "update         @bob@example.org: Ferris says hi & waves #rust",
    ));
    server.publish_edit(
        id.parse().unwrap(),
        &status.clone().text("Ferris says hello"),
    );
    wants.push(want(
        json!({"kind":"status.update","id":id,"acct":bob}),
        "status.update  @bob@example.org: Ferris says hello",
    ));
    server.publish_delete(id.parse().unwrap());
    wants.push(want(
        json!({"kind":"delete","id":id}),
        &format!("delete         {id}"),
    ));
    let carol = "carol@example.net";
    for (kind, from, about) in [
        ("mention", carol, ": "),
        ("favourite", carol, ": "),
        ("follow", carol, ""),
        ("admin.report", carol, ""),
        ("annual_report", VIEWER, ""),
    ] {
        let mut n = NotificationBuilder::new(kind);
        if from != VIEWER {
            n = n.account(from);
        }
        let id = server.notify(&n).to_string();
        wants.push(want(
            json!({"kind":"notification","id":id,"type":kind,"acct":from}),
            &format!("notification   {kind} from @{from}{about}"),
        ));
    }
    server.publish(
        "conversation",
        &generator.conversation_json(4242, 1_748_854_800_000),
        None,
    );
    wants.push(want(
        json!({"kind":"conversation","id":"4242"}),
        "conversation   4242 with @",
    ));
    server.heartbeat();
    server.publish(
        "announcement",
        &generator.announcement_json(77, 1_748_854_800_000),
        None,
    );
    wants.push(want(
        json!({"kind":"announcement","id":"77"}),
        "announcement   77: ",
    ));
    for (name, line) in [("👍", "👍 ×3 on 77"), ("blobcat", "blobcat ×3 on 77")] {
        server.publish(
            "announcement.reaction",
            &generator.announcement_reaction_json(77, name, 3),
            None,
        );
        wants.push(want(
            json!({"kind":"announcement.reaction","announcement_id":"77","name":name}),
            &format!("announcement.reaction {line}"),
        ));
    }
    server.publish("announcement.delete", "77", None);
    wants.push(want(
        json!({"kind":"announcement.delete","id":"77"}),
        "announcement.delete 77",
    ));
    server.publish("notifications_merged", "1", None);
    wants.push(want(
        json!({"kind":"notifications_merged"}),
        "notifications_merged (notifications were merged",
    ));
    server.publish("filters_changed", "undefined", None);
    wants.push(want(
        json!({"kind":"filters_changed"}),
        "filters_changed (your filters changed",
    ));
    server.publish("encrypted_message", r#"{"id":"9","body":"x"}"#, None);
    wants.push(want(
        json!({"kind":"encrypted_message"}),
        "encrypted_message (21 bytes)",
    ));
    let account = generator.account_json(0);
    let acct: Value = serde_json::from_str(account).expect("an account");
    let acct = acct["acct"].as_str().expect("its acct");
    let chat = format!(
        r#"{{"id":"31","account":{account},"unread":1,"last_message":{{"id":"32","chat_id":"31","account_id":"9","content":"hi <b>there</b>"}},"updated_at":"2025-06-02T09:00:00.000Z"}}"#
    );
    server.publish("pleroma:chat_update", &chat, None);
    wants.push(want(
        json!({"kind":"pleroma:chat_update","id":"31"}),
        &format!("pleroma:chat_update 31 with @{acct}: hi there"),
    ));
    let follow = r#"{"state":"follow_accept","follower":{"id":"9","follower_count":1,"following_count":2},"following":{"id":"1","follower_count":3,"following_count":4}}"#;
    server.publish("pleroma:follow_relationships_update", follow, None);
    wants.push(want(
        json!({"kind":"pleroma:follow_relationships_update","state":"follow_accept","id":"9"}),
        "pleroma:follow_relationships_update follow_accept: 9 follows 1",
    ));
    server.publish("quote.update.v9", r#"{"id":"1"}"#, None);
    wants.push(want(
        json!({"kind":"unknown","name":"quote.update.v9"}),
        "quote.update.v9 (unknown event, 10 bytes)",
    ));
    server.publish("update", "{not json", None);
    wants.push(want(
        json!({"kind":"malformed","name":"update"}),
        "update         malformed: ",
    ));
    wants
}

#[test]
fn json_lines_carry_every_documented_field_for_every_event_kind() {
    let server = FakeServer::start(ServerOptions::default());
    let mut child = start(&server, &["--json"], EVENTS);
    let stderr = read_all(child.stderr.take().unwrap());
    let wants = publish_every_kind(&server);
    assert_eq!(
        wants.len(),
        EVENTS,
        "--limit is the number of events published"
    );
    let out = wait(child, &["tail", "--json"]);
    let stderr = stderr.recv().unwrap();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let lines = json_lines(&text(&out.stdout));
    let (beats, events): (Vec<&Value>, Vec<&Value>) =
        lines.iter().partition(|l| l["kind"] == "heartbeat");
    assert_eq!(events.len(), wants.len(), "{lines:#?}");
    for (got, want) in events.iter().zip(&wants) {
        let mut want = want.json.clone();
        want["stream"] = json!(["user"]);
        want["recovered"] = json!(false);
        let mut got = (*got).clone();
        if got["kind"] == "malformed" {
            let error = got["error"].as_str().unwrap_or_default();
            assert!(!error.is_empty(), "malformed: an error: {got}");
            got.as_object_mut().unwrap().remove("error");
        }
        assert_eq!(got, want);
    }
    assert!(!beats.is_empty(), "the heartbeat is printed");
    for beat in beats {
        assert_eq!(
            *beat,
            json!({"kind":"heartbeat","stream":["user"],"recovered":false})
        );
    }
    let s = summary(&stderr);
    assert_eq!(
        (s["events"].as_u64(), s["recovered"].as_u64()),
        (Some(EVENTS as u64), Some(0))
    );
}

#[test]
fn human_lines_for_every_event_kind() {
    let server = FakeServer::start(ServerOptions::default());
    let mut child = start(&server, &[], EVENTS);
    let mut lines = Lines::new(child.stdout.take().unwrap());
    let wants = publish_every_kind(&server);
    lines.wait_for("an event line each", EVENTS, |_| true);
    let out = wait(child, &["tail"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        lines.rest(),
        Vec::<String>::new(),
        "no heartbeat lines, nothing past --limit"
    );
    for (line, want) in lines.seen.iter().zip(&wants) {
        assert!(
            line.starts_with(&want.human),
            "{line:?} should start with {:?}",
            want.human
        );
    }
}
