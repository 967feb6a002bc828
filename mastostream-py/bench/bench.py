"""Throughput of mastostream against Mastodon.py's ``StreamListener.handle_stream`` on the
same generated stream, in the same run.

    cargo run --release -p mastostream-testkit --bin gen-corpus -- \\
        --events 5000 --seed 1 --out /tmp/corpus-5k.sse
    python mastostream-py/bench/bench.py /tmp/corpus-5k.sse

Both read the stream from the same ``requests``-like response object, each the way it
reads a real one: Mastodon.py asks ``iter_content(chunk_size=1)``; mastostream asks
``iter_content(chunk_size=None)`` (what arrives), here 64 KiB pieces. Both listeners
receive Mastodon.py-shaped payloads (``on_update(status)`` with a dict of the status) and
count them. Needs ``mastostream`` and ``Mastodon.py`` installed.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import sys
import time
from typing import Callable, Iterator, Optional


class Response:
    """What ``requests.get(..., stream=True)`` returns, serving a captured body."""

    def __init__(self, body: bytes, piece: int = 64 * 1024):
        self.body = body
        self.piece = piece

    def iter_content(self, chunk_size: Optional[int] = 1) -> Iterator[bytes]:
        size = chunk_size or self.piece
        body = self.body
        for i in range(0, len(body), size):
            yield body[i : i + size]


def counting_listener(base: type) -> type:
    class Counter(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()
            self.events = 0

        def on_update(self, status):  # noqa: ANN001
            self.events += 1

        def on_status_update(self, status):  # noqa: ANN001
            self.events += 1

        def on_notification(self, notification):  # noqa: ANN001
            self.events += 1

        def on_conversation(self, conversation):  # noqa: ANN001
            self.events += 1

        def on_delete(self, status_id):  # noqa: ANN001
            self.events += 1

        def on_unknown_event(self, name, unknown_event=None):  # noqa: ANN001
            self.events += 1

        def on_any_event(self, name, data=None, for_stream=None):  # noqa: ANN001
            pass

    return Counter


def first_events(body: bytes, n: int) -> bytes:
    """The body up to the end of its `n`-th event (whole events only)."""
    end = seen = 0
    while seen < n:
        nxt = body.find(b"\n\n", end)
        if nxt < 0:
            return body
        seen += b"event:" in body[end:nxt]
        end = nxt + 2
    return body[:end]


def measure(run: Callable[[], int], min_seconds: float) -> tuple[int, float]:
    """Runs `run` (which returns the events it saw) until `min_seconds` have passed, at
    least once; returns the events of one run and the best events per second."""
    best = 0.0
    events = 0
    spent = 0.0
    while spent < min_seconds or best == 0.0:
        start = time.perf_counter()
        events = run()
        elapsed = time.perf_counter() - start
        spent += elapsed
        best = max(best, events / elapsed)
    return events, best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", help="an SSE body written by gen-corpus")
    parser.add_argument(
        "--mastodon-py-events",
        type=int,
        default=2000,
        help="feed Mastodon.py only the bytes of the first N events (it is slow); 0 for all",
    )
    parser.add_argument("--min-seconds", type=float, default=2.0)
    args = parser.parse_args()

    import mastostream
    import mastodon

    body = open(args.corpus, "rb").read()
    mpy_body = first_events(body, args.mastodon_py_events) if args.mastodon_py_events else body

    ours = counting_listener(mastostream.StreamListener)
    theirs = counting_listener(mastodon.StreamListener)

    def run_ours(data: bytes) -> Callable[[], int]:
        def run() -> int:
            listener = ours()
            listener.handle_stream(Response(data))
            return listener.events

        return run

    def run_decoder() -> int:
        decoder = mastostream.Decoder.body(heartbeats=False)
        n = 0
        for chunk in Response(body).iter_content(None):
            decoder.feed(chunk)
            for _ in decoder:
                n += 1
        decoder.feed_eof()
        return n + sum(1 for _ in decoder)

    def run_theirs() -> int:
        listener = theirs()
        listener.handle_stream(Response(mpy_body))
        return listener.events

    print(f"corpus: {args.corpus} ({len(body) / 1e6:.1f} MB)", flush=True)
    rows = []
    n, rate = measure(run_decoder, args.min_seconds)
    rows.append(("mastostream Decoder (typed events, payloads not built)", n, rate))
    n, rate = measure(run_ours(body), args.min_seconds)
    rows.append(("mastostream StreamListener.handle_stream", n, rate))
    n_same, rate_same = measure(run_ours(mpy_body), args.min_seconds)
    n, rate = measure(run_theirs, 0.0)
    assert n == n_same, f"Mastodon.py saw {n} events, mastostream {n_same}, on the same bytes"
    rows.append((f"mastostream handle_stream, first {n} events", n_same, rate_same))
    version = importlib.metadata.version("Mastodon.py")
    rows.append((f"Mastodon.py {version} handle_stream, first {n} events", n, rate))
    width = max(len(r[0]) for r in rows)
    for name, events, rate in rows:
        print(f"{name:<{width}}  {events:>8} events  {rate:>12,.0f} events/s")
    print(f"speed-up on the same events: {rate_same / rate:,.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
