"""Payloads have Mastodon.py's shapes: decoded side by side with Mastodon.py (when it is
installed) from the fake server's realistic entities, they agree key for key."""

import datetime as dt
import json
import urllib.request

import pytest

from mastostream import Decoder

return_types = pytest.importorskip("mastodon.return_types", reason="Mastodon.py is not installed")

EMPTY = ("", 0, False, [])


def agree(ours, theirs, path="payload"):
    """Asserts that our value is Mastodon.py's: the same keys (a key Mastodon.py fills with
    None may be absent from ours), equal values (datetimes as instants)."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict), path
        extra = set(ours) - set(theirs) - {"_recovered"}
        assert not extra, f"{path}: keys Mastodon.py does not have: {extra}"
        for key, value in theirs.items():
            if key not in ours:
                # Absent: the server left it out (Mastodon.py fills None), or sent it empty
                # where the model leaves empty lists out (`filtered`, `roles`).
                assert value is None or value == [], f"{path}.{key}: missing, Mastodon.py has {value!r}"
            else:
                agree(ours[key], value, f"{path}.{key}")
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), path
        for i, (a, b) in enumerate(zip(ours, theirs)):
            agree(a, b, f"{path}[{i}]")
    elif isinstance(theirs, dt.datetime):
        assert isinstance(ours, dt.datetime), path
        assert (ours.tzinfo is None) == (theirs.tzinfo is None), path
        assert ours == theirs, path
    elif theirs is None:
        # Mastodon sent null where the model reads the type's default (a count, a list).
        assert ours is None or ours in EMPTY, f"{path}: {ours!r} for null"
    elif isinstance(theirs, (int, float)) and not isinstance(theirs, bool):
        # The model reads some numbers as floats (`meta.aspect`): `1` comes back as `1.0`.
        assert ours == theirs and isinstance(ours, (int, float)), f"{path}: {ours!r} != {theirs!r}"
    else:
        assert ours == theirs and type(ours) in (type(theirs), str), f"{path}: {ours!r} != {theirs!r}"


def rest(fake, path):
    with urllib.request.urlopen(fake.url + path, timeout=30) as response:
        return json.loads(response.read())


@pytest.mark.parametrize(
    "event,path,cast",
    [
        ("update", "/api/v1/timelines/home?limit=40", "Status"),
        ("notification", "/api/v1/notifications?limit=40", "Notification"),
        ("conversation", "/api/v1/conversations?limit=40", "Conversation"),
    ],
)
def test_payloads_agree_with_mastodon_py(fake, event, path, cast):
    for _ in range(30):
        {"update": fake.publish_update, "notification": fake.publish_notification,
         "conversation": fake.publish_conversation}[event]()
    entities = rest(fake, path)
    assert len(entities) == 30
    decoder = Decoder.body()
    for entity in entities:
        decoder.feed(f"event: {event}\ndata: {json.dumps(entity)}\n\n".encode())
    decoder.feed_eof()
    ours = list(decoder)
    assert [e.kind for e in ours] == [event] * 30
    cls = getattr(return_types, cast)
    for mine, entity in zip(ours, entities):
        theirs = return_types.try_cast_recurse(cls, entity)
        agree(mine.payload, theirs)
        agree(mine.to_dict()["payload"], theirs)
