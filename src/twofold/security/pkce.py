"""Proof Key for Code Exchange (RFC 7636): the verifier's shape and the S256 check.

Only `S256` exists here (ADR 006): `plain` proves nothing when the challenge leaks.
"""

from __future__ import annotations

import base64
import hashlib
import re

from twofold.security import compare

S256 = "S256"
VERIFIER_SHAPE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
"""RFC 7636 section 4.1: 43 to 128 unreserved characters."""
CHALLENGE_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
"""BASE64URL(SHA256(verifier)) without padding is always 43 characters (section 4.2)."""


def is_valid_verifier(verifier: str) -> bool:
    return bool(VERIFIER_SHAPE.fullmatch(verifier))


def is_valid_challenge(challenge: str) -> bool:
    return bool(CHALLENGE_SHAPE.fullmatch(challenge))


def s256(verifier: str) -> str:
    """The challenge a verifier answers: BASE64URL-ENCODE(SHA256(ASCII(verifier))). A valid
    verifier is ASCII, where UTF-8 is the same bytes; UTF-8 keeps this total for any text."""
    digest = hashlib.sha256(verifier.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verifies(verifier: str, challenge: str) -> bool:
    """Section 4.6, compared in constant time; False for a verifier of the wrong shape."""
    if not is_valid_verifier(verifier):
        return False
    return compare.equal(s256(verifier), challenge)
