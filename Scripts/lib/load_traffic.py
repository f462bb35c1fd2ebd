"""The traffic of Scripts/load: docks uploading by tus 1.0 and recipients downloading a court bundle.

One asyncio loop in one thread drives every client over raw streams (HTTP/1.1 written by hand,
keep-alive, TLS through the ssl module), so the client costs at most one core whatever the number
of docks. Every answer is checked (status, offsets, the bundle's bytes against the whole ZIP); a
request that is refused, breaks or takes longer than REQUEST_TIMEOUT seconds counts as failed.
"""
import asyncio
import base64
import random
import time
from collections import Counter, defaultdict
from urllib.parse import urlsplit

REQUEST_TIMEOUT = 60
PATCH_BYTES = 2 << 20  # a dock sends its recording in PATCHes of this size
READ_BYTES = 1 << 20


class Refused(Exception):
    """An answer that is not what the protocol says it must be (its text says what was wrong)."""


class Stats:
    """Latencies per request type, bytes moved and failures, shared by every client."""

    def __init__(self):
        self.latencies = defaultdict(list)
        self.failures = Counter()  # by reason
        self.bytes_up = 0
        self.bytes_down = 0
        self.uploads = 0
        self.exhibits = set()

    def fail(self, kind, error):
        reason = f"{kind}: {error}" if isinstance(error, Refused) else f"{kind}: {type(error).__name__} {error}"
        self.failures[reason[:200]] += 1


class Connection:
    """One keep-alive HTTP/1.1 connection, opened again when the server closes it."""

    def __init__(self, url, ssl_context):
        parts = urlsplit(url)
        self.host, self.port, self.ssl = parts.hostname, parts.port, ssl_context
        self.reader = self.writer = None

    async def close(self):
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except (OSError, ConnectionError):
                pass  # the server may have closed first
        self.reader = self.writer = None

    async def request(self, method, path, headers, body=b"", expect=None):
        """Sends one request, returns (status, headers, body bytes). `expect`, if given, is bytes the body
        must equal, compared piece by piece as it arrives (the body is not kept then)."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                self.host, self.port, ssl=self.ssl, limit=READ_BYTES,
                server_hostname=self.host if self.ssl else None)
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        head += f"Content-Length: {len(body)}\r\n\r\n" if body or method in ("POST", "PATCH") else "\r\n"
        try:
            self.writer.write(head.encode())
            if body:
                self.writer.write(body)
            await self.writer.drain()
            status, answer = await self._head()
            data = await self._body(method, status, answer, expect)
        except BaseException:
            await self.close()  # a connection left mid-request cannot be used again
            raise
        if answer.get("connection", "").lower() == "close":
            await self.close()
        return status, answer, data

    async def _head(self):
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        answer = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                answer[name.strip().lower()] = value.strip()
        return status, answer

    async def _body(self, method, status, answer, expect):
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return b""
        if answer.get("transfer-encoding", "").lower() == "chunked":
            data = bytearray()
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                data += await self.reader.readexactly(size + 2)
                if size == 0:
                    return bytes(data)
        remaining = int(answer.get("content-length", "0"))
        if expect is None or remaining != len(expect):
            return await self.reader.readexactly(remaining)
        view, at = memoryview(expect), 0
        while at < remaining:
            piece = await self.reader.read(min(READ_BYTES, remaining - at))
            if not piece:
                raise Refused(f"connection closed after {at} of {remaining} body bytes")
            if view[at:at + len(piece)] != piece:
                raise Refused(f"body bytes {at}-{at + len(piece) - 1} differ from the bundle's")
            at += len(piece)
        return b""


async def timed(stats, kind, call):
    """Runs one request, recording its latency under `kind`; a failure is recorded and raised again."""
    start = time.monotonic()
    try:
        result = await asyncio.wait_for(call, REQUEST_TIMEOUT)
    except Exception as error:
        if isinstance(error, asyncio.TimeoutError):
            error = Refused(f"no answer within {REQUEST_TIMEOUT} s")
        stats.fail(kind, error)
        error.recorded = True
        raise error
    stats.latencies[kind].append(time.monotonic() - start)
    return result


async def settle(stats, kind, error, conn):
    """After a failed request: records it unless timed() did, and starts again on a new connection."""
    if not getattr(error, "recorded", False):
        stats.fail(kind, error)
    await conn.close()
    await asyncio.sleep(0.1)


def metadata(name, dock, digest):
    pairs = {"filename": name, "device": f"BWV-{dock:04d}", "officer": f"PC-{4000 + dock}",
             "captured_at": "2026-12-01T09:15:00Z", "sha256": digest}
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in pairs.items())


async def dock(number, url, ssl_context, token, recording, deadline, stats):
    """One docking station: uploads its recording (name, bytes, hex SHA-256) again and again until the
    deadline, each time a POST then PATCHes of PATCH_BYTES, and finishes the upload under way then."""
    name, data, digest = recording
    conn = Connection(url, ssl_context)
    auth = {"Tus-Resumable": "1.0.0", "Authorization": f"Bearer {token}"}
    view = memoryview(data)
    while time.monotonic() < deadline:
        try:
            status, answer, _ = await timed(stats, "POST /files/", conn.request("POST", "/files/", {
                **auth, "Upload-Length": str(len(data)), "Upload-Metadata": metadata(name, number, digest)}))
            if status != 201 or "location" not in answer:
                raise Refused(f"POST answered {status}, Location {answer.get('location')!r}")
            path = "/" + answer["location"].split("://", 1)[-1].split("/", 1)[1]
            offset = 0
            while offset < len(data):
                piece = view[offset:offset + PATCH_BYTES]
                last = offset + len(piece) == len(data)
                kind = "PATCH (last: ingest)" if last else "PATCH"
                status, answer, _ = await timed(stats, kind, conn.request("PATCH", path, {
                    **auth, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"},
                    piece))
                offset += len(piece)
                if status != 204 or answer.get("upload-offset") != str(offset):
                    raise Refused(f"{kind} answered {status}, Upload-Offset {answer.get('upload-offset')!r} "
                                  f"(expected {offset})")
                stats.bytes_up += len(piece)
                if last:
                    if not answer.get("custody-exhibit"):
                        raise Refused("the last PATCH named no Custody-Exhibit")
                    stats.exhibits.add(answer["custody-exhibit"])
                    stats.uploads += 1
        except Exception as error:
            await settle(stats, "upload", error, conn)  # then a new upload
    await conn.close()


async def downloader(number, url, ssl_context, path, bundle, deadline, stats):
    """One recipient fetching the bundle's ZIP through its signed link until the deadline: every fourth
    request the whole ZIP, the others one byte range (bytes=a-b, or the last n bytes), each compared with
    `bundle`, the whole ZIP fetched once before."""
    conn = Connection(url, ssl_context)
    rng = random.Random(number)
    size = len(bundle)
    turn = number
    while time.monotonic() < deadline:
        turn += 1
        try:
            if turn % 4 == 0:
                status, _, _ = await timed(stats, "GET bundle (whole)", conn.request("GET", path, {}, expect=bundle))
                if status != 200:
                    raise Refused(f"GET of the whole bundle answered {status}")
                stats.bytes_down += size
                continue
            length = rng.randint(64 << 10, min(4 << 20, size))
            first = size - length if turn % 4 == 3 else rng.randint(0, size - length)
            asked = f"bytes=-{length}" if turn % 4 == 3 else f"bytes={first}-{first + length - 1}"
            status, answer, _ = await timed(stats, "GET bundle (range)", conn.request(
                "GET", path, {"Range": asked}, expect=memoryview(bundle)[first:first + length]))
            want = f"bytes {first}-{first + length - 1}/{size}"
            if status != 206 or answer.get("content-range") != want:
                raise Refused(f"{asked} answered {status}, Content-Range {answer.get('content-range')!r}")
            stats.bytes_down += length
        except Exception as error:
            await settle(stats, "download", error, conn)
    await conn.close()
