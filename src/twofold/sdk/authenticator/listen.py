"""Waiting for pushes on the stream channel (docs/push-protocol.md, "The stream").

The device holds `GET /api/device/stream` open (server-sent events, authenticated by a
device JWT when it connects); each `push` event names a transaction to fetch and answer.
A dropped connection is reopened with a fresh token after `retry_delay` seconds; the server
sends pushes still pending first on every connection, so none is lost while away (one may
come twice: `listen` yields each transaction once).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field

import httpx

from twofold.sdk.authenticator.answer import system_now
from twofold.sdk.authenticator.client import Account, AuthenticatorError, raise_for_error
from twofold.sdk.authenticator.keys import device_token

STREAM_TIMEOUT = httpx.Timeout(10.0, read=60.0)
"""The server comments every 15 s by default: a minute of silence means the link is dead."""
FATAL = frozenset({401, 403, 404})
"""Answers that reconnecting cannot fix (the device was removed, or its key is refused)."""


@dataclass(frozen=True, slots=True)
class PushRequest:
    """One push: fetch its details (`answer.details`) before asking the user."""

    txn: str
    title: str
    body: str = field(repr=False)
    base_url: str
    expires_at: str


@dataclass(slots=True)
class _Event:
    name: str = "message"
    data: list[str] = field(default_factory=list)


def _request(data: str) -> PushRequest | None:
    try:
        body = json.loads(data)
    except ValueError:
        return None
    if not isinstance(body, dict) or body.get("type") != "push" or "txn" not in body:
        return None
    return PushRequest(
        txn=str(body["txn"]),
        title=str(body.get("title", "")),
        body=str(body.get("body", "")),
        base_url=str(body.get("base_url", "")),
        expires_at=str(body.get("expires_at", "")),
    )


async def _events(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, str]]:
    """(event name, data) per event of an SSE stream (HTML Living Standard 9.2.6); comments
    and unknown fields are skipped."""
    event = _Event()
    async for line in lines:
        if not line:
            if event.data:
                yield event.name, "\n".join(event.data)
            event = _Event()
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event.name = value
        elif name == "data":
            event.data.append(value)


async def _connection(
    account: Account, http: httpx.AsyncClient, now: dt.datetime
) -> AsyncIterator[PushRequest]:
    headers = {
        "authorization": f"Bearer {device_token(account, now=now)}",
        "accept": "text/event-stream",
    }
    url = account.url("api/device/stream")
    async with http.stream("GET", url, headers=headers, timeout=STREAM_TIMEOUT) as response:
        if not response.is_success:
            await response.aread()
            raise_for_error(response)
        async for name, data in _events(response.aiter_lines()):
            request = _request(data) if name == "push" else None
            if request is not None:
                yield request


async def listen(
    account: Account,
    *,
    http: httpx.AsyncClient | None = None,
    clock: Callable[[], dt.datetime] = system_now,
    retry_delay: float = 1.0,
) -> AsyncGenerator[PushRequest]:
    """Pushes for `account`, for as long as the caller iterates; reconnects on network
    errors and server restarts, raises AuthenticatorError when the server refuses the
    device (401/403/404: removed, or its key no longer accepted)."""
    seen: set[str] = set()
    own = http is None
    client = http or httpx.AsyncClient()
    try:
        while True:
            try:
                async for request in _connection(account, client, clock()):
                    if request.txn not in seen:
                        seen.add(request.txn)
                        yield request
            except AuthenticatorError as exc:
                if exc.status in FATAL:
                    raise
            except (httpx.TransportError, httpx.RemoteProtocolError):
                pass
            await asyncio.sleep(retry_delay)
    finally:
        if own:
            await client.aclose()
