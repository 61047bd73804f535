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
    refresh_token: str | None = None
    """Set by the code flow for `offline_access`, and by every refresh (rotation)."""

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"access_token": self.access_token}
        if self.id_token:
            body["id_token"] = self.id_token
        if self.refresh_token:
            body["refresh_token"] = self.refresh_token
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


@dataclass(frozen=True, slots=True)
class Binding:
    """What ties tokens from the code flow to their grant and browser session (ADR 006)."""

    grant_id: str
    """The family: the access token's `jti` starts with it, so `/userinfo` can refuse a
    token whose grant was revoked."""
    session_id: str | None = None
    """The browser session (`sid`)."""
    nonce: str | None = None
    """Echoed into the ID token of a code exchange (OIDC Core 3.1.2.1), never on refresh."""


def mint(
    rt: Runtime,
    *,
    user: User,
    client_id: str,
    audience: str,
    scope: str,
    amr: Sequence[str],
    auth_time: dt.datetime,
    binding: Binding | None = None,
    refresh_token: str | None = None,
) -> TokenSet:
    """Sign an access token, and an ID token for `openid` (OIDC Core 2, ADR 006)."""
    settings = rt.settings
    iat = int(rt.clock.now().timestamp())
    ttl = (
        settings.tokens.mfa_api_token_ttl
        if audience == settings.mfa_audience
        else settings.tokens.access_token_ttl
    )
    scopes = scope.split()
    token_audience: str | list[str] = audience
    if "openid" in scopes and audience != settings.userinfo_audience:
        token_audience = [audience, settings.userinfo_audience]
    facts = _sign_in_facts(amr=amr, auth_time=auth_time, binding=binding)
    random_id = tokens.new_token()[:22]
    access_claims: dict[str, Any] = {
        "iss": settings.issuer,
        "sub": user.id,
        "aud": token_audience,
        "iat": iat,
        "exp": iat + ttl,
        "azp": client_id,
        "scope": scope,
        "jti": f"{binding.grant_id}.{random_id}" if binding else random_id,
        **facts,
    }
    id_token = None
    if "openid" in scopes:
        id_claims = _id_claims(rt, user=user, client_id=client_id, scopes=scopes, iat=iat)
        if binding is not None and binding.nonce:
            id_claims["nonce"] = binding.nonce
        id_token = rt.signing.signer.sign(id_claims | facts)
    return TokenSet(
        access_token=rt.signing.signer.sign(access_claims),
        expires_in=ttl,
        scope=scope or None,
        id_token=id_token,
        refresh_token=refresh_token,
    )


def _sign_in_facts(
    *, amr: Sequence[str], auth_time: dt.datetime, binding: Binding | None
) -> dict[str, Any]:
    """Claims both tokens carry about the sign-in. `acr` only when `mfa` is in `amr`, so a
    remembered browser or a password alone never claims multi-factor."""
    facts: dict[str, Any] = {"auth_time": int(auth_time.timestamp()), "amr": list(amr)}
    if "mfa" in amr:
        facts["acr"] = MULTI_FACTOR_ACR
    if binding is not None and binding.session_id:
        facts["sid"] = binding.session_id
    return facts


def grant_of(jti: object) -> str | None:
    """The grant an access token belongs to (`<grant id>.<random>`); None outside the code
    flow (the password and MFA grants start no grant)."""
    if not isinstance(jti, str):
        return None
    grant_id, dot, _ = jti.partition(".")
    return grant_id if dot and grant_id else None


def _id_claims(
    rt: Runtime, *, user: User, client_id: str, scopes: Sequence[str], iat: int
) -> dict[str, Any]:
    """OIDC Core 2 and 5.4: who, for whom, until when, and the profile the scopes ask for."""
    claims: dict[str, Any] = {
        "iss": rt.settings.issuer,
        "sub": user.id,
        "aud": client_id,
        "iat": iat,
        "exp": iat + rt.settings.tokens.id_token_ttl,
    }
    if "email" in scopes:
        claims |= {"email": user.email, "email_verified": user.email_verified}
    if "profile" in scopes:
        claims |= {"name": user.name, "updated_at": user.updated_at.isoformat()}
    return claims
