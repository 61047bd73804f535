"""WebAuthn's attempt limits over HTTP (Auth0's numbers): 15 challenges per user and then one
every 4 s, 15 failed answers per user and then one every 4 s, and passkey challenges per
client IP; each refusal a 429 `too_many_attempts` with its rate-limit headers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.api.helpers import mfa_token
from tests.api.webauthn import (
    Served,
    audit_of,
    challenge,
    device,
    enrolled,
    grant,
    security_key,
    served,
    webauthn_on,
)
from tests.builders import a_client, a_user
from twofold.clock import FrozenClock
from twofold.config import Bucket, Settings
from twofold.flows.runtime import Runtime

__all__ = ["webauthn_on"]
pytestmark = pytest.mark.usefixtures("webauthn_on")


def too_many(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["error"] == "too_many_attempts"
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert int(response.headers["retry-after"]) == 4


async def test_the_sixteenth_challenge_in_a_minute_is_refused(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    # Registration options are challenges too: the enrolment is the first of the 15.
    await enrolled(client, runtime, app, person, security_key(runtime))
    token = await mfa_token(client, app, person)
    for _ in range(14):
        assert (await challenge(client, app, token)).status_code == 200

    refused = await challenge(client, app, token)

    too_many(refused)
    [audited] = await audit_of(runtime, person.user_id, "gd_webauthn_challenge_failed")
    assert audited.details == {"factor": "webauthn", "reason": "too_many_attempts"}
    clock.advance(4)
    assert (await challenge(client, app, token)).status_code == 200
    too_many(await challenge(client, app, token))


@pytest.fixture
async def roomy(settings: Settings, clock: FrozenClock) -> AsyncIterator[Served]:
    """Challenges plentiful, so only the failure bucket (the default one) can refuse."""
    async for app in served(settings, clock, challenges=Bucket(burst=100, refill_seconds=1)):
        yield app


async def test_fifteen_failures_block_the_user_until_the_bucket_refills(
    roomy: Served, clock: FrozenClock
) -> None:
    http, rt = roomy.http, roomy.rt
    app, person = await a_client(rt), await a_user(rt)
    key = security_key(rt)
    await enrolled(http, rt, app, person, key)

    async def attempt(token: str, *, origin: str | None = None) -> httpx.Response:
        asked = (await challenge(http, app, token)).json()
        response = key.get(asked["authn_params_public_key"], origin=origin)
        return await grant(http, app, asked["auth_session"], response, mfa_token=token)

    for _ in range(3):  # an mfa_token dies after 5 failures: sign in again
        token = await mfa_token(http, app, person)
        for _ in range(5):
            wrong = await attempt(token, origin="https://evil.example")
            assert wrong.status_code == 403, wrong.text
    # Each mfa_token's fifth failure audits its exhaustion, as the code grants' do.
    assert len(await audit_of(rt, person.user_id, "gd_auth_rejected")) == 3

    token = await mfa_token(http, app, person)
    too_many(await attempt(token))
    clock.advance(4)
    assert (await attempt(token)).status_code == 200


async def test_passkey_challenges_are_limited_per_ip(
    settings: Settings, clock: FrozenClock
) -> None:
    async for on in served(
        settings, clock, passkeys=True, passkey_challenges_per_ip=Bucket(burst=3, refill_seconds=2)
    ):
        app = await a_client(on.rt)
        await enrolled(on.http, on.rt, app, await a_user(on.rt), device(on.rt, resident=True))
        body = {"client_id": app.client_id, "client_secret": app.client_secret}
        for _ in range(3):
            assert (await on.http.post("/passkey/challenge", json=body)).status_code == 200

        refused = await on.http.post("/passkey/challenge", json=body)

        assert refused.status_code == 429
        assert refused.json()["error"] == "too_many_attempts"
        assert refused.headers["retry-after"] == "2"
        failed = await audit_of(on.rt, None, "passkey_challenge_failed", client_id=app.client_id)
        assert [e.details for e in failed] == [{"reason": "too_many_attempts"}]
