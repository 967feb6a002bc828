"""Shared fixtures: the protocol vectors of mastostream-proto, and loopback fake servers."""

import json
import os
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VECTORS = REPO / "mastostream-proto" / "tests" / "vectors"

# Every wait in these tests is bounded by this (seconds), and fails naming what it waited for.
WAIT = float(os.environ.get("MASTOSTREAM_TEST_WAIT", "30"))


def vectors(kind, ext):
    """(name, input bytes, expected items) for every vector in VECTORS/kind."""
    out = []
    for path in sorted((VECTORS / kind).glob(f"*.{ext}")):
        # Lines end at "\n" only: payloads hold U+2028, which str.splitlines() splits at.
        text = path.with_suffix(".jsonl").read_bytes().decode("utf-8")
        expected = [json.loads(line) for line in text.split("\n") if line.strip()]
        out.append((path.stem, path.read_bytes(), expected))
    return out


@pytest.fixture
def fake():
    testing = pytest.importorskip(
        "mastostream._testing", reason="built without the `testing` feature"
    )
    return testing.FakeServer()


class Watchdog:
    """Closes a stream if a test is still waiting on it after WAIT seconds, so that a
    broken test fails (its assertion names what it waited for) instead of hanging."""

    def __init__(self, stream, what):
        self.fired = threading.Event()
        self.what = what
        self.timer = threading.Timer(WAIT, self._fire, args=(stream,))
        self.timer.daemon = True
        self.timer.start()

    def _fire(self, stream):
        self.fired.set()
        stream.close()

    def cancel(self):
        self.timer.cancel()
        assert not self.fired.is_set(), f"timed out after {WAIT} s waiting for {self.what}"


@pytest.fixture
def watchdog():
    dogs = []

    def arm(stream, what):
        dog = Watchdog(stream, what)
        dogs.append(dog)
        return dog

    yield arm
    for dog in dogs:
        dog.timer.cancel()
