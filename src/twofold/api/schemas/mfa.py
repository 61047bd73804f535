"""`/mfa/*` requests and responses (Auth0's MFA API)."""

from __future__ import annotations

from pydantic import BaseModel


class ChallengeRequest(BaseModel):
    mfa_token: str
    client_id: str | None = None
    client_secret: str | None = None
    challenge_type: str | None = None
    authenticator_id: str | None = None
    oob_channel: str | None = None


class ChallengeResponse(BaseModel):
    challenge_type: str
    oob_code: str | None = None
    binding_method: str | None = None


class AssociateRequest(BaseModel):
    authenticator_types: list[str]
    oob_channels: list[str] | None = None
    phone_number: str | None = None
    email: str | None = None
    client_id: str | None = None
    client_secret: str | None = None


class AssociateResponse(BaseModel):
    authenticator_type: str
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
    barcode_uri: str
    format: str = "svg"
