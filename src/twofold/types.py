"""The shared vocabulary every layer speaks: ids, factor names, RFC 8176 `amr` values, Clock."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import NewType, Protocol

UserId = NewType("UserId", str)
"""Auth0-shaped: `auth0|<24 hex>`."""
AuthenticatorId = NewType("AuthenticatorId", str)
"""Auth0-shaped: `totp|dev_<random>`, `recovery-code|dev_<random>`."""
ClientId = NewType("ClientId", str)
TransactionId = NewType("TransactionId", str)


class FactorType(StrEnum):
    """Auth0's authenticator type names; the registry is keyed by these."""

    OTP = "otp"
    RECOVERY_CODE = "recovery-code"
    OOB = "oob"
    WEBAUTHN_ROAMING = "webauthn-roaming"
    WEBAUTHN_PLATFORM = "webauthn-platform"
    DUO = "duo"


class Amr(StrEnum):
    """Authentication method reference values (RFC 8176 section 2)."""

    PWD = "pwd"  # noqa: S105 - the RFC 8176 value, not a secret
    OTP = "otp"
    MFA = "mfa"
    SMS = "sms"
    TEL = "tel"
    HWK = "hwk"
    SWK = "swk"
    USER = "user"
    PIN = "pin"
    FACE = "face"
    FPT = "fpt"


class AuthenticatorStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"


class Clock(Protocol):
    """The only way code learns the time; tests inject a movable one."""

    def now(self) -> dt.datetime:
        """Aware UTC now."""
        ...
