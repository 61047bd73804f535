"""`GET /api/device/stream` on the wire: the SSE framing, keepalive comments while idle, and
the device JWT it opens with."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.builders import an_ip
from tests.push.devices import enable_push
from tests.push.pushes import Enrolled, challenged, enrolled, live
from twofold.app import build_runtime, close_runtime, create_app
from twofold.clock import FrozenClock
from twofold.config import PushSettings, Settings
from twofold.flows.runtime import Runtime
from twofold.sdk.authenticator import AuthenticatorError, device_token, listen


@pytest.fixture
async def quick(
    settings: Settings,
    tenant: None,  # a prepared database; the tenant's factors are put back afterwards
    clock: FrozenClock,
) -> AsyncIterator[Runtime]:
    """A runtime whose idle streams comment every 0.2 s."""
    configured = settings.model_copy(update={"push": PushSettings(stream_keepalive=0.2)})
    rt = await build_runtime(configured, clock=clock)
    await enable_push(rt, enabled=True)
    yield rt
    await close_runtime(rt)


async def _lines(response: httpx.Response, count: int) -> list[str]:
    lines: list[str] = []
    async for line in response.aiter_lines():
        lines.append(line)
        if len(lines) == count:
            break
    return lines


async def test_the_stream_frames_pushes_and_comments_while_idle(
    quick: Runtime, clock: FrozenClock
) -> None:
    app = create_app(quick.settings, runtime=quick)
    transport = httpx.ASGITransport(app=app, client=(an_ip(), 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://twofold.test") as http:
        device: Enrolled = await enrolled(http, quick, clock)
        await challenged(http, device)
    async with live(app) as http:
        headers = {"authorization": f"Bearer {device_token(device.account, now=clock.now())}"}
        url = device.account.url("api/device/stream")
        async with http.stream("GET", url, headers=headers) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.headers["cache-control"] == "no-store"
            lines = await asyncio.wait_for(_lines(response, 7), 10)

    assert lines[:2] == [": connected", ""]
    assert lines[2] == "event: push"
    assert lines[3].startswith("id: txn_")
    event = json.loads(lines[4].removeprefix("data: "))
    assert event["txn"] == lines[3].removeprefix("id: ")
    assert sorted(event) == ["base_url", "body", "expires_at", "title", "txn", "type"]
    assert lines[5:7] == ["", ": keepalive"]


async def test_a_stream_without_a_device_token_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    response = await client.get(runtime.settings.issuer + "api/device/stream")

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


@pytest.mark.usefixtures("tenant")
async def test_the_sdk_listener_stops_when_the_device_was_removed(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    await enable_push(runtime, enabled=True)
    device = await enrolled(client, runtime, clock)
    headers = {"authorization": f"Bearer {device_token(device.account, now=clock.now())}"}
    assert (
        await client.delete(device.account.url("api/device/me"), headers=headers)
    ).status_code == 204

    with pytest.raises(AuthenticatorError) as refused:
        async for _ in listen(device.account, http=client, clock=clock.now, retry_delay=0):
            pass

    assert (refused.value.status, refused.value.code) == (401, "invalid_token")
