"""The JWK Set cache: one fetch, one refetch for a rotated key, never a refetch per request."""

from __future__ import annotations

import httpx
from fastapi import Depends, FastAPI

from tests.sdk.conftest import API, Api, claims_for
from twofold.clock import FrozenClock
from twofold.config import Settings
from twofold.flows.runtime import Runtime
from twofold.sdk import TwofoldAuth
from twofold.security.jose import TokenSigner, generate_signing_key


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def rotate(runtime: Runtime) -> TokenSigner:
    """What a signing-key rotation leaves: a new active ES256 key, the old one still published."""
    old = runtime.signing.signer
    new = generate_signing_key("ES256")
    rotated = TokenSigner(
        kid=new.kid,
        alg=new.alg,
        private_pem=new.private_pem,
        public_jwks=[*old.jwks()["keys"], new.public_jwk],
    )
    runtime.signing.signer = rotated
    return rotated


async def test_the_key_set_is_fetched_once(
    resource: Api, runtime: Runtime, clock: FrozenClock
) -> None:
    token = runtime.signing.signer.sign(claims_for(runtime.settings, clock))
    for _ in range(3):
        assert (await resource.http.get("/me", headers=bearer(token))).status_code == 200
    assert [str(request.url) for request in resource.jwks_fetches] == [
        f"{runtime.settings.issuer}.well-known/jwks.json"
    ]


async def test_an_unknown_kid_refetches_once_per_interval(
    resource: Api, runtime: Runtime, clock: FrozenClock
) -> None:
    claims = claims_for(runtime.settings, clock)
    old_token = runtime.signing.signer.sign(claims)
    assert (await resource.http.get("/me", headers=bearer(old_token))).status_code == 200

    clock.advance(30)
    new_token = rotate(runtime).sign(claims)
    response = await resource.http.get("/me", headers=bearer(new_token))
    assert response.status_code == 200, response.text
    assert len(resource.jwks_fetches) == 2

    forged = TokenSigner(
        kid="made-up",
        alg="ES256",
        private_pem=generate_signing_key("ES256").private_pem,
        public_jwks=[],
    ).sign(claims)
    for _ in range(3):
        response = await resource.http.get("/me", headers=bearer(forged))
        assert response.status_code == 401
        assert response.json() == {
            "error": "invalid_token",
            "error_description": "The token's signing key is not one the issuer publishes.",
        }
    assert len(resource.jwks_fetches) == 2

    clock.advance(30)
    assert (await resource.http.get("/me", headers=bearer(forged))).status_code == 401
    assert len(resource.jwks_fetches) == 3


async def test_keys_that_cannot_be_fetched_answer_503(
    app: FastAPI, settings: Settings, runtime: Runtime, clock: FrozenClock
) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as twofold:
        auth = TwofoldAuth(
            issuer=settings.issuer,
            audience=API,
            jwks_uri=f"{settings.issuer}no-such-keys.json",
            http=twofold,
            clock=lambda: clock.now().timestamp(),
        )
        token = runtime.signing.signer.sign(claims_for(settings, clock))
        api = FastAPI()
        auth.install(api)

        @api.get("/me", dependencies=[Depends(auth.require())])
        async def me() -> dict[str, str]:
            return {}

        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as http:
            response = await http.get("/me", headers=bearer(token))
    assert response.status_code == 503
    assert response.json() == {
        "error": "temporarily_unavailable",
        "error_description": "The issuer's signing keys could not be fetched; try again shortly.",
    }
    assert "www-authenticate" not in response.headers
