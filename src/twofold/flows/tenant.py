"""Tenant settings as flows read them (policies, enabled factors)."""

from __future__ import annotations

from twofold.config import PolicySettings
from twofold.factors.registry import FACTOR_NAMES
from twofold.policy.engine import POLICY_KEY, TenantPolicy
from twofold.store.uow import Tx
from twofold.types import FactorType

CONFIGURED_POLICIES: dict[str, tuple[str, ...]] = {
    "never": (),
    "always": (TenantPolicy.ALWAYS.value,),
    "adaptive": (TenantPolicy.ADAPTIVE.value,),
}
"""`TWOFOLD_POLICY__MFA` as the Management API's `guardian/policies` list."""


async def current_policies(tx: Tx, settings: PolicySettings) -> tuple[str, ...]:
    """The stored policy (set through the Management API), else the configured one."""
    stored = await tx.tenant.get(POLICY_KEY)
    return CONFIGURED_POLICIES[settings.mfa] if stored is None else tuple(stored)


DEFAULT_FACTORS = {"otp": True, "recovery-code": True, "sms": False, "email": False}
"""OTP and recovery codes are on by default; SMS (with voice) and email are off, as in Auth0:
they cost money and need a provider configured first."""


async def enabled_factors(tx: Tx) -> dict[str, bool]:
    return DEFAULT_FACTORS | await tx.tenant.factor_overrides()


async def enabled_channels(tx: Tx) -> frozenset[str]:
    """Out-of-band channels the tenant has on: Guardian's `sms` factor carries voice calls too
    (Auth0 switches voice with the sms factor's message types), `email` only email, and
    `push-notification` push devices (`oob_channel` `auth0`)."""
    enabled = await enabled_factors(tx)
    channels = {"sms", "voice"} if enabled.get("sms", False) else set()
    if enabled.get("email", False):
        channels.add("email")
    if enabled.get("push-notification", False):
        channels.add("auth0")
    return frozenset(channels)


async def enabled_types(tx: Tx) -> set[FactorType]:
    """Authenticator types the tenant has switched on (Guardian names mapped to types)."""
    enabled = await enabled_factors(tx)
    return {
        factor.authenticator_type
        for name, factor in FACTOR_NAMES.items()
        if factor.implemented and enabled.get(name, False)
    }
