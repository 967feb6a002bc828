"""``Client``: Mastodon.py's streaming methods over the Rust client, and the ways to consume
a stream (a listener in place or on a thread, an iterator, an asyncio async iterator)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Iterable, Optional

from ._errors import MastodonError, MastodonIllegalArgumentError
from ._listener import dispatch
from ._mastostream import NativeClient, Stream, _public_stream_name

__all__ = ["Client", "EventStream", "StreamHandle"]


def _wake(future: "asyncio.Future[None]") -> None:
    if not future.done():
        future.set_result(None)


class EventStream:
    """A stream's events, as an iterator (``for event in stream``) and as an asyncio async
    iterator (``async for event in stream``). Nothing connects until it is iterated.

    ``close()`` is the one way to stop it, from any thread or task (also on leaving
    ``with`` / ``async with``); iteration then ends. Reconnects and catch-up happen inside:
    the iteration ends only when closed, or raises when the stream stops for good (a
    ``401``, an unknown stream). Events recovered after a reconnect have
    ``event.recovered`` set. Consume it from one thread or task at a time."""

    def __init__(self, native: Stream):
        self._native = native

    def __iter__(self) -> Stream:
        return self._native

    def __next__(self) -> Any:
        return self._native.__next__()

    def __aiter__(self) -> "EventStream":
        return self

    async def __anext__(self) -> Any:
        native = self._native
        while True:
            item = native._try_next()
            if item is not None:
                return item
            loop = asyncio.get_running_loop()
            future = loop.create_future()
            native._wait(loop, future, _wake)
            await future

    def close(self) -> None:
        """Closes the stream (idempotent, from any thread)."""
        self._native.close()

    async def aclose(self) -> None:
        """``close()``, for ``contextlib.aclosing`` and async generator habits."""
        self._native.close()

    def is_receiving(self) -> bool:
        """Whether the stream is connected and hearing from the server now."""
        return self._native.is_receiving()

    def is_closed(self) -> bool:
        """Whether the stream is over."""
        return self._native.is_closed()

    def __enter__(self) -> "EventStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    async def __aenter__(self) -> "EventStream":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.close()


def _run(listener: Any, native: Stream) -> None:
    """Drives ``listener`` until the stream ends; ``on_abort`` then re-raise on a fatal
    error. The stream is closed on the way out, whatever the reason (Ctrl-C included)."""
    try:
        for item in native:
            dispatch(listener, item)
    except MastodonError as err:
        on_abort = getattr(listener, "on_abort", None)
        if on_abort is not None:
            on_abort(err)
        raise
    finally:
        native.close()


class StreamHandle:
    """A stream running on a thread of its own (``run_async=True``), like Mastodon.py's
    handle: ``close()``, ``is_alive()``, ``is_receiving()``, ``join()``. The thread is a
    daemon: it does not keep the program alive. ``exception`` is the error that stopped
    the stream for good (after the listener's ``on_abort``), or ``None``."""

    def __init__(self, native: Stream, listener: Any):
        self._native = native
        self._listener = listener
        self.exception: Optional[BaseException] = None
        self._thread = threading.Thread(
            target=self._threadproc, name="mastostream stream", daemon=True
        )
        self._thread.start()

    def _threadproc(self) -> None:
        try:
            _run(self._listener, self._native)
        except BaseException as err:  # kept for the owner, not printed by the thread
            self.exception = err

    def close(self) -> None:
        """Stops the stream for good (from any thread, a listener method included)."""
        self._native.close()

    def is_alive(self) -> bool:
        """Whether the stream's thread is running (connected, or reconnecting)."""
        return self._thread.is_alive()

    def is_receiving(self) -> bool:
        """Whether the stream is connected and hearing from the server now."""
        return self.is_alive() and self._native.is_receiving()

    def join(self, timeout: Optional[float] = None) -> None:
        """Waits for the thread to end (after ``close()``), at most ``timeout`` seconds."""
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)


class Client:
    """A Mastodon streaming client with Mastodon.py's streaming methods.

    ``Client("https://mastodon.social", access_token=...)``. Each ``stream_*`` method takes
    a listener (a ``StreamListener`` subclass, a ``CallbackStreamListener``, or a listener
    written for Mastodon.py) and, with ``run_async=False``, blocks while the stream runs;
    with ``run_async=True`` it returns a ``StreamHandle``. Without a listener it returns an
    ``EventStream`` to iterate, with ``for`` or ``async for``.

    Reconnecting (jittered backoff, ``Retry-After`` honoured), the idle watchdog (45 s
    without a heartbeat) and catch-up over REST after each reconnect are always on, so
    ``reconnect_async``, ``reconnect_async_wait_sec`` and ``timeout`` are accepted for
    compatibility and ignored. ``streaming_url`` skips asking the instance where it
    streams from; ``root_certificates`` are extra trusted CA certificates (DER ``bytes``).
    """

    def __init__(
        self,
        api_base_url: str,
        access_token: Optional[str] = None,
        *,
        streaming_url: Optional[str] = None,
        root_certificates: Iterable[bytes] = (),
    ):
        self._native = NativeClient(
            api_base_url,
            access_token,
            streaming_url=streaming_url,
            root_certificates=list(root_certificates),
        )

    @property
    def api_base_url(self) -> str:
        """The instance URL."""
        return self._native.api_base_url

    def _stream(
        self,
        name: str,
        listener: Any,
        run_async: bool,
        tag: Optional[str] = None,
        list_id: Optional[str] = None,
    ) -> Any:
        if listener is None:
            return EventStream(self._native.open(name, tag=tag, list=list_id))
        native = self._native.open(
            name, tag=tag, list=list_id, events_only=False, heartbeats=True
        )
        if run_async:
            return StreamHandle(native, listener)
        _run(listener, native)
        return None

    def stream_user(self, listener: Any = None, run_async: bool = False, **_ignored: Any) -> Any:
        """Your home timeline and notifications (``user``)."""
        return self._stream("user", listener, run_async)

    def stream_user_notifications(
        self, listener: Any = None, run_async: bool = False, **_ignored: Any
    ) -> Any:
        """Your notifications only (``user:notification``)."""
        return self._stream("user:notification", listener, run_async)

    def stream_public(
        self,
        listener: Any = None,
        run_async: bool = False,
        timeout: Any = None,
        reconnect_async: bool = False,
        reconnect_async_wait_sec: Any = None,
        local: bool = False,
        remote: bool = False,
        only_media: bool = False,
    ) -> Any:
        """The federated timeline (``public``), or this server's (``local=True``) or other
        servers' (``remote=True``); ``only_media`` keeps statuses with media."""
        name = _public_stream_name(local=local, remote=remote, only_media=only_media)
        return self._stream(name, listener, run_async)

    def stream_local(
        self, listener: Any = None, run_async: bool = False, only_media: bool = False, **_ignored: Any
    ) -> Any:
        """This server's public statuses (``public:local``): ``stream_public(local=True)``."""
        return self.stream_public(listener, run_async, local=True, only_media=only_media)

    def stream_hashtag(
        self,
        tag: str,
        listener: Any = None,
        local: bool = False,
        run_async: bool = False,
        **_ignored: Any,
    ) -> Any:
        """Public statuses with ``tag`` (without ``#``), from every server or
        (``local=True``) this one's."""
        if tag.startswith("#"):
            raise MastodonIllegalArgumentError("Tag parameter should omit leading #")
        name = "hashtag:local" if local else "hashtag"
        return self._stream(name, listener, run_async, tag=tag)

    def stream_list(self, id: Any, listener: Any = None, run_async: bool = False, **_ignored: Any) -> Any:
        """The statuses of one of your lists (``list``). ``id`` is the list's id, or the
        list itself (a dict with an ``id``)."""
        if isinstance(id, dict):
            id = id["id"]
        return self._stream("list", listener, run_async, list_id=str(id))

    def stream_direct(self, listener: Any = None, run_async: bool = False, **_ignored: Any) -> Any:
        """Your direct conversations (``direct``)."""
        return self._stream("direct", listener, run_async)

    def stream_healthy(self) -> bool:
        """Whether the streaming server is up (``/api/v1/streaming/health`` answers ``OK``);
        raises ``MastodonNetworkError`` when it cannot be reached."""
        return self._native.stream_healthy()
