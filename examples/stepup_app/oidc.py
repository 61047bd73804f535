"""The relying party's side of the authorization code flow (OIDC Core 3.1) with PKCE
(RFC 7636) and a nonce, and the step-up decision (`acr_values`, `max_age`).

Everything here but `finish_sign_in` is pure, so it is unit-tested without a server.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from examples.stepup_app.settings import AppSettings
from twofold.sdk import MULTI_FACTOR_ACR, BearerError, TwofoldAuth

SCOPE = "openid profile email"


class SignInError(Exception):
    """The sign-in cannot finish; `description` is safe to show to the user."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    """What the browser's session keeps between the redirect to Twofold and the callback."""

    state: str
    nonce: str
    code_verifier: str
    return_to: str
    step_up: bool
    """The redirect demanded MFA within `max_age`: the callback must see it was done."""
    max_age: int | None
    started_at: float


@dataclass(frozen=True, slots=True)
class SignIn:
    """The signed-in user, as the ID token describes them, and the tokens to use and end it."""

    sub: str
    email: str | None
    auth_time: int | None
    amr: tuple[str, ...]
    acr: str | None
    id_token: str
    access_token: str

    @property
    def multi_factor(self) -> bool:
        return self.acr == MULTI_FACTOR_ACR or "mfa" in self.amr


def start_sign_in(
    *, return_to: str, now: float, step_up: bool = False, max_age: int | None = None
) -> PendingSignIn:
    """Fresh single-use values: state (CSRF), nonce (ID token replay), PKCE verifier."""
    return PendingSignIn(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        code_verifier=secrets.token_urlsafe(48),
        return_to=safe_return_to(return_to),
        step_up=step_up,
        max_age=max_age,
        started_at=now,
    )


def code_challenge(verifier: str) -> str:
    """RFC 7636 section 4.2, S256: BASE64URL(SHA256(ASCII(verifier))) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(settings: AppSettings, pending: PendingSignIn) -> str:
    params = {
        "response_type": "code",
        "client_id": settings.client_id,
        "redirect_uri": settings.redirect_uri,
        "scope": SCOPE,
        "state": pending.state,
        "nonce": pending.nonce,
        "code_challenge": code_challenge(pending.code_verifier),
        "code_challenge_method": "S256",
    }
    if settings.api_audience:
        params["audience"] = settings.api_audience
    if pending.step_up:
        params["acr_values"] = MULTI_FACTOR_ACR
    if pending.max_age is not None:
        params["max_age"] = str(pending.max_age)
    return f"{settings.issuer}authorize?{urlencode(params)}"


def logout_url(settings: AppSettings, sign_in: SignIn | None) -> str:
    """OIDC RP-Initiated Logout 1.0 at Twofold's `/oidc/logout`."""
    params = {"client_id": settings.client_id, "post_logout_redirect_uri": settings.signed_out_url}
    if sign_in is not None:
        params["id_token_hint"] = sign_in.id_token
    return f"{settings.issuer}oidc/logout?{urlencode(params)}"


def needs_step_up(sign_in: SignIn | None, *, max_age: int, now: float) -> bool:
    """True unless the sign-in proved MFA no more than `max_age` seconds ago."""
    if sign_in is None or not sign_in.multi_factor or sign_in.auth_time is None:
        return True
    return now - sign_in.auth_time > max_age


def safe_return_to(value: str | None) -> str:
    """A path on this app; anything else (another origin, `//host`, `/\\host`) becomes "/"."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


async def finish_sign_in(
    http: httpx.AsyncClient,
    auth: TwofoldAuth,
    *,
    settings: AppSettings,
    pending: PendingSignIn,
    code: str,
) -> SignIn:
    """Redeem the code (with the PKCE verifier) and check the ID token: signature, issuer,
    audience (our client id), expiry, nonce; `auth_time` when `max_age` was asked for."""
    tokens = await _redeem(http, settings, pending=pending, code=code)
    id_token, access_token = tokens.get("id_token"), tokens.get("access_token")
    if not isinstance(id_token, str) or not isinstance(access_token, str):
        raise SignInError("Twofold answered without an ID token and an access token.")
    try:
        claims = await auth.verify(id_token, audience=settings.client_id)
    except BearerError as exc:
        raise SignInError(f"The ID token was refused: {exc.description}") from exc
    if not secrets.compare_digest(str(claims.claims.get("nonce", "")), pending.nonce):
        raise SignInError("The ID token does not carry this sign-in's nonce.")
    if pending.max_age is not None and claims.auth_time is None:
        raise SignInError("The ID token lacks auth_time although max_age was requested.")
    email = claims.claims.get("email")
    return SignIn(
        sub=claims.sub,
        email=email if isinstance(email, str) else None,
        auth_time=claims.auth_time,
        amr=claims.amr,
        acr=claims.acr,
        id_token=id_token,
        access_token=access_token,
    )


async def _redeem(
    http: httpx.AsyncClient, settings: AppSettings, *, pending: PendingSignIn, code: str
) -> dict[str, Any]:
    try:
        response = await http.post(
            f"{settings.issuer}oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": settings.redirect_uri,
                "client_id": settings.client_id,
                "client_secret": settings.client_secret,
                "code_verifier": pending.code_verifier,
            },
        )
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise SignInError("Twofold's token endpoint could not be reached.") from exc
    if not isinstance(body, dict):
        raise SignInError("Twofold's token endpoint did not answer a JSON object.")
    if response.status_code != 200:
        error = body.get("error_description") or body.get("error") or response.status_code
        raise SignInError(f"The code was not accepted: {error}")
    return body
