#!/usr/bin/env python3
"""An independent oracle for the protocol vectors next to this file.

Every expected output (`NAME.jsonl`) is recomputed here, from the input alone, by code that
shares nothing with mastostream-proto: the SSE side is a line-by-line transcription of the
WHATWG HTML standard's "Interpreting an event stream" (section 9.2.6), the HTTP side is
Python's own HTTP/1.1 client (`http.client`), and the few rules that are mastostream's own
(which response is an error, the 16 KiB head limit, where an error's message comes from) are
written out below from their documentation. Run: `python3 oracle.py`; it exits non-zero
naming every vector whose `.jsonl` disagrees. CI runs it. See README.md here.
"""
import http.client
import io
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
U64_MAX = 2**64 - 1
MAX_HEAD = 16 * 1024  # mastostream's documented `Limits::max_head` default


def sse_items(body: bytes):
    """The items of an SSE body, per WHATWG HTML 9.2.6 ("Interpreting an event stream").

    Beyond the standard, which ignores comments and only stores `retry`, this reports them
    as items, the way mastostream does: a comment's text is everything after its colon, and a
    retry value too large for a u64 is reported as u64::MAX (the standard's integer is
    unbounded).
    """
    text = body.decode("utf-8", errors="replace")  # "UTF-8 decode": replacement characters
    if text.startswith("\ufeff"):
        text = text[1:]  # one leading BOM is stripped, and only one
    # Lines end at CRLF, LF or CR; a last line without an end is never processed.
    lines, line, i = [], [], 0
    while i < len(text):
        c = text[i]
        if c in "\r\n":
            lines.append("".join(line))
            line = []
            if c == "\r" and text[i + 1 : i + 2] == "\n":
                i += 1
        else:
            line.append(c)
        i += 1
    items, data, event_type, last_id = [], "", "", ""
    for line in lines:
        if line == "":  # dispatch the event
            if data == "":
                data, event_type = "", ""
                continue
            if data.endswith("\n"):
                data = data[:-1]
            items.append(
                {"type": "event", "event": event_type or "message", "data": data, "id": last_id}
            )
            data, event_type = "", ""
            continue
        if line.startswith(":"):
            items.append({"type": "comment", "text": line[1:]})
            continue
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "event":
            event_type = value
        elif name == "data":
            data += value + "\n"
        elif name == "id":
            if "\0" not in value:
                last_id = value
        elif name == "retry":
            if value != "" and all(ch in "0123456789" for ch in value):
                items.append({"type": "retry", "ms": min(int(value), U64_MAX)})
    return items


class _Wire:
    """The bytes of one response, as the socket `http.client` reads from."""

    def __init__(self, data: bytes):
        self.file = io.BytesIO(data)

    def makefile(self, *_args, **_kwargs):
        return self.file


def _body(resp):
    """The body `http.client` reads, and whether it ended as its framing says."""
    out = bytearray()
    try:
        while True:
            piece = resp.read1(4096)
            if not piece:
                return bytes(out), True
            out += piece
    except (http.client.IncompleteRead, ValueError) as e:
        if isinstance(e, http.client.IncompleteRead):
            out += e.partial or b""
        return bytes(out), False


def _message(resp, body: bytes):
    """mastostream's documented source of an error's message: the JSON `error` field, else
    the `X-Error-Message` header, else a short plain-text body that is not HTML or JSON."""
    try:
        doc = json.loads(body)
        if isinstance(doc, dict) and isinstance(doc.get("error"), str):
            return doc["error"]
    except ValueError:
        pass
    header = resp.getheader("X-Error-Message")
    if header:
        return header
    try:
        text = body.decode("utf-8").strip()
    except UnicodeDecodeError:
        return None
    html = "html" in (resp.getheader("Content-Type") or "").lower()
    if not text or html or text[0] in "<{[":
        return None
    return text


def http_items(raw: bytes):
    """The items of a whole HTTP response, as `http.client` reads it."""
    head_end = raw.find(b"\r\n\r\n")
    final_head = raw.rfind(b"\r\n\r\n", 0, MAX_HEAD + 4)  # an interim 100 comes first
    if head_end < 0 and len(raw) > MAX_HEAD or (head_end > MAX_HEAD and final_head < 0):
        return [_error("head_too_large")]
    if raw.startswith(b"HTTP/") and head_end < 0:
        # RFC 9112 section 2.1: a head ends with an empty line; http.client accepts one
        # that the connection's end cuts short.
        return [_error("unexpected_eof")]
    resp = http.client.HTTPResponse(_Wire(raw), method="GET")
    try:
        resp.begin()  # skips interim 1xx responses
    except http.client.RemoteDisconnected:
        return [_error("unexpected_eof")]
    except http.client.BadStatusLine:
        return [_error("invalid_head")]
    body, clean = _body(resp)
    if resp.status != 200:
        return [_error("status", resp.status, _message(resp, body) if clean else None)]
    content_type = (resp.getheader("Content-Type") or "").split(";")[0].strip().lower()
    if content_type != "text/event-stream":
        return [_error("not_event_stream", 200)]
    items = [{"type": "head", "status": 200}] + sse_items(body)
    if clean:
        return items + [{"type": "end"}]
    # A body cut short or broken keeps the events it completed.
    chunked = resp.getheader("Transfer-Encoding", "").lower() == "chunked"
    return items + [_error("chunked" if chunked and _bad_chunk(raw) else "unexpected_eof")]


def _bad_chunk(raw: bytes) -> bool:
    """Whether a chunked body breaks its framing (rather than stopping early)."""
    body = raw[raw.rfind(b"\r\n\r\n", 0, raw.find(b"0\r\n") if b"0\r\n" in raw else len(raw)) + 4 :]
    while body:
        size_line, crlf, rest = body.partition(b"\r\n")
        if not crlf:
            return False  # stops inside a size line
        size_text = size_line.split(b";")[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return True
        if len(size_text) > 16:
            return True  # larger than any u64
        if size == 0:
            return False
        if len(rest) < size:
            return False  # stops inside the data
        if len(rest) >= size + 2 and rest[size : size + 2] != b"\r\n":
            return True
        body = rest[size + 2 :]
    return False


def _error(kind, status=None, message=None):
    return {"type": "error", "kind": kind, "status": status, "message": message}


def main():
    failures, checked = [], 0
    for ext, oracle in (("sse", sse_items), ("http", http_items)):
        for path in sorted((HERE / ext).glob(f"*.{ext}")):
            expected = [json.loads(l) for l in path.with_suffix(".jsonl").read_text().split("\n") if l]
            got = oracle(path.read_bytes())
            checked += 1
            if got != expected:
                failures.append(f"{ext}/{path.name}:\n  oracle:   {got}\n  expected: {expected}")
    for f in failures:
        print(f, file=sys.stderr)
    print(f"{checked - len(failures)} of {checked} vectors agree with the oracle")
    return 1 if failures or checked < 60 else 0


if __name__ == "__main__":
    sys.exit(main())
