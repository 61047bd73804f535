"""Decide whether a login needs MFA. Tenant-level only for now; rules refine it later."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from twofold.errors import InvalidRequestError


class TenantPolicy(StrEnum):
    """Auth0's `guardian/policies` values; an empty list means never."""

    ALWAYS = "all-applications"
    ADAPTIVE = "confidence-score"


POLICY_KEY = "mfa_policies"
DEFAULT_POLICIES: tuple[str, ...] = (TenantPolicy.ALWAYS.value,)


@dataclass(frozen=True, slots=True)
class Decision:
    mfa_required: bool
    reasons: tuple[str, ...]


def validate_policies(value: object) -> list[str]:
    """Auth0 accepts at most one policy: [], ["all-applications"] or ["confidence-score"]."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidRequestError("Policies must be an array of strings.")
    if len(value) > 1:
        raise InvalidRequestError("At most one MFA policy can be set.")
    allowed = {policy.value for policy in TenantPolicy}
    for item in value:
        if item not in allowed:
            raise InvalidRequestError(f"Unknown MFA policy: {item[:40]}")
    return list(value)


def decide(policies: tuple[str, ...]) -> Decision:
    """`always` requires MFA and `never` (`[]`) does not, as in Auth0.

    Adaptive (`confidence-score`) is stored but not yet assessed, so it fails closed: MFA.
    TODO(#6): risk assessment for the adaptive policy.
    """
    if TenantPolicy.ALWAYS.value in policies:
        return Decision(True, ("tenant policy: always",))
    if TenantPolicy.ADAPTIVE.value in policies:
        return Decision(True, ("tenant policy: adaptive (not yet assessed: fail closed)",))
    return Decision(False, ("tenant policy: never",))
