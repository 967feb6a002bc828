//! Mastodon's string enumerations. Each keeps unknown values as `Other(String)`.

string_enum! {
    /// Who can see a status.
    pub enum Visibility {
        /// Visible to everyone, shown in public timelines.
        Public = "public",
        /// Visible to everyone, but not in public timelines ("quiet public").
        Unlisted = "unlisted",
        /// Visible to followers only.
        Private = "private",
        /// Visible to mentioned users only.
        Direct = "direct",
    }
}

string_enum! {
    /// The kind of a media attachment.
    pub enum MediaType {
        /// A still image.
        Image = "image",
        /// A looping, soundless animation.
        Gifv = "gifv",
        /// A video clip.
        Video = "video",
        /// An audio track.
        Audio = "audio",
        /// Unsupported or unrecognized file type (the server could not process it).
        Unknown = "unknown",
    }
}

string_enum! {
    /// The kind of a link preview card.
    pub enum CardType {
        /// A link to a web page.
        Link = "link",
        /// A photo embed.
        Photo = "photo",
        /// A video embed.
        Video = "video",
        /// An iframe embed (unused by Mastodon).
        Rich = "rich",
    }
}

string_enum! {
    /// The authorization state of a quote (Mastodon 4.4+). Unknown values should be treated
    /// as [`QuoteState::Unauthorized`].
    pub enum QuoteState {
        /// Not yet acknowledged by the quoted account.
        Pending = "pending",
        /// Accepted: the quoted status can be shown.
        Accepted = "accepted",
        /// Explicitly rejected by the quoted account.
        Rejected = "rejected",
        /// Accepted once, now revoked.
        Revoked = "revoked",
        /// Accepted, but the quoted status has been deleted.
        Deleted = "deleted",
        /// Accepted, but the user may not see the quoted status.
        Unauthorized = "unauthorized",
        /// Accepted, but the user blocked the quoted account.
        BlockedAccount = "blocked_account",
        /// Accepted, but the user blocked the quoted account's domain.
        BlockedDomain = "blocked_domain",
        /// Accepted, but the user muted the quoted account.
        MutedAccount = "muted_account",
    }
}

string_enum! {
    /// Who may quote a status (the entries of `quote_approval.automatic` / `.manual`).
    pub enum QuoteAudience {
        /// Anybody.
        Public = "public",
        /// Followers of the author.
        Followers = "followers",
        /// Accounts the author follows.
        Following = "following",
        /// A policy Mastodon does not support.
        UnsupportedPolicy = "unsupported_policy",
    }
}

string_enum! {
    /// How a status' quote policy applies to the current user (`quote_approval.current_user`).
    pub enum QuoteUserPolicy {
        /// The user may quote and the quote is accepted automatically.
        Automatic = "automatic",
        /// The user may quote after manual review.
        Manual = "manual",
        /// The user may not quote.
        Denied = "denied",
        /// Not covered by the policies Mastodon supports.
        Unknown = "unknown",
    }
}

string_enum! {
    /// What a notification is about.
    pub enum NotificationType {
        /// Someone mentioned you.
        Mention = "mention",
        /// Someone you enabled notifications for posted.
        Status = "status",
        /// Someone boosted your status.
        Reblog = "reblog",
        /// Someone followed you.
        Follow = "follow",
        /// Someone requested to follow you.
        FollowRequest = "follow_request",
        /// Someone favourited your status.
        Favourite = "favourite",
        /// A poll you voted in or created has ended.
        Poll = "poll",
        /// A status you boosted was edited.
        Update = "update",
        /// Someone signed up (admins).
        AdminSignUp = "admin.sign_up",
        /// A report was filed (admins); see `Notification::report`.
        AdminReport = "admin.report",
        /// Follow relationships were severed; see `Notification::event`.
        SeveredRelationships = "severed_relationships",
        /// A moderator acted on your account; see `Notification::moderation_warning`.
        ModerationWarning = "moderation_warning",
        /// Your annual report is ready; see `Notification::annual_report`.
        AnnualReport = "annual_report",
        /// Someone quoted your status (4.5+).
        Quote = "quote",
        /// A status you quoted was edited (4.5+).
        QuotedUpdate = "quoted_update",
    }
}

string_enum! {
    /// Where a filter applies.
    pub enum FilterContext {
        /// The home timeline and lists.
        Home = "home",
        /// Notifications.
        Notifications = "notifications",
        /// Public timelines.
        Public = "public",
        /// Expanded threads.
        Thread = "thread",
        /// Account profiles.
        Account = "account",
    }
}

string_enum! {
    /// What a matching filter does.
    pub enum FilterAction {
        /// Show a warning with the filter's title.
        Warn = "warn",
        /// Do not show the status at all.
        Hide = "hide",
        /// Hide the media behind a warning (4.4+).
        Blur = "blur",
    }
}

string_enum! {
    /// Why a report was filed.
    pub enum ReportCategory {
        /// Spam.
        Spam = "spam",
        /// A server rule was broken.
        Violation = "violation",
        /// Illegal content.
        Legal = "legal",
        /// Anything else.
        OtherCategory = "other",
    }
}

string_enum! {
    /// What a moderator did to an account.
    pub enum AccountWarningAction {
        /// Only a warning.
        None = "none",
        /// Login disabled.
        Disable = "disable",
        /// Some statuses marked sensitive.
        MarkStatusesAsSensitive = "mark_statuses_as_sensitive",
        /// Some statuses deleted.
        DeleteStatuses = "delete_statuses",
        /// All media marked sensitive.
        Sensitive = "sensitive",
        /// Account limited.
        Silence = "silence",
        /// Account suspended.
        Suspend = "suspend",
    }
}

string_enum! {
    /// The state of an appeal against a moderation decision.
    pub enum AppealState {
        /// Approved by a moderator.
        Approved = "approved",
        /// Rejected by a moderator.
        Rejected = "rejected",
        /// Not yet decided.
        Pending = "pending",
    }
}

string_enum! {
    /// What caused follow relationships to be severed.
    pub enum SeveranceType {
        /// A moderator blocked a domain.
        DomainBlock = "domain_block",
        /// The user blocked a domain.
        UserDomainBlock = "user_domain_block",
        /// A moderator suspended an account.
        AccountSuspension = "account_suspension",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_become_variants_and_round_trip() {
        let t: NotificationType = serde_json::from_str("\"admin.sign_up\"").unwrap();
        assert_eq!(t, NotificationType::AdminSignUp);
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"admin.sign_up\"");
        assert_eq!(ReportCategory::from("other"), ReportCategory::OtherCategory);
    }

    #[test]
    fn unknown_values_are_kept() {
        let v: Visibility = serde_json::from_str("\"local\"").unwrap();
        assert_eq!(v, Visibility::Other("local".into()));
        assert_eq!(v.as_str(), "local");
        assert_eq!(v.to_string(), "local");
        assert_eq!(serde_json::to_string(&v).unwrap(), "\"local\"");
        // Escaped text is unescaped before matching.
        let v: Visibility = serde_json::from_str("\"\\u0070ublic\"").unwrap();
        assert_eq!(v, Visibility::Public);
    }

    #[test]
    fn non_strings_are_errors() {
        assert!(serde_json::from_str::<Visibility>("1").is_err());
        assert!(serde_json::from_str::<Visibility>("null").is_err());
    }
}
