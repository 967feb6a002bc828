//! The entities `mastostream-fake` builds are what mastostream's model reads: every
//! notification type, with its Mastodon enums known (not kept as unknown strings), and
//! statuses with every chosen field. (The fake itself depends on no mastostream crate, so
//! this cross-check lives here.)

use mastostream_fake::{NOTIFICATION_TYPES, NotificationBuilder, StatusBuilder, Visibility};
use mastostream_proto::model::{
    AccountWarningAction, MediaType, Notification, NotificationType, ReportCategory, SeveranceType,
    Status, Visibility as ModelVisibility,
};

const ID: u64 = 114_612_946_477_621_040;
const AT_MS: u64 = 1_748_854_800_000;

fn notification(kind: &str) -> Notification {
    let json = NotificationBuilder::new(kind).json(318_000_001, AT_MS);
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{kind}: {e}\n{json}"))
}

#[test]
fn every_notification_type_reads_with_its_objects() {
    for &kind in NOTIFICATION_TYPES {
        let n = notification(kind);
        assert_eq!(n.kind.as_str(), kind);
        assert!(
            !matches!(n.kind, NotificationType::Other(_)),
            "{kind} is a known type"
        );
        assert_eq!(n.id.as_str(), "318000001");
        let about_a_status = !matches!(
            kind,
            "follow"
                | "follow_request"
                | "admin.sign_up"
                | "admin.report"
                | "severed_relationships"
                | "moderation_warning"
                | "annual_report"
        );
        assert_eq!(n.status.is_some(), about_a_status, "{kind}");
        assert_eq!(n.report.is_some(), kind == "admin.report", "{kind}");
        assert_eq!(n.event.is_some(), kind == "severed_relationships", "{kind}");
        assert_eq!(
            n.moderation_warning.is_some(),
            kind == "moderation_warning",
            "{kind}"
        );
        assert_eq!(n.annual_report.is_some(), kind == "annual_report", "{kind}");
    }
    let report = notification("admin.report").report.unwrap();
    assert_eq!(report.category, ReportCategory::Spam);
    assert_eq!(report.target_account.acct, "spammer@example.net");
    let event = notification("severed_relationships").event.unwrap();
    assert_eq!(event.kind, SeveranceType::DomainBlock);
    let warning = notification("moderation_warning")
        .moderation_warning
        .unwrap();
    assert_eq!(warning.action, AccountWarningAction::None);
    assert_eq!(
        notification("annual_report").annual_report.unwrap().year,
        "2025"
    );
    let unknown = notification("made.up");
    assert_eq!(unknown.kind, NotificationType::Other("made.up".into()));
    assert_eq!(unknown.account.acct, "bob@example.org");
}

#[test]
fn built_statuses_read_with_every_chosen_field() {
    let built = StatusBuilder::new()
        .account("bob@example.org")
        .text("Tea <3")
        .tag("Tea")
        .mention("alice")
        .visibility(Visibility::Unlisted)
        .language("de")
        .spoiler("food")
        .in_reply_to(ID - 1, "alice")
        .media(2);
    let s: Status = serde_json::from_str(&built.json(ID)).unwrap();
    assert_eq!(s.id.as_str(), ID.to_string());
    assert_eq!(s.account.acct, "bob@example.org");
    assert_eq!(s.visibility, ModelVisibility::Unlisted);
    assert_eq!(s.language.as_deref(), Some("de"));
    assert!(s.sensitive);
    assert_eq!(s.spoiler_text, "food");
    assert!(s.content.contains("Tea &lt;3"), "{}", s.content);
    assert_eq!(s.tags[0].name, "tea");
    assert_eq!(s.mentions[0].acct, "alice");
    assert_eq!(
        s.in_reply_to_id.as_ref().map(|i| i.as_str().to_owned()),
        Some((ID - 1).to_string())
    );
    assert_eq!(s.media_attachments.len(), 2);
    assert_eq!(s.media_attachments[0].kind, MediaType::Image);
    assert!(s.reblog.is_none());

    let reblog = StatusBuilder::new().reblog_of(built);
    let r: Status = serde_json::from_str(&reblog.json(ID + 1)).unwrap();
    assert_eq!(r.account.acct, "alice");
    let original = r.reblog.expect("a reblog carries its original");
    assert_eq!(original.account.acct, "bob@example.org");
    assert_eq!(original.tags[0].name, "tea");
}
