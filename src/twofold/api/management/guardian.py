"""`/api/v2/guardian`: which factors the tenant enables, and when MFA is required."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path

from twofold.api.deps import RuntimeDep
from twofold.api.management.auth import Caller, require_scope
from twofold.api.schemas.common import errors
from twofold.api.schemas.management import (
    FactorOut,
    FactorState,
    FactorUpdate,
    Policy,
    WebauthnFactorSettingsOut,
    WebauthnFactorSettingsUpdate,
)
from twofold.flows import management, webauthn_settings

router = APIRouter(prefix="/guardian")


@router.get("/factors", response_model=list[FactorOut], responses=errors(401, 403))
async def factors(
    rt: RuntimeDep, _caller: Annotated[Caller, require_scope("read:guardian_factors")]
) -> list[dict[str, Any]]:
    """Every Auth0 factor name; `push-notification` and `duo` cannot be enabled yet."""
    return await management.guardian_factors(rt)


@router.put("/factors/{name}", response_model=FactorState, responses=errors(400, 401, 403, 404))
async def set_factor(
    name: Annotated[str, Path(description="An Auth0 factor name, e.g. `otp`.")],
    body: FactorUpdate,
    rt: RuntimeDep,
    caller: Annotated[Caller, require_scope("update:guardian_factors")],
) -> dict[str, bool]:
    """Enable or disable a factor (audited). Enabling one Twofold does not implement is a
    400; an unknown name is a 404."""
    enabled = await management.set_guardian_factor(
        rt, name, enabled=body.enabled, actor=caller.subject
    )
    return {"enabled": enabled}


WebauthnFactorName = Annotated[
    str, Path(description="`webauthn-roaming` or `webauthn-platform`; any other name is a 404.")
]


@router.get(
    "/factors/{name}/settings",
    response_model=WebauthnFactorSettingsOut,
    responses=errors(401, 403, 404),
)
async def factor_settings(
    name: WebauthnFactorName,
    rt: RuntimeDep,
    _caller: Annotated[Caller, require_scope("read:guardian_factors")],
) -> dict[str, Any]:
    """A WebAuthn factor's settings in effect: the override set here, else configuration."""
    return await webauthn_settings.guardian_factor_settings(rt, name)


@router.put(
    "/factors/{name}/settings",
    response_model=WebauthnFactorSettingsOut,
    responses=errors(400, 401, 403, 404),
)
async def set_factor_settings(
    name: WebauthnFactorName,
    body: WebauthnFactorSettingsUpdate,
    rt: RuntimeDep,
    caller: Annotated[Caller, require_scope("update:guardian_factors")],
) -> dict[str, Any]:
    """Replace a WebAuthn factor's settings (audited); a member left out follows
    configuration. Applies to the next ceremony on every node."""
    return await webauthn_settings.set_guardian_factor_settings(
        rt,
        name,
        user_verification=body.user_verification,
        resident_key=body.resident_key,
        actor=caller.subject,
    )


@router.get("/policies", response_model=list[Policy], responses=errors(401, 403))
async def policies(
    rt: RuntimeDep, _caller: Annotated[Caller, require_scope("read:mfa_policies")]
) -> list[str]:
    """`[]` never, `["all-applications"]` always, `["confidence-score"]` adaptive."""
    return await management.mfa_policies(rt)


@router.put("/policies", response_model=list[Policy], responses=errors(400, 401, 403))
async def set_policies(
    body: Annotated[list[Policy], Body(max_length=1)],
    rt: RuntimeDep,
    caller: Annotated[Caller, require_scope("update:mfa_policies")],
) -> list[str]:
    """Set the tenant policy (audited): `confidence-score` is Adaptive MFA, which asks for
    MFA only when the login's risk assessment gives low confidence (docs/policies.md)."""
    return await management.set_mfa_policies(rt, list(body), actor=caller.subject)
