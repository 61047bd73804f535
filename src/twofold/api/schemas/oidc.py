"""OpenID Connect documents: provider metadata (Discovery 1.0 section 3) and `/userinfo`."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ProviderMetadata(BaseModel):
    """What a relying party reads to configure itself; only what Twofold does is claimed."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    end_session_endpoint: str
    mfa_challenge_endpoint: str = Field(description="Auth0's MFA API (not OIDC Discovery)")
    response_types_supported: list[str]
    response_modes_supported: list[str]
    grant_types_supported: list[str]
    subject_types_supported: list[str]
    id_token_signing_alg_values_supported: list[str]
    scopes_supported: list[str]
    claims_supported: list[str]
    code_challenge_methods_supported: list[str]
    token_endpoint_auth_methods_supported: list[str]
    acr_values_supported: list[str]
    prompt_values_supported: list[str]
    claims_parameter_supported: bool
    request_parameter_supported: bool
    request_uri_parameter_supported: bool
    authorization_response_iss_parameter_supported: bool = Field(
        description="RFC 9207: `/authorize` answers carry `iss`"
    )


class UserInfoResponse(BaseModel):
    """OIDC Core 5.3.2: `sub` always; the rest only for the scopes the token was granted."""

    sub: str
    email: str | None = Field(default=None, description="`email` scope")
    email_verified: bool | None = Field(default=None, description="`email` scope")
    name: str | None = Field(default=None, description="`profile` scope")
    updated_at: str | None = Field(default=None, description="`profile` scope (ISO 8601)")
