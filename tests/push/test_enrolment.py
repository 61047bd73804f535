"""flows/push_enrolment.py over HTTP: `/mfa/associate` with `oob_channels:["auth0"]`, the
barcode URI, and the device's `POST /api/device/enroll` with its single-use ticket."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from joserfc.jwk import ECKey, RSAKey

from tests.api.conftest import TokenFactory
from tests.api.helpers import associate, code, mfa_token, otp_grant
from tests.api.oob import audit_of
from tests.builders import Client, Person, a_client, a_user
from tests.push.devices import a_key, associate_push, enable_push, enrol_body, register, uri_query
from twofold.clock import FrozenClock
from twofold.flows.push_enrolment import enrolment_status
from twofold.flows.runtime import Runtime
from twofold.security import tokens

pytestmark = pytest.mark.usefixtures("push_on")


async def _started(client: httpx.AsyncClient, runtime: Runtime) -> tuple[Person, dict[str, str]]:
    person = await a_user(runtime)
    token = await mfa_token(client, await a_client(runtime), person)
    response = await associate_push(client, token)
    assert response.status_code == 200, response.text
    return person, response.json()


async def _authenticators(runtime: Runtime, person: Person) -> dict[str, tuple[str, str]]:
    async with runtime.store.read() as tx:
        items = await tx.authenticators.for_user(person.user_id)
    return {item.id: (item.type.value, item.status.value) for item in items}


async def test_an_mfa_token_starts_a_first_push_enrolment_with_a_recovery_code(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    person, body = await _started(client, runtime)

    assert list(body) == [
        "authenticator_type",
        "oob_channel",
        "oob_code",
        "barcode_uri",
        "recovery_codes",
        "id",
    ]
    assert body["authenticator_type"] == "oob"
    assert body["oob_channel"] == "auth0"
    assert body["id"].startswith("push|dev_")
    assert tokens.is_well_formed(body["oob_code"])
    assert len(body["recovery_codes"]) == 1
    stored = await _authenticators(runtime, person)
    assert stored[body["id"]] == ("oob", "pending")
    assert sorted(stored.values()) == [("oob", "pending"), ("recovery-code", "pending")]
    started = await audit_of(runtime, person.user_id, "gd_start_enroll")
    assert [event.details["authenticator_id"] for event in started] == [body["id"]]


async def test_the_barcode_uri_carries_the_seed_the_ticket_and_the_server(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    person, body = await _started(client, runtime)
    uri = body["barcode_uri"]

    tenant = runtime.settings.tenant_name
    assert uri.startswith(f"otpauth://totp/{tenant}:{person.email.replace('@', '%40')}?")
    query = uri_query(uri)
    assert set(query) == {
        "secret",
        "issuer",
        "algorithm",
        "digits",
        "period",
        "enrollment_tx_id",
        "base_url",
    }
    assert query["issuer"] == tenant
    assert (query["algorithm"], query["digits"], query["period"]) == ("SHA1", "6", "30")
    assert query["base_url"] == runtime.settings.issuer
    assert tokens.is_well_formed(query["enrollment_tx_id"])
    assert query["enrollment_tx_id"] != body["oob_code"]
    # Only hashes are stored: the ticket and the oob_code find the row by their SHA-256.
    async with runtime.store.read() as tx:
        row = await tx.push_enrolments.by_ticket(tokens.token_hash(query["enrollment_tx_id"]))
        by_code = await tx.push_enrolments.by_oob_code(tokens.token_hash(body["oob_code"]))
    assert row is not None
    assert row == by_code
    assert row.expires_at - row.created_at == dt.timedelta(minutes=5)


async def _enroll_token(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> tuple[Client, Person, str]:
    """A user with a confirmed OTP app and an access token with `enroll`."""
    app, person = await a_client(runtime), await a_user(runtime)
    token = await mfa_token(
        client, app, person, audience=runtime.settings.mfa_audience, scope="enroll"
    )
    first = (await associate(client, token)).json()
    granted = await otp_grant(client, app, token, code(first["secret"], clock.now()))
    assert granted.status_code == 200, granted.text
    return app, person, granted.json()["access_token"]


async def test_an_access_token_with_enroll_adds_a_device_without_a_recovery_code(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    _, person, access = await _enroll_token(client, runtime, clock)

    response = await associate_push(client, access)

    assert response.status_code == 200, response.text
    assert "recovery_codes" not in response.json()
    assert (await _authenticators(runtime, person))[response.json()["id"]] == ("oob", "pending")


async def test_an_mfa_token_cannot_add_a_second_factor(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    app, person, _ = await _enroll_token(client, runtime, clock)

    response = await associate_push(client, await mfa_token(client, app, person))

    assert response.status_code == 403
    assert response.json() == {
        "error": "access_denied",
        "error_description": "User is already enrolled.",
    }


async def test_associate_is_refused_while_the_factor_is_off(
    client: httpx.AsyncClient, runtime: Runtime, auth: TokenFactory
) -> None:
    await enable_push(runtime, enabled=False)
    person = await a_user(runtime)

    response = await associate_push(
        client, await mfa_token(client, await a_client(runtime), person)
    )

    assert response.status_code == 403
    assert response.json() == {
        "error": "access_denied",
        "error_description": "The push-notification factor is disabled for this tenant.",
    }
    assert await _authenticators(runtime, person) == {}
    switched = await client.put(
        "/api/v2/guardian/factors/push-notification",
        json={"enabled": True},
        headers=await auth("update:guardian_factors"),
    )
    assert switched.json() == {"enabled": True}
    token = await mfa_token(client, await a_client(runtime), person)
    assert (await associate_push(client, token)).status_code == 200


async def test_a_device_registers_with_the_ticket_and_the_enrolment_completes(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    person, body = await _started(client, runtime)
    ticket = uri_query(body["barcode_uri"])["enrollment_tx_id"]
    key = a_key()

    response = await register(client, ticket, enrol_body(key, name="Ada's phone"))

    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer == {
        "device_id": body["id"],
        "issuer": runtime.settings.tenant_name,
        "user": {"id": person.user_id, "email": person.email},
        "totp": {
            "secret": uri_query(body["barcode_uri"])["secret"],
            "algorithm": "SHA1",
            "digits": 6,
            "period": 30,
        },
    }
    assert sorted((await _authenticators(runtime, person)).values()) == [
        ("oob", "active"),
        ("recovery-code", "active"),
    ]
    async with runtime.store.read() as tx:
        device = await tx.push_devices.get(body["id"])
    assert device is not None
    assert device.name == "Ada's phone"
    assert device.params["thumbprint"] == key.thumbprint()
    assert device.params["provider"] == "stream"
    assert device.params["unreachable"] is False
    assert "d" not in device.params["public_key"]
    completed = await audit_of(runtime, person.user_id, "gd_enrollment_complete")
    assert [event.details["authenticator_id"] for event in completed] == [body["id"]]


async def test_enrolment_status_tells_the_poller_what_happened(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    _, body = await _started(client, runtime)
    code_hash = tokens.token_hash(body["oob_code"])
    async with runtime.store.read() as tx:
        before = await enrolment_status(runtime, tx, code_hash)
        unknown = await enrolment_status(runtime, tx, tokens.token_hash(tokens.new_token()))
    assert unknown is None
    assert before is not None
    assert (before.used, before.expired) == (False, False)
    assert before.transaction_id is not None
    assert before.authenticator is not None
    assert before.authenticator.status.value == "pending"

    ticket = uri_query(body["barcode_uri"])["enrollment_tx_id"]
    assert (await register(client, ticket, enrol_body(a_key()))).status_code == 201
    clock.advance(600)
    async with runtime.store.read() as tx:
        after = await enrolment_status(runtime, tx, code_hash)
    assert after is not None
    assert (after.used, after.expired) == (True, False)
    assert after.authenticator is not None
    assert after.authenticator.status.value == "active"


async def test_a_ticket_is_single_use(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, body = await _started(client, runtime)
    ticket = uri_query(body["barcode_uri"])["enrollment_tx_id"]
    assert (await register(client, ticket, enrol_body(a_key()))).status_code == 201

    again = await register(client, ticket, enrol_body(a_key()))

    assert again.status_code == 401
    assert again.json() == {
        "error": "invalid_token",
        "error_description": "The enrolment ticket has already been used.",
    }


async def test_a_ticket_expires_after_five_minutes(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    person, body = await _started(client, runtime)
    ticket = uri_query(body["barcode_uri"])["enrollment_tx_id"]
    clock.advance(300)

    response = await register(client, ticket, enrol_body(a_key()))

    assert response.status_code == 401
    assert response.json()["error_description"] == "The enrolment ticket has expired."
    assert (await _authenticators(runtime, person))[body["id"]] == ("oob", "pending")
    async with runtime.store.read() as tx:
        status = await enrolment_status(runtime, tx, tokens.token_hash(body["oob_code"]))
    assert status is not None
    assert status.expired


@pytest.mark.parametrize(
    ("header", "description"),
    [
        (None, 'Missing or malformed Authorization: Ticket id="..." header.'),
        ("Bearer abc", 'Missing or malformed Authorization: Ticket id="..." header.'),
        ('Ticket id="short"', 'Missing or malformed Authorization: Ticket id="..." header.'),
        (f'Ticket id="{"A" * 43}"', "The enrolment ticket is invalid."),
    ],
)
async def test_a_missing_or_unknown_ticket_is_refused(
    client: httpx.AsyncClient, header: str | None, description: str
) -> None:
    headers = {} if header is None else {"authorization": header}

    response = await client.post("/api/device/enroll", json=enrol_body(a_key()), headers=headers)

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token", "error_description": description}


def _rsa_jwk() -> dict[str, object]:
    return dict(RSAKey.generate_key(2048).as_dict(private=False))


def _p384_jwk() -> dict[str, object]:
    return dict(ECKey.generate_key("P-384").as_dict(private=False))


def _private_jwk() -> dict[str, object]:
    return dict(a_key().as_dict(private=True))


def _huge_jwk() -> dict[str, object]:
    return {**dict(a_key().as_dict(private=False)), "kid": "k" * 2000}


def _off_curve_jwk() -> dict[str, object]:
    jwk = dict(a_key().as_dict(private=False))
    return {**jwk, "y": jwk["x"]}


@pytest.mark.parametrize(
    ("make", "description"),
    [
        (_rsa_jwk, "public_key must be a public key: unexpected members e, n"),
        (_p384_jwk, 'public_key must be an EC P-256 key ("kty":"EC","crv":"P-256").'),
        (_private_jwk, "public_key must be a public key: unexpected members d"),
        (_huge_jwk, "public_key is too large for a P-256 JWK."),
        (_off_curve_jwk, "public_key is not a point on the P-256 curve."),
        (lambda: "not a jwk", "public_key must be a JWK object."),
    ],
)
async def test_a_bad_device_key_is_a_400_and_leaves_the_ticket_usable(
    client: httpx.AsyncClient, runtime: Runtime, make: object, description: str
) -> None:
    assert callable(make)
    _, body = await _started(client, runtime)
    ticket = uri_query(body["barcode_uri"])["enrollment_tx_id"]

    response = await register(client, ticket, enrol_body(a_key(), public_key=make()))

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "error_description": description}
    assert (await register(client, ticket, enrol_body(a_key()))).status_code == 201


@pytest.mark.parametrize(
    ("changes", "description"),
    [
        ({"push": {"provider": "carrier-pigeon"}}, "push.provider must be one of: stream."),
        ({"push": {"provider": "fcm", "token": "t"}}, "push.provider must be one of: stream."),
        ({"push": "stream"}, "push must be an object with provider and token."),
        ({"name": ""}, "Missing required parameter: name"),
        ({"name": "x" * 101}, "name is too long."),
        ({"name": "bad\u0007bell"}, "name must be printable text."),
        ({"identifier": None}, "Missing required parameter: identifier"),
    ],
)
async def test_bad_enrolment_fields_are_clear_400s(
    client: httpx.AsyncClient, runtime: Runtime, changes: dict[str, object], description: str
) -> None:
    _, body = await _started(client, runtime)
    ticket = uri_query(body["barcode_uri"])["enrollment_tx_id"]

    response = await register(client, ticket, enrol_body(a_key(), **changes))

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "error_description": description}


async def test_a_policy_that_accepts_only_otp_refuses_a_push_first_factor(
    client: httpx.AsyncClient, runtime: Runtime, auth: TokenFactory
) -> None:
    rule = {
        "name": "Authenticator apps only",
        "condition": "true",
        "action": {"type": "require_mfa", "factors": ["otp"]},
    }
    created = await client.post("/api/v2/mfa/policy/rules", json=rule, headers=await auth())
    assert created.status_code == 201, created.text
    person = await a_user(runtime)

    response = await associate_push(
        client, await mfa_token(client, await a_client(runtime), person)
    )

    assert response.status_code == 403
    assert response.json() == {
        "error": "access_denied",
        "error_description": "The sign-in policy does not accept this factor here.",
    }
