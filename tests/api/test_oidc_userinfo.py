"""`GET/POST /userinfo` (OIDC Core 5.3): claims by scope, and the bearer token's checks,
including a grant revoked while its access token is still unexpired."""

from __future__ import annotations

import httpx
import pytest

from tests.api.codeflow import a_code_app, claims_of, tokens_for, userinfo
from tests.api.conftest import TokenFactory
from tests.api.helpers import associate, code, mfa_token, otp_grant
from tests.builders import Person, a_client, a_user
from twofold.clock import FrozenClock
from twofold.flows.runtime import Runtime
from twofold.flows.tokens import grant_of
from twofold.types import UserId


async def mfa_api_login(
    http: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, person: Person
) -> str:
    """An access token from the MFA API's grants (password, then a first OTP): no grant."""
    app = await a_client(runtime)
    token = await mfa_token(http, app, person, scope="openid email")
    secret = (await associate(http, token)).json()["secret"]
    granted = await otp_grant(http, app, token, code(secret, clock.now()))
    assert granted.status_code == 200, granted.text
    access_token: str = granted.json()["access_token"]
    return access_token


@pytest.mark.parametrize(
    ("scope", "released"),
    [
        ("openid", set()),
        ("openid email", {"email", "email_verified"}),
        ("openid profile", {"name", "updated_at"}),
        ("openid profile email", {"email", "email_verified", "name", "updated_at"}),
    ],
)
async def test_claims_follow_the_scopes_granted(
    client: httpx.AsyncClient, runtime: Runtime, scope: str, released: set[str]
) -> None:
    app, person = await a_code_app(runtime), await a_user(runtime)
    body = await tokens_for(runtime, client, app, person, scope=scope)
    for method in ("GET", "POST"):
        response = await client.request(
            method, "/userinfo", headers={"authorization": f"Bearer {body['access_token']}"}
        )
        assert response.status_code == 200, response.text
        claims = response.json()
        assert set(claims) == {"sub", *released}
        assert claims["sub"] == person.user_id
        if "email" in released:
            assert (claims["email"], claims["email_verified"]) == (person.email, False)


async def test_a_missing_token_gets_a_bare_bearer_challenge(client: httpx.AsyncClient) -> None:
    for method in ("GET", "POST"):
        response = await client.request(method, "/userinfo")
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["error"] == "invalid_token"


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "x" * 5000])
async def test_a_bad_token_is_invalid_token(client: httpx.AsyncClient, token: str) -> None:
    response = await userinfo(client, token)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert response.json()["error"] == "invalid_token"


async def test_a_token_for_another_api_is_refused(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    headers = await auth("read:users")
    response = await client.get("/userinfo", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


async def test_an_expired_token_is_refused(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    app, person = await a_code_app(runtime), await a_user(runtime)
    body = await tokens_for(runtime, client, app, person)
    clock.advance(body["expires_in"] + 60)
    response = await userinfo(client, body["access_token"])
    assert response.status_code == 401
    assert response.json()["error_description"] == "The access token expired."


async def test_an_mfa_api_token_has_no_grant_and_still_works(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    person = await a_user(runtime)
    response = await userinfo(client, await mfa_api_login(client, runtime, clock, person))
    assert response.json() == {
        "sub": person.user_id,
        "email": person.email,
        "email_verified": False,
    }


async def test_a_revoked_grant_stops_its_unexpired_access_token(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person = await a_code_app(runtime), await a_user(runtime)
    body = await tokens_for(runtime, client, app, person)
    other = await tokens_for(runtime, client, app, person)
    claims = (await userinfo(client, body["access_token"])).json()
    assert claims["sub"] == person.user_id
    grant_id = grant_of((await claims_of(client, body["access_token"]))["jti"])
    assert grant_id is not None
    async with runtime.store.transaction() as tx:
        assert await tx.grants.revoke(grant_id, now=runtime.clock.now(), reason="logout")
    response = await userinfo(client, body["access_token"])
    assert response.status_code == 401
    assert response.json()["error_description"] == "The access token has been revoked."
    # Another sign-in's grant is untouched.
    assert (await userinfo(client, other["access_token"])).status_code == 200


async def test_a_deleted_users_token_is_refused(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    person = await a_user(runtime)
    token = await mfa_api_login(client, runtime, clock, person)
    async with runtime.store.transaction() as tx:
        assert await tx.users.delete(UserId(person.user_id))
    response = await userinfo(client, token)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


def test_only_code_flow_jtis_name_a_grant() -> None:
    assert grant_of("grt_abc.random") == "grt_abc"
    assert grant_of("plainrandomjti") is None
    assert grant_of(".random") is None
    assert grant_of(None) is None
