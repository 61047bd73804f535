"""`/oauth/token` request and response."""

from __future__ import annotations

from pydantic import BaseModel, Field


class TokenRequest(BaseModel):
    grant_type: str = Field(
        description="password, http://auth0.com/oauth/grant-type/password-realm, "
        "http://auth0.com/oauth/grant-type/mfa-otp, .../mfa-recovery-code, client_credentials"
    )
    client_id: str | None = None
    client_secret: str | None = None
    username: str | None = None
    password: str | None = None
    realm: str | None = None
    audience: str | None = None
    scope: str | None = None
    mfa_token: str | None = None
    otp: str | None = None
    recovery_code: str | None = None


class TokenResponse(BaseModel):
    access_token: str
    id_token: str | None = None
    scope: str | None = None
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    recovery_code: str | None = None
