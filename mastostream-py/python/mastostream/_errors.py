"""Exceptions, with Mastodon.py's names and hierarchy.

They are this package's own classes: ``except mastodon.MastodonNetworkError`` does not catch
``mastostream.MastodonNetworkError``; catch ``mastostream.MastodonError`` (or ``OSError`` for
network trouble, as with Mastodon.py).

Exceptions raised for a stream carry the error's text (with the server's own message, such
as ``401 Unauthorized: Invalid access token``) and four attributes: ``status`` (the HTTP
status, or ``None``), ``server_message`` (the server's ``{"error": ...}`` text, or
``None``), ``kind`` (``"status"``, ``"chunked"``, ``"timeout"``, ``"idle_timeout"``,
``"transport"``, ...) and ``transient`` (whether retrying later may help).
"""

from __future__ import annotations

from typing import Optional

__all__ = [
    "MastodonError",
    "MastodonIllegalArgumentError",
    "MastodonIOError",
    "MastodonNetworkError",
    "MastodonReadTimeout",
    "MastodonAPIError",
    "MastodonUnauthorizedError",
    "MastodonNotFoundError",
    "MastodonServerError",
    "MastodonMalformedEventError",
]


class MastodonError(Exception):
    """Base class of every exception of this package."""

    status: Optional[int] = None
    server_message: Optional[str] = None
    kind: Optional[str] = None
    transient: bool = False


class MastodonIllegalArgumentError(ValueError, MastodonError):
    """A bad argument: an unusable URL, an unknown stream, a missing tag or list id."""


class MastodonIOError(IOError, MastodonError):
    """Base class of I/O errors."""


class MastodonNetworkError(MastodonIOError):
    """The network failed, or the server broke the protocol (bad chunked framing, a cut
    body, a head over the limit)."""


class MastodonReadTimeout(MastodonNetworkError):
    """A timer ran out: connecting, waiting for the response head, or a silent stream."""


class MastodonAPIError(MastodonError):
    """The server answered with an error (``status`` and ``server_message`` say which)."""


class MastodonUnauthorizedError(MastodonAPIError):
    """``401``: the access token is missing, invalid, or lacks the scope. Not retried."""


class MastodonNotFoundError(MastodonAPIError):
    """``404``."""


class MastodonServerError(MastodonAPIError):
    """A ``5xx`` answer."""


class MastodonMalformedEventError(MastodonError):
    """An event whose payload did not decode. It is never raised by a stream: it is handed
    to ``StreamListener.on_malformed_event`` and the stream goes on. ``name`` is the event's
    name and ``data`` its raw payload."""

    def __init__(self, message: str, name: Optional[str] = None, data: Optional[str] = None):
        super().__init__(message, name, data)
        self.name = name
        self.data = data

    def __str__(self) -> str:
        return f"{self.args[0]} (event {self.name!r})"
