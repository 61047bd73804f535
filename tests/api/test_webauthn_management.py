"""WebAuthn in the Management API: Guardian's `webauthn-roaming` and `webauthn-platform`
factors switch on and off, and a user's keys are authentication methods (`passkey` when
discoverable), readable and removable by an admin."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from tests.api.conftest import TokenFactory
from tests.api.helpers import mfa_token
from tests.api.webauthn import associate, device, enrolled, security_key, webauthn_on
from tests.builders import a_client, a_user
from tests.support.soft_authenticator import b64u
from twofold.flows.runtime import Runtime
from twofold.store.repos import audit as audit_repo

__all__ = ["webauthn_on"]


def methods_path(user_id: str) -> str:
    return f"/api/v2/users/{quote(user_id, safe='')}/authentication-methods"


async def switched_on(runtime: Runtime, name: str) -> int:
    """How many `gd_tenant_update` events record switching `name` on (the audit log outlives
    a test, and a frozen clock orders same-time events arbitrarily, so count, don't peek)."""
    expected = {"setting": f"guardian.factors.{name}", "value": {"enabled": True}}
    async with runtime.store.read() as tx:
        found = await audit_repo.search(
            tx.conn, type="gd_tenant_update", q=f"guardian.factors.{name}", per_page=100
        )
    assert found.total <= len(found.items)  # every switch of this factor is counted
    return sum(1 for item in found.items if item.details == expected)


@pytest.mark.usefixtures("tenant")
@pytest.mark.parametrize("name", ["webauthn-roaming", "webauthn-platform"])
async def test_guardian_switches_each_webauthn_factor(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime, name: str
) -> None:
    writer, reader = await auth("update:guardian_factors"), await auth("read:guardian_factors")
    token = await mfa_token(client, await a_client(runtime), await a_user(runtime))
    assert (await associate(client, token, name)).status_code == 403  # off, as in Auth0
    before = await switched_on(runtime, name)

    on = await client.put(
        f"/api/v2/guardian/factors/{name}", json={"enabled": True}, headers=writer
    )

    assert on.status_code == 200
    assert on.json() == {"enabled": True}
    listed = (await client.get("/api/v2/guardian/factors", headers=reader)).json()
    assert {item["name"]: item["enabled"] for item in listed}[name] is True
    assert (await associate(client, token, name)).status_code == 200
    assert await switched_on(runtime, name) == before + 1
    off = await client.put(
        f"/api/v2/guardian/factors/{name}", json={"enabled": False}, headers=writer
    )
    assert off.json() == {"enabled": False}
    assert (await associate(client, token, name)).status_code == 403


@pytest.mark.usefixtures("webauthn_on")
async def test_keys_are_authentication_methods_and_a_discoverable_one_is_a_passkey(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    key = security_key(runtime)
    first = await enrolled(client, runtime, app, person, key)
    headers = await auth("read:authentication_methods")

    listed = (await client.get(methods_path(person.user_id), headers=headers)).json()

    by_type = {item["type"]: item for item in listed}
    assert set(by_type) == {"webauthn-roaming", "recovery-code"}
    method = by_type["webauthn-roaming"]
    [raw] = key.credentials
    assert method == {
        "id": first.authenticator_id,
        "type": "webauthn-roaming",
        "confirmed": True,
        "created_at": method["created_at"],
        "enrolled_at": method["enrolled_at"],
        "authentication_methods": [{"id": first.authenticator_id, "type": "webauthn-roaming"}],
        "key_id": b64u(raw),
        "aaguid": "00000000-0000-0000-0000-000000000000",
        "credential_device_type": "single_device",
        "credential_backed_up": False,
    }
    assert "public_key" not in method

    other = await a_user(runtime)
    await enrolled(
        client,
        runtime,
        app,
        other,
        device(runtime, resident=True, backup_eligible=True, backed_up=True),
        "webauthn-platform",
    )
    passkey = next(
        item
        for item in (await client.get(methods_path(other.user_id), headers=headers)).json()
        if item["type"] != "recovery-code"
    )
    assert passkey["type"] == "passkey"
    assert passkey["credential_device_type"] == "multi_device"
    assert passkey["credential_backed_up"] is True


@pytest.mark.usefixtures("webauthn_on")
async def test_an_admin_removes_a_key(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    first = await enrolled(client, runtime, app, person, security_key(runtime))
    path = f"{methods_path(person.user_id)}/{quote(first.authenticator_id, safe='')}"

    removed = await client.delete(path, headers=await auth("delete:authentication_methods"))

    assert removed.status_code == 204
    gone = await client.get(path, headers=await auth("read:authentication_methods"))
    assert gone.status_code == 404
    login = await client.post(
        "/oauth/token",
        json={
            "grant_type": "password",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "username": person.email,
            "password": person.password,
        },
    )
    assert login.json()["mfa_requirements"] == {
        "enroll": [{"type": "otp"}, {"type": "webauthn-roaming"}, {"type": "webauthn-platform"}]
    }
