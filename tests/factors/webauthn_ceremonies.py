"""Builders for the WebAuthn unit tests: one relying party, and both ceremonies run end to end
between a soft authenticator and the real verification code."""

from __future__ import annotations

from typing import Any

from tests.support.soft_authenticator import SoftAuthenticator
from twofold.config import Settings, WebauthnSettings
from twofold.domain import JsonObject
from twofold.factors.webauthn.ceremony import (
    Assertion,
    RelyingParty,
    authentication_options,
    registration_options,
    verify_assertion,
    verify_registration,
)
from twofold.factors.webauthn.credential import Credential
from twofold.types import FactorType

ISSUER = "https://login.example.com/"
ORIGIN = "https://login.example.com"
RP_ID = "login.example.com"
SETTINGS = Settings(issuer=ISSUER, tenant_name="Acme")
RP = RelyingParty.from_settings(SETTINGS)
USER_HANDLE = b"auth0|0123456789abcdef01234567"
ROAMING, PLATFORM = FactorType.WEBAUTHN_ROAMING, FactorType.WEBAUTHN_PLATFORM


def authenticator(**knobs: Any) -> SoftAuthenticator:
    """A soft authenticator for this RP; `knobs` as SoftAuthenticator takes them."""
    return SoftAuthenticator(RP_ID, ORIGIN, **knobs)


def uv_of(settings: WebauthnSettings, factor: FactorType) -> str:
    chosen = settings.roaming if factor == ROAMING else settings.platform
    return chosen.user_verification


def register(
    device: SoftAuthenticator,
    *,
    rp: RelyingParty = RP,
    settings: WebauthnSettings | None = None,
    factor: FactorType = ROAMING,
    tamper: dict[str, Any] | None = None,
    answer: bytes | None = None,
) -> Credential:
    """Registration options, `device.create` (with `tamper` as its keyword arguments), and the
    real verification; `answer` replaces the challenge the server expects."""
    chosen = settings or SETTINGS.webauthn
    options = registration_options(
        rp,
        chosen,
        factor,
        user_handle=USER_HANDLE,
        user_name="ada@example.com",
        display_name="Ada Lovelace",
        exclude=[],
    )
    response = device.create(options.public_key, **(tamper or {}))
    return verify_registration(
        rp,
        chosen,
        factor,
        response,
        challenge=answer or options.challenge,
        user_verification=uv_of(chosen, factor),
    )


def sign_in(
    device: SoftAuthenticator,
    credential: Credential,
    *,
    user_verification: str = "discouraged",
    tamper: dict[str, Any] | None = None,
    answer: bytes | None = None,
) -> Assertion:
    """Authentication options for `credential`, `device.get`, and the real verification."""
    options = authentication_options(
        RP, SETTINGS.webauthn, user_verification=user_verification, allowed=[credential]
    )
    response = device.get(options.public_key, **(tamper or {}))
    return verify_assertion(
        RP,
        response,
        challenge=answer or options.challenge,
        credential=credential,
        user_verification=user_verification,
    )


def assertion_response(
    device: SoftAuthenticator, credential: Credential
) -> tuple[JsonObject, bytes]:
    """A fresh assertion by `device` and the challenge it answers."""
    options = authentication_options(
        RP, SETTINGS.webauthn, user_verification="discouraged", allowed=[credential]
    )
    return device.get(options.public_key), options.challenge
