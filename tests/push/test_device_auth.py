"""flows/device_auth.py and `/api/device/me`: device JWTs signed ES256 by the enrolled key,
and everything they must not get away with."""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

from tests.api.helpers import mfa_token
from tests.api.oob import audit_of
from tests.builders import Person, a_client, a_user
from tests.push.devices import (
    a_key,
    associate_push,
    bearer,
    device_jwt,
    enrol_body,
    public,
    register,
    uri_query,
)
from twofold.clock import FrozenClock
from twofold.flows.runtime import Runtime

pytestmark = pytest.mark.usefixtures("push_on")


@dataclass(frozen=True, slots=True)
class Device:
    person: Person
    device_id: str
    key: ECKey
    audience: str


async def _enrolled(client: httpx.AsyncClient, runtime: Runtime) -> Device:
    person = await a_user(runtime)
    token = await mfa_token(client, await a_client(runtime), person)
    body = (await associate_push(client, token)).json()
    key = a_key()
    ticket = uri_query(body["barcode_uri"])["enrollment_tx_id"]
    response = await register(client, ticket, enrol_body(key, name="Phone"))
    assert response.status_code == 201, response.text
    audience = runtime.settings.issuer.rstrip("/") + "/api/device"
    return Device(person, body["id"], key, audience)


@pytest.fixture
async def device(client: httpx.AsyncClient, runtime: Runtime) -> Device:
    return await _enrolled(client, runtime)


def _token(device: Device, now: dt.datetime, **claims: Any) -> str:
    return device_jwt(device.key, device.device_id, now=now, audience=device.audience, **claims)


async def _me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/api/device/me", headers=bearer(token))


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_a_device_reads_what_the_server_knows_about_it(
    client: httpx.AsyncClient, device: Device, runtime: Runtime, clock: FrozenClock
) -> None:
    response = await _me(client, _token(device, clock.now()))

    assert response.status_code == 200, response.text
    local, _, domain = device.person.email.partition("@")
    assert response.json() == {
        "device_id": device.device_id,
        "name": "Phone",
        "issuer": runtime.settings.tenant_name,
        "user": {"email": f"{local[0]}•••@{domain}"},
        "provider": "stream",
        "unreachable": False,
    }


def _refusals(device: Device, now: dt.datetime) -> dict[str, tuple[str, str]]:
    """Tokens that must fail, each with the description the 401 gives."""
    claims = {
        "iss": device.device_id,
        "sub": device.device_id,
        "aud": device.audience,
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + 60,
        "jti": "j1",
    }
    unsigned = f"{_b64({'alg': 'none'})}.{_b64(claims)}."
    hmac_key = OctKey.import_key(json.dumps(public(device.key)).encode())
    attacker = a_key()
    return {
        "alg none": (unsigned, "Device tokens must be signed with ES256."),
        "HS256 keyed with the public key": (
            jwt.encode({"alg": "HS256"}, claims, hmac_key, ["HS256"]),
            "Device tokens must be signed with ES256.",
        ),
        "RS256": (
            jwt.encode({"alg": "RS256"}, claims, RSAKey.generate_key(2048), ["RS256"]),
            "Device tokens must be signed with ES256.",
        ),
        "its own jwk header": (
            jwt.encode({"alg": "ES256", "jwk": public(attacker)}, claims, attacker, ["ES256"]),
            "Device tokens may not carry jwk, jku, x5u, x5c or crit headers.",
        ),
        "a jku header": (
            jwt.encode(
                {"alg": "ES256", "jku": "https://evil.test/jwks"}, claims, device.key, ["ES256"]
            ),
            "Device tokens may not carry jwk, jku, x5u, x5c or crit headers.",
        ),
        "another key": (
            device_jwt(attacker, device.device_id, now=now, audience=device.audience),
            "The device token's signature is invalid.",
        ),
        "expired": (
            _token(device, now - dt.timedelta(seconds=120)),
            "The device token expired.",
        ),
        "issued in the future": (
            _token(device, now + dt.timedelta(seconds=120)),
            "The device token was issued in the future; check the clock.",
        ),
        "too long a life": (
            _token(device, now, exp=int(now.timestamp()) + 600),
            "The device token lives too long (exp - iat > 60 s).",
        ),
        "another audience": (
            _token(device, now, aud="https://elsewhere.test/api/device"),
            "The device token is not meant for this server (aud).",
        ),
        "sub is not iss": (
            _token(device, now, sub="push|dev_AAAAAAAAAAAAAAAA"),
            "The device token's iss and sub must be the device id.",
        ),
        "no jti": (
            _token(device, now, jti=None),
            "The device token needs a jti of 1 to 64 characters.",
        ),
        "a long jti": (
            _token(device, now, jti="j" * 65),
            "The device token needs a jti of 1 to 64 characters.",
        ),
        "a string iat": (
            _token(device, now, iat=str(int(now.timestamp()))),
            "The device token's iat must be an integer.",
        ),
        "an unknown device": (
            device_jwt(
                device.key,
                "push|dev_" + secrets.token_urlsafe(12),
                now=now,
                audience=device.audience,
            ),
            "The device is not enrolled (unknown or removed).",
        ),
        "not a device id": (
            _token(device, now, iss="auth0|someone"),
            "The device token's iss is not a device id.",
        ),
        "garbage": ("not-a-token", "The device token is not a compact JWS."),
    }


async def test_device_tokens_that_break_a_rule_are_refused(
    client: httpx.AsyncClient, device: Device, clock: FrozenClock
) -> None:
    for case, (token, description) in _refusals(device, clock.now()).items():
        response = await _me(client, token)
        assert response.status_code == 401, case
        assert response.json() == {"error": "invalid_token", "error_description": description}, case


async def test_a_missing_bearer_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/device/me")

    assert response.status_code == 401
    assert response.json()["error_description"] == "Missing Authorization: Bearer device token."


async def test_a_replayed_token_is_refused(
    client: httpx.AsyncClient, device: Device, clock: FrozenClock
) -> None:
    token = _token(device, clock.now())
    assert (await _me(client, token)).status_code == 200

    replayed = await _me(client, token)

    assert replayed.status_code == 401
    assert replayed.json()["error_description"] == (
        "The device token was already used (replayed jti)."
    )
    assert (await _me(client, _token(device, clock.now()))).status_code == 200


async def test_a_device_renames_itself_and_the_change_is_audited(
    client: httpx.AsyncClient, device: Device, runtime: Runtime, clock: FrozenClock
) -> None:
    response = await client.patch(
        "/api/device/me", headers=bearer(_token(device, clock.now())), json={"name": "Work phone"}
    )

    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Work phone"
    async with runtime.store.read() as tx:
        stored = await tx.push_devices.get(device.device_id)
    assert stored is not None
    assert stored.name == "Work phone"
    updated = await audit_of(runtime, device.person.user_id, "gd_update_device_account")
    assert [event.details for event in updated] == [
        {"authenticator_id": device.device_id, "changed": ["name"]}
    ]


async def test_a_new_push_token_is_sealed_and_clears_unreachable(
    client: httpx.AsyncClient, device: Device, runtime: Runtime, clock: FrozenClock
) -> None:
    async with runtime.store.transaction() as tx:
        stored = await tx.push_devices.get(device.device_id)
        assert stored is not None
        await tx.push_devices.update(
            device.device_id, name=stored.name, params={**stored.params, "unreachable": True}
        )
    secret_before = stored.secret

    response = await client.patch(
        "/api/device/me",
        headers=bearer(_token(device, clock.now())),
        json={"push": {"provider": "stream", "token": "rotated-token"}},
    )

    assert response.status_code == 200, response.text
    assert response.json()["unreachable"] is False
    async with runtime.store.read() as tx:
        after = await tx.push_devices.get(device.device_id)
    assert after is not None
    assert after.secret != secret_before
    assert b"rotated-token" not in (after.secret or b"")


@pytest.mark.parametrize(
    ("body", "description"),
    [
        ({}, "Nothing to change: send name and/or push."),
        ({"push": {"provider": "apns", "token": "abc"}}, "push.provider must be one of: stream."),
        ({"name": "x" * 101}, "name is too long."),
    ],
)
async def test_bad_changes_are_400s(
    client: httpx.AsyncClient,
    device: Device,
    clock: FrozenClock,
    body: dict[str, object],
    description: str,
) -> None:
    response = await client.patch(
        "/api/device/me", headers=bearer(_token(device, clock.now())), json=body
    )

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "error_description": description}


async def test_a_device_unenrols_itself_and_its_tokens_stop_working(
    client: httpx.AsyncClient, device: Device, runtime: Runtime, clock: FrozenClock
) -> None:
    response = await client.delete("/api/device/me", headers=bearer(_token(device, clock.now())))

    assert response.status_code == 204
    async with runtime.store.read() as tx:
        assert await tx.push_devices.get(device.device_id) is None
    removed = await audit_of(runtime, device.person.user_id, "gd_unenroll")
    assert [(event.details["authenticator_id"], event.actor) for event in removed] == [
        (device.device_id, device.person.user_id)
    ]
    after = await _me(client, _token(device, clock.now()))
    assert after.status_code == 401
    assert after.json()["error_description"] == "The device is not enrolled (unknown or removed)."


async def test_a_pending_device_cannot_authenticate(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    person = await a_user(runtime)
    body = (
        await associate_push(client, await mfa_token(client, await a_client(runtime), person))
    ).json()
    token = device_jwt(
        a_key(),
        body["id"],
        now=clock.now(),
        audience=runtime.settings.issuer.rstrip("/") + "/api/device",
    )

    response = await _me(client, token)

    assert response.status_code == 401
    assert (
        response.json()["error_description"] == "The device is not enrolled (unknown or removed)."
    )


async def test_expired_jtis_are_pruned(
    client: httpx.AsyncClient, device: Device, runtime: Runtime, clock: FrozenClock
) -> None:
    assert (await _me(client, _token(device, clock.now(), jti="old"))).status_code == 200
    clock.advance(120)
    later = clock.now() + dt.timedelta(seconds=60)
    async with runtime.store.transaction() as tx:
        assert not await tx.push_devices.record_jti(device.device_id, "old", expires_at=later)
        await tx.push_devices.prune_jtis(now=clock.now())
        assert await tx.push_devices.record_jti(
            device.device_id, "old", expires_at=clock.now() + dt.timedelta(seconds=60)
        )
        assert not await tx.push_devices.record_jti(
            device.device_id, "old", expires_at=clock.now() + dt.timedelta(seconds=60)
        )
