"""What each WebAuthn factor asks of authenticators right now (flows layer): configuration
(`TWOFOLD_WEBAUTHN__ROAMING__*`, `__PLATFORM__*`), overridden per factor through the
Management API's `/guardian/factors/{name}/settings` and kept in `tenant_settings`.

Every ceremony reads them in its own transaction, so a change applies, on every node, to the
next options handed out and to every answer checked after it. The RP ID is not among them:
credentials are bound to it, so it stays deployment configuration (ADR 008).
"""

from __future__ import annotations

from twofold.audit import events
from twofold.config import WebauthnFactorSettings, WebauthnRequirement, WebauthnSettings
from twofold.domain import JsonObject
from twofold.errors import NotFoundError
from twofold.factors.registry import FACTOR_NAMES
from twofold.flows.runtime import Runtime
from twofold.flows.webauthn_state import WEBAUTHN_TYPES
from twofold.store.uow import Tx
from twofold.types import FactorType

API_NAMES = {"user_verification": "userVerification", "resident_key": "residentKey"}
"""Stored (configuration's) names and the Management API's camelCase ones, as Auth0 writes
its factor settings."""


def settings_key(factor: FactorType) -> str:
    """The `tenant_settings` key of a factor's override, beside its enable switch's name."""
    return f"guardian.factors.{factor.value}.settings"


def configured(settings: WebauthnSettings, factor: FactorType) -> WebauthnFactorSettings:
    return settings.platform if factor == FactorType.WEBAUTHN_PLATFORM else settings.roaming


async def factor_settings(rt: Runtime, tx: Tx, factor: FactorType) -> WebauthnFactorSettings:
    """The factor's settings in effect: the stored override's members over configuration's.
    The one place ceremonies learn what user verification and resident key to ask for."""
    base = configured(rt.settings.webauthn, factor)
    stored = await tx.tenant.get(settings_key(factor))
    if not stored:
        return base
    return WebauthnFactorSettings.model_validate(base.model_dump() | stored)


def for_factor(
    settings: WebauthnSettings, factor: FactorType, chosen: WebauthnFactorSettings
) -> WebauthnSettings:
    """Configuration with `chosen` as `factor`'s settings: what the factor layer takes (it
    picks roaming or platform itself and never reads the store)."""
    field = "platform" if factor == FactorType.WEBAUTHN_PLATFORM else "roaming"
    return settings.model_copy(update={field: chosen})


def as_json(chosen: WebauthnFactorSettings) -> JsonObject:
    return {API_NAMES[name]: value for name, value in chosen.model_dump().items()}


def webauthn_factor(name: str) -> FactorType:
    """The factor `name` names, or 404: an unknown name, or a factor without these settings."""
    if name not in FACTOR_NAMES:
        raise NotFoundError("The factor does not exist.")
    factor = next((factor for factor in WEBAUTHN_TYPES if factor.value == name), None)
    if factor is None:
        raise NotFoundError(f"The {name} factor has no settings here.")
    return factor


async def guardian_factor_settings(rt: Runtime, name: str) -> JsonObject:
    factor = webauthn_factor(name)
    async with rt.store.read() as tx:
        return as_json(await factor_settings(rt, tx, factor))


async def set_guardian_factor_settings(
    rt: Runtime,
    name: str,
    *,
    user_verification: WebauthnRequirement | None,
    resident_key: WebauthnRequirement | None,
    actor: str,
) -> JsonObject:
    """Replace the factor's override (audited) and answer the settings now in effect: a
    setting left out (None) follows configuration, so none at all returns the factor to it.
    A registration started earlier is still held to `required` user verification if the
    factor asks for it when the answer arrives."""
    factor = webauthn_factor(name)
    override = {
        key: requirement
        for key, requirement in (
            ("user_verification", user_verification),
            ("resident_key", resident_key),
        )
        if requirement is not None
    }
    async with rt.store.transaction() as tx:
        await tx.tenant.put(settings_key(factor), override)
        tx.record(
            events.TenantUpdate(
                actor=actor,
                setting=settings_key(factor),
                value={API_NAMES[key]: requirement for key, requirement in override.items()},
            ).entry()
        )
        return as_json(await factor_settings(rt, tx, factor))
