"""Mastodon's entities as Mastodon.py hands them out: dicts with the JSON's keys whose keys
are also attributes (``status["account"]["acct"] == status.account.acct``).

Each class lists its fields with their types (the fields of the Rust model the payloads are
decoded with, Mastodon 4.5's): ids are ``str``, timestamps are ``datetime`` (aware, in UTC;
``last_status_at`` is a naive midnight, as in Mastodon.py), enumerations are their ``str``
value. A field the server left out (the viewer fields ``favourited``, ``bookmarked``, ... on
public streams; fields newer than the server) is absent from the dict and reads ``None`` as an
attribute. Fields the model does not know are not kept.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, FrozenSet, List, Optional

__all__ = ["AttribAccessDict", "ENTITY_CLASSES", "StreamReaction"]

_FIELDS: Dict[type, FrozenSet[str]] = {}


def _fields_of(cls: type) -> FrozenSet[str]:
    fields = _FIELDS.get(cls)
    if fields is None:
        fields = frozenset(cls.__dict__.get("__annotations__", ()))
        _FIELDS[cls] = fields
    return fields


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class AttribAccessDict(dict):
    """A ``dict`` whose keys are attributes too, like Mastodon.py's. Reading a field the
    class declares but the server left out gives ``None``; any other missing attribute
    raises ``AttributeError``."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            pass
        if name in _fields_of(type(self)):
            return None
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __dir__(self) -> List[str]:
        return sorted(set(super().__dir__()) | {k for k in self if isinstance(k, str)})

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict.__repr__(self)})"

    def to_dict(self) -> Dict[str, Any]:
        """A deep copy made of plain ``dict``s and ``list``s."""
        return _plain(self)


class Status(AttribAccessDict):
    """A post: the payload of `update` and `status.update` events."""

    id: str
    created_at: datetime
    in_reply_to_id: Optional[str]
    in_reply_to_account_id: Optional[str]
    sensitive: bool
    spoiler_text: str
    visibility: str
    language: Optional[str]
    uri: str
    url: Optional[str]
    replies_count: int
    reblogs_count: int
    favourites_count: int
    quotes_count: Optional[int]
    edited_at: Optional[datetime]
    favourited: Optional[bool]
    reblogged: Optional[bool]
    muted: Optional[bool]
    bookmarked: Optional[bool]
    pinned: Optional[bool]
    content: str
    text: Optional[str]
    filtered: List["FilterResult"]
    reblog: Optional["Status"]
    application: Optional["Application"]
    account: "Account"
    media_attachments: List["MediaAttachment"]
    mentions: List["Mention"]
    tags: List["Tag"]
    emojis: List["CustomEmoji"]
    quote: Optional["Quote"]
    card: Optional["PreviewCard"]
    poll: Optional["Poll"]
    quote_approval: Optional["QuoteApproval"]


class Mention(AttribAccessDict):
    """A mentioned account."""

    id: str
    username: str
    url: str
    acct: str


class Tag(AttribAccessDict):
    """A hashtag: in statuses only `name` and `url`; the tag endpoints add the rest."""

    id: Optional[str]
    name: str
    url: str
    history: Optional[List["TagHistory"]]
    following: Optional[bool]
    featuring: Optional[bool]


class TagHistory(AttribAccessDict):
    """One day of a hashtag's use. The numbers are strings on the wire."""

    day: datetime
    uses: str
    accounts: str


class Application(AttribAccessDict):
    """The application that posted a status."""

    name: str
    website: Optional[str]


class Poll(AttribAccessDict):
    """A poll attached to a status."""

    id: str
    expires_at: Optional[datetime]
    expired: bool
    multiple: bool
    votes_count: int
    voters_count: Optional[int]
    options: List["PollOption"]
    emojis: List["CustomEmoji"]
    voted: Optional[bool]
    own_votes: Optional[List[int]]


class PollOption(AttribAccessDict):
    """One choice of a poll."""

    title: str
    votes_count: Optional[int]


class Quote(AttribAccessDict):
    """A quote of another status (4.4+): the full `Quote` (`quoted_status`) at the top level, a shallow quote (`quoted_status_id`) inside an already-quoted status."""

    state: str
    quoted_status: Optional["Status"]
    quoted_status_id: Optional[str]


class QuoteApproval(AttribAccessDict):
    """Who may quote a status, and how that applies to you (4.5+)."""

    automatic: List[str]
    manual: List[str]
    current_user: str


class FilterResult(AttribAccessDict):
    """A filter of yours that matched a status."""

    filter: "Filter"
    keyword_matches: Optional[List[str]]
    status_matches: Optional[List[str]]


class Filter(AttribAccessDict):
    """A user-defined filter (v2)."""

    id: str
    title: str
    context: List[str]
    expires_at: Optional[datetime]
    filter_action: str
    keywords: Optional[List["FilterKeyword"]]
    statuses: Optional[List["FilterStatus"]]


class FilterKeyword(AttribAccessDict):
    """A keyword of a filter."""

    id: str
    keyword: str
    whole_word: bool


class FilterStatus(AttribAccessDict):
    """A status a filter hides."""

    id: str
    status_id: str


class Account(AttribAccessDict):
    """A user profile, as embedded in statuses, notifications and conversations."""

    id: str
    username: str
    acct: str
    url: str
    uri: Optional[str]
    display_name: str
    note: str
    avatar: str
    avatar_static: str
    avatar_description: Optional[str]
    header: str
    header_static: str
    header_description: Optional[str]
    locked: bool
    fields: List["Field"]
    emojis: List["CustomEmoji"]
    bot: bool
    group: bool
    discoverable: Optional[bool]
    indexable: Optional[bool]
    noindex: Optional[bool]
    moved: Optional["Account"]
    suspended: Optional[bool]
    limited: Optional[bool]
    memorial: Optional[bool]
    created_at: datetime
    last_status_at: Optional[datetime]
    statuses_count: int
    followers_count: int
    following_count: int
    hide_collections: Optional[bool]
    show_media: Optional[bool]
    show_media_replies: Optional[bool]
    show_featured: Optional[bool]
    roles: List["AccountRole"]


class Field(AttribAccessDict):
    """A profile metadata field."""

    name: str
    value: str
    verified_at: Optional[str]


class AccountRole(AttribAccessDict):
    """A role shown on a profile."""

    id: str
    name: str
    color: str


class CustomEmoji(AttribAccessDict):
    """A custom emoji, used as `:shortcode:` in text."""

    shortcode: str
    url: str
    static_url: str
    visible_in_picker: bool
    category: Optional[str]


class MediaAttachment(AttribAccessDict):
    """A file attached to a status."""

    id: str
    type: str
    url: Optional[str]
    preview_url: Optional[str]
    remote_url: Optional[str]
    preview_remote_url: Optional[str]
    text_url: Optional[str]
    meta: Optional["MediaMeta"]
    description: Optional[str]
    blurhash: Optional[str]


class MediaMeta(AttribAccessDict):
    """Metadata of a media attachment. Every part is optional: what is present depends on the media type and on how far the server processed the file. Integer fields also accept a float, a numeric string or an out-of-range value (read as `None`): servers compute them from whatever the file says, and one odd number must not cost the whole status."""

    original: Optional["MediaMetaInfo"]
    small: Optional["MediaMetaInfo"]
    focus: Optional["Focus"]
    colors: Optional["MediaColors"]
    length: Optional[str]
    duration: Optional[float]
    fps: Optional[int]
    size: Optional[str]
    width: Optional[int]
    height: Optional[int]
    aspect: Optional[float]
    audio_encode: Optional[str]
    audio_bitrate: Optional[str]
    audio_channels: Optional[str]


class MediaMetaInfo(AttribAccessDict):
    """Dimensions and timing of one rendition of a media file."""

    width: Optional[int]
    height: Optional[int]
    size: Optional[str]
    aspect: Optional[float]
    frame_rate: Optional[str]
    duration: Optional[float]
    bitrate: Optional[int]


class Focus(AttribAccessDict):
    """A focal point, each coordinate in `-1.0..=1.0` (center is `0,0`, top left is `-1,1`)."""

    x: float
    y: float


class MediaColors(AttribAccessDict):
    """Dominant colors of an audio attachment's artwork, as `#rrggbb`."""

    background: Optional[str]
    foreground: Optional[str]
    accent: Optional[str]


class PreviewCard(AttribAccessDict):
    """A rich preview of a link in a status."""

    url: str
    title: str
    description: str
    type: str
    author_name: str
    author_url: str
    provider_name: str
    provider_url: str
    html: str
    width: int
    height: int
    image: Optional[str]
    image_description: Optional[str]
    embed_url: str
    blurhash: Optional[str]
    language: Optional[str]
    published_at: Optional[datetime]
    authors: List["PreviewCardAuthor"]


class PreviewCardAuthor(AttribAccessDict):
    """An author of a previewed page (4.3+)."""

    name: str
    url: str
    account: Optional["Account"]


class Notification(AttribAccessDict):
    """Something that happened to you: the payload of `notification` events.  The payload fields that apply depend on [`Notification::kind`]: `status` for mentions, boosts, favourites, polls, edits, quotes; `report` for `admin.report`; `event` for `severed_relationships`; `moderation_warning` and `annual_report` for their types."""

    id: str
    type: str
    created_at: datetime
    group_key: Optional[str]
    filtered: Optional[bool]
    account: "Account"
    status: Optional["Status"]
    report: Optional["Report"]
    event: Optional["RelationshipSeveranceEvent"]
    moderation_warning: Optional["AccountWarning"]
    annual_report: Optional["AnnualReportEvent"]


class Report(AttribAccessDict):
    """A report about an account (the payload of `admin.report` notifications)."""

    id: str
    action_taken: bool
    action_taken_at: Optional[datetime]
    category: str
    comment: str
    forwarded: bool
    created_at: datetime
    status_ids: Optional[List[str]]
    rule_ids: Optional[List[str]]
    target_account: "Account"


class RelationshipSeveranceEvent(AttribAccessDict):
    """Why follow relationships were severed (`severed_relationships`, 4.3+)."""

    id: str
    type: str
    purged: bool
    target_name: str
    followers_count: int
    following_count: int
    created_at: datetime


class AccountWarning(AttribAccessDict):
    """A moderation decision about your account (`moderation_warning`, 4.3+)."""

    id: str
    action: str
    text: str
    status_ids: Optional[List[str]]
    target_account: "Account"
    appeal: Optional["Appeal"]
    created_at: datetime


class Appeal(AttribAccessDict):
    """An appeal against a moderation decision."""

    text: str
    state: str


class AnnualReportEvent(AttribAccessDict):
    """Your annual report is ready (`annual_report`)."""

    year: str


class Announcement(AttribAccessDict):
    """A server announcement from the administrators: the payload of `announcement` events."""

    id: str
    content: str
    starts_at: Optional[datetime]
    ends_at: Optional[datetime]
    published: Optional[bool]
    all_day: bool
    published_at: datetime
    updated_at: datetime
    read: Optional[bool]
    mentions: List["AnnouncementAccount"]
    statuses: List["AnnouncementStatus"]
    tags: List["Tag"]
    emojis: List["CustomEmoji"]
    reactions: List["Reaction"]


class AnnouncementAccount(AttribAccessDict):
    """An account mentioned in an announcement."""

    id: str
    username: str
    url: str
    acct: str


class AnnouncementStatus(AttribAccessDict):
    """A status linked from an announcement."""

    id: str
    url: str


class Reaction(AttribAccessDict):
    """An emoji reaction to an announcement."""

    name: str
    count: int
    me: Optional[bool]
    url: Optional[str]
    static_url: Optional[str]


class AnnouncementReaction(AttribAccessDict):
    """A reaction count changed: the payload of `announcement.reaction` events."""

    name: str
    count: int
    announcement_id: str
    url: Optional[str]
    static_url: Optional[str]


class Conversation(AttribAccessDict):
    """A direct-message conversation: the payload of `conversation` events."""

    id: str
    unread: bool
    accounts: List["Account"]
    last_status: Optional["Status"]


StreamReaction = AnnouncementReaction
"""Mastodon.py's name for the payload of ``announcement.reaction`` events."""

ENTITY_CLASSES: Dict[str, type] = {
    cls.__name__: cls
    for cls in list(globals().values())
    if isinstance(cls, type) and issubclass(cls, AttribAccessDict) and cls is not AttribAccessDict
}
"""Every entity class, by name (the Rust model's struct names)."""

__all__ += sorted(ENTITY_CLASSES)
