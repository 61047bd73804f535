"""`/api/v2/clients`: bad bodies are 400 `invalid_request` with a precise description, and
each endpoint needs its own scope."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.api.management.conftest import TokenFactory

HTTPS_ONLY = "must use https (http only for localhost, 127.0.0.1 or [::1])."
NOT_A_CUSTOM_SCHEME = (
    "must be an absolute https URL (http only for localhost, 127.0.0.1 or [::1]; custom "
    "schemes only for native applications)."
)
KNOWN = (
    "password, http://auth0.com/oauth/grant-type/password-realm, "
    "http://auth0.com/oauth/grant-type/mfa-otp, http://auth0.com/oauth/grant-type/mfa-oob, "
    "http://auth0.com/oauth/grant-type/mfa-recovery-code, client_credentials, "
    "authorization_code, refresh_token, urn:okta:params:oauth:grant-type:webauthn"
)


@pytest.mark.parametrize(
    ("body", "description"),
    [
        ({"callbacks": ["http://app.example.com/cb"]}, f"callbacks[0] {HTTPS_ONLY}"),
        (
            {"callbacks": ["https://app.example.com/cb#done"]},
            "callbacks[0] must not have a fragment (#).",
        ),
        ({"callbacks": ["com.example.app:/callback"]}, f"callbacks[0] {NOT_A_CUSTOM_SCHEME}"),
        (
            {"app_type": "native", "callbacks": ["javascript:alert(1)"]},
            "callbacks[0] must be an https URL or a custom scheme URL such as "
            "com.example.app:/callback.",
        ),
        (
            {"allowed_logout_urls": ["https://ok.example.com/", "https://*.example.com/"]},
            "allowed_logout_urls[1] must not hold a wildcard: URLs are matched exactly.",
        ),
        (
            {"allowed_logout_urls": ["https://user:pw@example.com/"]},
            "allowed_logout_urls[0] must name a host and no user or password.",
        ),
        (
            {"callbacks": ["https://exa mple.com/"]},
            "callbacks[0] must be printable ASCII without spaces (percent-encode the rest).",
        ),
        ({"callbacks": ["https://[::1/cb"]}, "callbacks[0] is not a well-formed URL."),
        (
            {"app_type": "spa", "grant_types": ["authorization_code", "client_credentials"]},
            "A spa application is public (it has no secret): it cannot use the "
            "client_credentials grant.",
        ),
        (
            {"app_type": "native", "grant_types": ["password"]},
            "A native application is public (it has no secret): it cannot use the password grant.",
        ),
        (
            {"grant_types": ["refresh_token", "implicit"]},
            f"grant_types[1] is not a grant type; known: {KNOWN}.",
        ),
        ({"name": "   "}, "name must be 1 to 200 characters."),
        ({"name": "bad \udade name"}, "Invalid request parameters: name"),
        ({"name": "a\u0000b"}, "Invalid request parameters: name"),
        ({"app_type": "rms"}, "Invalid request parameters: app_type"),
        ({"client_secret": "chosen"}, "Invalid request parameters: client_secret"),
        ({"callbacks": "https://app.example.com/cb"}, "Invalid request parameters: callbacks"),
        (
            {"callbacks": [f"https://app.example.com/{'a' * 2000}"]},
            "Invalid request parameters: callbacks.0",
        ),
        (
            {"callbacks": [f"https://app.example.com/{n}" for n in range(101)]},
            "Invalid request parameters: callbacks",
        ),
    ],
)
async def test_create_rejects_bad_input(
    client: httpx.AsyncClient, auth: TokenFactory, body: dict[str, object], description: str
) -> None:
    # Plain json.dumps escapes lone surrogates (httpx's `json=` would refuse to encode them).
    headers = {**await auth("create:clients"), "content-type": "application/json"}
    content = json.dumps({"name": "demo", **body})
    response = await client.post("/api/v2/clients", headers=headers, content=content)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "error_description": description}


@pytest.mark.parametrize(
    ("created", "change", "description"),
    [
        (
            {"app_type": "spa"},
            {"app_type": "regular_web"},
            "app_type can change only between regular_web and non_interactive.",
        ),
        (
            {"app_type": "regular_web"},
            {"app_type": "native"},
            "app_type can change only between regular_web and non_interactive.",
        ),
        (
            {"app_type": "spa"},
            {"grant_types": ["password-realm"]},
            f"grant_types[0] is not a grant type; known: {KNOWN}.",
        ),
        (
            {"app_type": "native"},
            {"allowed_logout_urls": ["http://example.com/"]},
            f"allowed_logout_urls[0] {HTTPS_ONLY}",
        ),
        ({}, {"name": ""}, "Invalid request parameters: name"),
        ({}, {"secret_hash": None}, "Invalid request parameters: secret_hash"),
    ],
)
async def test_update_rejects_bad_changes_and_keeps_the_client(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    created: dict[str, object],
    change: dict[str, object],
    description: str,
) -> None:
    headers = await auth()
    made = await client.post("/api/v2/clients", headers=headers, json={"name": "x", **created})
    path = f"/api/v2/clients/{made.json()['client_id']}"
    response = await client.patch(path, headers=headers, json=change)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "error_description": description}
    kept = (await client.get(path, headers=headers)).json()
    assert kept == {key: value for key, value in made.json().items() if key != "client_secret"}


ENDPOINTS = [
    ("POST", "/api/v2/clients", "create:clients"),
    ("GET", "/api/v2/clients", "read:clients"),
    ("GET", "/api/v2/clients/abc", "read:clients"),
    ("PATCH", "/api/v2/clients/abc", "update:clients"),
    ("DELETE", "/api/v2/clients/abc", "delete:clients"),
    ("POST", "/api/v2/clients/abc/rotate-secret", "update:clients"),
]


@pytest.mark.parametrize(("method", "path", "scope"), ENDPOINTS)
async def test_each_endpoint_needs_its_scope(
    client: httpx.AsyncClient, auth: TokenFactory, method: str, path: str, scope: str
) -> None:
    others = [s for s in ("read:users", "read:clients", "update:clients") if s != scope]
    body = {"name": "x"} if method in ("POST", "PATCH") else None
    response = await client.request(method, path, headers=await auth(*others), json=body)
    assert response.status_code == 403
    assert response.json() == {
        "error": "insufficient_scope",
        "error_description": f"Insufficient scope, expected: {scope}",
    }
    anonymous = await client.request(method, path, json=body)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "invalid_token"
