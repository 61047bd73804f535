"""The explicit factor registry (one line per factor) and Auth0's Guardian factor names."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from twofold.factors.base import Factor
from twofold.factors.otp import TotpFactor
from twofold.factors.recovery import RecoveryCodeFactor
from twofold.types import FactorType


def build_registry(*, recovery_hasher: Callable[[str], str]) -> Mapping[FactorType, Factor]:
    """Every implemented factor under its authenticator type; adding one adds a line here."""
    factors: dict[FactorType, Factor] = {
        FactorType.OTP: TotpFactor(),
        FactorType.RECOVERY_CODE: RecoveryCodeFactor(hasher=recovery_hasher),
    }
    return MappingProxyType(factors)


@dataclass(frozen=True, slots=True)
class GuardianFactor:
    """A name in `GET /api/v2/guardian/factors` and the authenticator type that serves it."""

    name: str
    authenticator_type: FactorType
    implemented: bool


FACTOR_NAMES: Mapping[str, GuardianFactor] = MappingProxyType(
    {
        factor.name: factor
        for factor in (
            GuardianFactor("sms", FactorType.OOB, implemented=True),
            GuardianFactor("push-notification", FactorType.OOB, implemented=True),
            GuardianFactor("email", FactorType.OOB, implemented=True),
            GuardianFactor("duo", FactorType.DUO, implemented=False),
            GuardianFactor("otp", FactorType.OTP, implemented=True),
            GuardianFactor("webauthn-roaming", FactorType.WEBAUTHN_ROAMING, implemented=True),
            GuardianFactor("webauthn-platform", FactorType.WEBAUTHN_PLATFORM, implemented=True),
            GuardianFactor("recovery-code", FactorType.RECOVERY_CODE, implemented=True),
        )
    }
)
"""In the order Auth0 lists them; unimplemented names are listed but cannot be enabled."""
