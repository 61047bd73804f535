"""The factor registry and the Guardian factor names it backs."""

from __future__ import annotations

import hashlib

import pytest

from twofold.factors.otp import TotpFactor
from twofold.factors.recovery import RecoveryCodeFactor
from twofold.factors.registry import FACTOR_NAMES, build_registry
from twofold.types import FactorType


def sha256_hex(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def test_registry_holds_the_implemented_factors_under_their_types() -> None:
    registry = build_registry(recovery_hasher=sha256_hex)

    assert set(registry) == {FactorType.OTP, FactorType.RECOVERY_CODE}
    assert all(factor.type == factor_type for factor_type, factor in registry.items())
    assert isinstance(registry[FactorType.OTP], TotpFactor)
    recovery = registry[FactorType.RECOVERY_CODE]
    assert isinstance(recovery, RecoveryCodeFactor)
    code, code_hash = recovery.new_code()
    assert code_hash == sha256_hex(code)


def test_registry_cannot_be_changed() -> None:
    registry = build_registry(recovery_hasher=sha256_hex)

    with pytest.raises(TypeError):
        registry[FactorType.DUO] = registry[FactorType.OTP]  # type: ignore[index]


def test_guardian_factor_names_in_auth0_order() -> None:
    assert list(FACTOR_NAMES) == [
        "sms",
        "push-notification",
        "email",
        "duo",
        "otp",
        "webauthn-roaming",
        "webauthn-platform",
        "recovery-code",
    ]
    assert all(name == factor.name for name, factor in FACTOR_NAMES.items())


def test_implemented_guardian_factors_are_exactly_the_registered_ones() -> None:
    registry = build_registry(recovery_hasher=sha256_hex)
    implemented = {f.name for f in FACTOR_NAMES.values() if f.implemented}

    assert implemented == {
        "otp",
        "recovery-code",
        "sms",
        "push-notification",
        "email",
        "webauthn-roaming",
        "webauthn-platform",
    }
    # Out-of-band codes (runtime.oob) and WebAuthn ceremonies (factors/webauthn, with the
    # flows' single-use challenges) are not registry factors.
    served = {FACTOR_NAMES[name].authenticator_type for name in implemented}
    ceremonies = {FactorType.OOB, FactorType.WEBAUTHN_ROAMING, FactorType.WEBAUTHN_PLATFORM}
    assert served - ceremonies == set(registry)
