"""security/pkce.py against RFC 7636: the Appendix B vector and the verifier's shape."""

from __future__ import annotations

import pytest

from twofold.security import pkce

# RFC 7636 Appendix B.
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_the_rfc_vector() -> None:
    assert pkce.s256(VERIFIER) == CHALLENGE
    assert pkce.verifies(VERIFIER, CHALLENGE)
    assert pkce.is_valid_challenge(CHALLENGE)


def test_a_near_miss_does_not_verify() -> None:
    assert not pkce.verifies(VERIFIER[:-1] + "l", CHALLENGE)
    assert not pkce.verifies(VERIFIER, CHALLENGE[:-1] + "N")


@pytest.mark.parametrize(
    ("verifier", "valid"),
    [
        ("a" * 43, True),
        ("a" * 128, True),
        ("Az09-._~" * 6, True),
        ("a" * 42, False),
        ("a" * 129, False),
        ("a" * 42 + "+", False),
        ("a" * 42 + "=", False),
        ("a" * 42 + "/", False),
        ("é" * 43, False),
        ("a" * 42 + "\n", False),
    ],
)
def test_verifier_shape_is_section_4_1(verifier: str, valid: bool) -> None:
    assert pkce.is_valid_verifier(verifier) is valid
    if not valid:
        # A verifier of the wrong shape never verifies, whatever the challenge.
        assert not pkce.verifies(verifier, pkce.s256(verifier))


@pytest.mark.parametrize("challenge", ["a" * 42, "a" * 44, "a" * 42 + "=", "a" * 42 + "+"])
def test_a_challenge_is_43_base64url_characters(challenge: str) -> None:
    assert not pkce.is_valid_challenge(challenge)
