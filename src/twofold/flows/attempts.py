"""Checking one answer to a second factor, shared by the MFA API grants and the hosted pages:
the attempt limits, the verification with its single-use write, and counting a failure.

Both doors call these, so a guess costs the same from either: one per-user bucket per
factor and one per-IP bucket, holding across nodes (ARCHITECTURE.md invariant 3).
"""

from __future__ import annotations

from collections.abc import Sequence

from twofold.audit import events
from twofold.domain import AuditEntry, Authenticator, User
from twofold.errors import InvalidGrantError, InvalidRecoveryCodeError
from twofold.factors.base import FactorContext, FactorState, Verification
from twofold.factors.push.state import DeviceSecret, is_push
from twofold.flows.login import ip_key
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.sealing import unseal
from twofold.store.uow import Tx
from twofold.types import AuthenticatorStatus, FactorType

RECOVERY = FactorType.RECOVERY_CODE.value


def otp_key(user_id: str) -> str:
    return f"otp:{user_id}"


def recovery_key(user_id: str) -> str:
    return f"rc:{user_id}"


def limit_key(factor: str, user_id: str) -> str:
    """The per-user bucket a wrong answer to `factor` is charged to."""
    return recovery_key(user_id) if factor == RECOVERY else otp_key(user_id)


def factor_context(rt: Runtime, user: User) -> FactorContext:
    return FactorContext(
        now=rt.clock.now(),
        tenant_name=rt.settings.tenant_name,
        account_name=user.email,
        otp=rt.settings.otp,
    )


async def check_limits(rt: Runtime, factor_key: str, info: RequestInfo) -> None:
    """Raise TooManyAttemptsError while the user's bucket or the caller's IP is exhausted."""
    limits = rt.settings.limits
    bucket = limits.recovery_failures if factor_key.startswith("rc:") else limits.otp_failures
    await rt.limiter.check(
        [(factor_key, bucket), (ip_key(info.ip), limits.token_endpoint_per_ip)], now=rt.clock.now()
    )


async def verify_code(
    rt: Runtime, tx: Tx, user: User, candidates: Sequence[Authenticator], code: str
) -> tuple[Authenticator, Verification] | None:
    """The authenticator that accepted `code` (its time step now spent) and what it proved;
    None if none did. A pending candidate becomes active with its first valid code."""
    ctx = factor_context(rt, user)
    for candidate in candidates:
        if candidate.secret is None:
            continue
        secret = unseal(rt, candidate.id, candidate.secret)
        factor_type = candidate.type
        if is_push(candidate):
            # A push device also shows TOTP codes from its sealed seed (decisions/010).
            secret, factor_type = DeviceSecret.from_bytes(secret).seed, FactorType.OTP
        state = FactorState(secret=secret, params=candidate.params, last_step=candidate.last_step)
        try:
            verification = await rt.factors[factor_type].verify(ctx, state, code)
        except InvalidGrantError:  # the factor's typed "wrong answer" error
            continue
        if verification.last_step is None:
            continue
        # The conditional update is the single-use guarantee across nodes (RFC 6238 5.2).
        if await tx.authenticators.use_step(
            candidate.id,
            step=verification.last_step,
            now=ctx.now,
            activate=candidate.status == AuthenticatorStatus.PENDING,
        ):
            return candidate, verification
    return None


async def use_recovery_code(
    rt: Runtime, tx: Tx, stored: Authenticator | None, response: str
) -> str | None:
    """Spend the code and return the user's next one; None when the code is wrong."""
    if stored is None or stored.secret_hash is None:
        return None
    try:
        rt.recovery.check(stored.secret_hash, response)
    except InvalidRecoveryCodeError:
        return None
    code, code_hash = rt.recovery.new_code()
    swapped = await tx.authenticators.swap_secret_hash(
        stored.id, old=stored.secret_hash, new=code_hash, now=rt.clock.now()
    )
    return code if swapped else None


def active_recovery_code(items: Sequence[Authenticator]) -> Authenticator | None:
    return next(
        (
            a
            for a in items
            if a.type == FactorType.RECOVERY_CODE and a.status == AuthenticatorStatus.ACTIVE
        ),
        None,
    )


AuthenticatorEvent = (
    type[events.MfaSucceeded] | type[events.EnrolmentStarted] | type[events.EnrolmentCompleted]
)


def on_authenticator(
    event_type: AuthenticatorEvent,
    authenticator: Authenticator,
    *,
    client_id: str | None,
    info: RequestInfo,
) -> AuditEntry:
    return event_type(
        user_id=authenticator.user_id,
        client_id=client_id,
        ip=info.ip,
        user_agent=info.user_agent,
        authenticator_id=authenticator.id,
        factor=authenticator.type.value,
    ).entry()


def recovered(stored: Authenticator, *, client_id: str | None, info: RequestInfo) -> AuditEntry:
    return events.RecoverySucceeded(
        user_id=stored.user_id,
        client_id=client_id,
        ip=info.ip,
        user_agent=info.user_agent,
        authenticator_id=stored.id,
    ).entry()


def record_wrong_code(
    tx: Tx,
    *,
    user_id: str,
    client_id: str | None,
    info: RequestInfo,
    factor: str,
    failures: int,
) -> None:
    event_type = events.RecoveryFailed if factor == RECOVERY else events.MfaFailed
    tx.record(
        event_type(
            user_id=user_id,
            client_id=client_id,
            ip=info.ip,
            user_agent=info.user_agent,
            factor=factor,
            failures=failures,
        ).entry()
    )


async def count_failure(rt: Runtime, factor_key: str, info: RequestInfo, *, factor: str) -> None:
    """Charge the per-user and per-IP buckets; audit the block the moment one fills."""
    now = rt.clock.now()
    limits = rt.settings.limits
    bucket = limits.recovery_failures if factor == RECOVERY else limits.otp_failures
    blocked = await rt.limiter.fail(factor_key, bucket, now=now)
    await rt.limiter.fail(ip_key(info.ip), limits.token_endpoint_per_ip, now=now)
    if blocked:
        user_id = factor_key.split(":", 1)[1]
        event_type = (
            events.RecoveryRateLimitExceeded if factor == RECOVERY else events.OtpRateLimitExceeded
        )
        async with rt.store.transaction() as tx:
            tx.record(event_type(user_id=user_id, ip=info.ip, user_agent=info.user_agent).entry())
