"""The refresh_token grant: rotation, reuse detection (the whole family dies), expiry of the
family, client binding and scope narrowing (ADR 006)."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest

from tests.api.codeflow import (
    MFA_AMR,
    a_code,
    a_code_app,
    claims_of,
    events_of,
    exchange,
    outcomes,
    pkce_pair,
    refresh,
    tokens_for,
    userinfo,
)
from tests.api.conftest import TokenFactory
from tests.builders import a_user
from twofold.clock import FrozenClock
from twofold.flows.runtime import Runtime

DAY = 86400


async def test_a_refresh_rotates_and_repeats_the_sign_in(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    app, person = await a_code_app(runtime), await a_user(runtime)
    auth_time = clock.now() - dt.timedelta(minutes=2)
    first = await tokens_for(runtime, client, app, person, auth_time=auth_time)
    clock.advance(3600)
    response = await refresh(client, app, first["refresh_token"])
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["scope"] == first["scope"]
    id_claims = await claims_of(client, second["id_token"])
    assert id_claims["iat"] == int(clock.now().timestamp())
    # OIDC Core 12.2: the original authentication, and no nonce.
    assert (id_claims["auth_time"], id_claims["amr"], id_claims["sid"]) == (
        int(auth_time.timestamp()),
        list(MFA_AMR),
        "ses_test-session",
    )
    assert "nonce" not in id_claims
    access = await claims_of(client, second["access_token"])
    [exchanged, refreshed] = await events_of(runtime, app.client_id)
    assert (refreshed.type, refreshed.details["grant_id"]) == (
        "sertft",
        exchanged.details["grant_id"],
    )
    assert access["jti"].startswith(exchanged.details["grant_id"] + ".")
    third = await refresh(client, app, second["refresh_token"])
    assert third.status_code == 200, third.text


async def test_a_replayed_refresh_token_revokes_the_whole_family(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person = await a_code_app(runtime), await a_user(runtime)
    first = await tokens_for(runtime, client, app, person)
    second = (await refresh(client, app, first["refresh_token"])).json()

    replay = await refresh(client, app, first["refresh_token"])
    assert replay.status_code == 403
    assert replay.json()["error"] == "invalid_grant"
    newest = await refresh(client, app, second["refresh_token"])
    assert newest.status_code == 403
    assert newest.json()["error"] == "invalid_grant"
    for access_token in (first["access_token"], second["access_token"]):
        assert (await userinfo(client, access_token)).status_code == 401
    assert await outcomes(runtime, app.client_id) == [
        ("seacft", None),
        ("sertft", None),
        ("ferrt", "refresh_token_reuse"),
        ("fertft", "grant_revoked"),
    ]


async def test_concurrent_refreshes_with_one_token_rotate_once_and_revoke(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person = await a_code_app(runtime), await a_user(runtime)
    token = (await tokens_for(runtime, client, app, person))["refresh_token"]
    answers = await asyncio.gather(*(refresh(client, app, token) for _ in range(2)))
    assert sorted(answer.status_code for answer in answers) == [200, 403]
    [winner] = [answer.json() for answer in answers if answer.status_code == 200]
    assert (await refresh(client, app, winner["refresh_token"])).status_code == 403


async def test_rotation_never_extends_the_familys_lifetime(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    app, person = await a_code_app(runtime), await a_user(runtime)
    token = (await tokens_for(runtime, client, app, person))["refresh_token"]
    lifetime = runtime.settings.oidc.refresh_token_ttl
    clock.advance(lifetime - DAY)
    rotated = await refresh(client, app, token)
    assert rotated.status_code == 200
    clock.advance(DAY)
    expired = await refresh(client, app, rotated.json()["refresh_token"])
    assert expired.status_code == 403
    assert expired.json() == {
        "error": "invalid_grant",
        "error_description": "Refresh token expired.",
    }
    assert (await outcomes(runtime, app.client_id))[-1] == ("fertft", "expired")


async def test_another_clients_refresh_token_is_refused_and_left_alive(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner, other, person = (
        await a_code_app(runtime),
        await a_code_app(runtime),
        await a_user(runtime),
    )
    token = (await tokens_for(runtime, client, owner, person))["refresh_token"]
    response = await refresh(client, other, token)
    assert response.status_code == 403
    assert response.json()["error"] == "invalid_grant"
    assert await outcomes(runtime, other.client_id) == [("fertft", "client_mismatch")]
    assert (await refresh(client, owner, token)).status_code == 200


async def test_a_public_client_refreshes_with_its_client_id_alone(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person = await a_code_app(runtime, public=True), await a_user(runtime)
    verifier, challenge = pkce_pair()
    code = await a_code(runtime, app, person, challenge=challenge)
    token = (await exchange(client, app, code, code_verifier=verifier)).json()["refresh_token"]
    response = await refresh(client, app, token)
    assert response.status_code == 200, response.text


async def test_the_scope_may_be_narrowed_but_never_widened(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person = await a_code_app(runtime), await a_user(runtime)
    token = (await tokens_for(runtime, client, app, person))["refresh_token"]
    wider = await refresh(client, app, token, scope="openid email admin")
    assert wider.status_code == 400
    assert wider.json()["error"] == "invalid_scope"
    assert (await outcomes(runtime, app.client_id))[-1] == ("fertft", "scope_widened")

    narrower = await refresh(client, app, token, scope="openid email")
    assert narrower.status_code == 200, narrower.text
    body = narrower.json()
    assert body["scope"] == "openid email"
    assert "name" not in await claims_of(client, body["id_token"])
    assert (await userinfo(client, body["access_token"])).json() == {
        "sub": person.user_id,
        "email": person.email,
        "email_verified": False,
    }
    # The successor keeps the scope that was granted; only that response was narrowed.
    again = await refresh(client, app, body["refresh_token"])
    assert again.json()["scope"] == "openid profile email offline_access"


async def test_an_admin_reset_ends_the_users_families(
    client: httpx.AsyncClient, runtime: Runtime, auth: TokenFactory
) -> None:
    app, person = await a_code_app(runtime), await a_user(runtime)
    body = await tokens_for(runtime, client, app, person)
    reset = await client.delete(
        f"/api/v2/users/{person.user_id}/authenticators",
        headers=await auth("delete:guardian_enrollments"),
    )
    assert reset.status_code == 204
    refused = await refresh(client, app, body["refresh_token"])
    assert refused.json()["error"] == "invalid_grant"
    assert (await outcomes(runtime, app.client_id))[-1] == ("fertft", "grant_revoked")
    assert (await userinfo(client, body["access_token"])).status_code == 401


@pytest.mark.parametrize(
    ("extra", "status", "error"),
    [
        ({}, 400, "invalid_request"),
        ({"refresh_token": "x" * 513}, 400, "invalid_request"),
        ({"refresh_token": "garbage"}, 403, "invalid_grant"),
        ({"refresh_token": "A" * 43}, 403, "invalid_grant"),
        ({"refresh_token": "A" * 43, "scope": "s" * 1025}, 400, "invalid_request"),
    ],
    ids=["missing", "too long", "garbage", "unknown", "long scope"],
)
async def test_bad_refresh_input_gets_an_oauth_error(
    client: httpx.AsyncClient, runtime: Runtime, extra: dict[str, str], status: int, error: str
) -> None:
    app = await a_code_app(runtime)
    body = {"grant_type": "refresh_token"} | extra | app.credentials()
    response = await client.post("/oauth/token", data=body)
    assert response.status_code == status
    assert response.json()["error"] == error
    assert response.json()["error_description"]
