#!/usr/bin/env python3
"""Writes the committed seed corpus fuzz/seeds/<target>/ from the proto test vectors and
fixtures and, optionally, from a generated Mastodon capture (a chunked HTTP response with
CRLF lines, as `cargo run -p mastostream-testkit --bin gen-corpus -- --events 40 --seed 7
--with-http-head --chunked --crlf` writes it).

    python3 fuzz/make_seeds.py [capture.http]

Each seed is the target's header bytes (limits, chunk-size seeds; for event_decode the
event name's index; for http_head a mode byte) followed by the data. The session_ops seeds
are scripted sessions, and some http_head seeds generated heads, encoded in the `wire`
format by `cargo +nightly run --example session_seeds` (which this script runs; it needs
the nightly toolchain).
"""
import hashlib
import json
import pathlib
import subprocess
import sys

FUZZ = pathlib.Path(__file__).resolve().parent
VECTORS = FUZZ.parent / "mastostream-proto" / "tests" / "vectors"
FIXTURES = FUZZ.parent / "mastostream-proto" / "tests" / "fixtures"

# event_decode's first byte picks the event name from this list (mastostream_fuzz::EVENT_NAMES).
EVENT_NAMES = [
    "update", "status.update", "delete", "notification", "conversation", "announcement",
    "announcement.reaction", "announcement.delete", "notifications_merged", "filters_changed",
    "encrypted_message", "message", "status.translated", "heartbeat", "Update", "",
]

# Target -> list of header prefixes; each input is written once per header.
HEADERS = {
    # [limit, seed x3, mode]: default limit / 64-byte limit; chunks of 7, 1, 200 bytes;
    # raw bytes (the generated heads come from the session_seeds example).
    "http_head": [b"\x00\x06\x00\xc7\x00", b"\x10\x06\x00\xc7\x00"],
    # [split_hi, split_lo, seed x3]
    "chunked_body": [b"\x00\x11\x02\x00\x3f"],
    # [max_line, max_event, seed x3]: default limits, then small ones.
    "sse_framer": [b"\x00\x00\x06\x00\xc7", b"\x20\x30\x06\x00\xc7"],
    # [limit bits, seed x3]: all defaults, then every limit small.
    "decoder": [b"\x00\x06\x00\xc7", b"\x3f\x06\x00\xc7"],
    # The message itself.
    "ws_message": [b""],
}


def body_of(http: bytes) -> bytes:
    """The bytes after the response head."""
    for sep in (b"\r\n\r\n", b"\n\n"):
        at = http.find(sep)
        if at >= 0:
            return http[at + len(sep):]
    return b""


def write(target: str, data: bytes) -> None:
    out = FUZZ / "seeds" / target
    out.mkdir(parents=True, exist_ok=True)
    for header in HEADERS[target]:
        seed = header + data
        (out / hashlib.sha1(seed).hexdigest()[:16]).write_bytes(seed)


def write_seed(target: str, seed: bytes) -> None:
    out = FUZZ / "seeds" / target
    out.mkdir(parents=True, exist_ok=True)
    (out / hashlib.sha1(seed).hexdigest()[:16]).write_bytes(seed)


def event_seeds() -> None:
    """event_decode: every event and malformed-payload fixture under its own name; the first
    valid fixture of each name also under every other name (payloads of the wrong kind)."""
    for group in ("events", "malformed"):
        for name_dir in sorted((FIXTURES / group).iterdir()):
            index = EVENT_NAMES.index(name_dir.name)
            for path in sorted(name_dir.iterdir()):
                write_seed("event_decode", bytes([index]) + path.read_bytes())
    firsts = [sorted(d.iterdir())[0].read_bytes() for d in sorted((FIXTURES / "events").iterdir())]
    for n, data in enumerate(firsts):
        if len(data) <= 2048:
            write_seed("event_decode", bytes([(n * 7 + 3) % len(EVENT_NAMES)]) + data)


def ws_seeds() -> None:
    """ws_message: proto's WebSocket fixtures, and one event fixture of each name in an
    envelope (payload encoded twice as Mastodon sends it; and once, as an object)."""
    for path in sorted((FIXTURES / "ws").iterdir()):
        write("ws_message", path.read_bytes())
    streams = [["user"], ["list", "42"], ["hashtag", "rust"], ["public:local:media"], ["direct"]]
    for n, name_dir in enumerate(sorted((FIXTURES / "events").iterdir())):
        data = sorted(name_dir.iterdir())[0].read_bytes().decode()
        if len(data) > 2048:
            continue
        stream = streams[n % len(streams)]
        envelope = {"stream": stream, "event": name_dir.name, "payload": data}
        write("ws_message", json.dumps(envelope, separators=(",", ":")).encode())
        try:
            as_object = dict(envelope, payload=json.loads(data))
            write("ws_message", json.dumps(as_object, separators=(",", ":")).encode())
        except ValueError:
            pass
    for extra in (b'{"error":"Unknown channel requested","status":"400"}', b'{"stream":["user"],"event":"delete","payload":110988741790818968}', b'{"stream":["user"],"event":"update","payload":1.0}'):
        write("ws_message", extra)


def session_seeds() -> None:
    """session_ops' scripted sessions and http_head's generated heads (named files)."""
    subprocess.run(
        ["cargo", "+nightly", "run", "--quiet", "--example", "session_seeds", "--",
         str(FUZZ / "seeds" / "session_ops"), str(FUZZ / "seeds" / "http_head")],
        cwd=FUZZ, check=True,
    )


def main() -> None:
    event_seeds()
    ws_seeds()
    session_seeds()
    https = sorted((VECTORS / "http").glob("*.http"))
    sses = sorted((VECTORS / "sse").glob("*.sse"))
    for path in https:
        data = path.read_bytes()
        write("http_head", data[:2048])
        write("decoder", data)
        if b"chunked" in data.split(b"\r\n\r\n")[0].lower():
            write("chunked_body", body_of(data))
    for path in sses:
        write("sse_framer", path.read_bytes())
    if len(sys.argv) > 1:
        capture = pathlib.Path(sys.argv[1]).read_bytes()
        body = body_of(capture)
        write("http_head", capture[: len(capture) - len(body)])
        for n, size in enumerate((1500, 3000, 6000)):
            start = n * 7000
            write("decoder", capture[:size] if n == 0 else capture[:200] + body[start : start + size])
            write("chunked_body", body[start : start + size])
        # De-chunk the capture for the SSE framer seeds.
        sse, rest = b"", body
        while rest:
            line, _, rest = rest.partition(b"\r\n")
            size = int(line.split(b";")[0], 16)
            if size == 0:
                break
            sse, rest = sse + rest[:size], rest[size + 2:]
        for start, size in ((0, 2000), (5000, 4000), (20000, 8000)):
            write("sse_framer", sse[start : start + size])


if __name__ == "__main__":
    main()
