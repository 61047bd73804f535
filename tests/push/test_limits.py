"""Limits against push fatigue: 5 pushes a minute and 30 an hour per user, a pause after 3
rejections within 15 minutes, and a fraud report that stops pushes until an admin clears it."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import TokenFactory, auth, machine
from tests.api.helpers import mfa_token
from tests.api.oob import audit_of
from tests.builders import Client
from tests.push.pushes import Enrolled, challenge, challenged, enrolled, push_id_of
from twofold.clock import FrozenClock
from twofold.flows.push_limits import PAUSED_DESCRIPTION
from twofold.flows.runtime import Runtime
from twofold.sdk.authenticator import deny

__all__ = ["auth", "machine"]

pytestmark = pytest.mark.usefixtures("push_on")


@pytest.fixture
async def device(client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock) -> Enrolled:
    return await enrolled(client, runtime, clock)


async def _refusal(client: httpx.AsyncClient, device: Enrolled) -> httpx.Response:
    token = await mfa_token(client, device.app, device.person)
    return await challenge(client, device.app, token)


async def test_five_pushes_a_minute(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, device: Enrolled
) -> None:
    token = await mfa_token(client, device.app, device.person)
    for _ in range(5):
        assert (await challenge(client, device.app, token)).status_code == 200

    refused = await challenge(client, device.app, token)

    assert refused.status_code == 429
    assert refused.json() == {
        "error": "too_many_push",
        "error_description": "Too many push notifications sent (the per-minute limit). "
        "Try again later.",
    }
    assert refused.headers["retry-after"] == "12"
    failures = await audit_of(runtime, device.person.user_id, "gd_send_pn_failure")
    assert [(e.details["reason"], e.details["limit"]) for e in failures] == [
        ("too_many_push", "minute")
    ]
    assert len(await audit_of(runtime, device.person.user_id, "gd_send_pn")) == 5
    clock.advance(12)
    assert (await challenge(client, device.app, token)).status_code == 200


async def test_thirty_an_hour_refill_one_every_two_minutes(
    client: httpx.AsyncClient, clock: FrozenClock, device: Enrolled
) -> None:
    sent = 0
    token = await mfa_token(client, device.app, device.person)
    while (response := await challenge(client, device.app, token)).status_code == 200:
        sent += 1
        clock.advance(12)  # the minute bucket's refill: only the hour bucket can refuse
        if sent % 10 == 0:
            token = await mfa_token(client, device.app, device.person)

    # 30 at once, plus one per 120 s over the 33 x 12 s it took: the 34th is refused.
    assert sent == 33
    assert response.status_code == 429
    assert "per-hour" in response.json()["error_description"]


async def _deny(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, device: Enrolled, **how: bool
) -> None:
    _, body = await challenged(client, device)
    txn = await push_id_of(runtime, body["oob_code"])
    await deny(device.account, txn, http=client, now=clock.now(), **how)


async def test_three_rejections_pause_pushes_for_a_while(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, device: Enrolled
) -> None:
    for _ in range(3):
        clock.advance(60)
        await _deny(client, runtime, clock, device)

    paused = await _refusal(client, device)

    assert paused.status_code == 429
    assert paused.json() == {"error": "too_many_push", "error_description": PAUSED_DESCRIPTION}
    pauses = await audit_of(runtime, device.person.user_id, "gd_push_paused")
    assert [(e.details["cause"], e.details["rejections"]) for e in pauses] == [("rejections", 3)]
    clock.advance(runtime.settings.push.pause_seconds - 1)
    assert (await _refusal(client, device)).status_code == 429
    clock.advance(1)
    assert (await _refusal(client, device)).status_code == 200


async def test_rejections_spread_over_more_than_the_window_do_not_pause(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, device: Enrolled
) -> None:
    for _ in range(3):
        await _deny(client, runtime, clock, device)
        clock.advance(runtime.settings.push.rejection_window // 2 + 1)

    assert (await _refusal(client, device)).status_code == 200
    assert await audit_of(runtime, device.person.user_id, "gd_push_paused") == []


async def test_a_fraud_report_pauses_pushes_until_an_admin_clears_it(  # noqa: PLR0917 - fixtures
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FrozenClock,
    device: Enrolled,
    auth: TokenFactory,
    machine: Client,
) -> None:
    await _deny(client, runtime, clock, device, fraud=True)
    rejected = await audit_of(runtime, device.person.user_id, "gd_auth_rejected")
    assert [e.details["reason"] for e in rejected] == ["fraud"]
    clock.advance(86400)

    paused = await _refusal(client, device)

    assert paused.status_code == 403
    assert paused.json()["error"] == "push_paused"
    url = f"/api/v2/users/{device.person.user_id}/push-pause"
    assert (await client.delete(url, headers=await auth("read:users"))).status_code == 403
    cleared = await client.delete(url, headers=await auth("update:users"))
    assert cleared.status_code == 204
    assert (await _refusal(client, device)).status_code == 200
    events = await audit_of(runtime, device.person.user_id, "gd_push_pause_cleared")
    assert [e.actor for e in events] == [f"{machine.client_id}@clients"]


async def test_clearing_an_unknown_users_pause_is_a_404(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    response = await client.delete(
        "/api/v2/users/auth0|000000000000000000000000/push-pause",
        headers=await auth("update:users"),
    )
    assert response.status_code == 404
