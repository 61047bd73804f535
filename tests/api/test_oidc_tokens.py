"""The authorization_code grant on `POST /oauth/token`: the tokens it mints, for which
clients, with what claims (ADR 006). Its checks are in test_oidc_code_checks.py."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from tests.api.codeflow import (
    FULL_SCOPE,
    MFA_AMR,
    a_code,
    a_code_app,
    claims_of,
    events_of,
    exchange,
    outcomes,
    pkce_pair,
    tokens_for,
)
from tests.builders import a_user
from twofold.clock import FrozenClock
from twofold.flows.grants import GrantType
from twofold.flows.runtime import Runtime
from twofold.flows.tokens import MULTI_FACTOR_ACR


@pytest.mark.parametrize("basic", [True, False], ids=["client_secret_basic", "client_secret_post"])
async def test_a_code_gives_tokens_that_carry_the_sign_in(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, basic: bool
) -> None:
    app, person = await a_code_app(runtime), await a_user(runtime)
    auth_time = clock.now() - dt.timedelta(minutes=2)
    code = await a_code(runtime, app, person, auth_time=auth_time)
    response = await exchange(client, app, code, basic=basic)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert sorted(body) == [
        "access_token",
        "expires_in",
        "id_token",
        "refresh_token",
        "scope",
        "token_type",
    ]
    assert (body["scope"], body["expires_in"], body["token_type"]) == (FULL_SCOPE, 86400, "Bearer")
    [event] = await events_of(runtime, app.client_id)
    assert (event.type, event.user_id, event.details["scope"]) == (
        "seacft",
        person.user_id,
        FULL_SCOPE,
    )
    grant_id = event.details["grant_id"]
    now = int(clock.now().timestamp())
    id_claims = await claims_of(client, body["id_token"])
    assert id_claims == {
        "iss": runtime.settings.issuer,
        "sub": person.user_id,
        "aud": app.client_id,
        "iat": now,
        "exp": now + 36000,
        "auth_time": int(auth_time.timestamp()),
        "nonce": "n-0S6_WzA2Mj",
        "amr": list(MFA_AMR),
        "acr": MULTI_FACTOR_ACR,
        "sid": "ses_test-session",
        "email": person.email,
        "email_verified": False,
        "name": id_claims["name"],
        "updated_at": id_claims["updated_at"],
    }
    access = await claims_of(client, body["access_token"])
    assert (access["aud"], access["azp"], access["scope"]) == (
        runtime.settings.userinfo_audience,
        app.client_id,
        FULL_SCOPE,
    )
    assert (access["sid"], access["acr"], access["amr"]) == (
        "ses_test-session",
        MULTI_FACTOR_ACR,
        list(MFA_AMR),
    )
    assert access["jti"].startswith(f"{grant_id}.")


async def test_without_mfa_there_is_no_acr_and_without_a_nonce_none_is_echoed(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person = await a_code_app(runtime), await a_user(runtime)
    body = await tokens_for(runtime, client, app, person, amr=("pwd",), nonce=None)
    for token in (body["id_token"], body["access_token"]):
        claims = await claims_of(client, token)
        assert claims["amr"] == ["pwd"]
        assert "acr" not in claims
        assert "nonce" not in claims


async def test_a_public_client_redeems_with_pkce_and_no_secret(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person = await a_code_app(runtime, public=True), await a_user(runtime)
    verifier, challenge = pkce_pair()
    code = await a_code(runtime, app, person, challenge=challenge)
    response = await exchange(client, app, code, code_verifier=verifier)
    assert response.status_code == 200, response.text
    assert "refresh_token" in response.json()


async def test_a_public_client_without_pkce_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person = await a_code_app(runtime, public=True), await a_user(runtime)
    response = await exchange(client, app, await a_code(runtime, app, person))
    assert response.status_code == 403
    assert response.json()["error"] == "invalid_grant"
    assert await outcomes(runtime, app.client_id) == [("feacft", "pkce_required")]


async def test_a_wrong_client_secret_is_invalid_client(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person = await a_code_app(runtime), await a_user(runtime)
    code = await a_code(runtime, app, person)
    response = await exchange(client, app, code, client_secret="not the secret")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert (await exchange(client, app, code)).status_code == 200


async def test_a_client_not_allowed_the_code_grant_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app = await a_code_app(runtime, grant_types=(GrantType.PASSWORD.value,))
    code = await a_code(runtime, app, await a_user(runtime))
    response = await exchange(client, app, code)
    assert response.status_code == 403
    assert response.json()["error"] == "unauthorized_client"


@pytest.mark.parametrize(
    ("scope", "grant_types"),
    [
        (
            "openid profile email",
            (GrantType.AUTHORIZATION_CODE.value, GrantType.REFRESH_TOKEN.value),
        ),
        (FULL_SCOPE, (GrantType.AUTHORIZATION_CODE.value,)),
    ],
    ids=["no offline_access", "client without the refresh grant"],
)
async def test_a_refresh_token_needs_offline_access_and_the_refresh_grant(
    client: httpx.AsyncClient, runtime: Runtime, scope: str, grant_types: tuple[str, ...]
) -> None:
    app, person = await a_code_app(runtime, grant_types=grant_types), await a_user(runtime)
    body = await tokens_for(runtime, client, app, person, scope=scope)
    assert "refresh_token" not in body
    assert "id_token" in body
