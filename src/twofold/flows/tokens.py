"""Minting access and ID tokens once a login has passed every factor it needs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from twofold.config import Settings
from twofold.domain import User
from twofold.errors import AccessDeniedError
from twofold.flows.grants import MFA_SCOPES
from twofold.flows.runtime import Runtime
from twofold.security import tokens

MULTI_FACTOR_ACR = "http://schemas.openid.net/pape/policies/2007/06/multi-factor"
OIDC_SCOPES = ("openid", "profile", "email", "offline_access")


@dataclass(frozen=True, slots=True)
class TokenSet:
    access_token: str
    expires_in: int
    scope: str | None
    id_token: str | None = None
    recovery_code: str | None = None
    """Set by the recovery-code grant: the user's new code, to show them once."""

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"access_token": self.access_token}
        if self.id_token:
            body["id_token"] = self.id_token
        if self.scope:
            body["scope"] = self.scope
        body |= {"expires_in": self.expires_in, "token_type": "Bearer"}
        if self.recovery_code:
            body["recovery_code"] = self.recovery_code
        return body


def resolve_audience(settings: Settings, audience: str | None) -> str:
    """The API a token is for; unknown APIs are refused before any factor is asked for."""
    if not audience:
        return settings.userinfo_audience
    known = {settings.userinfo_audience, settings.mfa_audience, *settings.audiences}
    if audience not in known:
        raise AccessDeniedError(f"Service not found: {audience[:200]}")
    return audience


def granted_scope(settings: Settings, *, audience: str, requested: str | None) -> str:
    """Requested scopes the audience knows; the MFA API grants only its three scopes."""
    wanted = (requested or "").split()
    if audience == settings.mfa_audience:
        allowed = set(MFA_SCOPES) | set(OIDC_SCOPES)
        wanted = [scope for scope in wanted if scope in allowed]
    return " ".join(dict.fromkeys(wanted))


def mint(
    rt: Runtime,
    *,
    user: User,
    client_id: str,
    audience: str,
    scope: str,
    amr: Sequence[str],
    auth_time: dt.datetime,
) -> TokenSet:
    settings = rt.settings
    now = rt.clock.now()
    iat = int(now.timestamp())
    ttl = (
        settings.tokens.mfa_api_token_ttl
        if audience == settings.mfa_audience
        else settings.tokens.access_token_ttl
    )
    scopes = scope.split()
    token_audience: str | list[str] = audience
    if "openid" in scopes and audience != settings.userinfo_audience:
        token_audience = [audience, settings.userinfo_audience]
    multi_factor = "mfa" in amr
    access_claims: dict[str, Any] = {
        "iss": settings.issuer,
        "sub": user.id,
        "aud": token_audience,
        "iat": iat,
        "exp": iat + ttl,
        "azp": client_id,
        "scope": scope,
        "amr": list(amr),
        "auth_time": int(auth_time.timestamp()),
        "jti": tokens.new_token()[:22],
    }
    if multi_factor:
        access_claims["acr"] = MULTI_FACTOR_ACR
    id_token = None
    if "openid" in scopes:
        id_claims: dict[str, Any] = {
            "iss": settings.issuer,
            "sub": user.id,
            "aud": client_id,
            "iat": iat,
            "exp": iat + settings.tokens.id_token_ttl,
            "auth_time": int(auth_time.timestamp()),
            "amr": list(amr),
        }
        if multi_factor:
            id_claims["acr"] = MULTI_FACTOR_ACR
        if "email" in scopes:
            id_claims |= {"email": user.email, "email_verified": user.email_verified}
        if "profile" in scopes:
            id_claims |= {"name": user.name, "updated_at": user.updated_at.isoformat()}
        id_token = rt.signing.signer.sign(id_claims)
    return TokenSet(
        access_token=rt.signing.signer.sign(access_claims),
        expires_in=ttl,
        scope=scope or None,
        id_token=id_token,
    )
