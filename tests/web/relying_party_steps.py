"""An independent OpenID Connect relying party for end-to-end tests: Authlib's OAuth 2.0
client and Authlib's own JOSE code (neither joserfc nor anything of Twofold's), configured
from the discovery document alone, while a cookie-keeping browser walks the hosted pages."""

from __future__ import annotations

import warnings
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import httpx
import pyotp
import pytest
from fastapi import FastAPI

from tests.builders import an_ip
from tests.web.conftest import CALLBACK, WebApp, location, submit_login
from tests.web.mfa_steps import Enrolled, post_form
from twofold.clock import FrozenClock

with warnings.catch_warnings(record=True):
    # Authlib 1.9 deprecates its httpx integration (for httpx2) and its JOSE module (for
    # joserfc). Both still work, and sharing no JOSE code with Twofold (which uses joserfc) is
    # what makes this check independent; their import-time warnings are dropped here only.
    warnings.simplefilter("always", DeprecationWarning)
    from authlib.common.security import generate_token  # type: ignore[import-untyped]
    from authlib.integrations.httpx_client import (  # type: ignore[import-untyped]
        AsyncOAuth2Client,
        OAuthError,
    )
    from authlib.jose import JsonWebKey, JsonWebToken  # type: ignore[import-untyped]
    from authlib.oidc.core import CodeIDToken  # type: ignore[import-untyped]

SCOPE = "openid profile email offline_access"
MULTI_FACTOR_ACR = "http://schemas.openid.net/pape/policies/2007/06/multi-factor"
"""OpenID Provider Authentication Policy Extension 1.0, section 4: written out, not imported."""
READING_THE_AUTHENTICATOR = 45
"""Seconds between the password and the code: a later TOTP step than the enrolment spent,
and an `auth_time` that can only be the MFA's."""


@dataclass(frozen=True, slots=True)
class RelyingParty:
    """Authlib's client for one application; every endpoint comes from discovery."""

    oauth: Any
    """An `AsyncOAuth2Client` (Authlib ships no type information)."""
    metadata: dict[str, Any]
    web: WebApp

    def endpoint(self, name: str) -> str:
        return str(self.metadata[name])


@dataclass(frozen=True, slots=True)
class Authorization:
    """One authorization request as the relying party made it and must remember it."""

    url: str
    state: str
    nonce: str
    code_verifier: str


def a_relying_party_client(app: FastAPI, web: WebApp) -> Any:
    """Client authentication as Authlib picks it: `client_secret_basic` with a secret,
    `none` (the client id in the body) for a public client."""
    return AsyncOAuth2Client(
        client_id=web.client_id,
        client_secret=web.client_secret,
        redirect_uri=web.redirect_uri,
        scope=SCOPE,
        code_challenge_method="S256",
        transport=httpx.ASGITransport(app=app, client=(an_ip(), 40000)),
    )


async def discover(oauth: Any, issuer: str, web: WebApp) -> RelyingParty:
    """The provider's metadata as a relying party reads it (OIDC Discovery 1.0 section 4),
    with what this client will use checked against what the provider claims."""
    answer = await oauth.request(
        "GET", f"{issuer}.well-known/openid-configuration", withhold_token=True
    )
    assert answer.status_code == 200, answer.text
    metadata: dict[str, Any] = answer.json()
    assert metadata["issuer"] == issuer
    assert oauth.token_endpoint_auth_method in metadata["token_endpoint_auth_methods_supported"]
    assert "S256" in metadata["code_challenge_methods_supported"]
    return RelyingParty(oauth, metadata, web)


def authorization(rp: RelyingParty, **extra: str) -> Authorization:
    """A code + PKCE (S256) request with a nonce, asking for multi-factor authentication."""
    verifier, nonce = str(generate_token(48)), str(generate_token(20))
    url, state = rp.oauth.create_authorization_url(
        rp.endpoint("authorization_endpoint"),
        code_verifier=verifier,
        nonce=nonce,
        acr_values=MULTI_FACTOR_ACR,
        **extra,
    )
    return Authorization(str(url), str(state), nonce, verifier)


async def sign_in(
    browser: httpx.AsyncClient, who: Enrolled, request: Authorization, clock: FrozenClock
) -> str:
    """The person gives their password, then a TOTP code computed with pyotp; returns the
    callback URL the browser is sent to (not followed: the relying party is not served)."""
    login_url = location(await browser.get(request.url))
    assert login_url.startswith("/u/login?state=req_"), login_url
    mfa_url = location(await submit_login(browser, login_url, who.person))
    assert mfa_url.startswith("/u/mfa?state=req_"), mfa_url
    clock.advance(READING_THE_AUTHENTICATOR)
    code = pyotp.TOTP(who.secret).at(clock.now())
    callback = location(await post_form(browser, mfa_url, {"code": code}))
    assert callback.startswith(CALLBACK + "?"), callback
    return callback


async def redeem(
    rp: RelyingParty, callback: str, request: Authorization, **overrides: str | None
) -> dict[str, Any]:
    """The code exchange as Authlib makes it (it checks `state` against the callback)."""
    sent: dict[str, str | None] = {"code_verifier": request.code_verifier, **overrides}
    token: dict[str, Any] = await rp.oauth.fetch_token(
        rp.endpoint("token_endpoint"),
        authorization_response=callback,
        state=request.state,
        **{name: value for name, value in sent.items() if value is not None},
    )
    return token


async def verified_id_token(
    rp: RelyingParty, token: dict[str, Any], *, nonce: str | None, now: int
) -> dict[str, Any]:
    """The ID token's claims once its signature checks against the published JWKS and
    `iss`, `aud`, `exp`, `iat` and `nonce` validate (OIDC Core 3.1.3.7)."""
    jwks = await rp.oauth.request("GET", rp.endpoint("jwks_uri"), withhold_token=True)
    keys = JsonWebKey.import_key_set(jwks.json())
    options: dict[str, Any] = {
        "iss": {"essential": True, "value": rp.metadata["issuer"]},
        "aud": {"essential": True, "value": rp.web.client_id},
    }
    if nonce is not None:
        options["nonce"] = {"essential": True, "value": nonce}
    claims = JsonWebToken(rp.metadata["id_token_signing_alg_values_supported"]).decode(
        token["id_token"],
        keys,
        claims_cls=CodeIDToken,
        claims_options=options,
        claims_params={"nonce": nonce, "client_id": rp.web.client_id},
    )
    claims.validate(now=now, leeway=0)
    return dict(claims)


async def refused(call: Awaitable[Any]) -> str:
    """The OAuth error a token request was refused with (Authlib raises it)."""
    with pytest.raises(OAuthError) as caught:
        await call
    return str(caught.value.error)
