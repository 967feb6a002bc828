"""``StreamListener`` and ``CallbackStreamListener`` with Mastodon.py's method names, and
``dispatch``, which routes one event to them.

``dispatch`` looks handlers up by name, as Mastodon.py does, so it drives a listener written
for Mastodon.py (a subclass of ``mastodon.StreamListener``) unchanged.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, Iterable, Optional, Tuple

from ._errors import (
    MastodonError,
    MastodonMalformedEventError,
    MastodonNetworkError,
    MastodonReadTimeout,
)
from ._mastostream import Decoder, Event, Notice

__all__ = ["StreamListener", "CallbackStreamListener", "dispatch"]

# Events whose handler takes no payload.
_NO_PAYLOAD = frozenset({"notifications_merged", "filters_changed"})

_ACCEPTS_FOR_STREAM: Dict[Tuple[type, str], bool] = {}


def _accepts_for_stream(listener: Any, handler_name: str, handler: Callable[..., Any]) -> bool:
    """Whether a handler takes ``for_stream`` (Mastodon.py passes it to those that do);
    looked up once per class and method."""
    key = (type(listener), handler_name)
    accepts = _ACCEPTS_FOR_STREAM.get(key)
    if accepts is None:
        try:
            accepts = "for_stream" in inspect.signature(handler).parameters
        except (TypeError, ValueError):
            accepts = False
        _ACCEPTS_FOR_STREAM[key] = accepts
    return accepts


def _call(listener: Any, name: str, *args: Any, for_stream: Any = None) -> None:
    handler = getattr(listener, name, None)
    if handler is None:
        return
    if for_stream is not None and _accepts_for_stream(listener, name, handler):
        handler(*args, for_stream=for_stream)
    else:
        handler(*args)


def _dispatch_notice(listener: Any, notice: Notice) -> None:
    kind = notice.kind
    if kind == "connected":
        _call(listener, "on_connect", notice.url)
    elif kind == "disconnected":
        _call(listener, "on_disconnect", notice.error)
    elif kind == "reconnecting":
        _call(listener, "on_reconnecting", notice.attempt, notice.delay, notice.error)
    elif kind == "caught_up":
        _call(listener, "on_caught_up", notice.timeline, notice.count)
    elif kind == "gap":
        _call(listener, "on_gap", notice.timeline, notice.error)
    elif kind == "stream_error":
        _call(listener, "on_websocket_error", notice.error, for_stream=notice.stream)
    elif kind == "discovered":
        _call(listener, "on_discovered", notice.url)


def dispatch(listener: Any, item: Any) -> None:
    """Hands one event (or notice) to the listener method for it, as Mastodon.py does:
    ``on_any_event(name, payload)`` first, then ``on_<name>`` (dots become underscores:
    ``status.update`` goes to ``on_status_update``), or ``on_unknown_event(name, payload)``
    when the listener has no such method. Heartbeats go to ``handle_heartbeat()``; a
    malformed event goes to ``on_malformed_event(error)`` and nothing else. Handlers that
    take a ``for_stream`` argument get the stream's name (``["hashtag", "rust"]``)."""
    if isinstance(item, Notice):
        _dispatch_notice(listener, item)
        return
    kind = item.kind
    if kind == "heartbeat":
        _call(listener, "handle_heartbeat")
        return
    if kind == "malformed":
        error = MastodonMalformedEventError(item.error, item.name, item.data)
        _call(listener, "on_malformed_event", error)
        return
    name = item.name
    payload = item.payload
    for_stream = item.stream
    _call(listener, "on_any_event", name, payload, for_stream=for_stream)
    handler_name = "on_" + name.replace(".", "_")
    if not hasattr(listener, handler_name) or (kind == "unknown" and handler_name in _RESERVED):
        _call(listener, "on_unknown_event", name, payload, for_stream=for_stream)
    elif kind in _NO_PAYLOAD:
        _call(listener, handler_name, for_stream=for_stream)
    else:
        _call(listener, handler_name, payload, for_stream=for_stream)


def _chunks(response: Any) -> Iterable[bytes]:
    """The body of a streaming HTTP response as it arrives: ``requests``
    (``iter_content``), ``httpx`` (``iter_bytes``), or any iterable of bytes."""
    if hasattr(response, "iter_content"):
        return response.iter_content(chunk_size=None)
    if hasattr(response, "iter_bytes"):
        return response.iter_bytes()
    return response


def _as_network_error(err: OSError) -> MastodonError:
    """A transport error of the HTTP library as Mastodon.py reports it."""
    if "Timeout" in type(err).__name__:
        return MastodonReadTimeout("Timed out while reading from server.")
    return MastodonNetworkError(f"Server ceased communication: {err}")


class StreamListener:
    """Callbacks for the streaming API, with Mastodon.py's names and signatures: subclass
    it, override the ``on_*`` methods for the events you want, and pass an instance to
    ``Client.stream_user()`` and friends, or call ``handle_stream(response)`` on an HTTP
    response you opened yourself.

    Recovered events (fetched over REST after a reconnect: they happened while the stream
    was down) reach the same methods; their payload has ``"_recovered": True``. A malformed
    event goes to ``on_malformed_event`` and the stream goes on."""

    def on_update(self, status: Any) -> None:
        """A new status (``Status``)."""

    def on_delete(self, status_id: str) -> None:
        """A status was deleted; its id (``str``)."""

    def on_notification(self, notification: Any) -> None:
        """A new notification (``Notification``)."""

    def on_filters_changed(self) -> None:
        """Your filters changed (older servers only); refetch them."""

    def on_conversation(self, conversation: Any) -> None:
        """A direct conversation changed (``Conversation``)."""

    def on_announcement(self, announcement: Any) -> None:
        """An announcement was published or changed (``Announcement``)."""

    def on_announcement_reaction(self, reaction: Any) -> None:
        """A reaction count on an announcement changed (``AnnouncementReaction``)."""

    def on_announcement_delete(self, announcement_id: str) -> None:
        """An announcement was removed; its id."""

    def on_status_update(self, status: Any) -> None:
        """A status was edited (``Status``)."""

    def on_encrypted_message(self, unclear: Any) -> None:
        """The retired end-to-end encryption feature's payload."""

    def on_notifications_merged(self) -> None:
        """Filtered notifications were merged into your notifications; refetch them."""

    def on_abort(self, err: Exception) -> None:
        """The stream stopped for good (a ``401``, an unknown stream, ...): ``err`` is the
        exception about to be raised (or, with ``run_async=True``, kept on the handle).
        Reconnecting is automatic: this is not called for errors a retry can fix."""

    def on_unknown_event(self, name: str, unknown_event: Any = None) -> None:
        """An event this version does not know: its name and its payload (parsed JSON, or
        the text when it is not JSON)."""

    def handle_heartbeat(self) -> None:
        """The server sent a heartbeat (``:thump``, every 15 s)."""

    def on_any_event(self, name: str, data: Any = None, for_stream: Optional[Any] = None) -> None:
        """Every event, before its own method."""

    def on_malformed_event(self, error: MastodonMalformedEventError) -> None:
        """An event whose payload did not decode (``error.name``, ``error.data``). It is
        skipped and the stream goes on (Mastodon.py would raise and stop)."""

    def on_connect(self, url: str) -> None:
        """The stream is live (also after each reconnect)."""

    def on_disconnect(self, reason: str) -> None:
        """The stream was lost; a reconnect follows."""

    def on_reconnecting(self, attempt: int, delay: float, reason: str) -> None:
        """Waiting ``delay`` seconds before connection attempt ``attempt + 1``."""

    def on_caught_up(self, timeline: str, count: int) -> None:
        """Catch-up of ``timeline`` after a reconnect finished: ``count`` events were
        recovered (and delivered, marked ``_recovered``)."""

    def on_gap(self, timeline: str, reason: str) -> None:
        """Events of ``timeline`` may be missing: catch-up could not cover the outage."""

    def handle_stream(self, response: Any) -> None:
        """Reads a streaming HTTP response you opened yourself (``requests`` with
        ``stream=True``, ``httpx``, or any iterable of ``bytes`` chunks) to its end, calling
        the ``on_*`` methods for each event, as Mastodon.py's ``handle_stream`` does.
        Transport errors become ``MastodonNetworkError`` (after ``on_abort``)."""
        decoder = Decoder.body()
        try:
            try:
                for chunk in _chunks(response):
                    if chunk:
                        decoder.feed(chunk)
                        for event in decoder:
                            dispatch(self, event)
            except MastodonError:
                raise
            except OSError as err:
                raise _as_network_error(err) from err
            decoder.feed_eof()
            for event in decoder:
                dispatch(self, event)
        except MastodonError as err:
            self.on_abort(err)
            raise


_CALLBACKS = {
    "on_update": "update_handler",
    "on_delete": "delete_handler",
    "on_notification": "notification_handler",
    "on_filters_changed": "filters_changed_handler",
    "on_conversation": "conversation_handler",
    "on_announcement": "announcement_handler",
    "on_announcement_reaction": "announcement_reaction_handler",
    "on_announcement_delete": "announcement_delete_handler",
    "on_status_update": "status_update_handler",
    "on_encrypted_message": "encryted_message_handler",
    "on_notifications_merged": "notifications_merged_handler",
    "on_unknown_event": "unknown_event_handler",
    "on_malformed_event": "malformed_event_handler",
    "on_abort": "abort_handler",
}


# Listener methods an unknown event's name must not reach (an event named `abort`).
_RESERVED = frozenset(name for name in vars(StreamListener) if name.startswith("on_"))


class CallbackStreamListener(StreamListener):
    """A listener made of functions, with Mastodon.py's argument names (its
    ``encryted_message_handler`` spelling included). ``local_update_handler`` gets the
    updates by local accounts (no ``@`` in ``acct``)."""

    def __init__(
        self,
        update_handler: Optional[Callable[..., Any]] = None,
        local_update_handler: Optional[Callable[..., Any]] = None,
        delete_handler: Optional[Callable[..., Any]] = None,
        notification_handler: Optional[Callable[..., Any]] = None,
        conversation_handler: Optional[Callable[..., Any]] = None,
        unknown_event_handler: Optional[Callable[..., Any]] = None,
        status_update_handler: Optional[Callable[..., Any]] = None,
        filters_changed_handler: Optional[Callable[..., Any]] = None,
        announcement_handler: Optional[Callable[..., Any]] = None,
        announcement_reaction_handler: Optional[Callable[..., Any]] = None,
        announcement_delete_handler: Optional[Callable[..., Any]] = None,
        encryted_message_handler: Optional[Callable[..., Any]] = None,
        notifications_merged_handler: Optional[Callable[..., Any]] = None,
        stream_error_handler: Optional[Callable[..., Any]] = None,
        malformed_event_handler: Optional[Callable[..., Any]] = None,
        abort_handler: Optional[Callable[..., Any]] = None,
    ):
        super().__init__()
        self.update_handler = update_handler
        self.local_update_handler = local_update_handler
        self.delete_handler = delete_handler
        self.notification_handler = notification_handler
        self.conversation_handler = conversation_handler
        self.unknown_event_handler = unknown_event_handler
        self.status_update_handler = status_update_handler
        self.filters_changed_handler = filters_changed_handler
        self.announcement_handler = announcement_handler
        self.announcement_reaction_handler = announcement_reaction_handler
        self.announcement_delete_handler = announcement_delete_handler
        self.encryted_message_handler = encryted_message_handler
        self.notifications_merged_handler = notifications_merged_handler
        self.stream_error_handler = stream_error_handler
        self.malformed_event_handler = malformed_event_handler
        self.abort_handler = abort_handler

    def _forward(self, method: str, *args: Any) -> None:
        handler = getattr(self, _CALLBACKS[method])
        if handler is not None:
            handler(*args)

    def on_update(self, status: Any) -> None:
        self._forward("on_update", status)
        if self.local_update_handler is not None and "@" not in status["account"]["acct"]:
            self.local_update_handler(status)

    def on_delete(self, status_id: str) -> None:
        self._forward("on_delete", status_id)

    def on_notification(self, notification: Any) -> None:
        self._forward("on_notification", notification)

    def on_filters_changed(self) -> None:
        self._forward("on_filters_changed")

    def on_conversation(self, conversation: Any) -> None:
        self._forward("on_conversation", conversation)

    def on_announcement(self, announcement: Any) -> None:
        self._forward("on_announcement", announcement)

    def on_announcement_reaction(self, reaction: Any) -> None:
        self._forward("on_announcement_reaction", reaction)

    def on_announcement_delete(self, announcement_id: str) -> None:
        self._forward("on_announcement_delete", announcement_id)

    def on_status_update(self, status: Any) -> None:
        self._forward("on_status_update", status)

    def on_encrypted_message(self, unclear: Any) -> None:
        self._forward("on_encrypted_message", unclear)

    def on_notifications_merged(self) -> None:
        self._forward("on_notifications_merged")

    def on_unknown_event(self, name: str, unknown_event: Any = None) -> None:
        self._forward("on_unknown_event", name, unknown_event)

    def on_malformed_event(self, error: MastodonMalformedEventError) -> None:
        self._forward("on_malformed_event", error)

    def on_abort(self, err: Exception) -> None:
        self._forward("on_abort", err)

    def on_websocket_error(self, error: str, for_stream: Any = None) -> None:
        if self.stream_error_handler is not None:
            self.stream_error_handler(error, for_stream)
