"""The authorization_code grant's checks: redirect URI, PKCE, expiry, the client, single use
with reuse detection, and bad input (RFC 6749 4.1.3, RFC 7636 4.6, ADR 006)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.api.codeflow import (
    REDIRECT_URI,
    a_code,
    a_code_app,
    events_of,
    exchange,
    outcomes,
    pkce_pair,
    refresh,
    userinfo,
)
from tests.builders import a_user
from twofold.clock import FrozenClock
from twofold.errors import InvalidRequestError
from twofold.flows.codes import issue_code
from twofold.flows.runtime import Runtime


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://app.example.com/callback/",
        "https://APP.example.com/callback",
        "https://app.example.com/callback?x=1",
        "https://app.example.com/other",
    ],
)
async def test_the_redirect_uri_must_be_the_very_same(
    client: httpx.AsyncClient, runtime: Runtime, redirect_uri: str
) -> None:
    app, person = await a_code_app(runtime), await a_user(runtime)
    code = await a_code(runtime, app, person)
    response = await exchange(client, app, code, redirect_uri=redirect_uri)
    assert response.status_code == 403
    assert response.json()["error"] == "invalid_grant"
    assert await outcomes(runtime, app.client_id) == [("feacft", "redirect_uri_mismatch")]
    # A refused attempt does not spend the code: its rightful holder still can.
    assert (await exchange(client, app, code, redirect_uri=REDIRECT_URI)).status_code == 200


@pytest.mark.parametrize(
    ("stored", "sent", "reason"),
    [
        (True, None, "pkce_missing"),
        (True, "wrong", "pkce_mismatch"),
        (False, "right", "pkce_unexpected"),
    ],
)
async def test_pkce_verifier_must_match_what_was_stored(
    client: httpx.AsyncClient, runtime: Runtime, stored: bool, sent: str | None, reason: str
) -> None:
    app, person = await a_code_app(runtime), await a_user(runtime)
    verifier, challenge = pkce_pair()
    code = await a_code(runtime, app, person, challenge=challenge if stored else None)
    if sent is not None:
        verifier = verifier if sent == "right" else pkce_pair()[0]
    response = await exchange(client, app, code, code_verifier=verifier if sent else None)
    assert response.status_code == 403
    assert response.json()["error"] == "invalid_grant"
    assert await outcomes(runtime, app.client_id) == [("feacft", reason)]


@pytest.mark.parametrize(
    "verifier",
    ["a" * 42, "a" * 129, "a" * 42 + "!", "a" * 42 + " ", "é" * 43],
    ids=["short", "long", "punctuation", "space", "non-ascii"],
)
async def test_a_malformed_verifier_is_invalid_request(
    client: httpx.AsyncClient, runtime: Runtime, verifier: str
) -> None:
    app, person = await a_code_app(runtime), await a_user(runtime)
    _, challenge = pkce_pair()
    code = await a_code(runtime, app, person, challenge=challenge)
    response = await exchange(client, app, code, code_verifier=verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_a_code_dies_after_its_lifetime(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    app, person = await a_code_app(runtime), await a_user(runtime)
    code = await a_code(runtime, app, person)
    clock.advance(runtime.settings.oidc.code_ttl)
    response = await exchange(client, app, code)
    assert response.status_code == 403
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "Authorization code expired.",
    }
    assert await outcomes(runtime, app.client_id) == [("feacft", "expired")]


async def test_another_clients_code_is_refused_and_left_to_its_owner(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner, other, person = (
        await a_code_app(runtime),
        await a_code_app(runtime),
        await a_user(runtime),
    )
    code = await a_code(runtime, owner, person)
    response = await exchange(client, other, code)
    assert response.status_code == 403
    assert response.json()["error"] == "invalid_grant"
    assert await outcomes(runtime, other.client_id) == [("feacft", "client_mismatch")]
    assert (await exchange(client, owner, code)).status_code == 200


async def test_a_reused_code_revokes_everything_issued_from_it(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person = await a_code_app(runtime), await a_user(runtime)
    code = await a_code(runtime, app, person)
    first = await exchange(client, app, code)
    assert first.status_code == 200
    assert (await userinfo(client, first.json()["access_token"])).status_code == 200

    replay = await exchange(client, app, code)
    assert replay.status_code == 403
    assert replay.json()["error"] == "invalid_grant"
    assert (await refresh(client, app, first.json()["refresh_token"])).json()["error"] == (
        "invalid_grant"
    )
    refused = await userinfo(client, first.json()["access_token"])
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert await outcomes(runtime, app.client_id) == [
        ("seacft", None),
        ("feacft", "code_reuse"),
        ("fertft", "grant_revoked"),
    ]
    reuse = (await events_of(runtime, app.client_id))[1]
    assert reuse.details["revoked"] is True


async def test_two_concurrent_redemptions_give_tokens_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person = await a_code_app(runtime), await a_user(runtime)
    code = await a_code(runtime, app, person)
    answers = await asyncio.gather(*(exchange(client, app, code) for _ in range(2)))
    assert sorted(answer.status_code for answer in answers) == [200, 403]
    assert sorted(await outcomes(runtime, app.client_id)) == [
        ("feacft", "code_reuse"),
        ("seacft", None),
    ]


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({}, 400, "invalid_request"),
        ({"code": "x" * 513}, 400, "invalid_request"),
        ({"code": "garbage"}, 403, "invalid_grant"),
        ({"code": "A" * 43}, 403, "invalid_grant"),
        ({"code": "A" * 43, "redirect_uri": ""}, 400, "invalid_request"),
        ({"code": "A" * 43, "redirect_uri": "x" * 2001}, 400, "invalid_request"),
        ({"code": "A" * 43, "code_verifier": "\x00" * 50}, 400, "invalid_request"),
    ],
    ids=["no code", "long code", "garbage", "unknown", "no uri", "long uri", "nul verifier"],
)
async def test_bad_input_gets_an_oauth_error(
    client: httpx.AsyncClient, runtime: Runtime, body: dict[str, str], status: int, error: str
) -> None:
    app = await a_code_app(runtime)
    sent = {"grant_type": "authorization_code", "redirect_uri": REDIRECT_URI} | body
    response = await client.post("/oauth/token", data=sent | app.credentials())
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.json()["error_description"]


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        (5, 403, "invalid_grant"),
        (["a"], 400, "invalid_request"),
        ({"a": 1}, 400, "invalid_request"),
        (True, 400, "invalid_request"),
    ],
)
async def test_a_code_of_another_json_type_is_refused_cleanly(
    client: httpx.AsyncClient, runtime: Runtime, code: object, status: int, error: str
) -> None:
    """A JSON number is read as text (as for every parameter); anything else is malformed."""
    app = await a_code_app(runtime)
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    response = await client.post("/oauth/token", json=body | app.credentials())
    assert response.status_code == status
    assert response.json()["error"] == error


async def test_issue_code_accepts_only_s256_challenges(runtime: Runtime) -> None:
    app, person = await a_code_app(runtime), await a_user(runtime)
    for challenge, method in (("x" * 43, "plain"), ("short", "S256")):
        with pytest.raises(InvalidRequestError):
            async with runtime.store.transaction() as tx:
                await issue_code(
                    runtime,
                    tx,
                    client_id=app.client_id,
                    user_id=person.user_id,
                    redirect_uri=REDIRECT_URI,
                    scope="openid",
                    audience=runtime.settings.userinfo_audience,
                    auth_time=runtime.clock.now(),
                    amr=("pwd",),
                    acr=None,
                    nonce=None,
                    code_challenge=challenge,
                    code_challenge_method=method,
                    session_id=None,
                )
