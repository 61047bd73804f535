"""The SDK's public surface: what `from twofold.sdk import ...` promises (httpx-style guard)."""

from __future__ import annotations

import twofold.sdk


def test_the_public_names_are_exactly_these() -> None:
    assert sorted(twofold.sdk.__all__) == [
        "BearerError",
        "MULTI_FACTOR_ACR",
        "MfaRequired",
        "Requirement",
        "TokenClaims",
        "TwofoldAuth",
        "TwofoldClient",
        "TwofoldError",
    ]
    assert all(hasattr(twofold.sdk, name) for name in twofold.sdk.__all__)
