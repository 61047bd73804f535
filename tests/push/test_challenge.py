"""`/mfa/challenge` for a push device, end to end with the SDK: the push reaches the device
over the stream, the device answers, and the client's `mfa-oob` polls see the outcome."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.api.helpers import mfa_token, password_login
from tests.api.oob import audit_of
from tests.push.pushes import (
    PENDING,
    Enrolled,
    challenge,
    challenged,
    enrolled,
    live,
    poll,
    push_id_of,
)
from twofold.clock import FrozenClock
from twofold.flows.runtime import Runtime
from twofold.sdk.authenticator import AuthenticatorError, approve, deny, details, listen
from twofold.sdk.authenticator.listen import PushRequest

pytestmark = pytest.mark.usefixtures("push_on")


@pytest.fixture
async def device(client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock) -> Enrolled:
    return await enrolled(client, runtime, clock)


async def _first_push(http: httpx.AsyncClient, device: Enrolled, clock: FrozenClock) -> PushRequest:
    async def receive() -> PushRequest:
        async for request in listen(device.account, http=http, clock=clock.now):
            return request
        raise AssertionError("the stream ended")

    return await asyncio.wait_for(receive(), 10)


async def test_the_sdk_receives_the_push_and_approves_with_the_right_number(
    app: FastAPI,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FrozenClock,
    device: Enrolled,
) -> None:
    token, body = await challenged(client, device)
    assert sorted(body) == ["challenge_type", "number", "oob_code"]
    assert body["challenge_type"] == "oob"
    pending = await poll(client, device.app, token, body["oob_code"])
    assert pending.status_code == 400
    assert pending.json() == {"error": "authorization_pending", "error_description": PENDING}

    async with live(app) as http:
        request = await _first_push(http, device, clock)
        assert request.txn == await push_id_of(runtime, body["oob_code"])
        assert request.title == "Sign-in request"
        shown = await details(device.account, request.txn, http=http, now=clock.now())
        assert int(body["number"]) in shown.choices
        assert len(set(shown.choices)) == 3
        assert shown.status == "pending"
        assert shown.facts["application"] == "test app"
        result = await approve(
            device.account, request.txn, int(body["number"]), http=http, now=clock.now()
        )
    assert (result.status, result.reason) == ("approved", None)

    granted = await poll(client, device.app, token, body["oob_code"])
    assert granted.status_code == 200, granted.text
    assert granted.json()["token_type"] == "Bearer"
    keys = KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
    assert jwt.decode(granted.json()["access_token"], keys).claims["amr"] == ["pwd", "swk", "mfa"]
    again = await poll(client, device.app, token, body["oob_code"])
    assert again.json()["error"] == "invalid_grant"
    user = device.person.user_id
    assert len(await audit_of(runtime, user, "gd_send_pn")) == 1
    assert len(await audit_of(runtime, user, "gd_push_approved")) == 1
    succeeded = await audit_of(runtime, user, "gd_auth_succeed")
    assert succeeded[-1].details["authenticator_id"] == device.account.device_id


async def test_a_device_already_listening_gets_the_push_live(
    app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock, device: Enrolled
) -> None:
    async with live(app) as http:
        waiting = asyncio.create_task(_first_push(http, device, clock))
        await asyncio.sleep(0.3)  # the stream is open and subscribed before the push
        assert not waiting.done()
        _, body = await challenged(client, device)
        request = await waiting
        shown = await details(device.account, request.txn, http=http, now=clock.now())
    assert int(body["number"]) in shown.choices


async def _answered(
    client: httpx.AsyncClient, device: Enrolled, runtime: Runtime, clock: FrozenClock
) -> tuple[str, dict[str, str], str]:
    token, body = await challenged(client, device)
    return token, body, await push_id_of(runtime, body["oob_code"])


async def test_the_wrong_number_rejects_the_push(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, device: Enrolled
) -> None:
    token, body, txn = await _answered(client, device, runtime, clock)
    shown = await details(device.account, txn, http=client, now=clock.now())
    wrong = next(n for n in shown.choices if n != int(body["number"]))

    result = await approve(device.account, txn, wrong, http=client, now=clock.now())

    assert (result.status, result.reason) == ("rejected", "wrong_number")
    refused = await poll(client, device.app, token, body["oob_code"])
    assert refused.status_code == 403
    assert refused.json() == {
        "error": "invalid_grant",
        "error_description": "MFA Authorization rejected.",
    }
    rejected = await audit_of(runtime, device.person.user_id, "gd_auth_rejected")
    assert [event.details["reason"] for event in rejected] == ["wrong_number"]


async def test_a_denial_gives_auth0s_rejection(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, device: Enrolled
) -> None:
    token, body, txn = await _answered(client, device, runtime, clock)

    result = await deny(device.account, txn, http=client, now=clock.now())

    assert (result.status, result.reason) == ("rejected", "denied")
    refused = await poll(client, device.app, token, body["oob_code"])
    assert refused.json()["error_description"] == "MFA Authorization rejected."
    shown = await details(device.account, txn, http=client, now=clock.now())
    assert (shown.status, shown.choices) == ("rejected", ())


async def test_an_unanswered_push_expires(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, device: Enrolled
) -> None:
    token, body, txn = await _answered(client, device, runtime, clock)
    clock.advance(runtime.settings.push.transaction_ttl - 1)
    assert (await poll(client, device.app, token, body["oob_code"])).json()["error"] == (
        "authorization_pending"
    )

    clock.advance(1)

    expired = await poll(client, device.app, token, body["oob_code"])
    assert expired.status_code == 403
    assert expired.json()["error"] == "expired_token"
    shown = await details(device.account, txn, http=client, now=clock.now())
    assert shown.status == "expired"


async def test_a_second_challenge_supersedes_the_first(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, device: Enrolled
) -> None:
    first_token, first, first_txn = await _answered(client, device, runtime, clock)
    second_token, second, second_txn = await _answered(client, device, runtime, clock)

    late = await poll(client, device.app, first_token, first["oob_code"])
    assert late.json()["error"] == "expired_token"
    with pytest.raises(AuthenticatorError) as refused:
        await approve(device.account, first_txn, int(first["number"]), http=client, now=clock.now())
    assert (refused.value.status, refused.value.code) == (403, "expired_token")
    result = await approve(
        device.account, second_txn, int(second["number"]), http=client, now=clock.now()
    )
    assert result.status == "approved"
    assert (await poll(client, device.app, second_token, second["oob_code"])).status_code == 200


async def test_a_push_handle_is_good_with_its_own_mfa_token_only(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, device: Enrolled
) -> None:
    _, body, _ = await _answered(client, device, runtime, clock)
    other = await mfa_token(client, device.app, device.person)

    refused = await poll(client, device.app, other, body["oob_code"])

    assert refused.status_code == 403
    assert refused.json() == {"error": "invalid_grant", "error_description": "Invalid oob_code."}


async def test_oob_channel_auth0_asks_for_the_push_device(
    client: httpx.AsyncClient, device: Enrolled
) -> None:
    _, body = await challenged(client, device, oob_channel="auth0")
    assert body["challenge_type"] == "oob"
    token = await mfa_token(client, device.app, device.person)
    refused = await challenge(client, device.app, token, oob_channel="sms")
    assert refused.status_code == 400
    assert refused.json()["error"] == "unsupported_challenge_type"


async def test_mfa_required_names_the_push_device(
    client: httpx.AsyncClient, device: Enrolled
) -> None:
    response = await password_login(client, device.app, device.person)

    assert response.status_code == 403
    assert response.json()["mfa_requirements"] == {
        "challenge": [{"type": "push-notification"}, {"type": "recovery-code"}]
    }
