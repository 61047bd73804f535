"""`/mfa/*` requests and responses (Auth0's MFA API)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

_CREDENTIAL = Field(default=None, max_length=200, description="Or HTTP Basic.")


class ChallengeRequest(BaseModel):
    mfa_token: str = Field(max_length=2048)
    client_id: str | None = _CREDENTIAL
    client_secret: str | None = _CREDENTIAL
    challenge_type: str | None = Field(
        default=None,
        max_length=100,
        pattern=r"^(otp|oob|webauthn)( (otp|oob|webauthn))*$",
        description="Space-separated `otp`, `oob` and/or `webauthn` (a security key or this "
        "device, a Twofold extension); `otp oob` when absent.",
    )
    authenticator_id: str | None = Field(default=None, max_length=100)
    oob_channel: str | None = Field(default=None, max_length=20)


_PUBLIC_KEY = Field(
    default=None,
    description="webauthn: options for `navigator.credentials.create()`/`get()` in the WebAuthn "
    "JSON form (`PublicKeyCredential.parse*OptionsFromJSON`), as Auth0's Passkey API names them.",
)
_AUTH_SESSION = Field(
    default=None,
    description="webauthn: send it back with the browser's response to `/oauth/token` "
    "(`grant_type=urn:okta:params:oauth:grant-type:webauthn`).",
)


class ChallengeResponse(BaseModel):
    challenge_type: str
    oob_code: str | None = None
    binding_method: str | None = None
    authn_params_public_key: dict[str, Any] | None = _PUBLIC_KEY
    auth_session: str | None = _AUTH_SESSION


class AssociateRequest(BaseModel):
    authenticator_types: (
        list[Literal["otp", "oob", "webauthn-roaming", "webauthn-platform"]] | None
    ) = Field(
        default=None,
        min_length=1,
        max_length=20,
        description='`["otp"]`, `["oob"]` with one of `oob_channels` `sms`, `voice`, `email`, '
        '`auth0` (push), or `["webauthn-roaming"]` / `["webauthn-platform"]`. Required, except '
        "to complete a WebAuthn registration (`auth_session` and `authn_response`).",
    )
    oob_channels: list[Literal["sms", "voice", "auth0", "email"]] | None = Field(
        default=None, max_length=20
    )
    phone_number: str | None = Field(default=None, max_length=32, description="E.164")
    email: str | None = Field(default=None, max_length=320)
    name: str | None = Field(
        default=None, max_length=200, description="webauthn: what the user calls the key."
    )
    auth_session: str | None = Field(
        default=None,
        max_length=128,
        description="webauthn, with an `enroll` access token: the registration to complete.",
    )
    authn_response: dict[str, Any] | str | None = Field(
        default=None,
        description="webauthn, with `auth_session`: the browser's `credential.toJSON()`.",
    )
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
    authn_params_public_key: dict[str, Any] | None = _PUBLIC_KEY
    auth_session: str | None = _AUTH_SESSION
    active: bool | None = Field(
        default=None, description="A completed WebAuthn registration: the new authenticator."
    )
    name: str | None = None
    created_at: str | None = None
    aaguid: str | None = None
    backed_up: bool | None = None
    credential_kind: str | None = None


class AuthenticatorOut(BaseModel):
    id: str
    authenticator_type: str
    active: bool
    oob_channel: str | None = None
    name: str | None = None
    created_at: str | None = None
    last_auth: str | None = None
    aaguid: str | None = Field(
        default=None, description="webauthn (Twofold): the authenticator model's AAGUID."
    )
    backed_up: bool | None = Field(
        default=None, description="webauthn (Twofold): whether the credential is synced now."
    )
    credential_kind: Literal["synced passkey", "device-bound key"] | None = Field(
        default=None,
        description="webauthn (Twofold): a backup-eligible credential may be synced to the "
        "user's other devices; any other lives in one authenticator.",
    )


class BarcodeRequest(BaseModel):
    barcode_uri: str = Field(max_length=1024, pattern="^otpauth://")
    format: Literal["svg", "png"] = "svg"
