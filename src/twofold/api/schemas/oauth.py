"""`/oauth/token` request and response."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

GrantTypeName = Literal[
    "password",
    "http://auth0.com/oauth/grant-type/password-realm",
    "http://auth0.com/oauth/grant-type/mfa-otp",
    "http://auth0.com/oauth/grant-type/mfa-oob",
    "http://auth0.com/oauth/grant-type/mfa-recovery-code",
    "client_credentials",
    "authorization_code",
    "refresh_token",
    "urn:okta:params:oauth:grant-type:webauthn",
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
    oob_code: str | None = Field(
        default=None, max_length=128, description="mfa-oob: from /mfa/associate or /mfa/challenge"
    )
    binding_code: str | None = Field(
        default=None, max_length=64, description="mfa-oob: the code the user received"
    )
    code: str | None = Field(default=None, max_length=512, description="authorization_code")
    redirect_uri: str | None = Field(
        default=None,
        max_length=2000,
        description="authorization_code: exactly the `redirect_uri` sent to `/authorize`",
    )
    code_verifier: str | None = Field(
        default=None,
        max_length=128,
        description="authorization_code: the PKCE verifier (RFC 7636), 43 to 128 characters",
    )
    refresh_token: str | None = Field(default=None, max_length=512, description="refresh_token")
    auth_session: str | None = Field(
        default=None,
        max_length=128,
        description="webauthn: from /mfa/associate, /mfa/challenge or /passkey/challenge",
    )
    authn_response: dict[str, Any] | str | None = Field(
        default=None,
        description="webauthn: the browser's `credential.toJSON()`, as an object (or its JSON "
        "text in a form body); at most 64 KiB",
    )


class TokenResponse(BaseModel):
    access_token: str
    id_token: str | None = None
    refresh_token: str | None = Field(
        default=None, description="Rotated: each one works once (authorization_code, refresh_token)"
    )
    scope: str | None = None
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    recovery_code: str | None = None
