"""`/mfa/*` requests and responses (Auth0's MFA API)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

_CREDENTIAL = Field(default=None, max_length=200, description="Or HTTP Basic.")


class ChallengeRequest(BaseModel):
    mfa_token: str = Field(max_length=2048)
    client_id: str | None = _CREDENTIAL
    client_secret: str | None = _CREDENTIAL
    challenge_type: str | None = Field(
        default=None,
        max_length=100,
        pattern=r"^(otp|oob)( (otp|oob))*$",
        description="Space-separated `otp` and/or `oob`; both when absent.",
    )
    authenticator_id: str | None = Field(default=None, max_length=100)
    oob_channel: str | None = Field(default=None, max_length=20)


class ChallengeResponse(BaseModel):
    challenge_type: str
    oob_code: str | None = None
    binding_method: str | None = None


class AssociateRequest(BaseModel):
    authenticator_types: list[Literal["otp", "oob"]] = Field(
        min_length=1,
        max_length=20,
        description='`["otp"]`, or `["oob"]` with one of `oob_channels` `sms`, `voice`, `email`.',
    )
    oob_channels: list[Literal["sms", "voice", "auth0", "email"]] | None = Field(
        default=None, max_length=20
    )
    phone_number: str | None = Field(default=None, max_length=32, description="E.164")
    email: str | None = Field(default=None, max_length=320)
    client_id: str | None = _CREDENTIAL
    client_secret: str | None = _CREDENTIAL


class AssociateResponse(BaseModel):
    authenticator_type: str
    binding_method: str | None = None
    oob_channel: str | None = None
    oob_code: str | None = None
    secret: str | None = None
    barcode_uri: str | None = None
    recovery_codes: list[str] | None = None
    id: str | None = None


class AuthenticatorOut(BaseModel):
    id: str
    authenticator_type: str
    active: bool
    oob_channel: str | None = None
    name: str | None = None
    created_at: str | None = None
    last_auth: str | None = None


class BarcodeRequest(BaseModel):
    barcode_uri: str = Field(max_length=1024, pattern="^otpauth://")
    format: Literal["svg", "png"] = "svg"
