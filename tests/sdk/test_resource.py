"""`TwofoldAuth.require`: a resource server accepting Twofold access tokens, and its RFC 6750 /
RFC 9470 answers when a token is missing, bad, or proves too little."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx
import pytest

from tests.builders import a_user
from tests.sdk.conftest import API, Api, b64url, claims_for
from twofold.clock import FrozenClock
from twofold.flows.runtime import Runtime
from twofold.flows.tokens import mint
from twofold.sdk import MULTI_FACTOR_ACR, BearerError, Requirement

STEP_UP = "insufficient_user_authentication"


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def signed(runtime: Runtime, clock: FrozenClock, **changes: Any) -> str:
    return runtime.signing.signer.sign(claims_for(runtime.settings, clock, **changes))


def refused(response: httpx.Response, error: str, description: str) -> None:
    assert response.status_code == 401, response.text
    assert response.json() == {"error": error, "error_description": description}
    assert response.headers["www-authenticate"] == (
        f'Bearer error="{error}", error_description="{description}"'
    )


async def test_a_valid_token_gives_its_claims(
    resource: Api, runtime: Runtime, clock: FrozenClock
) -> None:
    response = await resource.http.get("/me", headers=bearer(signed(runtime, clock)))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "sub": "auth0|user-1",
        "scopes": ["openid", "read:reports"],
        "amr": ["pwd", "mfa", "otp"],
    }


async def test_a_token_minted_by_a_login_passes_every_demand(
    resource: Api, runtime: Runtime, clock: FrozenClock
) -> None:
    person = await a_user(runtime)
    async with runtime.store.read() as tx:
        user = await tx.users.get(person.user_id)
    assert user is not None
    tokens = mint(
        runtime,
        user=user,
        client_id="client-1",
        audience=API,
        scope="openid read:reports",
        amr=["pwd", "mfa", "otp"],
        auth_time=clock.now(),
    )
    response = await resource.http.get("/both", headers=bearer(tokens.access_token))
    assert response.status_code == 200, response.text
    assert response.json()["sub"] == person.user_id
    assert tokens.id_token is not None
    id_claims = await resource.auth.verify(tokens.id_token, audience="client-1")
    assert (id_claims.sub, id_claims.multi_factor) == (person.user_id, True)


@pytest.mark.parametrize("authorization", [None, "Basic dXNlcjpwYXNz", "Bearer"])
async def test_no_bearer_token_asks_for_one(resource: Api, authorization: str | None) -> None:
    headers = {"authorization": authorization} if authorization else {}
    response = await resource.http.get("/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == f'Bearer realm="{API}"'
    assert response.json() == {
        "error": "invalid_token",
        "error_description": "The request carries no bearer token.",
    }


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "e30.e30.", "a.b.c.d.e"])
async def test_a_malformed_token_is_invalid(resource: Api, token: str) -> None:
    response = await resource.http.get("/me", headers=bearer(token))
    refused(response, "invalid_token", "The token is not a signed JWT.")


@pytest.mark.parametrize(
    ("changes", "description"),
    [
        ({"iss": "https://evil.example/"}, "The token was issued by another issuer."),
        ({"aud": "https://other-api.example/"}, "The token is not meant for this API (audience)."),
        (
            {"aud": ["https://other-api.example/", "x"]},
            "The token is not meant for this API (audience).",
        ),
        ({"exp": 1_700_000_000}, "The token expired."),
        ({"sub": None}, "The token lacks a required claim (sub)."),
        ({"amr": "mfa"}, "The token's amr claim is not a list of strings."),
        ({"auth_time": "yesterday"}, "The token's auth_time claim is not a number of seconds."),
    ],
)
async def test_a_token_with_wrong_claims_is_invalid(
    resource: Api, runtime: Runtime, clock: FrozenClock, changes: dict[str, Any], description: str
) -> None:
    response = await resource.http.get("/me", headers=bearer(signed(runtime, clock, **changes)))
    refused(response, "invalid_token", description)


async def test_expiry_allows_thirty_seconds_of_clock_skew(
    resource: Api, runtime: Runtime, clock: FrozenClock
) -> None:
    now = int(clock.now().timestamp())
    almost = await resource.http.get("/me", headers=bearer(signed(runtime, clock, exp=now - 29)))
    assert almost.status_code == 200, almost.text
    late = await resource.http.get("/me", headers=bearer(signed(runtime, clock, exp=now - 30)))
    refused(late, "invalid_token", "The token expired.")


async def test_alg_none_is_refused(resource: Api, runtime: Runtime, clock: FrozenClock) -> None:
    kid = runtime.signing.signer.kid
    header = {"alg": "none", "kid": kid, "typ": "JWT"}
    token = f"{b64url(header)}.{b64url(claims_for(runtime.settings, clock))}."
    response = await resource.http.get("/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


async def test_hmac_keyed_with_the_public_key_is_refused(
    resource: Api, runtime: Runtime, clock: FrozenClock
) -> None:
    """The classic forgery: HS256 with the published key as the shared secret."""
    signer = runtime.signing.signer
    published = next(jwk for jwk in signer.jwks()["keys"] if jwk["kid"] == signer.kid)
    header = {"alg": "HS256", "kid": published["kid"], "typ": "JWT"}
    signing_input = f"{b64url(header)}.{b64url(claims_for(runtime.settings, clock))}"
    for secret in (str(published).encode(), published.get("n", published.get("x", "")).encode()):
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        response = await resource.http.get("/me", headers=bearer(f"{signing_input}.{b64url(mac)}"))
        refused(response, "invalid_token", f"The token's key signs with {published['alg']} only.")


async def test_a_tampered_payload_fails_the_signature(
    resource: Api, runtime: Runtime, clock: FrozenClock
) -> None:
    header, _, signature = signed(runtime, clock).split(".")
    forged = b64url(claims_for(runtime.settings, clock, sub="auth0|admin"))
    response = await resource.http.get("/me", headers=bearer(f"{header}.{forged}.{signature}"))
    refused(response, "invalid_token", "The token's signature is invalid.")


async def test_mfa_demanded_but_absent_asks_for_the_multi_factor_acr(
    resource: Api, runtime: Runtime, clock: FrozenClock
) -> None:
    token = signed(runtime, clock, amr=["pwd"], acr=None)
    response = await resource.http.get("/mfa", headers=bearer(token))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == (
        'Bearer error="insufficient_user_authentication", '
        'error_description="Multi-factor authentication is required.", '
        'acr_values="http://schemas.openid.net/pape/policies/2007/06/multi-factor"'
    )
    assert response.json() == {
        "error": STEP_UP,
        "error_description": "Multi-factor authentication is required.",
    }


@pytest.mark.parametrize(
    ("amr", "acr"), [(["pwd", "mfa", "otp"], None), (["pwd"], MULTI_FACTOR_ACR)]
)
async def test_mfa_is_proved_by_amr_or_acr(
    resource: Api, runtime: Runtime, clock: FrozenClock, amr: list[str], acr: str | None
) -> None:
    token = signed(runtime, clock, amr=amr, acr=acr)
    response = await resource.http.get("/mfa", headers=bearer(token))
    assert response.status_code == 200, response.text


async def test_an_old_authentication_asks_for_max_age(
    resource: Api, runtime: Runtime, clock: FrozenClock
) -> None:
    auth_time = int(clock.now().timestamp()) - 301
    response = await resource.http.get(
        "/fresh", headers=bearer(signed(runtime, clock, auth_time=auth_time))
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == (
        'Bearer error="insufficient_user_authentication", '
        'error_description="A more recent authentication is required.", max_age="300"'
    )
    at_limit = signed(runtime, clock, auth_time=auth_time + 1)
    assert (await resource.http.get("/fresh", headers=bearer(at_limit))).status_code == 200


async def test_without_auth_time_freshness_cannot_be_proved(
    resource: Api, runtime: Runtime, clock: FrozenClock
) -> None:
    response = await resource.http.get(
        "/fresh", headers=bearer(signed(runtime, clock, auth_time=None))
    )
    assert response.status_code == 401
    assert response.json()["error"] == STEP_UP


async def test_mfa_and_max_age_both_satisfied(
    resource: Api, runtime: Runtime, clock: FrozenClock
) -> None:
    token = signed(runtime, clock, auth_time=int(clock.now().timestamp()) - 60)
    response = await resource.http.get("/both", headers=bearer(token))
    assert response.status_code == 200, response.text


async def test_a_route_demanding_both_names_both_in_its_challenge(
    resource: Api, runtime: Runtime, clock: FrozenClock
) -> None:
    """Even when only the age fails, the client must learn everything the route demands."""
    stale = int(clock.now().timestamp()) - 600
    for token, description in [
        (signed(runtime, clock, auth_time=stale), "A more recent authentication is required."),
        (
            signed(runtime, clock, auth_time=stale, amr=["pwd"], acr=None),
            "A more recent multi-factor authentication is required.",
        ),
    ]:
        response = await resource.http.get("/both", headers=bearer(token))
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == (
            f'Bearer error="{STEP_UP}", error_description="{description}", '
            f'acr_values="{MULTI_FACTOR_ACR}", max_age="300"'
        )


async def test_a_missing_scope_is_forbidden(
    resource: Api, runtime: Runtime, clock: FrozenClock
) -> None:
    response = await resource.http.get("/reports", headers=bearer(signed(runtime, clock)))
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert response.headers["www-authenticate"] == (
        'Bearer error="insufficient_scope", '
        'error_description="The token does not grant the scope this route needs.", scope="write:x"'
    )
    granted = signed(runtime, clock, scope="read:reports write:x")
    assert (await resource.http.get("/reports", headers=bearer(granted))).status_code == 200


async def test_verify_raises_a_bearer_error(
    resource: Api, runtime: Runtime, clock: FrozenClock
) -> None:
    token = signed(runtime, clock, exp=int(clock.now().timestamp()) - 3600)
    with pytest.raises(BearerError) as caught:
        await resource.auth.verify(token)
    assert (caught.value.status_code, caught.value.error) == (401, "invalid_token")


def test_max_age_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="max_age"):
        Requirement(max_age=-1)
