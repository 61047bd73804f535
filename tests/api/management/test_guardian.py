"""`/api/v2/guardian`: factor switches and the MFA policy, validated and audited."""

from __future__ import annotations

import httpx
import pytest

from tests.api.helpers import associate, mfa_token, password_login
from tests.api.management.conftest import TokenFactory
from tests.builders import a_client, a_user
from twofold.factors.registry import FACTOR_NAMES
from twofold.flows.runtime import Runtime


async def test_factors_list_every_auth0_name(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    response = await client.get(
        "/api/v2/guardian/factors", headers=await auth("read:guardian_factors")
    )
    assert response.status_code == 200
    body = response.json()
    assert [item["name"] for item in body] == list(FACTOR_NAMES)
    assert all(item["trial_expired"] is False for item in body)
    enabled = {item["name"]: item["enabled"] for item in body}
    assert enabled["sms"] is False
    assert enabled["webauthn-roaming"] is False


@pytest.mark.usefixtures("tenant")
async def test_disabling_otp_stops_enrolment_and_reenabling_restores_it(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime
) -> None:
    writer, reader = await auth("update:guardian_factors"), await auth("read:guardian_factors")
    off = await client.put("/api/v2/guardian/factors/otp", json={"enabled": False}, headers=writer)
    assert off.status_code == 200
    assert off.json() == {"enabled": False}
    listed = (await client.get("/api/v2/guardian/factors", headers=reader)).json()
    assert {item["name"]: item["enabled"] for item in listed}["otp"] is False

    app, person = await a_client(runtime), await a_user(runtime)
    refused = await associate(client, await mfa_token(client, app, person))
    assert refused.status_code == 403
    assert refused.json()["error"] == "access_denied"

    on = await client.put("/api/v2/guardian/factors/otp", json={"enabled": True}, headers=writer)
    assert on.json() == {"enabled": True}
    assert (await associate(client, await mfa_token(client, app, person))).status_code == 200


@pytest.mark.usefixtures("tenant")
async def test_unimplemented_factor_cannot_be_enabled(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    writer = await auth("update:guardian_factors")
    response = await client.put(
        "/api/v2/guardian/factors/duo", json={"enabled": True}, headers=writer
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": (
            "The duo factor is not available in this version of Twofold; it cannot be enabled."
        ),
    }
    disabled = await client.put(
        "/api/v2/guardian/factors/duo", json={"enabled": False}, headers=writer
    )
    assert disabled.json() == {"enabled": False}


@pytest.mark.parametrize(
    ("name", "body", "status"),
    [
        ("carrier-pigeon", {"enabled": True}, 404),
        ("otp", {}, 400),
        ("otp", {"enabled": "true"}, 400),
        ("otp", {"enabled": True, "extra": 1}, 400),
        ("otp", [True], 400),
    ],
)
async def test_factor_update_errors(
    client: httpx.AsyncClient, auth: TokenFactory, name: str, body: object, status: int
) -> None:
    response = await client.put(
        f"/api/v2/guardian/factors/{name}", json=body, headers=await auth("update:guardian_factors")
    )
    assert response.status_code == status
    assert response.json()["error"] == ("not_found" if status == 404 else "invalid_request")


@pytest.mark.usefixtures("tenant")
async def test_policy_never_skips_mfa_and_always_restores_it(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime
) -> None:
    writer, reader = await auth("update:mfa_policies"), await auth("read:mfa_policies")
    assert (await client.get("/api/v2/guardian/policies", headers=reader)).json() == [
        "all-applications"
    ]
    never = await client.put("/api/v2/guardian/policies", json=[], headers=writer)
    assert never.status_code == 200
    assert never.json() == []
    app, person = await a_client(runtime), await a_user(runtime)
    login = await password_login(client, app, person)
    assert login.status_code == 200
    assert "access_token" in login.json()

    adaptive = await client.put(
        "/api/v2/guardian/policies", json=["confidence-score"], headers=writer
    )
    assert adaptive.json() == ["confidence-score"]
    assert (await client.get("/api/v2/guardian/policies", headers=reader)).json() == [
        "confidence-score"
    ]
    always = await client.put(
        "/api/v2/guardian/policies", json=["all-applications"], headers=writer
    )
    assert always.json() == ["all-applications"]
    assert (await password_login(client, app, person)).json()["error"] == "mfa_required"


@pytest.mark.parametrize(
    "body",
    [["sometimes"], ["all-applications", "confidence-score"], "all-applications", {"a": 1}, [1]],
)
async def test_bad_policies_are_400(
    client: httpx.AsyncClient, auth: TokenFactory, body: object
) -> None:
    response = await client.put(
        "/api/v2/guardian/policies", json=body, headers=await auth("update:mfa_policies")
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
