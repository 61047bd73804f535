"""Enrolment: `/mfa/associate` starts one; the first valid code confirms it (verification.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from twofold.audit import events
from twofold.domain import Authenticator
from twofold.errors import AccessDeniedError, InvalidRequestError, NotFoundError
from twofold.factors.base import FactorContext
from twofold.flows.mfa_state import MfaCaller
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.sealing import seal
from twofold.flows.tenant import enabled_factors
from twofold.security import tokens
from twofold.store.uow import Tx
from twofold.types import AuthenticatorId, AuthenticatorStatus, FactorType

ID_PREFIX = {FactorType.OTP: "totp", FactorType.RECOVERY_CODE: "recovery-code"}


@dataclass(frozen=True, slots=True)
class Association:
    authenticator_types: tuple[str, ...]
    oob_channels: tuple[str, ...] = ()


def _has_confirmed_factor(items: list[Authenticator]) -> bool:
    return any(
        a.status == AuthenticatorStatus.ACTIVE and a.type != FactorType.RECOVERY_CODE for a in items
    )


async def associate(
    rt: Runtime, tx: Tx, caller: MfaCaller, request: Association, info: RequestInfo
) -> dict[str, Any]:
    """Start an enrolment; the first one also issues the user's recovery code (shown once)."""
    caller.require("enroll")
    if request.authenticator_types != ("otp",):
        raise InvalidRequestError(
            'authenticator_types must be ["otp"]; other factors are not enabled on this tenant.'
        )
    if not (await enabled_factors(tx)).get("otp", False):
        raise AccessDeniedError("The otp factor is disabled for this tenant.")
    user = await tx.users.get(caller.user_id)
    if user is None:
        raise NotFoundError("The user no longer exists.")
    existing = await tx.authenticators.for_user(user.id)
    if caller.transaction is not None and _has_confirmed_factor(existing):
        raise AccessDeniedError("User is already enrolled.")
    now = rt.clock.now()
    ctx = FactorContext(
        now=now, tenant_name=rt.settings.tenant_name, account_name=user.email, otp=rt.settings.otp
    )
    enrolment = await rt.factors[FactorType.OTP].begin_enrolment(ctx)
    await tx.authenticators.delete_for_user(
        user.id, types=(FactorType.OTP,), status=AuthenticatorStatus.PENDING
    )
    authenticator_id = AuthenticatorId(tokens.new_authenticator_id(ID_PREFIX[FactorType.OTP]))
    secret, key_id = seal(rt, authenticator_id, enrolment.state.secret)
    await tx.authenticators.add(
        Authenticator(
            id=authenticator_id,
            user_id=user.id,
            type=FactorType.OTP,
            status=AuthenticatorStatus.PENDING,
            name=None,
            created_at=now,
            secret=secret,
            params=dict(enrolment.state.params),
            last_step=-1,
        ),
        key_id=key_id,
    )
    body: dict[str, Any] = {"authenticator_type": "otp", **enrolment.display}
    has_recovery = any(
        a.type == FactorType.RECOVERY_CODE and a.status == AuthenticatorStatus.ACTIVE
        for a in existing
    )
    if not has_recovery:
        body["recovery_codes"] = [await _pending_recovery_code(rt, tx, user.id)]
    body["id"] = authenticator_id
    tx.record(
        events.EnrolmentStarted(
            user_id=user.id,
            client_id=caller.client_id,
            ip=info.ip,
            user_agent=info.user_agent,
            authenticator_id=authenticator_id,
            factor="otp",
        ).entry()
    )
    return body


async def _pending_recovery_code(rt: Runtime, tx: Tx, user_id: str) -> str:
    """Replace any unconfirmed recovery code; it becomes active with the first factor."""
    await tx.authenticators.delete_for_user(
        user_id, types=(FactorType.RECOVERY_CODE,), status=AuthenticatorStatus.PENDING
    )
    code, code_hash = rt.recovery.new_code()
    await tx.authenticators.add(
        Authenticator(
            id=AuthenticatorId(tokens.new_authenticator_id(ID_PREFIX[FactorType.RECOVERY_CODE])),
            user_id=user_id,  # type: ignore[arg-type]
            type=FactorType.RECOVERY_CODE,
            status=AuthenticatorStatus.PENDING,
            name=None,
            created_at=rt.clock.now(),
            secret_hash=code_hash,
        ),
        key_id=None,
    )
    return code
