"""The Management API's bearer check: 401 without a valid token, 403 without the scope."""

from __future__ import annotations

import httpx
import pytest

from tests.api.helpers import code, mfa_token, otp_grant
from tests.api.management.conftest import TokenFactory
from tests.builders import a_client, a_user
from twofold.clock import FrozenClock
from twofold.flows.grants import MANAGEMENT_SCOPES
from twofold.flows.runtime import Runtime

USER = "auth0%7C000000000000000000000000"
ENDPOINTS = [
    ("POST", "/api/v2/users", "create:users"),
    ("GET", "/api/v2/users", "read:users"),
    ("GET", f"/api/v2/users/{USER}", "read:users"),
    ("GET", "/api/v2/users-by-email?email=a@example.com", "read:users"),
    ("POST", f"/api/v2/users/{USER}/recovery-code-regeneration", "update:users"),
    (
        "POST",
        f"/api/v2/users/{USER}/multifactor/actions/invalidate-remember-browser",
        "update:users",
    ),
    ("DELETE", f"/api/v2/users/{USER}/authenticators", "delete:guardian_enrollments"),
    ("GET", f"/api/v2/users/{USER}/authentication-methods", "read:authentication_methods"),
    ("GET", f"/api/v2/users/{USER}/authentication-methods/x", "read:authentication_methods"),
    ("DELETE", f"/api/v2/users/{USER}/authentication-methods", "delete:authentication_methods"),
    ("DELETE", f"/api/v2/users/{USER}/authentication-methods/x", "delete:authentication_methods"),
    ("GET", f"/api/v2/user-blocks/{USER}", "read:users"),
    ("DELETE", f"/api/v2/user-blocks/{USER}", "update:users"),
    ("GET", "/api/v2/guardian/factors", "read:guardian_factors"),
    ("PUT", "/api/v2/guardian/factors/otp", "update:guardian_factors"),
    ("GET", "/api/v2/guardian/policies", "read:mfa_policies"),
    ("PUT", "/api/v2/guardian/policies", "update:mfa_policies"),
    ("GET", "/api/v2/logs", "read:logs"),
    ("GET", "/api/v2/logs/1", "read:logs"),
]


@pytest.mark.parametrize(("method", "path", "scope"), ENDPOINTS)
async def test_no_token_is_401(
    client: httpx.AsyncClient, method: str, path: str, scope: str
) -> None:
    response = await client.request(method, path)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


@pytest.mark.parametrize(("method", "path", "scope"), ENDPOINTS)
async def test_token_without_the_scope_is_403(
    client: httpx.AsyncClient, auth: TokenFactory, method: str, path: str, scope: str
) -> None:
    others = [other for other in MANAGEMENT_SCOPES if other != scope]
    response = await client.request(method, path, headers=await auth(*others))
    assert response.status_code == 403
    assert response.json() == {
        "error": "insufficient_scope",
        "error_description": f"Insufficient scope, expected: {scope}",
    }


@pytest.mark.parametrize(
    "header",
    ["Bearer not.a.jwt", "Bearer abc", "Basic dXNlcjpwYXNz", "Bearer " + "a" * 9000, "Bearer"],
)
async def test_malformed_tokens_are_401(client: httpx.AsyncClient, header: str) -> None:
    response = await client.get("/api/v2/guardian/factors", headers={"authorization": header})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


async def test_expired_token_is_401(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime, clock: FrozenClock
) -> None:
    headers = await auth("read:guardian_factors")
    assert (await client.get("/api/v2/guardian/factors", headers=headers)).status_code == 200
    clock.advance(runtime.settings.tokens.access_token_ttl + 120)
    response = await client.get("/api/v2/guardian/factors", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


async def test_mfa_api_token_of_a_user_is_not_a_management_token(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    """A user's token for `<issuer>mfa/` must not open `/api/v2` (audience check)."""
    app, person = await a_client(runtime), await a_user(runtime)
    token = await mfa_token(client, app, person, audience=runtime.settings.mfa_audience)
    enrolment = await client.post(
        "/mfa/associate",
        headers={"authorization": f"Bearer {token}"},
        json={"authenticator_types": ["otp"]},
    )
    tokens = await otp_grant(client, app, token, code(enrolment.json()["secret"], clock.now()))
    assert tokens.status_code == 200
    response = await client.get(
        "/api/v2/guardian/factors",
        headers={"authorization": f"Bearer {tokens.json()['access_token']}"},
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
