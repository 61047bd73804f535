"""`/userinfo` (OIDC Core 5.3): the claims an access token's scopes let its client read.

Access tokens are self-contained JWTs, but one from the code flow names its grant in `jti`
(`<grant id>.<random>`), so a revoked grant (reuse, logout, admin reset) is refused here
even while the token has not expired (ADR 006).
"""

from __future__ import annotations

from dataclasses import dataclass

from twofold.errors import InvalidTokenError
from twofold.flows.runtime import Runtime
from twofold.flows.tokens import grant_of


@dataclass(frozen=True, slots=True)
class UserClaims:
    """OIDC Core 5.1 standard claims; None = not released (the scope was not granted)."""

    sub: str
    email: str | None = None
    email_verified: bool | None = None
    name: str | None = None
    updated_at: str | None = None
    """ISO 8601, as Auth0 (and Twofold's ID tokens) write it."""


async def userinfo(rt: Runtime, access_token: str) -> UserClaims:
    """The token must be ours, unexpired, for `{issuer}userinfo`, of a live grant and user."""
    claims = rt.signing.verifier.verify(
        access_token,
        issuer=rt.settings.issuer,
        audience=rt.settings.userinfo_audience,
        now=rt.clock.now(),
    )
    grant_id = grant_of(claims.get("jti"))
    async with rt.store.read() as tx:
        grant = await tx.grants.get(grant_id) if grant_id else None
        user = await tx.users.get(str(claims["sub"]))
    if grant_id is not None and (grant is None or grant.revoked_at is not None):
        raise InvalidTokenError("The access token has been revoked.")
    if user is None:
        raise InvalidTokenError("The access token's user no longer exists.")
    scopes = str(claims.get("scope", "")).split()
    email, profile = "email" in scopes, "profile" in scopes
    return UserClaims(
        sub=user.id,
        email=user.email if email else None,
        email_verified=user.email_verified if email else None,
        name=user.name if profile else None,
        updated_at=user.updated_at.isoformat() if profile else None,
    )
