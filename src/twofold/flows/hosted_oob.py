"""Out-of-band codes (SMS, voice, email) on the hosted pages, transport-free: send a code to
an active authenticator, then check what the person typed.

The send is the MFA API's (`issue_code`: the same limits, audit and stored challenge); the
page keeps the challenge's `oob_code` handle in its form, as an API client keeps it. A wrong
code is charged as on the API: to the challenge (5 kill it), to the sign-in and to the
per-user and per-IP buckets every code shares.
"""

from __future__ import annotations

from dataclasses import dataclass

from twofold.audit import events
from twofold.channels import DeliveryError
from twofold.domain import Authenticator, AuthorizationRequest
from twofold.errors import InvalidGrantError
from twofold.factors.oob import AMR, OobChannel, handle_hash
from twofold.flows.attempts import check_limits, count_failure, limit_key, on_authenticator
from twofold.flows.hosted_mfa import Passed, record_page_failure
from twofold.flows.oob_challenge import issue_code, reaches
from twofold.flows.oob_verification import answer
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.tenant import enabled_channels
from twofold.security import tokens
from twofold.types import AuthenticatorStatus, FactorType

NO_CODE = "This code is no longer valid. Send a new one."


@dataclass(frozen=True, slots=True)
class SentCode:
    """The handle of the new challenge, and whether the provider took the message. A failed
    delivery still leaves a valid challenge (the provider may deliver late)."""

    oob_code: str
    delivered: bool


async def _sendable(
    rt: Runtime, user_id: str, authenticator_id: str, channel: OobChannel | None
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
            and a.status == AuthenticatorStatus.ACTIVE
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
) -> SentCode:
    """A new code (killing the live one) by the authenticator's channel or `channel` (voice
    for a phone enrolled for SMS: "call me instead"). Send limits raise TooManySendsError."""
    authenticator = await _sendable(rt, user_id, authenticator_id, channel)
    issued = await issue_code(
        rt,
        authenticator,
        channel,
        info,
        user_id=user_id,
        client_id=sign_in.client_id if sign_in else None,
        transaction_id=None,
    )
    try:
        await issued.deliver()
    except DeliveryError:
        return SentCode(oob_code=issued.oob_code, delivered=False)
    return SentCode(oob_code=issued.oob_code, delivered=True)


async def verify_code(
    rt: Runtime,
    user_id: str,
    oob_code: str,
    response: str,
    info: RequestInfo,
    *,
    sign_in: AuthorizationRequest | None = None,
) -> Passed:
    """Check the code typed for the challenge `oob_code` names. Refusals are the factor's
    typed errors; only InvalidBindingCodeError (a wrong guess) is counted."""
    key = limit_key(FactorType.OOB.value, user_id)
    await check_limits(rt, key, info)
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
                and a.status == AuthenticatorStatus.ACTIVE
            ),
            None,
        )
        if stored is None or authenticator is None:
            raise InvalidGrantError(NO_CODE)
        challenge, failure = await answer(rt, tx, stored, authenticator, response)
        if failure is not None:
            await record_page_failure(tx, user_id, FactorType.OOB, info, sign_in=sign_in)
        else:
            client_id = sign_in.client_id if sign_in else None
            tx.record(
                on_authenticator(events.MfaSucceeded, authenticator, client_id=client_id, info=info)
            )
    if failure is not None:
        await count_failure(rt, key, info, factor=FactorType.OOB.value)
        raise failure
    return Passed(amr=tuple(amr.value for amr in AMR[challenge.channel]))
