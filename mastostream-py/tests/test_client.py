"""The streaming client against the loopback fake Mastodon server (real TCP)."""

import _thread
import asyncio
import queue
import threading
import time

import pytest

import mastostream
from mastostream import CallbackStreamListener, Client, StreamListener
from conftest import WAIT


def next_event(stream, kind, what):
    """The next event of `kind` from an iterated stream (others are skipped)."""
    for event in stream:
        if event.kind == kind:
            return event
    raise AssertionError(f"the stream ended before {what}")


def wait_for(predicate):
    """Whether `predicate()` became true within WAIT seconds (polled)."""
    deadline = time.monotonic() + WAIT
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def wait_live(fake, n=1, opened=0):
    assert fake.wait_streams(live=n, opened=opened, timeout=WAIT), f"{n} live stream(s)"


def test_stream_healthy(fake):
    assert Client(fake.url).stream_healthy() is True


def test_a_listener_receives_events_in_the_background(fake):
    got = queue.Queue()
    listener = CallbackStreamListener(
        update_handler=lambda s: got.put(("update", s)),
        notification_handler=lambda n: got.put(("notification", n)),
        delete_handler=lambda i: got.put(("delete", i)),
    )
    handle = Client(fake.url).stream_user(listener, run_async=True)
    try:
        wait_live(fake)
        status_id = fake.publish_update()
        notification_id = fake.publish_notification()
        fake.publish_delete(int(status_id))
        kind, status = got.get(timeout=WAIT)
        assert (kind, status.id) == ("update", status_id)
        assert isinstance(status, mastostream.Status) and status.account.acct
        assert "_recovered" not in status
        kind, notification = got.get(timeout=WAIT)
        assert (kind, notification["id"]) == ("notification", notification_id)
        assert got.get(timeout=WAIT) == ("delete", status_id)
        assert handle.is_alive()
        assert wait_for(handle.is_receiving), "the handle to say it is receiving"
    finally:
        handle.close()
        handle.join(WAIT)
    assert not handle.is_alive(), "the stream's thread ends after close()"
    assert handle.exception is None


class Recorder(StreamListener):
    def __init__(self):
        self.events = queue.Queue()

    def on_update(self, status):
        self.events.put(("update", status.id))

    def on_malformed_event(self, error):
        self.events.put(("malformed", error.name, error.data))

    def on_unknown_event(self, name, unknown_event=None):
        self.events.put(("unknown", name, unknown_event))

    def on_any_event(self, name, data=None, for_stream=None):
        self.last_stream = for_stream

    def handle_heartbeat(self):
        self.events.put(("heartbeat",))


def test_a_malformed_event_does_not_stop_the_stream(fake):
    listener = Recorder()
    handle = Client(fake.url).stream_local(listener, run_async=True)
    try:
        wait_live(fake)
        fake.publish("update", '{"id": broken')
        fake.publish("status.translated", '{"id":"1"}')
        status_id = fake.publish_update()
        items = [listener.events.get(timeout=WAIT) for _ in range(4)]
        items = [i for i in items if i != ("heartbeat",)]
        assert items[:3] == [
            ("malformed", "update", '{"id": broken'),
            ("unknown", "status.translated", {"id": "1"}),
            ("update", status_id),
        ]
        assert listener.last_stream == ["public:local"]
    finally:
        handle.close()
        handle.join(WAIT)
    assert handle.exception is None


def test_heartbeats_reach_handle_heartbeat(fake):
    listener = Recorder()
    handle = Client(fake.url).stream_user(listener, run_async=True)
    try:
        assert listener.events.get(timeout=WAIT) == ("heartbeat",), "the `:)` on connect"
        fake.heartbeat()
        assert listener.events.get(timeout=WAIT) == ("heartbeat",), ":thump"
    finally:
        handle.close()
        handle.join(WAIT)


def consume(stream):
    """Iterates `stream` on a thread of its own (a stream connects only while iterated);
    its updates go to the returned queue."""
    updates = queue.Queue()

    def run():
        for event in stream:
            if event.kind == "update":
                updates.put(event)

    threading.Thread(target=run, daemon=True).start()
    return updates


def test_reconnect_catches_up_what_was_missed(fake, watchdog):
    stream = Client(fake.url).stream_user()
    dog = watchdog(stream, "the live and recovered events")
    with stream:
        updates = consume(stream)
        wait_live(fake)
        first = fake.publish_update()
        assert updates.get(timeout=WAIT).id == first, "the first live update"
        # The next connection attempt is refused for 2 s; meanwhile the stream is cut and
        # two statuses are published: they reach no live stream, only the REST timelines.
        fake.refuse_streams(1, 503, 2)
        fake.cut_streams("drop")
        assert fake.wait_requests(2, timeout=WAIT), "the refused reconnect attempt"
        missed = [fake.publish_update(), fake.publish_update()]
        wait_live(fake, opened=2)
        live = fake.publish_update()
        got = [updates.get(timeout=WAIT) for _ in range(3)]
        assert [(e.id, e.recovered) for e in got] == [
            (missed[0], True),
            (missed[1], True),
            (live, False),
        ]
        assert got[0].payload["_recovered"] is True and got[0].stream == ["user"]
        assert "_recovered" not in got[2].payload
    dog.cancel()


def test_recovered_statuses_reach_on_update_marked(fake):
    got = queue.Queue()
    listener = CallbackStreamListener(update_handler=got.put)
    handle = Client(fake.url).stream_user(listener, run_async=True)
    try:
        wait_live(fake)
        first = fake.publish_update()
        assert got.get(timeout=WAIT).id == first
        fake.refuse_streams(1, 503, 2)
        fake.cut_streams("drop")
        assert fake.wait_requests(2, timeout=WAIT), "the refused reconnect attempt"
        missed = fake.publish_update()
        status = got.get(timeout=WAIT)
        assert (status.id, status.get("_recovered")) == (missed, True)
    finally:
        handle.close()
        handle.join(WAIT)


def test_close_from_another_thread_ends_a_blocked_iteration(fake, watchdog):
    stream = Client(fake.url).stream_user()
    dog = watchdog(stream, "close() to end the iteration")
    seen = []

    def consume():
        for event in stream:
            seen.append(event)

    consumer = threading.Thread(target=consume)
    consumer.start()
    wait_live(fake)
    assert wait_for(stream.is_receiving), "the client to see its stream live"
    stream.close()
    consumer.join(WAIT)
    assert not consumer.is_alive(), "the iteration ended after close()"
    assert stream.is_closed()
    assert seen == []
    dog.cancel()


def test_ctrl_c_interrupts_a_blocking_stream(fake, watchdog):
    stream = Client(fake.url).stream_user()
    dog = watchdog(stream, "KeyboardInterrupt")

    def interrupt():
        wait_live(fake)
        _thread.interrupt_main()

    threading.Thread(target=interrupt, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        for _ in stream:
            pass
    dog.cancel()
    stream.close()


def test_a_rejected_token_raises_with_the_servers_message(fake):
    aborted = []
    listener = CallbackStreamListener(abort_handler=aborted.append)
    fake.plan_error(401, "Invalid access token")
    client = Client(fake.url, access_token="wrong")
    with pytest.raises(mastostream.MastodonUnauthorizedError, match="Invalid access token") as err:
        client.stream_user(listener)
    assert err.value.status == 401 and err.value.server_message == "Invalid access token"
    assert aborted == [err.value]


def test_bad_arguments():
    with pytest.raises(mastostream.MastodonIllegalArgumentError):
        Client("ftp://example.social")
    client = Client("https://example.social")
    with pytest.raises(mastostream.MastodonIllegalArgumentError):
        client.stream_hashtag("#rust")
    with pytest.raises(mastostream.MastodonIllegalArgumentError):
        client.stream_public(local=True, remote=True)


def test_the_asyncio_iterator(fake):
    async def publish_when_live(n):
        await asyncio.get_running_loop().run_in_executor(None, wait_live, fake)
        return [fake.publish_update() for _ in range(n)]

    async def main():
        stream = Client(fake.url).stream_local()
        async with stream:
            # No event exists before the publisher runs: this wait times out (cancelled).
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(stream.__anext__(), 0.01)
            publisher = asyncio.create_task(publish_when_live(2))
            got = []
            async for event in stream:
                if event.kind == "update":
                    got.append(event.id)
                if len(got) == 2:
                    break
            assert got == await publisher
            # Waits cancelled over and over lose nothing and duplicate nothing.
            publisher = asyncio.create_task(publish_when_live(20))
            got = []
            while len(got) < 20:
                try:
                    event = await asyncio.wait_for(stream.__anext__(), 0.001)
                except asyncio.TimeoutError:
                    continue
                if event.kind == "update":
                    got.append(event.id)
            assert got == await publisher
        assert stream.is_closed()
        with pytest.raises(StopAsyncIteration):
            while True:
                await stream.__anext__()

    asyncio.run(asyncio.wait_for(main(), WAIT))
