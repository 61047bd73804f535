"""The `mfa-oob` grant for codes a person types back (SMS, voice, email): `oob_code` names the
challenge, `binding_code` is what they received. Without `binding_code` it is a push poll
(flows/push_poll.py).

A wrong code is charged three times, as the issue requires: to the challenge (5 kill it), to
the `mfa_token` (its failure cap) and to the same per-user and per-IP buckets as OTP codes,
so switching factor does not buy an attacker more guesses.
"""

from __future__ import annotations

from dataclasses import dataclass

from twofold.audit import events
from twofold.domain import Authenticator, MfaTransaction
from twofold.errors import (
    InvalidBindingCodeError,
    InvalidGrantError,
    InvalidRequestError,
    OobCodeUsedError,
)
from twofold.factors.oob import AMR, OobChallenge, handle_hash
from twofold.flows.attempts import count_failure, on_authenticator, otp_key
from twofold.flows.grants import GrantType
from twofold.flows.oob_delivery import destination_of, with_destination
from twofold.flows.push_poll import push_grant
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.tokens import TokenSet
from twofold.flows.verification import (
    activate_recovery_code,
    consume,
    mint_for_step,
    open_grant,
    record_failure,
    succeed,
)
from twofold.security import tokens
from twofold.store.repos.oob import StoredChallenge
from twofold.store.uow import Tx
from twofold.types import AuthenticatorStatus, FactorType


@dataclass(frozen=True, slots=True)
class OobAnswer:
    client_id: str | None
    client_secret: str | None
    mfa_token: str | None
    oob_code: str | None
    binding_code: str | None


async def _challenge(
    tx: Tx, oob_code: str, transaction: MfaTransaction, items: list[Authenticator]
) -> tuple[StoredChallenge, Authenticator]:
    """The challenge `oob_code` names, if it is this user's (and, when it was sent for an
    `mfa_token`, this one's); unknown and foreign handles get the same answer."""
    stored = (
        await tx.oob.by_handle(handle_hash(oob_code)) if tokens.is_well_formed(oob_code) else None
    )
    authenticator = next(
        (a for a in items if stored is not None and a.id == stored.authenticator_id), None
    )
    if (
        stored is None
        or authenticator is None
        or authenticator.type != FactorType.OOB
        or stored.transaction_id not in (None, transaction.id)
    ):
        raise InvalidGrantError("Invalid oob_code.")
    return stored, authenticator


async def _confirm(
    rt: Runtime,
    tx: Tx,
    transaction: MfaTransaction,
    authenticator: Authenticator,
    items: list[Authenticator],
    *,
    info: RequestInfo,
) -> None:
    """The right code: spend the `mfa_token`, confirm a pending enrolment, audit."""
    await consume(tx, transaction)
    if authenticator.status == AuthenticatorStatus.PENDING:
        await tx.authenticators.activate(authenticator.id, now=rt.clock.now())
        await activate_recovery_code(rt, tx, items)
        tx.record(
            on_authenticator(
                events.EnrolmentCompleted,
                authenticator,
                client_id=transaction.client_id,
                info=info,
            )
        )
    await succeed(rt, tx, transaction, info, authenticator=authenticator)


async def answer(
    rt: Runtime, tx: Tx, stored: StoredChallenge, authenticator: Authenticator, code: str
) -> tuple[OobChallenge, InvalidBindingCodeError | None]:
    """Check a typed code against its challenge and write the outcome (API and pages): a
    wrong one is counted on the challenge and returned for the caller to audit and charge;
    a right one spends it. Refusals whatever the code (expired, used...) raise."""
    challenge = with_destination(stored, destination_of(rt, authenticator))
    try:
        rt.oob.check(challenge, code, now=rt.clock.now())
    except InvalidBindingCodeError as exc:
        await tx.oob.add_failure(stored.id, seen=stored.failures)
        return challenge, exc
    # Conditional: of two right answers racing on two nodes, one spends it.
    if not await tx.oob.spend(stored.id, failures=stored.failures):
        raise OobCodeUsedError()
    return challenge, None


async def oob_grant(rt: Runtime, grant: OobAnswer, info: RequestInfo) -> TokenSet:
    if not grant.oob_code:
        raise InvalidRequestError("Missing required parameter: oob_code")
    if not grant.binding_code:
        # A push (its transaction's or its enrolment's handle) is polled without one.
        return await push_grant(rt, grant, info)
    failure: InvalidBindingCodeError | None = None
    async with rt.store.transaction() as tx:
        application, transaction, user, items = await open_grant(
            rt, tx, grant, grant_type=GrantType.MFA_OOB, limit_key=otp_key, info=info
        )
        stored, authenticator = await _challenge(tx, grant.oob_code, transaction, items)
        challenge, failure = await answer(rt, tx, stored, authenticator, grant.binding_code)
        if failure is not None:
            await record_failure(rt, tx, transaction, info, factor="oob")
        else:
            await _confirm(rt, tx, transaction, authenticator, items, info=info)
    if failure is not None:
        await count_failure(rt, otp_key(user.id), info, factor="oob")
        raise failure
    return mint_for_step(
        rt,
        transaction,
        user=user,
        client_id=application.client_id,
        amr=tuple(amr.value for amr in AMR[challenge.channel]),
    )
