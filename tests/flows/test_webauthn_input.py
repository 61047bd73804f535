"""flows/webauthn_enrolment.py's input checks: which WebAuthn type `/mfa/associate` asks for,
and the name a user gives a key."""

from __future__ import annotations

import pytest

from twofold.errors import InvalidRequestError
from twofold.flows.webauthn_enrolment import check_name, webauthn_factor
from twofold.types import FactorType


@pytest.mark.parametrize(
    ("types", "factor"),
    [
        (("webauthn-roaming",), FactorType.WEBAUTHN_ROAMING),
        (("webauthn-platform",), FactorType.WEBAUTHN_PLATFORM),
        (("otp",), None),
        (("oob",), None),
    ],
)
def test_the_factor_asked_for(types: tuple[str, ...], factor: FactorType | None) -> None:
    assert webauthn_factor(types) is factor


@pytest.mark.parametrize(
    "types",
    [("webauthn-roaming", "webauthn-platform"), ("otp", "webauthn-platform")],
)
def test_one_webauthn_type_alone(types: tuple[str, ...]) -> None:
    with pytest.raises(InvalidRequestError):
        webauthn_factor(types)


def test_names_are_trimmed_printable_and_bounded() -> None:
    assert check_name(None) is None
    assert check_name("  Work YubiKey ") == "Work YubiKey"
    assert check_name("Clé de sécurité 🔑") == "Clé de sécurité 🔑"
    assert check_name("x" * 200) == "x" * 200
    for bad in ("", "   ", "x" * 201, "tab\there", "\ud800"):
        with pytest.raises(InvalidRequestError):
            check_name(bad)
