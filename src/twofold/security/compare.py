"""Constant-time comparison, so a wrong guess takes as long as an almost-right one."""

from __future__ import annotations

import hmac


def equal(a: str | bytes | None, b: str | bytes | None) -> bool:
    """True when both are present and equal; `None` never equals anything."""
    if a is None or b is None:
        return False
    left = a.encode() if isinstance(a, str) else a
    right = b.encode() if isinstance(b, str) else b
    return hmac.compare_digest(left, right)
