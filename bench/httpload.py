"""A light HTTP/1.1 load generator: keep-alive sockets, pre-built request bytes, no client lib.

It shares the machine with the server it measures, so each request costs only a write, a
header read and a body read on an asyncio stream (uvloop when installed); parsing is limited
to the status line and Content-Length.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import math
import struct
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar
from urllib.parse import urlencode

MFA_OTP = "http://auth0.com/oauth/grant-type/mfa-otp"


class ProtocolError(Exception):
    """The server's answer is not HTTP/1.1 with a Content-Length."""


class Connection:
    """One keep-alive connection; requests on it are strictly sequential."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def send(self, request: bytes) -> tuple[int, bytes]:
        """Write a complete request; return the status and body of its response."""
        status, _, body = await self.exchange(request)
        return status, body

    async def exchange(self, request: bytes) -> tuple[int, bytes, bytes]:
        """Like `send`, with the response's header block too (for a redirect's Location)."""
        self._writer.write(request)
        head = await self._reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 "):
            raise ProtocolError(head[:40].decode(errors="replace"))
        status = int(head[9:12])
        length = _content_length(head)
        body = await self._reader.readexactly(length) if length else b""
        return status, head, body

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()


def _content_length(head: bytes) -> int:
    lowered = head.lower()
    at = lowered.find(b"\r\ncontent-length:")
    if at < 0:
        raise ProtocolError("no Content-Length in the response")
    end = lowered.index(b"\r\n", at + 2)
    return int(lowered[at + 17 : end])


def post(host: str, path: str, body: bytes, *, content_type: str) -> bytes:
    """The bytes of one POST request."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: twofold-bench\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


def get(host: str, target: str, *, cookie: str | None = None) -> bytes:
    """The bytes of one GET request; `target` is the path with its query string."""
    extra = f"Cookie: {cookie}\r\n" if cookie else ""
    head = f"GET {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: twofold-bench\r\n{extra}\r\n"
    return head.encode("ascii")


def header(head: bytes, name: bytes) -> bytes | None:
    """The value of the first header called `name` (lower case) in a response head."""
    lowered = head.lower()
    at = lowered.find(b"\r\n" + name + b":")
    if at < 0:
        return None
    start = at + len(name) + 3
    return head[start : head.index(b"\r\n", start)].strip()


def form_post(host: str, path: str, fields: dict[str, str]) -> bytes:
    return post(
        host,
        path,
        urlencode(fields).encode("ascii"),
        content_type="application/x-www-form-urlencoded",
    )


def password_grants(
    host: str, *, client_id: str, client_secret: str, emails: Sequence[str], password: str
) -> list[bytes]:
    """One `/oauth/token` password grant per user, ready to send in turn."""
    return [
        form_post(
            host,
            "/oauth/token",
            {
                "grant_type": "password",
                "client_id": client_id,
                "client_secret": client_secret,
                "username": email,
                "password": password,
                "scope": "openid",
            },
        )
        for email in emails
    ]


def error_code(status: int, body: bytes) -> str:
    """`403 invalid_grant`, or the bare status when the body says nothing."""
    try:
        error = json.loads(body).get("error")
    except (ValueError, AttributeError):
        error = None
    return f"{status} {error}" if error else str(status)


# TOTP (RFC 6238) without pyotp: the generator computes a code per step, so keep it cheap.


def totp_key(secret_b32: str) -> bytes:
    return base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))


def totp(key: bytes, *, at: float, period: int = 30, digits: int = 6) -> str:
    """The SHA-1 TOTP code at epoch seconds `at` (RFC 4226 section 5.3 truncation)."""
    mac = hmac.new(key, struct.pack(">Q", int(at // period)), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


# Measuring ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Tally:
    """Outcomes and latencies of the measured window (warm-up excluded)."""

    ok: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    exhausted: bool = False
    """The run ended early because its pool of prepared work ran out."""

    def percentile(self, fraction: float) -> float:
        """Nearest-rank percentile in milliseconds (NaN when nothing succeeded)."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        rank = max(math.ceil(fraction * len(ordered)) - 1, 0)
        return ordered[rank] * 1000


@dataclass(frozen=True, slots=True)
class Result:
    label: str
    concurrency: int
    seconds: float
    tally: Tally

    @property
    def rate(self) -> float:
        return self.tally.ok / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        errors = sum(self.tally.errors.values())
        detail = ", ".join(f"{k} x{v}" for k, v in self.tally.errors.most_common(4))
        note = " (pool ran out: window cut short)" if self.tally.exhausted else ""
        return (
            f"{self.label:<28} c={self.concurrency:<3} {self.rate:9.1f}/s  "
            f"p50 {self.tally.percentile(0.5):7.1f} ms  p99 {self.tally.percentile(0.99):7.1f} ms"
            f"  ok {self.tally.ok:<7} errors {errors}{': ' + detail if detail else ''}{note}"
        )


class Watch(Protocol):
    """Called when the measured window opens and when it closes (e.g. to read CPU time)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def summary(self, steps: int) -> str:
        """One line on what the window cost per successful step."""
        ...


GRACE = 5.0
"""Seconds a request begun in the window may take to finish before it counts as unanswered."""

Job = Callable[[Connection], Awaitable[str | None]]
"""One unit of measured work on a connection: None on success, else an error label.
Raises IndexError when there is no work left."""


async def drive(
    host: str,
    port: int,
    job: Job,
    *,
    label: str,
    concurrency: int,
    duration: float,
    warmup: float,
    watch: Watch | None = None,
) -> Result:
    """Run `job` on `concurrency` connections for `warmup` + `duration` seconds."""
    connections = [await Connection.open(host, port) for _ in range(concurrency)]
    tally = Tally()
    start = time.perf_counter()
    measure_from = start + warmup
    stop_at = measure_from + duration
    ended = [stop_at]

    async def worker(slot: int) -> None:
        while (began := time.perf_counter()) < stop_at:
            try:
                error = await _attempt(job, connections, slot, host, port)
            except IndexError:
                tally.exhausted = True
                ended[0] = min(ended[0], time.perf_counter())
                return
            done = time.perf_counter()
            if began < measure_from:
                continue
            if error is None:
                tally.ok += 1
                tally.latencies.append(done - began)
            else:
                tally.errors[error] += 1

    async def window() -> None:
        await asyncio.sleep(warmup)
        if watch is not None:
            watch.start()
        await asyncio.sleep(duration)
        if watch is not None:
            watch.stop()

    tasks = [asyncio.ensure_future(worker(slot)) for slot in range(len(connections))]
    try:
        await window()
        await _settle(tasks, tally)
    finally:
        for conn in connections:
            await conn.close()
    seconds = max(min(ended[0], time.perf_counter()) - measure_from, 0.0)
    return Result(label=label, concurrency=concurrency, seconds=seconds, tally=tally)


async def _attempt(
    job: Job, connections: list[Connection], slot: int, host: str, port: int
) -> str | None:
    """Run the job once; a connection the server dropped is counted and replaced."""
    try:
        return await job(connections[slot])
    except (ConnectionError, asyncio.IncompleteReadError):
        await connections[slot].close()
        connections[slot] = await Connection.open(host, port)
        return "connection lost"


async def _settle(tasks: Sequence[asyncio.Future[None]], tally: Tally) -> None:
    """Let requests begun in the window finish; after GRACE, count the rest unanswered."""
    done, stuck = await asyncio.wait(tasks, timeout=GRACE)
    for task in stuck:
        task.cancel()
    await asyncio.gather(*stuck, return_exceptions=True)
    if stuck:
        tally.errors[f"no answer {GRACE:.0f} s after the window"] += len(stuck)
    for task in done:
        task.result()  # a worker's own failure (a refused connection...) is not hidden


def summarise(results: Sequence[Result]) -> str:
    return "\n".join(result.line() for result in results)


@dataclass(frozen=True, slots=True)
class Run:
    """One measured window: a job at one concurrency."""

    label: str
    job: Job
    concurrency: int
    duration: float


async def drive_runs(
    host: str,
    port: int,
    runs: Sequence[Run],
    *,
    warmup: float,
    watch: Callable[[], Watch] | None = None,
) -> list[Result]:
    """Each run in turn, printing its line (and its watch's summary) as it ends."""
    results = []
    for run in runs:
        watcher = watch() if watch is not None else None
        result = await drive(
            host,
            port,
            run.job,
            label=run.label,
            concurrency=run.concurrency,
            duration=run.duration,
            warmup=warmup,
            watch=watcher,
        )
        print(result.line(), flush=True)
        if watcher is not None:
            print(watcher.summary(result.tally.ok), flush=True)
        results.append(result)
    return results


T = TypeVar("T")


def run_loop(work: Coroutine[Any, Any, T]) -> T:
    """Run the generator on uvloop when it is installed: less CPU taken from the server."""
    try:
        import uvloop  # noqa: PLC0415 - optional: a lighter event loop for the generator
    except ImportError:
        return asyncio.run(work)
    return uvloop.run(work)
