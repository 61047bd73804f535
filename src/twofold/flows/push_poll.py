"""Polling the `mfa-oob` grant for a push (Auth0's behaviour, RFC 8628 section 3.5 errors).

A grant without `binding_code` whose `oob_code` names a push transaction or a push
enrolment lands here: `authorization_pending` (400) until the device answers or registers,
`slow_down` (400) past `polls_per_minute` polls of one handle, then tokens, `invalid_grant`
"MFA Authorization rejected." or `expired_token`. Poll counters are a conditional update on
the transaction's row (or, for an enrolment, the attempt limiter): global across nodes.

The tokens' `amr` adds RFC 8176 `swk`: the approval is a signature by a key the device holds
(proof of possession of a software-secured key; `hwk` would claim more than a server can tell
about a phone's key store), and `mfa_token`'s `pwd` plus `mfa` complete it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from twofold.config import Bucket
from twofold.domain import Application, Authenticator, MfaTransaction, User
from twofold.errors import (
    AuthorizationPendingError,
    InvalidGrantError,
    InvalidRequestError,
    OobCodeExpiredError,
    PushExpiredError,
    PushRejectedError,
    SlowDownError,
    TooManyAttemptsError,
    TwofoldError,
)
from twofold.flows.grants import GrantType
from twofold.flows.push_enrolment import EnrolmentPoll, enrolment_status
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.tokens import TokenSet
from twofold.flows.verification import (
    activate_recovery_code,
    consume,
    mint_for_step,
    open_bearer,
    succeed,
)
from twofold.security import tokens
from twofold.store.repos.push_transactions import APPROVED, EXPIRED, PENDING, PushTransaction
from twofold.store.uow import Tx
from twofold.types import Amr, AuthenticatorStatus

POLL_WINDOW = dt.timedelta(minutes=1)
AMR = (Amr.SWK.value,)


class PushPoll(Protocol):
    """The `mfa-oob` grant's fields a poll reads (oob_verification.OobAnswer has them)."""

    @property
    def client_id(self) -> str | None: ...

    @property
    def client_secret(self) -> str | None: ...

    @property
    def mfa_token(self) -> str | None: ...

    @property
    def oob_code(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class _Opened:
    application: Application
    transaction: MfaTransaction
    user: User
    items: list[Authenticator]
    push: PushTransaction | None
    enrolment: EnrolmentPoll | None


async def _open(rt: Runtime, tx: Tx, grant: PushPoll, handle: str) -> _Opened:
    application, transaction, user, items = await open_bearer(
        rt, tx, grant, grant_type=GrantType.MFA_OOB
    )
    push = await tx.push_transactions.by_oob_code(handle)
    enrolment = None if push is not None else await enrolment_status(rt, tx, handle)
    return _Opened(application, transaction, user, items, push, enrolment)


async def push_grant(rt: Runtime, grant: PushPoll, info: RequestInfo) -> TokenSet:
    """One poll: tokens once approved (or enrolled), otherwise the error that says why not."""
    oob_code = grant.oob_code or ""
    if not tokens.is_well_formed(oob_code):
        raise InvalidRequestError("Missing required parameter: binding_code")
    handle = tokens.token_hash(oob_code)
    async with rt.store.read() as tx:
        opened = await _open(rt, tx, grant, handle)
    if opened.push is not None:
        return await _poll_push(rt, opened, opened.push, info)
    if opened.enrolment is not None:
        return await _poll_enrolment(rt, opened, opened.enrolment, info)
    raise InvalidRequestError("Missing required parameter: binding_code")


def _belongs(opened: _Opened, user_id: str, transaction_id: str | None) -> None:
    """A handle is good with its own user's `mfa_token` (and, when it was issued for one
    `mfa_token`, that one only); anything else looks like an unknown handle."""
    if user_id != opened.transaction.user_id or transaction_id not in (
        None,
        opened.transaction.id,
    ):
        raise InvalidGrantError("Invalid oob_code.")


async def _poll_push(
    rt: Runtime, opened: _Opened, push: PushTransaction, info: RequestInfo
) -> TokenSet:
    _belongs(opened, push.user_id, push.transaction_id)
    authenticator = next((a for a in opened.items if a.id == push.authenticator_id), None)
    if authenticator is None:
        raise InvalidGrantError("Invalid oob_code.")
    refusal: TwofoldError | None = None
    async with rt.store.transaction() as tx:
        now = rt.clock.now()
        polls = await tx.push_transactions.count_poll(push.id, now=now, window=POLL_WINDOW)
        current = await tx.push_transactions.get(push.id)
        status = current.status_at(now) if current is not None else EXPIRED
        if polls > rt.settings.push.polls_per_minute:
            refusal = SlowDownError()
        elif status != APPROVED:
            refusal = _refusal(status)
        else:
            await consume(tx, opened.transaction)
            await succeed(rt, tx, opened.transaction, info, authenticator=authenticator)
    if refusal is not None:
        raise refusal
    return _tokens(rt, opened)


def _refusal(status: str) -> TwofoldError:
    if status == PENDING:
        return AuthorizationPendingError()
    if status == EXPIRED:
        return PushExpiredError()
    return PushRejectedError()


def enrolment_poll_key(handle: str) -> str:
    return f"push:enrol-poll:{handle}"


async def _count_enrolment_poll(rt: Runtime, handle: str) -> None:
    """Enrolment handles have no poll column: their polls go to the attempt limiter, in a
    bucket of `polls_per_minute` refilling over a minute."""
    per_minute = rt.settings.push.polls_per_minute
    bucket = Bucket(burst=per_minute, refill_seconds=60 / per_minute)
    key, now = enrolment_poll_key(handle), rt.clock.now()
    try:
        await rt.limiter.check([(key, bucket)], now=now)
    except TooManyAttemptsError as exc:
        raise SlowDownError() from exc
    await rt.limiter.fail(key, bucket, now=now)


async def _poll_enrolment(
    rt: Runtime, opened: _Opened, poll: EnrolmentPoll, info: RequestInfo
) -> TokenSet:
    """Pending until the device registers; then the `mfa_token` is spent and tokens issued,
    as an OOB enrolment's first code does (the device's registration already activated the
    authenticator and the recovery code and audited `gd_enrollment_complete`)."""
    _belongs(opened, poll.enrolment.user_id, poll.transaction_id)
    await _count_enrolment_poll(rt, poll.enrolment.oob_code_hash)
    if poll.expired:
        raise OobCodeExpiredError()
    authenticator = poll.authenticator
    if not poll.used or authenticator is None:
        if poll.used:
            raise InvalidGrantError("The enrolment was cancelled.")
        raise AuthorizationPendingError()
    if authenticator.status != AuthenticatorStatus.ACTIVE:
        raise InvalidGrantError("The enrolment was cancelled.")
    async with rt.store.transaction() as tx:
        await consume(tx, opened.transaction)
        await activate_recovery_code(rt, tx, opened.items)
        await succeed(rt, tx, opened.transaction, info, authenticator=authenticator)
    return _tokens(rt, opened)


def _tokens(rt: Runtime, opened: _Opened) -> TokenSet:
    return mint_for_step(
        rt,
        opened.transaction,
        user=opened.user,
        client_id=opened.application.client_id,
        amr=AMR,
    )
