"""Bad input gets a clear OAuth-style error, never a 500."""

from __future__ import annotations

import httpx
import pytest

from tests.builders import a_client, a_user
from twofold.flows.runtime import Runtime


@pytest.mark.parametrize(
    ("content", "headers", "error"),
    [
        (b"{not json", {"content-type": "application/json"}, "invalid_request"),
        (b"[1, 2]", {"content-type": "application/json"}, "invalid_request"),
        (b"grant_type=password", {"content-type": "text/plain"}, "invalid_request"),
        (b'{"grant_type": 5}', {"content-type": "application/json"}, "unsupported_grant_type"),
        (b'{"grant_type": ["password"]}', {"content-type": "application/json"}, "invalid_request"),
        (b"", {"content-type": "application/x-www-form-urlencoded"}, "invalid_request"),
        (
            b"grant_type=urn:nope",
            {"content-type": "application/x-www-form-urlencoded"},
            "unsupported_grant_type",
        ),
        (b"\xff\xfe", {"content-type": "application/x-www-form-urlencoded"}, "invalid_request"),
    ],
)
async def test_token_endpoint_rejects_malformed_bodies(
    client: httpx.AsyncClient, content: bytes, headers: dict[str, str], error: str
) -> None:
    response = await client.post("/oauth/token", content=content, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert response.json()["error_description"]


async def test_wrong_client_secret_is_invalid_client(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    response = await client.post(
        "/oauth/token",
        json={
            "grant_type": "password",
            "client_id": app.client_id,
            "client_secret": "nope",
            "username": person.email,
            "password": person.password,
        },
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_unknown_audience_is_refused_before_mfa(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    response = await client.post(
        "/oauth/token",
        json={
            "grant_type": "password",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "username": person.email,
            "password": person.password,
            "audience": "https://unknown.example/api",
        },
    )
    assert response.status_code == 403
    assert response.json()["error"] == "access_denied"


async def test_unknown_route_and_method_are_json(client: httpx.AsyncClient) -> None:
    missing = await client.get("/nope")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"
    wrong_method = await client.get("/oauth/token")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"] == "method_not_allowed"


async def test_associate_requires_types_and_a_bearer(client: httpx.AsyncClient) -> None:
    no_bearer = await client.post("/mfa/associate", json={"authenticator_types": ["otp"]})
    assert no_bearer.status_code == 401
    assert no_bearer.json()["error"] == "invalid_token"
    no_types = await client.post(
        "/mfa/associate", headers={"authorization": "Bearer x"}, json={"authenticator_types": []}
    )
    assert no_types.status_code == 400
    assert no_types.json()["error"] == "invalid_request"


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
