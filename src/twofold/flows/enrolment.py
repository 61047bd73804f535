"""Enrolment: `/mfa/associate` and the hosted pages start one; the first valid code confirms
it (verification.py for the API, hosted_mfa.py for the pages)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from twofold.audit import events
from twofold.domain import Authenticator, JsonObject, MfaTransaction, User
from twofold.errors import AccessDeniedError, InvalidRequestError, NotFoundError
from twofold.factors.base import Enrolment
from twofold.flows.attempts import factor_context, on_authenticator
from twofold.flows.mfa_state import MfaCaller
from twofold.flows.policy_check import allowed, check_allowed
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.sealing import seal
from twofold.flows.tenant import enabled_types
from twofold.security import tokens
from twofold.store.uow import Tx
from twofold.types import AuthenticatorId, AuthenticatorStatus, FactorType, UserId

ID_PREFIX = {FactorType.OTP: "totp", FactorType.RECOVERY_CODE: "recovery-code"}


@dataclass(frozen=True, slots=True)
class Association:
    authenticator_types: tuple[str, ...]
    oob_channels: tuple[str, ...] = ()


def has_confirmed_factor(items: list[Authenticator], *, state: JsonObject | None = None) -> bool:
    """Whether the user has an active factor; under a sign-in policy that accepts only some
    factor types (`state`, a rule's `factors`), only those count, so a user whose factors
    are all refused by it may enrol one that is accepted."""
    return any(
        a.status == AuthenticatorStatus.ACTIVE
        and a.type != FactorType.RECOVERY_CODE
        and allowed(state, a.type)
        for a in items
    )


def check_first_enrolment(
    transaction: MfaTransaction | None, factor: FactorType, items: list[Authenticator]
) -> None:
    """An `mfa_token` enrols only the user's first factor (Auth0's rule), and only of a
    type its sign-in policy accepts; an access token with `enroll` is not limited here."""
    if transaction is None:
        return
    check_allowed(transaction.policy, factor)
    if has_confirmed_factor(items, state=transaction.policy):
        raise AccessDeniedError("User is already enrolled.")


async def require_enabled(tx: Tx, factor_type: FactorType) -> None:
    if factor_type not in await enabled_types(tx):
        raise AccessDeniedError(f"The {factor_type.value} factor is disabled for this tenant.")


async def associate(
    rt: Runtime, tx: Tx, caller: MfaCaller, request: Association, info: RequestInfo
) -> dict[str, Any]:
    """Start an enrolment; the first one also issues the user's recovery code (shown once)."""
    caller.require("enroll")
    if request.authenticator_types != ("otp",):
        raise InvalidRequestError('authenticator_types must be ["otp"] or ["oob"].')
    await require_enabled(tx, FactorType.OTP)
    user = await tx.users.get(caller.user_id)
    if user is None:
        raise NotFoundError("The user no longer exists.")
    existing = await tx.authenticators.for_user(user.id)
    check_first_enrolment(caller.transaction, FactorType.OTP, existing)
    pending, enrolment = await begin_enrolment(
        rt, tx, user, FactorType.OTP, info, client_id=caller.client_id
    )
    body: dict[str, Any] = {"authenticator_type": "otp", **enrolment.display}
    has_recovery = any(
        a.type == FactorType.RECOVERY_CODE and a.status == AuthenticatorStatus.ACTIVE
        for a in existing
    )
    if not has_recovery:
        # Auth0 shows the code now; it becomes active with the first confirmed factor.
        body["recovery_codes"] = [await issue_recovery_code(rt, tx, user.id, active=False)]
    body["id"] = pending.id
    return body


async def begin_enrolment(
    rt: Runtime,
    tx: Tx,
    user: User,
    factor_type: FactorType,
    info: RequestInfo,
    *,
    client_id: str | None,
) -> tuple[Authenticator, Enrolment]:
    """A new pending authenticator, replacing any unconfirmed one of the same type; its
    secret sealed to its id. The caller has checked the factor is enabled."""
    now = rt.clock.now()
    enrolment = await rt.factors[factor_type].begin_enrolment(factor_context(rt, user))
    await tx.authenticators.delete_for_user(
        user.id, types=(factor_type,), status=AuthenticatorStatus.PENDING
    )
    authenticator_id = AuthenticatorId(tokens.new_authenticator_id(ID_PREFIX[factor_type]))
    secret, key_id = seal(rt, authenticator_id, enrolment.state.secret)
    pending = Authenticator(
        id=authenticator_id,
        user_id=user.id,
        type=factor_type,
        status=AuthenticatorStatus.PENDING,
        name=None,
        created_at=now,
        secret=secret,
        params=dict(enrolment.state.params),
        last_step=enrolment.state.last_step,
    )
    await tx.authenticators.add(pending, key_id=key_id)
    tx.record(on_authenticator(events.EnrolmentStarted, pending, client_id=client_id, info=info))
    return pending, enrolment


async def issue_recovery_code(rt: Runtime, tx: Tx, user_id: str, *, active: bool) -> str:
    """A new recovery code for the user, returned once and stored hashed.

    `active=False` replaces only an unconfirmed code (the API shows it at `/mfa/associate`;
    it becomes active with the first factor); `active=True` replaces whatever the user had.
    """
    now = rt.clock.now()
    await tx.authenticators.delete_for_user(
        user_id,
        types=(FactorType.RECOVERY_CODE,),
        status=None if active else AuthenticatorStatus.PENDING,
    )
    code, code_hash = rt.recovery.new_code()
    await tx.authenticators.add(
        Authenticator(
            id=AuthenticatorId(tokens.new_authenticator_id(ID_PREFIX[FactorType.RECOVERY_CODE])),
            user_id=UserId(user_id),
            type=FactorType.RECOVERY_CODE,
            status=AuthenticatorStatus.ACTIVE if active else AuthenticatorStatus.PENDING,
            name=None,
            created_at=now,
            confirmed_at=now if active else None,
            secret_hash=code_hash,
        ),
        key_id=None,
    )
    return code
