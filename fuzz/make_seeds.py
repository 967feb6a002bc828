#!/usr/bin/env python3
"""Writes the committed seed corpus fuzz/seeds/<target>/ from the proto test vectors and,
optionally, from a generated Mastodon capture (a chunked HTTP response with CRLF lines, as
`cargo run -p mastostream-testkit --bin gen-corpus -- --events 40 --seed 7 --with-http-head
--chunked --crlf` writes it).

    python3 fuzz/make_seeds.py [capture.http]

Each seed is the target's header bytes (limits, chunk-size seeds) followed by the data.
"""
import hashlib
import pathlib
import sys

FUZZ = pathlib.Path(__file__).resolve().parent
VECTORS = FUZZ.parent / "mastostream-proto" / "tests" / "vectors"

# Target -> list of header prefixes; each input is written once per header.
HEADERS = {
    # [limit, seed x3]: default limit / 64-byte limit; chunks of 7, 1, 200 bytes.
    "http_head": [b"\x00\x06\x00\xc7", b"\x10\x06\x00\xc7"],
    # [split_hi, split_lo, seed x3]
    "chunked_body": [b"\x00\x11\x02\x00\x3f"],
    # [max_line, max_event, seed x3]: default limits, then small ones.
    "sse_framer": [b"\x00\x00\x06\x00\xc7", b"\x20\x30\x06\x00\xc7"],
    # [limit bits, seed x3]: all defaults, then every limit small.
    "decoder": [b"\x00\x06\x00\xc7", b"\x3f\x06\x00\xc7"],
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


def main() -> None:
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
