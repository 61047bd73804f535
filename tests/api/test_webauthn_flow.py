"""Security keys and device biometrics over the MFA API, with software authenticators through
the real verification code: enrol with an `mfa_token`, answer `/mfa/challenge`, list and
remove, enrol a further key with an `enroll` access token, and the `amr` each one proves."""

from __future__ import annotations

import httpx
import pytest

from tests.api.helpers import associate as associate_otp
from tests.api.helpers import code, mfa_token, otp_grant, password_login
from tests.api.webauthn import (
    answered,
    associate,
    audit_of,
    challenge,
    claims_of,
    device,
    enrolled,
    grant,
    security_key,
    webauthn_on,
)
from tests.builders import a_client, a_user
from tests.support.soft_authenticator import b64u
from twofold.clock import FrozenClock
from twofold.flows.runtime import Runtime

__all__ = ["webauthn_on"]
pytestmark = pytest.mark.usefixtures("webauthn_on")


async def test_a_security_key_enrols_then_answers_the_second_factor(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    key = security_key(runtime, uv=False)
    token = await mfa_token(
        client, app, person, audience=runtime.settings.mfa_audience, scope="read:authenticators"
    )

    started = await associate(client, token, "webauthn-roaming", name="Blue YubiKey")

    assert started.status_code == 200, started.text
    body = started.json()
    assert sorted(body) == [
        "auth_session",
        "authenticator_type",
        "authn_params_public_key",
        "recovery_codes",
    ]
    assert body["authenticator_type"] == "webauthn-roaming"
    options = body["authn_params_public_key"]
    assert options["rp"] == {"id": runtime.relying_party.id, "name": runtime.settings.tenant_name}
    assert options["user"]["id"] == b64u(person.user_id.encode())
    assert options["authenticatorSelection"]["authenticatorAttachment"] == "cross-platform"
    assert started.headers["cache-control"] == "no-store"
    confirmed = await grant(client, app, body["auth_session"], key.create(options), mfa_token=token)
    claims = await claims_of(client, confirmed)
    assert claims["amr"] == ["pwd", "hwk", "mfa"]

    access = confirmed.json()["access_token"]
    listed = await client.get("/mfa/authenticators", headers={"authorization": f"Bearer {access}"})
    by_type = {item["authenticator_type"]: item for item in listed.json()}
    item = by_type["webauthn-roaming"]
    assert item["id"].startswith("webauthn-roaming|dev_")
    assert (item["active"], item["name"]) == (True, "Blue YubiKey")
    assert (item["aaguid"], item["backed_up"], item["credential_kind"]) == (
        "00000000-0000-0000-0000-000000000000",
        False,
        "device-bound key",
    )
    assert by_type["recovery-code"]["active"] is True

    again = await answered(client, app, person, key)
    assert (await claims_of(client, again))["amr"] == ["pwd", "hwk", "mfa"]
    assert [
        e.details["factor"] for e in await audit_of(runtime, person.user_id, "gd_start_enroll")
    ] == ["webauthn-roaming"]
    [completed] = await audit_of(runtime, person.user_id, "gd_enrollment_complete")
    assert completed.details == {"authenticator_id": item["id"], "factor": "webauthn-roaming"}
    [started_auth] = await audit_of(runtime, person.user_id, "gd_start_auth")
    assert started_auth.details == {"factor": "webauthn", "authenticator_ids": [item["id"]]}
    succeeded = await audit_of(runtime, person.user_id, "gd_auth_succeed")
    assert [e.details["authenticator_id"] for e in succeeded] == [item["id"], item["id"]]


async def test_device_biometrics_prove_the_user_and_a_synced_passkey_is_software(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    key = device(runtime, backup_eligible=True, backed_up=True, aaguid=bytes(range(16)))

    first = await enrolled(client, runtime, app, person, key, "webauthn-platform")

    assert first.tokens["token_type"] == "Bearer"
    again = await answered(client, app, person, key)
    assert (await claims_of(client, again))["amr"] == ["pwd", "swk", "user", "mfa"]
    token = await mfa_token(client, app, person)
    listed = await client.get("/mfa/authenticators", headers={"authorization": f"Bearer {token}"})
    [item] = [a for a in listed.json() if a["authenticator_type"] == "webauthn-platform"]
    assert (item["aaguid"], item["backed_up"], item["credential_kind"]) == (
        "00010203-0405-0607-0809-0a0b0c0d0e0f",
        True,
        "synced passkey",
    )
    assert "last_auth" in item


async def test_device_biometrics_without_user_verification_are_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    token = await mfa_token(client, app, person)
    body = (await associate(client, token, "webauthn-platform")).json()
    assert body["authn_params_public_key"]["authenticatorSelection"]["userVerification"] == (
        "required"
    )

    refused = await grant(
        client,
        app,
        body["auth_session"],
        device(runtime, uv=False).create(body["authn_params_public_key"]),
        mfa_token=token,
    )

    assert refused.status_code == 403
    assert refused.json() == {
        "error": "invalid_grant",
        "error_description": "The user was not verified (PIN or biometrics).",
    }
    [failed] = await audit_of(runtime, person.user_id, "gd_webauthn_enrollment_failed")
    assert failed.details == {"factor": "webauthn-platform", "reason": "invalid_response"}
    listed = await client.get("/mfa/authenticators", headers={"authorization": f"Bearer {token}"})
    assert [a["authenticator_type"] for a in listed.json()] == ["recovery-code"]
    assert [a["active"] for a in listed.json()] == [False]


async def test_a_security_key_is_removed_like_any_authenticator(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    token = await mfa_token(
        client,
        app,
        person,
        audience=runtime.settings.mfa_audience,
        scope="enroll read:authenticators remove:authenticators",
    )
    body = (await associate(client, token)).json()
    key = security_key(runtime)
    created = key.create(body["authn_params_public_key"])
    access = (await grant(client, app, body["auth_session"], created, mfa_token=token)).json()
    headers = {"authorization": f"Bearer {access['access_token']}"}
    [item] = [
        a
        for a in (await client.get("/mfa/authenticators", headers=headers)).json()
        if a["authenticator_type"] == "webauthn-roaming"
    ]

    removed = await client.delete(f"/mfa/authenticators/{item['id']}", headers=headers)

    assert removed.status_code == 204
    listed = (await client.get("/mfa/authenticators", headers=headers)).json()
    assert [a["authenticator_type"] for a in listed] == ["recovery-code"]
    [unenrolled] = await audit_of(runtime, person.user_id, "gd_unenroll")
    assert unenrolled.details == {"authenticator_id": item["id"], "factor": "webauthn-roaming"}


async def test_an_access_token_adds_a_second_key_confirmed_at_associate(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    token = await mfa_token(
        client, app, person, audience=runtime.settings.mfa_audience, scope="enroll"
    )
    secret = (await associate_otp(client, token)).json()["secret"]
    access = (await otp_grant(client, app, token, code(secret, clock.now()))).json()
    bearer = access["access_token"]
    key = device(runtime)

    started = await associate(client, bearer, "webauthn-platform", name="Laptop")
    assert started.status_code == 200, started.text
    assert "recovery_codes" not in started.json()
    body = started.json()
    confirmed = await client.post(
        "/mfa/associate",
        headers={"authorization": f"Bearer {bearer}"},
        json={
            "auth_session": body["auth_session"],
            "authn_response": key.create(body["authn_params_public_key"]),
        },
    )

    assert confirmed.status_code == 200, confirmed.text
    added = confirmed.json()
    assert (added["authenticator_type"], added["active"], added["name"]) == (
        "webauthn-platform",
        True,
        "Laptop",
    )
    login = await mfa_token(client, app, person)
    offered = (await challenge(client, app, login, challenge_type="webauthn otp")).json()
    assert offered["challenge_type"] == "otp"  # the older factor comes first
    asked = (await challenge(client, app, login)).json()
    allowed = asked["authn_params_public_key"]["allowCredentials"]
    assert [item["id"] for item in allowed] == [b64u(raw) for raw in key.credentials]
    answered_with_key = await grant(
        client,
        app,
        asked["auth_session"],
        key.get(asked["authn_params_public_key"]),
        mfa_token=login,
    )
    assert (await claims_of(client, answered_with_key))["amr"] == ["pwd", "hwk", "user", "mfa"]


async def test_an_mfa_token_cannot_complete_a_registration_at_associate(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    token = await mfa_token(client, app, person)
    body = (await associate(client, token)).json()
    refused = await client.post(
        "/mfa/associate",
        headers={"authorization": f"Bearer {token}"},
        json={
            "auth_session": body["auth_session"],
            "authn_response": security_key(runtime).create(body["authn_params_public_key"]),
        },
    )
    assert refused.status_code == 403
    assert refused.json()["error"] == "insufficient_scope"


async def test_mfa_required_lists_the_webauthn_types_the_user_can_answer(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    fresh = await password_login(client, app, person)
    enrol = fresh.json()["mfa_requirements"]["enroll"]
    assert {"type": "webauthn-roaming"} in enrol
    assert {"type": "webauthn-platform"} in enrol

    await enrolled(client, runtime, app, person, security_key(runtime))

    login = await password_login(client, app, person)
    assert login.json()["mfa_requirements"] == {
        "challenge": [{"type": "webauthn-roaming"}, {"type": "recovery-code"}]
    }


async def test_webauthn_is_chosen_only_when_asked_for(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    key = security_key(runtime)
    await enrolled(client, runtime, app, person, key)
    token = await mfa_token(client, app, person)

    plain = await client.post(
        "/mfa/challenge",
        json={"client_id": app.client_id, "client_secret": app.client_secret, "mfa_token": token},
    )
    assert plain.status_code == 400  # an Auth0 client asking otp or oob never gets WebAuthn
    assert plain.json()["error"] == "unsupported_challenge_type"
    mixed = await challenge(client, app, token, challenge_type="otp webauthn")

    assert mixed.status_code == 200, mixed.text
    body = mixed.json()
    assert body["challenge_type"] == "webauthn"
    answered_mixed = await grant(
        client, app, body["auth_session"], key.get(body["authn_params_public_key"]), mfa_token=token
    )
    assert answered_mixed.status_code == 200, answered_mixed.text
