"""Second factor: the `mfa-otp` and `mfa-recovery-code` grants, and the steps every MFA grant
shares (oob_verification.py uses them for `mfa-oob`).

A failed attempt still commits what it must (the transaction's failure count, the audit
event) before the error is raised, so guessing is counted even though the request fails.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from twofold.audit import events
from twofold.domain import Application, Authenticator, MfaTransaction, User
from twofold.errors import (
    InvalidGrantError,
    InvalidOtpError,
    InvalidRecoveryCodeError,
    InvalidRequestError,
    NotFoundError,
    TwofoldError,
)
from twofold.factors.push.state import is_active_push
from twofold.flows.attempts import (
    active_recovery_code,
    check_limits,
    count_failure,
    on_authenticator,
    otp_key,
    record_wrong_code,
    recovered,
    recovery_key,
    use_recovery_code,
    verify_code,
)
from twofold.flows.challenge import open_for_client
from twofold.flows.grants import GrantType
from twofold.flows.policy_check import allowed, check_allowed, record_success
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.tokens import TokenSet, mint
from twofold.store.uow import Tx
from twofold.types import Amr, AuthenticatorStatus, FactorType


@dataclass(frozen=True, slots=True)
class SecondFactor:
    client_id: str | None
    client_secret: str | None
    mfa_token: str | None
    response: str | None
    """The `otp` or the `recovery_code` parameter."""


def _candidates(items: list[Authenticator]) -> list[Authenticator]:
    """OTP authenticators (and push devices) that may answer: active ones first, then
    pending enrolments.

    A pending one is confirmed by its first valid code, whether it is the user's first
    (enrolled with the mfa_token) or a further one (enrolled with an `enroll` access token).
    """
    otp = [a for a in items if a.type == FactorType.OTP]
    active = [a for a in otp if a.status == AuthenticatorStatus.ACTIVE]
    # A push device's offline codes count like an app's; it is confirmed by registering only.
    active += [a for a in items if is_active_push(a)]
    return active + [a for a in otp if a.status == AuthenticatorStatus.PENDING]


class BearerGrant(Protocol):
    """A second-factor grant: the client's credentials and the `mfa_token` it holds."""

    @property
    def client_id(self) -> str | None: ...

    @property
    def client_secret(self) -> str | None: ...

    @property
    def mfa_token(self) -> str | None: ...


async def open_grant(
    rt: Runtime,
    tx: Tx,
    grant: BearerGrant,
    *,
    grant_type: GrantType,
    limit_key: Callable[[str], str],
    info: RequestInfo,
) -> tuple[Application, MfaTransaction, User, list[Authenticator]]:
    """What the code-answered grants start with: `open_bearer`, then a refusal when the user's
    or the IP's bucket is empty."""
    application, transaction, user, items = await open_bearer(rt, tx, grant, grant_type=grant_type)
    await check_limits(rt, limit_key(user.id), info)
    return application, transaction, user, items


async def open_bearer(
    rt: Runtime, tx: Tx, grant: BearerGrant, *, grant_type: GrantType
) -> tuple[Application, MfaTransaction, User, list[Authenticator]]:
    """What every second-factor grant starts with: the client and its `mfa_token`, the user
    and their authenticators. Each grant then checks its own factor's limits."""
    application, transaction = await open_for_client(
        rt,
        tx,
        client_id=grant.client_id,
        client_secret=grant.client_secret,
        mfa_token=grant.mfa_token,
        grant_type=grant_type,
    )
    user, items = await user_of(tx, transaction)
    return application, transaction, user, items


async def otp_grant(rt: Runtime, grant: SecondFactor, info: RequestInfo) -> TokenSet:
    if not grant.response:
        raise InvalidRequestError("Missing required parameter: otp")
    code = grant.response
    failure: TwofoldError | None = None
    async with rt.store.transaction() as tx:
        application, transaction, user, items = await open_grant(
            rt, tx, grant, grant_type=GrantType.MFA_OTP, limit_key=otp_key, info=info
        )
        verified = await verify_code(rt, tx, user, _candidates(items), code)
        if verified is None:
            failure = InvalidOtpError()
            await record_failure(rt, tx, transaction, info, factor="otp")
        else:
            matched, _ = verified
            await consume(tx, transaction)
            if matched.status == AuthenticatorStatus.PENDING:
                await activate_recovery_code(rt, tx, items)
                tx.record(
                    on_authenticator(
                        events.EnrolmentCompleted,
                        matched,
                        client_id=application.client_id,
                        info=info,
                    )
                )
            await succeed(rt, tx, transaction, info, authenticator=matched)
    if failure is not None:
        await count_failure(rt, otp_key(transaction.user_id), info, factor="otp")
        raise failure
    return mint_for_step(
        rt, transaction, user=user, client_id=application.client_id, amr=(Amr.OTP.value,)
    )


async def recovery_grant(rt: Runtime, grant: SecondFactor, info: RequestInfo) -> TokenSet:
    if not grant.response:
        raise InvalidRequestError("Missing required parameter: recovery_code")
    failure: TwofoldError | None = None
    async with rt.store.transaction() as tx:
        application, transaction, user, items = await open_grant(
            rt, tx, grant, grant_type=GrantType.MFA_RECOVERY_CODE, limit_key=recovery_key, info=info
        )
        stored = active_recovery_code(items)
        new_code = await use_recovery_code(rt, tx, stored, grant.response)
        if stored is None or new_code is None:
            failure = InvalidRecoveryCodeError()
            await record_failure(rt, tx, transaction, info, factor="recovery-code")
        else:
            await consume(tx, transaction)
            tx.record(recovered(stored, client_id=application.client_id, info=info))
            await record_success(
                rt, tx, user_id=user.id, ip=transaction.ip, state=transaction.policy
            )
    if failure is not None:
        await count_failure(rt, recovery_key(transaction.user_id), info, factor="recovery-code")
        raise failure
    tokens = mint_for_step(rt, transaction, user=user, client_id=application.client_id, amr=())
    return TokenSet(
        access_token=tokens.access_token,
        expires_in=tokens.expires_in,
        scope=tokens.scope,
        id_token=tokens.id_token,
        recovery_code=new_code,
    )


def mint_for_step(
    rt: Runtime,
    transaction: MfaTransaction,
    *,
    user: User,
    client_id: str,
    amr: Sequence[str],
) -> TokenSet:
    """Tokens for a passed second factor: the audience, scope and sign-in time the `mfa_token`
    carried, its `amr` with the factor's own and `mfa`. Called after the commit: no tokens for
    a step that did not persist, and the CPU-heavy signatures run outside the transaction (on
    SQLite, outside the one write lock)."""
    return mint(
        rt,
        user=user,
        client_id=client_id,
        audience=transaction.audience or rt.settings.userinfo_audience,
        scope=transaction.scope or "",
        amr=(*transaction.amr, *amr, Amr.MFA.value),
        auth_time=transaction.auth_time,
    )


async def user_of(tx: Tx, transaction: MfaTransaction) -> tuple[User, list[Authenticator]]:
    """The transaction's user and the authenticators it may answer with (one query): all of
    them, unless its sign-in policy accepts only some factor types (`policy_check.allowed`);
    the others do not exist for this `mfa_token`."""
    user, items = await tx.users.with_authenticators(transaction.user_id)
    if user is None:
        raise NotFoundError("The user no longer exists.")
    return user, [item for item in items if allowed(transaction.policy, item.type)]


async def activate_recovery_code(rt: Runtime, tx: Tx, items: list[Authenticator]) -> None:
    """Confirm the pending recovery code among the authenticators the grant already read."""
    for item in items:
        if item.type == FactorType.RECOVERY_CODE and item.status == AuthenticatorStatus.PENDING:
            await tx.authenticators.activate(item.id, now=rt.clock.now())


async def consume(tx: Tx, transaction: MfaTransaction) -> None:
    if not await tx.transactions.consume(transaction.id):
        raise InvalidGrantError("mfa_token has already been used.")


async def succeed(
    rt: Runtime,
    tx: Tx,
    transaction: MfaTransaction,
    info: RequestInfo,
    *,
    authenticator: Authenticator,
) -> None:
    # Every factor's success passes here: a factor the sign-in policy does not accept never
    # completes the login, however it was reached (the grants only see accepted ones).
    check_allowed(transaction.policy, authenticator.type)
    await record_success(
        rt, tx, user_id=transaction.user_id, ip=transaction.ip, state=transaction.policy
    )
    tx.record(
        on_authenticator(
            events.MfaSucceeded, authenticator, client_id=transaction.client_id, info=info
        )
    )


async def record_failure(
    rt: Runtime, tx: Tx, transaction: MfaTransaction, info: RequestInfo, *, factor: str
) -> None:
    failures = await tx.transactions.add_failure(transaction.id)
    record_wrong_code(
        tx,
        user_id=transaction.user_id,
        client_id=transaction.client_id,
        info=info,
        factor=factor,
        failures=failures,
    )
    record_exhaustion(rt, tx, transaction, info, failures=failures)


def record_exhaustion(
    rt: Runtime, tx: Tx, transaction: MfaTransaction, info: RequestInfo, *, failures: int
) -> None:
    """`MfaTokenExhausted` when this failure is the one that reaches the `mfa_token`'s cap:
    the cap holds for every second factor, so each grant's failure ends through here."""
    if failures == rt.settings.limits.mfa_token_failures:
        tx.record(
            events.MfaTokenExhausted(
                user_id=transaction.user_id,
                client_id=transaction.client_id,
                ip=info.ip,
                user_agent=info.user_agent,
            ).entry()
        )
