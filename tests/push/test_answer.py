"""`/api/device/transactions/{id}`: only the device a push went to reads or answers it, the
answer is a fresh JWS signed by that device's key, and only the first answer counts."""

from __future__ import annotations

import dataclasses
import secrets

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from tests.api.oob import audit_of
from tests.push.pushes import Enrolled, challenged, enrolled, poll, push_id_of
from twofold.clock import FrozenClock
from twofold.flows.runtime import Runtime
from twofold.sdk.authenticator import AuthenticatorError, approve, deny, details, device_token
from twofold.sdk.authenticator.answer import answer_token

pytestmark = pytest.mark.usefixtures("push_on")


@pytest.fixture
async def device(client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock) -> Enrolled:
    return await enrolled(client, runtime, clock)


async def _pushed(
    client: httpx.AsyncClient, runtime: Runtime, device: Enrolled
) -> tuple[str, dict[str, str], str]:
    token, body = await challenged(client, device)
    return token, body, await push_id_of(runtime, body["oob_code"])


async def _post(
    client: httpx.AsyncClient, device: Enrolled, txn: str, answer: object, clock: FrozenClock
) -> httpx.Response:
    return await client.post(
        device.account.url(f"api/device/transactions/{txn}"),
        headers={"authorization": f"Bearer {device_token(device.account, now=clock.now())}"},
        json={"answer": answer},
    )


async def test_a_replayed_approval_is_refused(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, device: Enrolled
) -> None:
    _, body, txn = await _pushed(client, runtime, device)
    signed = answer_token(
        device.account, txn, accepted=True, number=int(body["number"]), now=clock.now()
    )
    first = await _post(client, device, txn, signed, clock)
    assert first.json() == {"txn": txn, "status": "approved"}

    replayed = await _post(client, device, txn, signed, clock)

    assert replayed.status_code == 409
    assert replayed.json() == {
        "error": "already_answered",
        "error_description": "The push notification has already been answered.",
    }
    with pytest.raises(AuthenticatorError) as second:
        await deny(device.account, txn, http=client, now=clock.now())
    assert second.value.code == "already_answered"
    assert len(await audit_of(runtime, device.person.user_id, "gd_push_approved")) == 1


async def test_an_answer_signed_by_another_device_is_refused(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, device: Enrolled
) -> None:
    token, body, txn = await _pushed(client, runtime, device)
    stranger = {k: str(v) for k, v in ECKey.generate_key("P-256").as_dict(private=True).items()}
    forged = answer_token(
        dataclasses.replace(device.account, key=stranger),
        txn,
        accepted=True,
        number=int(body["number"]),
        now=clock.now(),
    )

    refused = await _post(client, device, txn, forged, clock)

    assert refused.status_code == 400
    assert refused.json() == {
        "error": "invalid_request",
        "error_description": "The answer is not a JWS signed ES256 by this device's key.",
    }
    assert (await poll(client, device.app, token, body["oob_code"])).json()["error"] == (
        "authorization_pending"
    )


async def test_another_devices_push_is_not_found(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, device: Enrolled
) -> None:
    _, body, txn = await _pushed(client, runtime, device)
    other = await enrolled(client, runtime, clock)

    with pytest.raises(AuthenticatorError) as read:
        await details(other.account, txn, http=client, now=clock.now())
    with pytest.raises(AuthenticatorError) as answered:
        await approve(other.account, txn, int(body["number"]), http=client, now=clock.now())

    assert (read.value.status, read.value.code) == (404, "not_found")
    assert (answered.value.status, answered.value.code) == (404, "not_found")


def _claims_signed(key: dict[str, str], **claims: object) -> str:
    return jwt.encode({"alg": "ES256"}, claims, ECKey.import_key(dict(key)), ["ES256"])


async def test_bad_answers_say_what_is_wrong(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, device: Enrolled
) -> None:
    _, body, txn = await _pushed(client, runtime, device)
    now = int(clock.now().timestamp())
    good = {
        "txn": txn,
        "accepted": True,
        "number": int(body["number"]),
        "iat": now,
        "exp": now + 30,
    }
    key = device.account.key
    cases = {
        "not a jws": ("not.a.jws", "The answer is not a JWS signed ES256 by this device's key."),
        "other txn": (
            _claims_signed(key, **{**good, "txn": "txn_other"}, jti=secrets.token_hex(8)),
            "The answer is for another transaction.",
        ),
        "no number": (
            _claims_signed(key, **{**good, "number": None}, jti="a"),
            "An approval must carry the number the user picked.",
        ),
        "text number": (
            _claims_signed(key, **{**good, "number": body["number"]}, jti="e"),
            "The answer's number must be an integer.",
        ),
        "long life": (
            _claims_signed(key, **{**good, "exp": now + 31}, jti="b"),
            "The answer's exp must be after iat, by 30 s at most.",
        ),
        "expired": (
            _claims_signed(key, **{**good, "iat": now - 40, "exp": now - 10}, jti="c"),
            "The answer has expired.",
        ),
        "no jti": (_claims_signed(key, **good), "The answer needs a jti of 1 to 64 characters."),
        "odd reason": (
            _claims_signed(key, **{**good, "accepted": False, "reason": "bored"}, jti="d"),
            "The answer's reason, when present, must be fraud.",
        ),
    }
    for name, (answer, description) in cases.items():
        response = await _post(client, device, txn, answer, clock)
        assert response.status_code == 400, name
        assert response.json()["error_description"] == description, name
    missing = await _post(client, device, txn, None, clock)
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"


async def test_an_answer_after_expiry_is_refused(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, device: Enrolled
) -> None:
    _, body, txn = await _pushed(client, runtime, device)
    clock.advance(runtime.settings.push.transaction_ttl)

    with pytest.raises(AuthenticatorError) as late:
        await approve(device.account, txn, int(body["number"]), http=client, now=clock.now())

    assert (late.value.status, late.value.code) == (403, "expired_token")
