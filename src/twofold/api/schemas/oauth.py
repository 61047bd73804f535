"""`/oauth/token` request and response."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

GrantTypeName = Literal[
    "password",
    "http://auth0.com/oauth/grant-type/password-realm",
    "http://auth0.com/oauth/grant-type/mfa-otp",
    "http://auth0.com/oauth/grant-type/mfa-recovery-code",
    "client_credentials",
]
"""The grants this endpoint serves (flows/grants.py); any other is `unsupported_grant_type`."""


class TokenRequest(BaseModel):
    grant_type: GrantTypeName
    client_id: str | None = Field(default=None, max_length=200)
    client_secret: str | None = Field(default=None, max_length=200)
    username: str | None = Field(default=None, max_length=320, description="password grants")
    password: str | None = Field(default=None, max_length=1024, description="password grants")
    realm: str | None = Field(default=None, max_length=200, description="password-realm")
    audience: str | None = Field(default=None, max_length=1024)
    scope: str | None = Field(default=None, max_length=1024)
    mfa_token: str | None = Field(default=None, max_length=2048, description="MFA grants")
    otp: str | None = Field(default=None, max_length=64, description="mfa-otp")
    recovery_code: str | None = Field(default=None, max_length=64, description="mfa-recovery-code")


class TokenResponse(BaseModel):
    access_token: str
    id_token: str | None = None
    scope: str | None = None
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    recovery_code: str | None = None
