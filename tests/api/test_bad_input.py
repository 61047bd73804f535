"""Bad input gets a clear OAuth-style error, never a 500."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.api.conftest import TokenFactory
from tests.api.helpers import mfa_token
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


def raw_json(**fields: object) -> bytes:
    """JSON as a client may send it: `ensure_ascii` keeps lone surrogates as `\\ud800` escapes."""
    return json.dumps(fields, ensure_ascii=True).encode()


@pytest.mark.parametrize(
    ("field", "value", "description"),
    [
        ("password", "correct horse\ud800", "password must be valid Unicode."),
        ("username", "\udfff@example.com", "username must be valid Unicode."),
        ("username", "a\x00@example.com", "username must not contain NUL characters."),
        ("username", "a" * 309 + "@example.com", "username is too long."),
        ("password", "p" * 1025, "password is too long."),
    ],
)
async def test_password_grant_refuses_unstorable_or_oversized_text(
    client: httpx.AsyncClient, runtime: Runtime, field: str, value: str, description: str
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    fields = {
        "grant_type": "password",
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "username": person.email,
        "password": person.password,
        field: value,
    }
    response = await client.post(
        "/oauth/token", content=raw_json(**fields), headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "error_description": description}


async def test_a_password_may_hold_nul(client: httpx.AsyncClient, runtime: Runtime) -> None:
    """Passwords are only hashed, so any character is fine; this one is merely wrong."""
    app, person = await a_client(runtime), await a_user(runtime)
    response = await client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "username": person.email,
            "password": person.password + "\x00",
        },
    )
    assert response.status_code == 403
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("content", "description"),
    [
        (b"[" * 50_000, "The body is not valid JSON."),
        (b'{"grant_type": "password", "username": 1e400}', "username must be a string."),
        (
            b'{"grant_type": "password", "username": ' + b"9" * 5000 + b"}",
            "The body is not valid JSON.",
        ),
        (b'{"grant_type": "' + b"x" * 70_000 + b'"}', "Request body too large."),
    ],
)
async def test_token_endpoint_survives_hostile_json(
    client: httpx.AsyncClient, content: bytes, description: str
) -> None:
    response = await client.post(
        "/oauth/token", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "error_description": description}


async def test_associate_bounds_its_lists(client: httpx.AsyncClient, runtime: Runtime) -> None:
    token = await mfa_token(client, await a_client(runtime), await a_user(runtime))
    bearer = {"authorization": f"Bearer {token}"}
    for types, description in [
        (["otp"] * 21, "authenticator_types has too many items."),
        (["o" * 101], "authenticator_types has an item that is too long."),
        (["otp\ud800"], "authenticator_types must be valid Unicode."),
    ]:
        response = await client.post(
            "/mfa/associate",
            content=raw_json(authenticator_types=types),
            headers={"content-type": "application/json", **bearer},
        )
        assert response.status_code == 400, types
        assert response.json() == {"error": "invalid_request", "error_description": description}


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"email": "surrogate@example.com", "password": "long enough\ud800"}, "password"),
        ({"email": "surrogate@example.com", "password": "\ud800" * 10}, "password"),
        ({"email": "\ud800@example.com", "password": "long enough"}, "email"),
        ({"email": "surrogate@example.com", "password": "long enough", "name": "\udc00"}, "name"),
    ],
)
async def test_user_creation_refuses_lone_surrogates(
    client: httpx.AsyncClient, auth: TokenFactory, fields: dict[str, str], where: str
) -> None:
    response = await client.post(
        "/api/v2/users",
        content=raw_json(**fields),
        headers={"content-type": "application/json", **await auth("create:users")},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert where in response.json()["error_description"]
