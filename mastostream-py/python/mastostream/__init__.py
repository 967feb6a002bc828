"""mastostream: Mastodon's streaming API for Python, on a Rust core.

- ``Decoder``: the sans-IO parser, for any HTTP client (requests, httpx, aiohttp, trio):
  ``feed(chunk)``, ``feed_eof()``, then iterate the ``Event``s.
- ``Client``: a streaming client with Mastodon.py's methods (``stream_user``,
  ``stream_hashtag``, ...) that reconnects, notices dead connections and catches up on what
  it missed, driving a ``StreamListener`` or iterated with ``for`` / ``async for``.
- Entities are dicts with attribute access, in Mastodon.py's shapes; errors are
  Mastodon.py's exception names.

See the README (the PyPI page) for the recipes.
"""

from ._entities import *  # noqa: F401,F403
from ._entities import AttribAccessDict, ENTITY_CLASSES, StreamReaction
from ._errors import *  # noqa: F401,F403
from ._errors import (
    MastodonAPIError,
    MastodonError,
    MastodonIllegalArgumentError,
    MastodonIOError,
    MastodonMalformedEventError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonReadTimeout,
    MastodonServerError,
    MastodonUnauthorizedError,
)
from ._mastostream import Decoder, Event, Frame, Notice, Stream, __version__, _register_entities
from ._listener import CallbackStreamListener, StreamListener, dispatch
from ._client import Client, EventStream, StreamHandle

_register_entities(ENTITY_CLASSES, AttribAccessDict)

__all__ = [
    "AttribAccessDict",
    "CallbackStreamListener",
    "Client",
    "Decoder",
    "ENTITY_CLASSES",
    "Event",
    "EventStream",
    "Frame",
    "MastodonAPIError",
    "MastodonError",
    "MastodonIOError",
    "MastodonIllegalArgumentError",
    "MastodonMalformedEventError",
    "MastodonNetworkError",
    "MastodonNotFoundError",
    "MastodonReadTimeout",
    "MastodonServerError",
    "MastodonUnauthorizedError",
    "Notice",
    "Stream",
    "StreamHandle",
    "StreamListener",
    "StreamReaction",
    "__version__",
    "dispatch",
] + sorted(ENTITY_CLASSES)
