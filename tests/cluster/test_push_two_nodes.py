"""Two real server processes on one database and one Redis: a push challenged through node A
reaches a device listening on node B, and B's approval gives the client polling A its tokens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.api.conftest import tenant  # noqa: F401 - puts the factor settings back
from tests.api.helpers import mfa_token
from tests.builders import Client, Person, a_client, a_user
from tests.cluster.conftest import Node
from tests.push.devices import associate_push, enable_push
from tests.push.pushes import PENDING, Rerouted, challenge, poll
from tests.web.mfa_steps import always, element, to_mfa
from twofold.flows.runtime import Runtime
from twofold.sdk.authenticator import Account, PushRequest, approve, details, enrol, listen

__all__ = ["always"]

WAIT = 20.0
"""Seconds a step across the two nodes may take before the test fails instead of hanging."""


async def _next_push(pushes: AsyncIterator[PushRequest]) -> PushRequest:
    return await asyncio.wait_for(anext(pushes), WAIT)


async def _enrolled_through_b(
    a: httpx.AsyncClient, device_http: httpx.AsyncClient, app: Client, person: Person
) -> Account:
    """Associated on A, registered by the device with B; A's poll sees the enrolment."""
    token = await mfa_token(a, app, person)
    associated = (await associate_push(a, token)).json()
    account = await enrol(associated["barcode_uri"], name="Phone on B", http=device_http)
    enrolled = await poll(a, app, token, associated["oob_code"])
    assert enrolled.status_code == 200, enrolled.text
    assert "access_token" in enrolled.json()
    return account


async def _two_nodes(node: Node, redis_url: str) -> tuple[str, str]:
    return (
        await asyncio.to_thread(node, redis_url=redis_url),
        await asyncio.to_thread(node, redis_url=redis_url),
    )


async def _challenged(a: httpx.AsyncClient, app: Client, token: str) -> dict[str, str]:
    response = await challenge(a, app, token)
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


@pytest.mark.cluster
@pytest.mark.redis
@pytest.mark.usefixtures("tenant")
async def test_a_push_challenged_on_a_is_approved_on_b_and_a_gets_the_tokens(
    node: Node, runtime: Runtime, redis_url: str
) -> None:
    await enable_push(runtime, enabled=True)
    base_a, base_b = await _two_nodes(node, redis_url)
    app, person = await a_client(runtime), await a_user(runtime)
    async with (
        httpx.AsyncClient(base_url=base_a, timeout=WAIT) as a,
        # The device knows only the issuer's URL; a balancer pinned to B serves it.
        httpx.AsyncClient(transport=Rerouted(base_b), timeout=WAIT) as device_http,
    ):
        account = await _enrolled_through_b(a, device_http, app, person)
        pushes = listen(account, http=device_http, retry_delay=0.2)
        try:
            # The first push may reach B's stream from the database (B reads the pending
            # pushes when the stream opens); once it has arrived, B's stream is past that read,
            # so the second one can only come through Redis, published by A.
            first_token = await mfa_token(a, app, person)
            first = await _challenged(a, app, first_token)
            earlier = await _next_push(pushes)
            token = await mfa_token(a, app, person)
            second = await _challenged(a, app, token)
            pushed = await _next_push(pushes)
        finally:
            await pushes.aclose()

        # The second push superseded the first, which is over for A's client.
        assert pushed.txn != earlier.txn
        superseded = await poll(a, app, first_token, first["oob_code"])
        assert superseded.status_code == 403, superseded.text
        assert superseded.json()["error"] == "expired_token"

        waiting = await poll(a, app, token, second["oob_code"])
        assert waiting.status_code == 400, waiting.text
        assert (waiting.json()["error"], waiting.json()["error_description"]) == (
            "authorization_pending",
            PENDING,
        )

        shown = await details(account, pushed.txn, http=device_http)
        assert int(second["number"]) in shown.choices
        answered = await approve(account, pushed.txn, int(second["number"]), http=device_http)
        assert answered.status == "approved"

        tokens = await poll(a, app, token, second["oob_code"])
        assert tokens.status_code == 200, tokens.text
        assert tokens.json()["token_type"] == "Bearer"
        assert "access_token" in tokens.json()


async def _first_event(stream: AsyncIterator[str]) -> str:
    """The first server-sent event on the stream's lines that is not a comment."""
    lines: list[str] = []
    async for line in stream:
        if line:
            lines.append(line)
        elif lines and not lines[0].startswith(":"):
            return "\n".join(lines)
        else:
            lines.clear()
    raise AssertionError("the events stream ended without an event")


@pytest.mark.cluster
@pytest.mark.redis
@pytest.mark.usefixtures("tenant", "always")
async def test_the_hosted_page_on_a_wakes_when_b_receives_the_approval(
    node: Node, runtime: Runtime, redis_url: str
) -> None:
    await enable_push(runtime, enabled=True)
    base_a, base_b = await _two_nodes(node, redis_url)
    app, person = await a_client(runtime), await a_user(runtime)
    async with (
        httpx.AsyncClient(base_url=base_a, timeout=WAIT) as a,
        httpx.AsyncClient(base_url=base_a, timeout=WAIT) as browser,
        httpx.AsyncClient(transport=Rerouted(base_b), timeout=WAIT) as device_http,
    ):
        account = await _enrolled_through_b(a, device_http, app, person)
        _, mfa_url = await to_mfa(runtime, browser, person)
        page = await browser.get(mfa_url)
        assert page.status_code == 200, page.text[:300]
        events_url = element(page.text, "push-wait", "data-events")

        async with browser.stream("GET", events_url) as events:
            assert events.status_code == 200
            lines = events.aiter_lines()
            assert await asyncio.wait_for(anext(lines), WAIT) == ": connected"
            # A now waits on its subscription; B's answer must wake it well before the
            # stream's 15 s keepalive would make it look at the database again.
            async with runtime.store.read() as tx:
                pushes = await tx.push_transactions.pending_for_authenticator(
                    account.device_id, now=runtime.clock.now()
                )
            (push,) = pushes
            answered = await approve(account, push.id, push.number, http=device_http)
            assert answered.status == "approved"
            event = await asyncio.wait_for(_first_event(lines), 5)

    assert event == 'event: answer\ndata: {"status": "approved"}'
