"""The sans-IO decoder: the protocol vectors in every chunking, events and their payloads."""

import datetime as dt
import json

import pytest

import mastostream
from mastostream import Decoder, MastodonError, MastodonUnauthorizedError
from conftest import vectors

SSE = vectors("sse", "sse")
HTTP = vectors("http", "http")


SMALL = 4096


def chunkings(data):
    """Whole, one byte at a time, and split in two at every point (every 97th point past
    the first 4 KiB of the one large vector, a head over the 16 KiB limit)."""
    yield "whole", [data]
    yield "byte by byte", [data[i : i + 1] for i in range(len(data))]
    points = list(range(min(len(data), SMALL) + 1)) + list(range(SMALL + 1, len(data) + 1, 97))
    for i in points:
        yield f"split at {i}", [data[:i], data[i:]]


def run(decoder, chunks):
    """The decoder's frames (and a final error) as the vectors' dicts."""
    out = []

    def drain():
        try:
            for frame in decoder.frames():
                out.append(frame.to_dict())
        except MastodonError as err:
            out.append(
                {"type": "error", "kind": err.kind, "status": err.status, "message": err.server_message}
            )

    for chunk in chunks:
        decoder.feed(chunk)
        drain()
    decoder.feed_eof()
    drain()
    return out


def test_there_are_vectors():
    assert len(SSE) >= 40 and len(HTTP) >= 20


@pytest.mark.parametrize("name,data,expected", SSE, ids=[v[0] for v in SSE])
def test_sse_vectors_in_every_chunking(name, data, expected):
    for how, chunks in chunkings(data):
        got = run(Decoder.body(), chunks)
        assert got.pop() == {"type": "end"}, f"{name}: {how}: a bare body ends cleanly"
        assert got == expected, f"{name}: {how}"


@pytest.mark.parametrize("name,data,expected", HTTP, ids=[v[0] for v in HTTP])
def test_http_vectors_in_every_chunking(name, data, expected):
    for how, chunks in chunkings(data):
        decoder = Decoder.http()
        assert run(decoder, chunks) == expected, f"{name}: {how}"
        assert decoder.is_over, f"{name}: {how}"


def test_chunks_may_be_bytearray_or_memoryview():
    decoder = Decoder.body()
    decoder.feed(bytearray(b"event: delete\n"))
    decoder.feed(memoryview(b"data: 110988741790818968\n\n"))
    [event] = list(decoder)
    assert (event.kind, event.payload, event.id) == ("delete", "110988741790818968", "110988741790818968")


STATUS = {
    "id": "110988741790818968",
    "created_at": "2023-08-30T12:00:00.000Z",
    "edited_at": None,
    "in_reply_to_id": None,
    "visibility": "public",
    "uri": "https://example.social/users/ada/statuses/110988741790818968",
    "content": "<p>hi</p>",
    "account": {
        "id": "1",
        "username": "ada",
        "acct": "ada",
        "created_at": "2022-01-01T00:00:00.000Z",
        "last_status_at": "2023-08-30",
    },
    "tags": [{"name": "rust", "url": "https://example.social/tags/rust"}],
}


def sse(*events):
    return b"".join(
        f"event: {name}\ndata: {data}\n\n".encode() for name, data in events
    )


def decode(data, **kwargs):
    decoder = Decoder.body(**kwargs)
    decoder.feed(data)
    decoder.feed_eof()
    return list(decoder)


def test_update_payload_is_a_mastodon_py_status():
    [event] = decode(sse(("update", json.dumps(STATUS))))
    assert event.kind == "update" and event.name == "update" and not event.recovered
    status = event.payload
    assert isinstance(status, mastostream.Status) and isinstance(status, dict)
    assert status is event.payload, "built once"
    assert status["id"] == status.id == "110988741790818968"
    assert status.account.acct == status["account"]["acct"] == "ada"
    assert isinstance(status.account, mastostream.Account)
    assert isinstance(status.tags[0], mastostream.Tag)
    utc = dt.timezone.utc
    assert status.created_at == dt.datetime(2023, 8, 30, 12, tzinfo=utc)
    assert status.account.last_status_at == dt.datetime(2023, 8, 30)  # naive, as Mastodon.py
    assert status.favourited is None and "favourited" not in status  # a viewer field
    with pytest.raises(AttributeError):
        status.no_such_field


def test_to_dict_is_plain_data_shaped_like_a_websocket_message():
    [event] = decode(sse(("update", json.dumps(STATUS))))
    d = event.to_dict()
    assert d["event"] == "update" and "stream" not in d
    assert type(d["payload"]) is dict and type(d["payload"]["account"]) is dict
    assert d["payload"]["content"] == "<p>hi</p>"
    assert json.loads(json.dumps(d, default=str))["payload"]["id"] == "110988741790818968"
    assert event.payload.to_dict() == d["payload"]


def test_every_event_kind():
    events = decode(
        b":)\n"
        + sse(
            ("status.update", json.dumps(STATUS)),
            ("delete", "110988741790818968"),
            ("announcement.delete", "7"),
            ("announcement.reaction", '{"name":"\U0001f389","count":2,"announcement_id":"8"}'),
            ("notifications_merged", "1"),
            ("filters_changed", "undefined"),
            ("status.translated", '{"x":1}'),
            ("message", "not json"),
            ("notification", '{"id":'),
        )
    )
    kinds = [(e.kind, e.name) for e in events]
    assert kinds == [
        ("heartbeat", None),
        ("status.update", "status.update"),
        ("delete", "delete"),
        ("announcement.delete", "announcement.delete"),
        ("announcement.reaction", "announcement.reaction"),
        ("notifications_merged", "notifications_merged"),
        ("filters_changed", "filters_changed"),
        ("unknown", "status.translated"),
        ("unknown", "message"),
        ("malformed", "notification"),
    ]
    heartbeat, _, _, announcement_delete, reaction, merged, _, unknown, text, malformed = events
    assert heartbeat.payload == ")" and heartbeat.data == ")"
    assert announcement_delete.payload == "7"
    assert isinstance(reaction.payload, mastostream.StreamReaction)
    assert reaction.payload.count == 2 and reaction.id == "8"
    assert merged.payload is None
    assert unknown.payload == {"x": 1} and unknown.payload.x == 1
    assert text.payload == "not json"
    assert malformed.payload is None and malformed.data == '{"id":'
    assert "invalid JSON" in malformed.error
    assert malformed.to_dict()["error"] == malformed.error


def test_heartbeats_can_be_left_out():
    assert decode(b":)\n:thump\n", heartbeats=False) == []


def test_an_event_over_the_limit_is_one_malformed_event():
    events = decode(sse(("update", "x" * 100), ("delete", "1")), max_event=64)
    assert [e.kind for e in events] == ["malformed", "delete"]


def test_http_errors_carry_the_servers_message():
    decoder = Decoder.http()
    decoder.feed(
        b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
        b"Content-Length: 32\r\n\r\n{\"error\":\"Invalid access token\"}"
    )
    with pytest.raises(MastodonUnauthorizedError, match="Invalid access token") as err:
        list(decoder)
    assert (err.value.status, err.value.server_message) == (401, "Invalid access token")
    assert not err.value.transient
    assert list(decoder) == []


def test_http_head_is_kept():
    decoder = Decoder.http()
    decoder.feed(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n3\r\n:)\n\r\n"
    )
    assert [e.kind for e in decoder] == ["heartbeat"]
    assert decoder.status == 200
    assert ("Content-Type", "text/event-stream") in decoder.headers


class Recorder(mastostream.StreamListener):
    def __init__(self):
        self.seen = []

    def on_update(self, status):
        self.seen.append(("update", status.id))

    def on_delete(self, status_id):
        self.seen.append(("delete", status_id))

    def on_unknown_event(self, name, unknown_event=None):
        self.seen.append(("unknown", name))

    def on_malformed_event(self, error):
        self.seen.append(("malformed", error.name))

    def handle_heartbeat(self):
        self.seen.append(("heartbeat",))


def test_handle_stream_reads_a_response_in_any_pieces():
    body = b":)\n" + sse(("update", json.dumps(STATUS)), ("update", "{oops"), ("x.y", "1"), ("delete", "5"))
    expected = [
        ("heartbeat",),
        ("update", "110988741790818968"),
        ("malformed", "update"),
        ("unknown", "x.y"),
        ("delete", "5"),
    ]
    for _, chunks in chunkings(body):
        listener = Recorder()
        listener.handle_stream(chunks)
        assert listener.seen == expected


def test_handle_stream_turns_transport_errors_into_network_errors():
    class Response:
        def iter_content(self, chunk_size=None):
            yield sse(("delete", "5"))
            raise ConnectionResetError("reset by peer")

    aborted = []
    listener = mastostream.CallbackStreamListener(abort_handler=aborted.append)
    with pytest.raises(mastostream.MastodonNetworkError):
        listener.handle_stream(Response())
    assert len(aborted) == 1 and isinstance(aborted[0], mastostream.MastodonNetworkError)
