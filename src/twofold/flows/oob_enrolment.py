"""`/mfa/associate` for out-of-band factors: a phone for SMS or voice codes, an address for
email codes. The pending authenticator gets the first code; `mfa-oob` with it confirms.

Runs its own transactions (not the route's): the send limits write to the limiter and the
code leaves through a provider, neither of which may happen inside an open write.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from twofold.audit import events
from twofold.domain import Authenticator, User
from twofold.errors import AccessDeniedError, InvalidRequestError, NotFoundError
from twofold.factors.destinations import mask, parse_phone
from twofold.factors.oob import CHANNELS, PHONE_CHANNELS, OobChannel
from twofold.flows.attempts import on_authenticator
from twofold.flows.enrolment import has_confirmed_factor, issue_recovery_code
from twofold.flows.mfa_state import MfaCaller, resolve_bearer
from twofold.flows.oob_delivery import deliver, locale_of, store_challenge
from twofold.flows.oob_limits import OobSend, admit_send
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.sealing import seal
from twofold.flows.tenant import enabled_channels
from twofold.flows.users import EMAIL
from twofold.security import tokens
from twofold.store.uow import Tx
from twofold.types import AuthenticatorId, AuthenticatorStatus, FactorType


@dataclass(frozen=True, slots=True)
class OobAssociation:
    oob_channels: tuple[str, ...]
    phone_number: str | None
    email: str | None


def chosen_channel(oob_channels: tuple[str, ...]) -> OobChannel:
    if len(oob_channels) != 1 or oob_channels[0] not in CHANNELS:
        raise InvalidRequestError('oob_channels must be one of ["sms"], ["voice"] or ["email"].')
    return oob_channels[0]


async def require_channel(tx: Tx, channel: OobChannel) -> None:
    if channel not in await enabled_channels(tx):
        factor = "email" if channel == "email" else "sms"
        raise AccessDeniedError(f"The {factor} factor is disabled for this tenant.")


def has_independent_factor(items: list[Authenticator]) -> bool:
    """Email is weak alone (whoever reads the mailbox can reset the password too): Auth0
    accepts it only beside an active OTP, SMS or voice authenticator."""
    return any(
        a.status == AuthenticatorStatus.ACTIVE
        and (a.type == FactorType.OTP or (a.type == FactorType.OOB and a.oob_channel != "email"))
        for a in items
    )


def destination(rt: Runtime, channel: OobChannel, request: OobAssociation) -> str:
    """E.164 for a phone channel, the trimmed address for email; 400 when missing or invalid."""
    if channel in PHONE_CHANNELS:
        if not request.phone_number:
            raise InvalidRequestError("Missing required parameter: phone_number")
        return parse_phone(request.phone_number, default_region=rt.settings.oob.default_region).e164
    address = (request.email or "").strip()
    if not address:
        raise InvalidRequestError("Missing required parameter: email")
    if not EMAIL.match(address):
        raise InvalidRequestError("email must be an email address.")
    return address


async def _who(
    rt: Runtime, bearer: str | None, channel: OobChannel
) -> tuple[MfaCaller, User, list[Authenticator]]:
    async with rt.store.read() as tx:
        caller = await resolve_bearer(rt, tx, bearer)
        caller.require("enroll")
        await require_channel(tx, channel)
        user, items = await tx.users.with_authenticators(caller.user_id)
    if user is None:
        raise NotFoundError("The user no longer exists.")
    if caller.transaction is not None and has_confirmed_factor(items):
        raise AccessDeniedError("User is already enrolled.")
    if channel == "email" and not has_independent_factor(items):
        raise AccessDeniedError(
            "Email can only be enrolled by a user who already has another factor"
            " (otp, sms or voice) active."
        )
    return caller, user, items


async def _pending(
    rt: Runtime, tx: Tx, user: User, send: OobSend, *, client_id: str, info: RequestInfo
) -> Authenticator:
    """A new pending authenticator, replacing any unconfirmed out-of-band one; the
    destination sealed to its id, only its masked form in clear."""
    await tx.authenticators.delete_for_user(
        user.id, types=(FactorType.OOB,), status=AuthenticatorStatus.PENDING
    )
    authenticator_id = AuthenticatorId(tokens.new_authenticator_id(send.channel))
    secret, key_id = seal(rt, authenticator_id, send.destination.encode())
    masked = mask(send.channel, send.destination)
    pending = Authenticator(
        id=authenticator_id,
        user_id=user.id,
        type=FactorType.OOB,
        status=AuthenticatorStatus.PENDING,
        name=masked,
        created_at=rt.clock.now(),
        secret=secret,
        params={"masked": masked},
        oob_channel=send.channel,
    )
    await tx.authenticators.add(pending, key_id=key_id)
    tx.record(on_authenticator(events.EnrolmentStarted, pending, client_id=client_id, info=info))
    return pending


async def associate_oob(
    rt: Runtime, bearer: str | None, request: OobAssociation, info: RequestInfo
) -> dict[str, Any]:
    """Start an SMS, voice or email enrolment and send its first code (Auth0's answer)."""
    channel = chosen_channel(request.oob_channels)
    caller, user, items = await _who(rt, bearer, channel)
    send = OobSend(
        user_id=user.id,
        channel=channel,
        destination=destination(rt, channel, request),
        client_id=caller.client_id,
    )
    await admit_send(rt, send, info)
    transaction_id = caller.transaction.id if caller.transaction else None
    async with rt.store.transaction() as tx:
        pending = await _pending(rt, tx, user, send, client_id=caller.client_id, info=info)
        issued = rt.oob.issue(
            authenticator_id=pending.id,
            channel=channel,
            destination=send.destination,
            now=rt.clock.now(),
        )
        await store_challenge(tx, issued, user_id=user.id, transaction_id=transaction_id)
        body: dict[str, Any] = {
            "authenticator_type": "oob",
            "binding_method": "prompt",
            "oob_channel": channel,
            "oob_code": issued.oob_code,
        }
        if not any(
            a.type == FactorType.RECOVERY_CODE and a.status == AuthenticatorStatus.ACTIVE
            for a in items
        ):
            body["recovery_codes"] = [await issue_recovery_code(rt, tx, user.id, active=False)]
        body["id"] = pending.id
    sending = dataclasses.replace(send, authenticator_id=pending.id)
    await deliver(rt, sending, code=issued.code, locale=locale_of(user), info=info)
    return body
