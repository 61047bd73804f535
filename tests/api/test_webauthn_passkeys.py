"""Passwordless sign-in with a passkey: `POST /passkey/challenge`, then the WebAuthn grant
without an `mfa_token`; only when the tenant enables passkeys, only for clients holding the
grant type, only with user verification, and only for a credential that names its user."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.api.webauthn import (
    WEBAUTHN,
    Served,
    audit_of,
    claims_of,
    device,
    enrolled,
    grant,
    served,
    webauthn_on,
)
from tests.builders import Client, Person, a_client, a_user
from tests.support.soft_authenticator import SoftAuthenticator
from twofold.clock import FrozenClock
from twofold.config import Settings
from twofold.domain import JsonObject
from twofold.flows.clients import create_application
from twofold.flows.runtime import Runtime
from twofold.flows.tokens import MULTI_FACTOR_ACR

__all__ = ["webauthn_on"]
pytestmark = pytest.mark.usefixtures("webauthn_on")


@pytest.fixture
async def passkeys(settings: Settings, clock: FrozenClock) -> AsyncIterator[Served]:
    """An app on the shared database with passkeys switched on."""
    async for app in served(settings, clock, passkeys=True):
        yield app


async def with_passkey(on: Served) -> tuple[Client, Person, SoftAuthenticator]:
    app, person = await a_client(on.rt), await a_user(on.rt)
    key = device(on.rt, resident=True, backup_eligible=True)
    await enrolled(on.http, on.rt, app, person, key, "webauthn-platform")
    return app, person, key


async def passkey_challenge(http: httpx.AsyncClient, app: Client) -> httpx.Response:
    return await http.post(
        "/passkey/challenge", json={"client_id": app.client_id, "client_secret": app.client_secret}
    )


async def started(http: httpx.AsyncClient, app: Client) -> JsonObject:
    response = await passkey_challenge(http, app)
    assert response.status_code == 200, response.text
    body: JsonObject = response.json()
    return body


async def test_a_passkey_signs_in_without_a_password(passkeys: Served) -> None:
    app, person, key = await with_passkey(passkeys)
    body = await started(passkeys.http, app)
    assert sorted(body) == ["auth_session", "authn_params_public_key"]
    options = body["authn_params_public_key"]
    assert options["allowCredentials"] == []
    assert options["userVerification"] == "required"

    signed_in = await grant(
        passkeys.http, app, body["auth_session"], key.get(options), scope="openid email"
    )

    claims = await claims_of(passkeys.http, signed_in)
    assert claims["sub"] == person.user_id
    assert claims["amr"] == ["swk", "user", "mfa"]
    assert claims["acr"] == MULTI_FACTOR_ACR
    assert "id_token" in signed_in.json()
    [login] = await audit_of(passkeys.rt, person.user_id, "s")
    assert login.details["method"] == "passkey"
    assert login.details["amr"] == ["swk", "user", "mfa"]
    started_events = await audit_of(
        passkeys.rt, None, "passkey_challenge_started", client_id=app.client_id
    )
    assert len(started_events) == 1


async def test_a_device_bound_passkey_is_a_hardware_key(passkeys: Served) -> None:
    app, person = await a_client(passkeys.rt), await a_user(passkeys.rt)
    key = device(passkeys.rt, resident=True)
    await enrolled(passkeys.http, passkeys.rt, app, person, key, "webauthn-platform")
    body = await started(passkeys.http, app)
    signed_in = await grant(
        passkeys.http, app, body["auth_session"], key.get(body["authn_params_public_key"])
    )
    assert (await claims_of(passkeys.http, signed_in))["amr"] == ["hwk", "user", "mfa"]


async def test_passkeys_are_refused_unless_the_tenant_enables_them(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    refused = await passkey_challenge(client, await a_client(runtime))
    assert refused.status_code == 403
    assert refused.json() == {
        "error": "access_denied",
        "error_description": "Passkeys are not enabled.",
    }


async def test_the_grant_is_refused_too_when_passkeys_are_off(
    passkeys: Served, client: httpx.AsyncClient
) -> None:
    app, _, key = await with_passkey(passkeys)
    body = await started(passkeys.http, app)
    refused = await grant(
        client, app, body["auth_session"], key.get(body["authn_params_public_key"])
    )
    assert refused.status_code == 403
    assert refused.json()["error_description"] == "Passkeys are not enabled."


async def test_an_unknown_passkey_is_refused_and_audited(passkeys: Served) -> None:
    app = await a_client(passkeys.rt)
    stranger = device(passkeys.rt, resident=True)
    stranger.create(
        {
            "challenge": "AAAA",
            "user": {"id": "dXNlcg", "name": "x", "displayName": "x"},
            "rp": {"id": passkeys.rt.relying_party.id},
        }
    )
    body = await started(passkeys.http, app)

    refused = await grant(
        passkeys.http, app, body["auth_session"], stranger.get(body["authn_params_public_key"])
    )

    assert refused.status_code == 403
    assert refused.json() == {
        "error": "invalid_grant",
        "error_description": "The passkey is not registered here.",
    }
    failed = await audit_of(passkeys.rt, None, "passkey_challenge_failed", client_id=app.client_id)
    assert [e.details for e in failed] == [{"reason": "unknown_credential"}]


async def test_a_passkey_without_user_verification_is_refused(passkeys: Served) -> None:
    app, person, key = await with_passkey(passkeys)
    key.uv = False
    body = await started(passkeys.http, app)

    refused = await grant(
        passkeys.http, app, body["auth_session"], key.get(body["authn_params_public_key"])
    )

    assert refused.status_code == 403
    assert refused.json() == {
        "error": "invalid_grant",
        "error_description": "The user was not verified (PIN or biometrics).",
    }
    [failed] = await audit_of(passkeys.rt, person.user_id, "passkey_challenge_failed")
    assert failed.details["reason"] == "invalid_response"


async def test_a_passkey_must_name_the_user_it_belongs_to(passkeys: Served) -> None:
    app, person, key = await with_passkey(passkeys)
    other = await a_user(passkeys.rt)
    body = await started(passkeys.http, app)
    lying = key.get(body["authn_params_public_key"], user_handle=other.user_id.encode())

    refused = await grant(passkeys.http, app, body["auth_session"], lying)

    assert refused.status_code == 403
    assert refused.json()["error_description"] == (
        "The passkey does not name the user it belongs to."
    )
    [failed] = await audit_of(passkeys.rt, person.user_id, "passkey_challenge_failed")
    assert failed.details["reason"] == "user_handle_mismatch"


async def test_a_client_without_the_grant_type_gets_no_challenge(passkeys: Served) -> None:
    new = await create_application(
        passkeys.rt, name="no passkeys", grant_types=["authorization_code"]
    )
    app = Client(new.application.client_id, new.client_secret or "")
    refused = await passkey_challenge(passkeys.http, app)
    assert refused.status_code == 403
    assert refused.json() == {
        "error": "unauthorized_client",
        "error_description": f"Grant type '{WEBAUTHN}' not allowed for the client.",
    }


async def test_an_mfa_challenge_handle_is_not_a_passkey_one(passkeys: Served) -> None:
    app, _, key = await with_passkey(passkeys)
    other_app = await a_client(passkeys.rt)
    body = await started(passkeys.http, app)
    refused = await grant(
        passkeys.http, other_app, body["auth_session"], key.get(body["authn_params_public_key"])
    )
    assert refused.status_code == 403
    assert refused.json()["error_description"] == "Invalid auth_session."
