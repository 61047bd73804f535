"""`/api/v2/users`: create, search, read, recovery-code regeneration and the MFA reset."""

from __future__ import annotations

import json
import re
import secrets
from urllib.parse import quote

import httpx
import pytest

from tests.api.helpers import MFA_RECOVERY, enrolled, mfa_token, password_login
from tests.api.management.conftest import TokenFactory
from tests.builders import a_client, a_user
from twofold.clock import FrozenClock
from twofold.flows.runtime import Runtime


def an_email(tag: str = "m") -> str:
    return f"{tag}-{secrets.token_hex(5)}@example.com"


async def test_create_user_answers_auth0_user(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    email = an_email()
    response = await client.post(
        "/api/v2/users",
        headers=await auth("create:users"),
        json={
            "email": email.upper(),
            "password": "a long enough password",
            "name": "Ada Lovelace",
            "connection": "Username-Password-Authentication",
            "email_verified": True,
            "app_metadata": {"plan": "gold"},
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert re.fullmatch(r"auth0\|[0-9a-f]{24}", body["user_id"])
    assert body["email"] == email
    assert body["name"] == "Ada Lovelace"
    assert body["email_verified"] is True
    assert body["app_metadata"] == {"plan": "gold"}
    assert body["user_metadata"] == {}
    assert body["identities"] == [
        {
            "connection": "Username-Password-Authentication",
            "user_id": body["user_id"].removeprefix("auth0|"),
            "provider": "auth0",
            "isSocial": False,
        }
    ]
    assert body["logins_count"] == 0
    assert body["last_login"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["created_at"])


async def test_created_user_can_sign_in(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime
) -> None:
    email = an_email()
    created = await client.post(
        "/api/v2/users",
        headers=await auth("create:users"),
        json={"email": email, "password": "a long enough password"},
    )
    assert created.status_code == 201
    response = await client.post(
        "/oauth/token",
        json={
            "grant_type": "password",
            "client_id": (app := await a_client(runtime)).client_id,
            "client_secret": app.client_secret,
            "username": email,
            "password": "a long enough password",
        },
    )
    assert response.status_code == 403
    assert response.json()["error"] == "mfa_required"


async def test_existing_email_is_a_conflict(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime
) -> None:
    person = await a_user(runtime)
    response = await client.post(
        "/api/v2/users",
        headers=await auth("create:users"),
        json={"email": person.email, "password": "another long password"},
    )
    assert response.status_code == 409
    assert response.json() == {"error": "conflict", "error_description": "The user already exists."}


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email", "password": "a long enough password"},
        {"email": "x@example.com", "password": "short"},
        {"email": "x@example.com"},
        {"email": "x@example.com", "password": "a long enough password", "connection": "other"},
        {"email": "x@example.com", "password": "a long enough password", "blocked": True},
        {"email": "x@example.com", "password": "a long enough password", "email_verified": "yes"},
        {"email": "x@exam\u0000ple.com", "password": "a long enough password"},
        {"email": "x@example.com", "password": "a long \udade password"},
        {"email": "x@example.com", "password": "a long enough password", "name": "\udade"},
        {"email": "x@example.com", "password": "a long enough password", "app_metadata": []},
        {
            "email": "x@example.com",
            "password": "a long enough password",
            "user_metadata": {"\udade": 1},
        },
        {
            "email": "x@example.com",
            "password": "a long enough password",
            "app_metadata": {"blob": "x" * 17000},
        },
    ],
)
async def test_create_user_rejects_bad_input(
    client: httpx.AsyncClient, auth: TokenFactory, body: dict[str, object]
) -> None:
    # Plain json.dumps escapes lone surrogates (httpx's `json=` would refuse to encode them).
    headers = {**await auth("create:users"), "content-type": "application/json"}
    response = await client.post("/api/v2/users", headers=headers, content=json.dumps(body))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_get_user_by_url_encoded_id(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime
) -> None:
    person = await a_user(runtime)
    path = f"/api/v2/users/{quote(person.user_id, safe='')}"
    assert "%7C" in path
    response = await client.get(path, headers=await auth("read:users"))
    assert response.status_code == 200
    assert response.json()["user_id"] == person.user_id
    assert response.json()["email"] == person.email


@pytest.mark.parametrize("user_id", ["auth0|000000000000000000000000", "no such id!", "a" * 300])
async def test_unknown_user_is_404(
    client: httpx.AsyncClient, auth: TokenFactory, user_id: str
) -> None:
    response = await client.get(
        f"/api/v2/users/{quote(user_id, safe='')}", headers=await auth("read:users")
    )
    assert response.status_code == 404
    assert response.json() == {
        "error": "not_found",
        "error_description": "The user does not exist.",
    }


async def test_users_by_email(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime
) -> None:
    person = await a_user(runtime)
    headers = await auth("read:users")
    found = await client.get(
        "/api/v2/users-by-email", params={"email": person.email.upper()}, headers=headers
    )
    assert found.status_code == 200
    assert [user["user_id"] for user in found.json()] == [person.user_id]
    missing = await client.get(
        "/api/v2/users-by-email", params={"email": an_email()}, headers=headers
    )
    assert missing.status_code == 200
    assert missing.json() == []
    absent = await client.get("/api/v2/users-by-email", headers=headers)
    assert absent.status_code == 400
    assert absent.json()["error"] == "invalid_request"


async def _create(client: httpx.AsyncClient, headers: dict[str, str], email: str, name: str) -> str:
    response = await client.post(
        "/api/v2/users",
        headers=headers,
        json={"email": email, "password": "a long enough password", "name": name},
    )
    assert response.status_code == 201
    user_id: str = response.json()["user_id"]
    return user_id


async def test_search_forms_and_totals(
    client: httpx.AsyncClient, auth: TokenFactory, clock: FrozenClock
) -> None:
    tag = secrets.token_hex(4)
    creator = await auth("create:users")
    first = await _create(client, creator, f"ann-{tag}@example.com", f"Ann {tag}")
    clock.advance(1)
    second = await _create(client, creator, f"bob-{tag}@example.com", f"Bob {tag}")
    headers = await auth("read:users")

    async def ids(q: str, **params: str | int) -> list[str]:
        response = await client.get("/api/v2/users", params={"q": q, **params}, headers=headers)
        assert response.status_code == 200, response.text
        return [user["user_id"] for user in response.json()]

    assert await ids(tag) == [second, first]  # newest first
    assert await ids(f'email:"ann-{tag}@example.com"') == [first]
    assert await ids(f'email:"ann-{tag}"') == []  # quoted is exact
    assert await ids(f"name:bob*{tag}") == [second]
    assert await ids(f"name:{tag}") == [second, first]
    assert await ids(tag, per_page=1, page=1) == [first]

    totals = await client.get(
        "/api/v2/users",
        params={"q": tag, "include_totals": "true", "per_page": 1},
        headers=headers,
    )
    assert totals.status_code == 200
    body = totals.json()
    assert [user["user_id"] for user in body["users"]] == [second]
    assert (body["start"], body["limit"], body["length"], body["total"]) == (0, 1, 1, 2)


@pytest.mark.parametrize(
    "params",
    [{"per_page": 101}, {"per_page": 0}, {"page": -1}, {"q": "phone:123"}, {"q": "a\u0000b"}],
)
async def test_search_rejects_bad_parameters(
    client: httpx.AsyncClient, auth: TokenFactory, params: dict[str, str | int]
) -> None:
    response = await client.get("/api/v2/users", params=params, headers=await auth("read:users"))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_recovery_code_regeneration_replaces_the_code(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime, clock: FrozenClock
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    _, old_code = await enrolled(client, app, person, clock.now())
    response = await client.post(
        f"/api/v2/users/{quote(person.user_id, safe='')}/recovery-code-regeneration",
        headers=await auth("update:users"),
    )
    assert response.status_code == 200
    new_code = response.json()["recovery_code"]
    assert re.fullmatch(r"[A-Z0-9]{24}", new_code)
    assert response.headers["cache-control"] == "no-store"

    async def recover(code: str) -> httpx.Response:
        return await client.post(
            "/oauth/token",
            json={
                "grant_type": MFA_RECOVERY,
                "client_id": app.client_id,
                "client_secret": app.client_secret,
                "mfa_token": await mfa_token(client, app, person),
                "recovery_code": code,
            },
        )

    assert (await recover(old_code)).json()["error"] == "invalid_grant"
    assert (await recover(new_code)).status_code == 200


async def test_reset_removes_every_authenticator_and_open_mfa_token(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime, clock: FrozenClock
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    await enrolled(client, app, person, clock.now())
    open_token = await mfa_token(client, app, person)
    response = await client.delete(
        f"/api/v2/users/{quote(person.user_id, safe='')}/authenticators",
        headers=await auth("delete:guardian_enrollments"),
    )
    assert response.status_code == 204
    assert response.content == b""
    methods = await client.get(
        f"/api/v2/users/{quote(person.user_id, safe='')}/authentication-methods",
        headers=await auth("read:authentication_methods"),
    )
    assert methods.json() == []
    challenge = await client.post(
        "/mfa/challenge",
        json={
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "mfa_token": open_token,
            "challenge_type": "otp",
        },
    )
    assert challenge.status_code == 403
    assert challenge.json()["error"] == "invalid_grant"
    login = await password_login(client, app, person)
    assert login.json()["mfa_requirements"] == {"enroll": [{"type": "otp"}]}


async def test_reset_of_unknown_user_is_404(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    response = await client.delete(
        "/api/v2/users/auth0%7C000000000000000000000000/authenticators",
        headers=await auth("delete:guardian_enrollments"),
    )
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


async def test_invalidate_remember_browser_is_an_audited_no_op(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime
) -> None:
    person = await a_user(runtime)
    path = f"/api/v2/users/{quote(person.user_id, safe='')}"
    response = await client.post(
        f"{path}/multifactor/actions/invalidate-remember-browser",
        headers=await auth("update:users"),
    )
    assert response.status_code == 204
    missing = await client.post(
        "/api/v2/users/auth0%7C000000000000000000000000/multifactor/actions/invalidate-remember-browser",
        headers=await auth("update:users"),
    )
    assert missing.status_code == 404
