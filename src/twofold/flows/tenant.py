"""Tenant settings as flows read them (policies, enabled factors)."""

from __future__ import annotations

from twofold.policy.engine import DEFAULT_POLICIES, POLICY_KEY
from twofold.store.uow import Tx


async def current_policies(tx: Tx) -> tuple[str, ...]:
    stored = await tx.tenant.get(POLICY_KEY)
    return DEFAULT_POLICIES if stored is None else tuple(stored)


DEFAULT_FACTORS = {"otp": True, "recovery-code": True}
"""Factors Twofold implements are on by default; others appear as they land."""


async def enabled_factors(tx: Tx) -> dict[str, bool]:
    return DEFAULT_FACTORS | await tx.tenant.factor_overrides()
