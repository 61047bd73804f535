"""The WebAuthn factors' settings through the Management API
(`/api/v2/guardian/factors/{name}/settings`): configuration until overridden, an audited
override that the next ceremony obeys (options and checks), and clean refusals."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.conftest import TokenFactory
from tests.api.helpers import mfa_token
from tests.api.webauthn import (
    associate,
    audit_of,
    challenge,
    device,
    enrolled,
    grant,
    security_key,
    webauthn_on,
)
from tests.builders import Client, a_client, a_user
from twofold.domain import JsonObject
from twofold.flows.runtime import Runtime
from twofold.store.repos import audit as audit_repo

__all__ = ["webauthn_on"]
ROAMING = "/api/v2/guardian/factors/webauthn-roaming/settings"
PLATFORM = "/api/v2/guardian/factors/webauthn-platform/settings"
NOT_VERIFIED = {
    "error": "invalid_grant",
    "error_description": "The user was not verified (PIN or biometrics).",
}


async def put(
    client: httpx.AsyncClient, auth: TokenFactory, path: str, body: Any
) -> httpx.Response:
    return await client.put(path, json=body, headers=await auth("update:guardian_factors"))


async def changes_by(runtime: Runtime, machine: Client, setting: str) -> list[JsonObject]:
    """The values of every `gd_tenant_update` of `setting` by `machine` (each test has a
    machine of its own; the log outlives the test), in the order they were written."""
    async with runtime.store.read() as tx:
        found = await audit_repo.search(
            tx.conn, type="gd_tenant_update", q=setting, per_page=100, ascending=True
        )
    assert found.total == len(found.items)
    return [
        item.details["value"]
        for item in found.items
        if item.actor == f"{machine.client_id}@clients" and item.details["setting"] == setting
    ]


@pytest.mark.usefixtures("tenant")
@pytest.mark.parametrize(
    ("path", "configured"),
    [
        (ROAMING, {"userVerification": "discouraged", "residentKey": "discouraged"}),
        (PLATFORM, {"userVerification": "required", "residentKey": "preferred"}),
    ],
)
async def test_the_settings_are_configuration_until_overridden(
    client: httpx.AsyncClient, auth: TokenFactory, path: str, configured: JsonObject
) -> None:
    reader = await auth("read:guardian_factors")

    answer = await client.get(path, headers=reader)

    assert answer.status_code == 200
    assert answer.json() == configured


@pytest.mark.usefixtures("tenant")
async def test_an_override_is_stored_audited_and_cleared(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime, machine: Client
) -> None:
    reader = await auth("read:guardian_factors")
    setting = "guardian.factors.webauthn-platform.settings"

    changed = await put(client, auth, PLATFORM, {"residentKey": "required"})

    assert changed.status_code == 200
    expected = {"userVerification": "required", "residentKey": "required"}
    assert changed.json() == expected
    assert (await client.get(PLATFORM, headers=reader)).json() == expected
    assert (await client.get(ROAMING, headers=reader)).json() == {
        "userVerification": "discouraged",
        "residentKey": "discouraged",
    }
    assert await changes_by(runtime, machine, setting) == [{"residentKey": "required"}]

    cleared = await put(client, auth, PLATFORM, {"userVerification": None})

    assert cleared.json() == {"userVerification": "required", "residentKey": "preferred"}
    assert await changes_by(runtime, machine, setting) == [{"residentKey": "required"}, {}]


@pytest.mark.usefixtures("webauthn_on")
async def test_required_user_verification_refuses_a_key_without_it(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime
) -> None:
    app, earlier, later = await a_client(runtime), await a_user(runtime), await a_user(runtime)
    touch_only = security_key(runtime, uv=False)
    await enrolled(client, runtime, app, earlier, touch_only)  # accepted: configuration says
    # `discouraged` for security keys

    assert (await put(client, auth, ROAMING, {"userVerification": "required"})).is_success

    token = await mfa_token(client, app, later)
    body = (await associate(client, token, "webauthn-roaming")).json()
    options = body["authn_params_public_key"]
    assert options["authenticatorSelection"]["userVerification"] == "required"
    created = security_key(runtime, uv=False).create(options)
    refused = await grant(client, app, body["auth_session"], created, mfa_token=token)
    assert refused.status_code == 403
    assert refused.json() == NOT_VERIFIED
    [failed] = await audit_of(runtime, later.user_id, "gd_webauthn_enrollment_failed")
    assert failed.details == {"factor": "webauthn-roaming", "reason": "invalid_response"}

    # The key enrolled before is asked for user verification too, and refused without it.
    token = await mfa_token(client, app, earlier)
    asked = (await challenge(client, app, token)).json()
    assert asked["authn_params_public_key"]["userVerification"] == "required"
    answer = touch_only.get(asked["authn_params_public_key"])
    refused = await grant(client, app, asked["auth_session"], answer, mfa_token=token)
    assert refused.json() == NOT_VERIFIED


@pytest.mark.usefixtures("webauthn_on")
async def test_a_registration_started_before_the_change_is_held_to_it(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    token = await mfa_token(client, app, person)
    body = (await associate(client, token, "webauthn-roaming")).json()
    assert body["authn_params_public_key"]["authenticatorSelection"]["userVerification"] == (
        "discouraged"
    )
    created = security_key(runtime, uv=False).create(body["authn_params_public_key"])

    assert (await put(client, auth, ROAMING, {"userVerification": "required"})).is_success
    refused = await grant(client, app, body["auth_session"], created, mfa_token=token)

    assert refused.status_code == 403
    assert refused.json() == NOT_VERIFIED


@pytest.mark.usefixtures("webauthn_on")
async def test_the_resident_key_setting_reaches_the_next_creation_options(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    token = await mfa_token(client, app, person)
    before = (await associate(client, token, "webauthn-platform")).json()
    selection = before["authn_params_public_key"]["authenticatorSelection"]
    assert (selection["residentKey"], selection["requireResidentKey"]) == ("preferred", False)

    changed = await put(client, auth, PLATFORM, {"residentKey": "required"})
    assert changed.json() == {"userVerification": "required", "residentKey": "required"}
    after = (await associate(client, token, "webauthn-platform")).json()

    assert after["authn_params_public_key"]["authenticatorSelection"] == {
        "authenticatorAttachment": "platform",
        "residentKey": "required",
        "requireResidentKey": True,
        "userVerification": "required",
    }
    key = device(runtime, resident=True)
    created = key.create(after["authn_params_public_key"])
    granted = await grant(client, app, after["auth_session"], created, mfa_token=token)
    assert granted.status_code == 200, granted.text


@pytest.mark.usefixtures("tenant")
@pytest.mark.parametrize(
    ("body", "description"),
    [
        ({"userVerification": "always"}, "Invalid request parameters: userVerification"),
        ({"residentKey": True}, "Invalid request parameters: residentKey"),
        ({"user_verification": "required"}, "Invalid request parameters: user_verification"),
        ({"rpId": "example.com"}, "Invalid request parameters: rpId"),
        (["required"], "Invalid request."),
        ("required", "Invalid request."),
    ],
)
async def test_bad_bodies_are_refused(
    client: httpx.AsyncClient, auth: TokenFactory, body: Any, description: str
) -> None:
    reader = await auth("read:guardian_factors")

    refused = await put(client, auth, ROAMING, body)

    assert refused.status_code == 400
    assert refused.json() == {"error": "invalid_request", "error_description": description}
    assert (await client.get(ROAMING, headers=reader)).json() == {
        "userVerification": "discouraged",
        "residentKey": "discouraged",
    }


@pytest.mark.usefixtures("tenant")
async def test_each_way_needs_its_scope(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    reader, writer = await auth("read:guardian_factors"), await auth("update:guardian_factors")

    read = await client.get(ROAMING, headers=writer)
    written = await client.put(ROAMING, json={"residentKey": "required"}, headers=reader)
    anonymous = await client.get(ROAMING)

    assert (read.status_code, written.status_code, anonymous.status_code) == (403, 403, 401)
    assert read.json() == {
        "error": "insufficient_scope",
        "error_description": "Insufficient scope, expected: read:guardian_factors",
    }
    assert written.json()["error_description"] == (
        "Insufficient scope, expected: update:guardian_factors"
    )
    assert (await client.get(ROAMING, headers=reader)).json()["residentKey"] == "discouraged"


@pytest.mark.usefixtures("tenant")
@pytest.mark.parametrize(
    ("name", "description"),
    [
        ("webauthn", "The factor does not exist."),
        ("otp", "The otp factor has no settings here."),
        ("duo", "The duo factor has no settings here."),
    ],
)
async def test_other_factor_names_are_not_found(
    client: httpx.AsyncClient, auth: TokenFactory, name: str, description: str
) -> None:
    path = f"/api/v2/guardian/factors/{name}/settings"
    expected = {"error": "not_found", "error_description": description}

    read = await client.get(path, headers=await auth("read:guardian_factors"))
    written = await put(client, auth, path, {"userVerification": "required"})

    assert (read.status_code, read.json()) == (404, expected)
    assert (written.status_code, written.json()) == (404, expected)
