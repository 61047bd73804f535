"""Polling the `mfa-oob` grant without `binding_code`: push transactions and enrolments,
`authorization_pending`, `slow_down` past 12 polls a minute, and handles that are neither."""

from __future__ import annotations

import httpx
import pytest

from tests.api.helpers import mfa_token
from tests.builders import a_client, a_user
from tests.push.devices import associate_push
from tests.push.pushes import PENDING, Enrolled, challenged, enrolled, poll
from twofold.clock import FrozenClock
from twofold.flows.runtime import Runtime
from twofold.sdk.authenticator import enrol
from twofold.security import tokens

pytestmark = pytest.mark.usefixtures("push_on")

SLOW_DOWN = {
    "error": "slow_down",
    "error_description": "You are polling faster than allowed. Try again in a few seconds.",
}


@pytest.fixture
async def device(client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock) -> Enrolled:
    return await enrolled(client, runtime, clock)


async def test_polling_faster_than_twelve_a_minute_slows_down(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, device: Enrolled
) -> None:
    token, body = await challenged(client, device)
    allowed = runtime.settings.push.polls_per_minute
    for _ in range(allowed):
        pending = await poll(client, device.app, token, body["oob_code"])
        assert pending.json()["error"] == "authorization_pending"
        clock.advance(1)

    fast = await poll(client, device.app, token, body["oob_code"])

    assert fast.status_code == 400
    assert fast.json() == SLOW_DOWN
    clock.advance(60)
    assert (await poll(client, device.app, token, body["oob_code"])).json() == {
        "error": "authorization_pending",
        "error_description": PENDING,
    }


async def test_an_enrolment_is_pending_until_the_device_registers(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    person, app = await a_user(runtime), await a_client(runtime)
    token = await mfa_token(client, app, person)
    body = (await associate_push(client, token)).json()

    pending = await poll(client, app, token, body["oob_code"])
    assert pending.status_code == 400
    assert pending.json() == {"error": "authorization_pending", "error_description": PENDING}

    await enrol(body["barcode_uri"], name="Phone", http=client, now=clock.now())
    granted = await poll(client, app, token, body["oob_code"])
    assert granted.status_code == 200, granted.text
    spent = await poll(client, app, token, body["oob_code"])
    assert spent.json()["error"] == "invalid_grant"


async def test_an_enrolment_polled_too_fast_slows_down(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    person, app = await a_user(runtime), await a_client(runtime)
    token = await mfa_token(client, app, person)
    body = (await associate_push(client, token)).json()
    for _ in range(runtime.settings.push.polls_per_minute):
        assert (await poll(client, app, token, body["oob_code"])).status_code == 400

    assert (await poll(client, app, token, body["oob_code"])).json() == SLOW_DOWN


async def test_an_enrolment_never_registered_expires(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    person, app = await a_user(runtime), await a_client(runtime)
    token = await mfa_token(client, app, person)
    body = (await associate_push(client, token)).json()
    clock.advance(301)

    expired = await poll(client, app, token, body["oob_code"])

    assert expired.status_code == 403
    assert expired.json() == {"error": "expired_token", "error_description": "oob_code is expired"}


async def test_an_unknown_handle_still_needs_a_binding_code(
    client: httpx.AsyncClient, device: Enrolled
) -> None:
    token = await mfa_token(client, device.app, device.person)
    for handle in (tokens.new_token(), "short"):
        refused = await poll(client, device.app, token, handle)
        assert refused.status_code == 400
        assert refused.json() == {
            "error": "invalid_request",
            "error_description": "Missing required parameter: binding_code",
        }
