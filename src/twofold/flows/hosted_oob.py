"""Out-of-band codes (SMS, voice, email) on the hosted pages, transport-free: enrol a phone or
an address, send a code to an authenticator, then check what the person typed.

The enrolment is the MFA API's (`oob_enrolment.begin_oob_enrolment`) and so is the send
(`issue_code`): the same limits, audit and stored challenge. The page keeps the challenge's
`oob_code` handle in its form, as an API client keeps it. A wrong code is charged as on the
API: to the challenge (5 kill it), to the sign-in and to the per-user and per-IP buckets
every code shares.
"""

from __future__ import annotations

from dataclasses import dataclass

from twofold.audit import events
from twofold.channels import DeliveryError
from twofold.domain import Authenticator, AuthorizationRequest
from twofold.errors import InvalidGrantError
from twofold.factors.oob import AMR, OobChannel, handle_hash
from twofold.flows.attempts import (
    active_recovery_code,
    check_limits,
    count_failure,
    limit_key,
    on_authenticator,
)
from twofold.flows.enrolment import issue_recovery_code
from twofold.flows.hosted_mfa import Passed, StartedEnrolment, find_pending, record_page_failure
from twofold.flows.hosted_policy import policy_state
from twofold.flows.oob_challenge import IssuedCode, issue_code, reaches
from twofold.flows.oob_enrolment import begin_oob_enrolment
from twofold.flows.oob_verification import answer
from twofold.flows.policy_check import check_allowed
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.tenant import enabled_channels
from twofold.security import tokens
from twofold.store.uow import Tx
from twofold.types import AuthenticatorStatus, FactorType

NO_CODE = "This code is no longer valid. Send a new one."


@dataclass(frozen=True, slots=True)
class SentCode:
    """The handle of the new challenge, and whether the provider took the message. A failed
    delivery still leaves a valid challenge (the provider may deliver late)."""

    oob_code: str
    delivered: bool
    channel: OobChannel
    """How it went: a phone enrolled for text messages is called after "Call me instead"."""


async def _delivered(issued: IssuedCode) -> SentCode:
    channel = issued.send.channel
    try:
        await issued.deliver()
    except DeliveryError:
        return SentCode(oob_code=issued.oob_code, delivered=False, channel=channel)
    return SentCode(oob_code=issued.oob_code, delivered=True, channel=channel)


def _shown(pending: Authenticator) -> StartedEnrolment:
    """What the code step shows: where the code went, masked."""
    sent_to = str(pending.params.get("masked") or pending.name or "")
    return StartedEnrolment(
        authenticator_id=pending.id,
        factor_type=FactorType.OOB,
        display={"sent_to": sent_to},
        qr=None,
    )


async def start_enrolment(
    rt: Runtime,
    user_id: str,
    channel: OobChannel,
    typed: str | None,
    info: RequestInfo,
    *,
    sign_in: AuthorizationRequest | None = None,
) -> tuple[StartedEnrolment, SentCode]:
    """A new pending authenticator for what the person typed, and its first code sent.

    During a sign-in (`sign_in`) only a first factor may be enrolled, as with an `mfa_token`
    (a first one among the types its policy accepts, and only of such a type).
    """
    started = await begin_oob_enrolment(
        rt,
        user_id,
        channel,
        typed,
        info,
        client_id=sign_in.client_id if sign_in else None,
        first_only=sign_in is not None,
        policy=policy_state(sign_in),
    )
    return _shown(started.authenticator), await _delivered(started.code)


async def pending_enrolment(rt: Runtime, user_id: str, authenticator_id: str) -> StartedEnrolment:
    """The code step of an enrolment again (after a wrong code, or a resend)."""
    async with rt.store.read() as tx:
        items = await tx.authenticators.for_user(user_id)
    return _shown(find_pending(items, FactorType.OOB, authenticator_id))


async def _sendable(
    rt: Runtime,
    user_id: str,
    authenticator_id: str,
    channel: OobChannel | None,
    *,
    status: AuthenticatorStatus,
) -> Authenticator:
    async with rt.store.read() as tx:
        items = await tx.authenticators.for_user(user_id)
        channels = await enabled_channels(tx)
    found = next(
        (
            a
            for a in items
            if a.id == authenticator_id
            and a.type == FactorType.OOB
            and a.status == status
            and a.oob_channel in channels
            and (channel is None or channel in channels)
            and reaches(a, channel)
        ),
        None,
    )
    if found is None:
        raise InvalidGrantError("This authenticator cannot be sent a code.")
    return found


async def send_code(
    rt: Runtime,
    user_id: str,
    authenticator_id: str,
    info: RequestInfo,
    *,
    channel: OobChannel | None = None,
    sign_in: AuthorizationRequest | None = None,
    enrolling: bool = False,
) -> SentCode:
    """A new code (killing the live one) by the authenticator's channel or `channel` (voice
    for a phone enrolled for SMS: "call me instead"); `enrolling` for a pending one (the
    code step's resend). Send limits raise TooManySendsError; a sign-in whose policy does
    not accept codes sends none."""
    check_allowed(policy_state(sign_in), FactorType.OOB)
    status = AuthenticatorStatus.PENDING if enrolling else AuthenticatorStatus.ACTIVE
    authenticator = await _sendable(rt, user_id, authenticator_id, channel, status=status)
    issued = await issue_code(
        rt,
        authenticator,
        channel,
        info,
        user_id=user_id,
        client_id=sign_in.client_id if sign_in else None,
        transaction_id=None,
    )
    return await _delivered(issued)


async def _confirmed(
    rt: Runtime,
    tx: Tx,
    pending: Authenticator,
    items: list[Authenticator],
    *,
    client_id: str | None,
    info: RequestInfo,
) -> str | None:
    """The right first code: the enrolment is active, and a user without an active recovery
    code gets one, to be shown once (as `confirm_enrolment` does for otp)."""
    await tx.authenticators.activate(pending.id, now=rt.clock.now())
    tx.record(on_authenticator(events.EnrolmentCompleted, pending, client_id=client_id, info=info))
    if active_recovery_code(items) is not None:
        return None
    return await issue_recovery_code(rt, tx, pending.user_id, active=True)


async def verify_code(
    rt: Runtime,
    user_id: str,
    oob_code: str,
    response: str,
    info: RequestInfo,
    *,
    sign_in: AuthorizationRequest | None = None,
    enrolling: str | None = None,
) -> Passed:
    """Check the code typed for the challenge `oob_code` names. With `enrolling` (a pending
    authenticator's id) it must be that enrolment's code, and the right one confirms it.
    Refusals are the factor's typed errors; only InvalidBindingCodeError (a wrong guess) is
    counted. During a sign-in whose policy does not accept codes, refused before any check."""
    check_allowed(policy_state(sign_in), FactorType.OOB)
    key = limit_key(FactorType.OOB.value, user_id)
    await check_limits(rt, key, info)
    status = AuthenticatorStatus.ACTIVE if enrolling is None else AuthenticatorStatus.PENDING
    client_id = sign_in.client_id if sign_in else None
    async with rt.store.transaction() as tx:
        items = await tx.authenticators.for_user(user_id)
        stored = (
            await tx.oob.by_handle(handle_hash(oob_code))
            if tokens.is_well_formed(oob_code)
            else None
        )
        authenticator = next(
            (
                a
                for a in items
                if stored is not None
                and a.id == stored.authenticator_id
                and a.type == FactorType.OOB
                and a.status == status
                and enrolling in (None, a.id)
            ),
            None,
        )
        if stored is None or authenticator is None:
            raise InvalidGrantError(NO_CODE)
        challenge, failure = await answer(rt, tx, stored, authenticator, response)
        recovery_code = None
        if failure is not None:
            await record_page_failure(tx, user_id, FactorType.OOB, info, sign_in=sign_in)
        elif enrolling is not None:
            recovery_code = await _confirmed(
                rt, tx, authenticator, items, client_id=client_id, info=info
            )
        else:
            tx.record(
                on_authenticator(events.MfaSucceeded, authenticator, client_id=client_id, info=info)
            )
    if failure is not None:
        await count_failure(rt, key, info, factor=FactorType.OOB.value)
        raise failure
    amr = tuple(amr.value for amr in AMR[challenge.channel])
    return Passed(amr=amr, recovery_code=recovery_code)
