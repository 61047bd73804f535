"""Enrolling a phone for SMS or voice codes, or an address for email codes: one path for the
MFA API's `/mfa/associate` and the hosted pages. The pending authenticator gets the first
code; the right code confirms it (`mfa-oob` on the API, flows/hosted_oob.py on the pages).

Runs its own transactions (not the route's): the send limits write to the limiter and the
code leaves through a provider, neither of which may happen inside an open write.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from twofold.audit import events
from twofold.domain import Authenticator, JsonObject, User
from twofold.errors import AccessDeniedError, InvalidRequestError, NotFoundError
from twofold.factors.destinations import mask, parse_phone
from twofold.factors.oob import CHANNELS, NEEDS_ANOTHER_FACTOR, PHONE_CHANNELS, OobChannel
from twofold.flows.attempts import active_recovery_code, on_authenticator
from twofold.flows.enrolment import has_confirmed_factor, issue_recovery_code
from twofold.flows.mfa_state import resolve_bearer
from twofold.flows.oob_challenge import IssuedCode
from twofold.flows.oob_delivery import locale_of, store_challenge
from twofold.flows.oob_limits import OobSend, admit_send
from twofold.flows.policy_check import check_allowed
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.sealing import seal
from twofold.flows.tenant import enabled_channels
from twofold.flows.users import EMAIL
from twofold.security import tokens
from twofold.store.uow import Tx
from twofold.types import AuthenticatorId, AuthenticatorStatus, FactorType


class EmailNeedsAnotherFactorError(AccessDeniedError):
    """Email offered as a first factor: refused at either door (Auth0's rule)."""

    description = (
        "Email can only be enrolled by a user who already has another factor"
        " (otp, sms, voice or webauthn) active."
    )


@dataclass(frozen=True, slots=True)
class OobAssociation:
    oob_channels: tuple[str, ...]
    phone_number: str | None
    email: str | None

    def typed(self, channel: OobChannel) -> str | None:
        """The destination parameter that `channel` reads (the other one is ignored)."""
        return self.phone_number if channel in PHONE_CHANNELS else self.email


def chosen_channel(oob_channels: tuple[str, ...]) -> OobChannel:
    if len(oob_channels) != 1 or oob_channels[0] not in CHANNELS:
        raise InvalidRequestError(
            'oob_channels must be one of ["sms"], ["voice"], ["email"] or ["auth0"].'
        )
    return oob_channels[0]


async def require_channel(tx: Tx, channel: OobChannel) -> None:
    if channel not in await enabled_channels(tx):
        factor = "email" if channel == "email" else "sms"
        raise AccessDeniedError(f"The {factor} factor is disabled for this tenant.")


INDEPENDENT_TYPES = frozenset(
    {FactorType.OTP, FactorType.WEBAUTHN_ROAMING, FactorType.WEBAUTHN_PLATFORM}
)
"""Factors whose secret no mailbox reveals."""


def has_independent_factor(items: list[Authenticator]) -> bool:
    """Email is weak alone (whoever reads the mailbox can reset the password too): Auth0
    accepts it only beside an active OTP, SMS or voice authenticator; a WebAuthn key is
    independent of the mailbox too, so it counts as well (recovery codes do not: they are a
    fallback, not a factor)."""
    return any(
        a.status == AuthenticatorStatus.ACTIVE
        and (
            a.type in INDEPENDENT_TYPES
            or (a.type == FactorType.OOB and a.oob_channel not in NEEDS_ANOTHER_FACTOR)
        )
        for a in items
    )


def destination(rt: Runtime, channel: OobChannel, typed: str | None) -> str:
    """E.164 for a phone channel, the trimmed address for email; 400 when missing or invalid."""
    if channel in PHONE_CHANNELS:
        if not typed:
            raise InvalidRequestError("Missing required parameter: phone_number")
        return parse_phone(typed, default_region=rt.settings.oob.default_region).e164
    address = (typed or "").strip()
    if not address:
        raise InvalidRequestError("Missing required parameter: email")
    if not EMAIL.match(address):
        raise InvalidRequestError("email must be an email address.")
    return address


@dataclass(frozen=True, slots=True)
class StartedOob:
    """A pending authenticator whose first code is stored, still to be delivered."""

    authenticator: Authenticator
    code: IssuedCode
    recovery_code: str | None
    """A pending recovery code to show now (the API's `recovery_codes`), when one was asked
    for and the user has no active one; it becomes active with the enrolment."""


async def _allowed(
    rt: Runtime,
    user_id: str,
    channel: OobChannel,
    *,
    first_only: bool,
    policy: JsonObject | None,
) -> tuple[User, list[Authenticator]]:
    async with rt.store.read() as tx:
        await require_channel(tx, channel)
        user, items = await tx.users.with_authenticators(user_id)
    if user is None:
        raise NotFoundError("The user no longer exists.")
    if first_only:
        check_allowed(policy, FactorType.OOB)
        if has_confirmed_factor(items, state=policy):
            raise AccessDeniedError("User is already enrolled.")
    if channel in NEEDS_ANOTHER_FACTOR and not has_independent_factor(items):
        raise EmailNeedsAnotherFactorError()
    return user, items


async def _pending(
    rt: Runtime, tx: Tx, user: User, send: OobSend, *, client_id: str | None, info: RequestInfo
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


async def begin_oob_enrolment(
    rt: Runtime,
    user_id: str,
    channel: OobChannel,
    typed: str | None,
    info: RequestInfo,
    *,
    client_id: str | None,
    first_only: bool,
    policy: JsonObject | None = None,
    transaction_id: str | None = None,
    with_recovery_code: bool = False,
) -> StartedOob:
    """Start an enrolment and store its first code; the caller delivers it.

    Refused, in this order: the channel is off (403), the user is gone (404), `first_only`
    (an `mfa_token`, a sign-in's enrol step) and the user already has a factor its `policy`
    accepts, or the policy does not accept this one (403), email
    without an independent factor (403), the destination is missing or invalid (400), a send
    limit or the country lists (429, 403). Nothing is stored or charged before the last one.
    """
    user, items = await _allowed(rt, user_id, channel, first_only=first_only, policy=policy)
    send = OobSend(
        user_id=user.id,
        channel=channel,
        destination=destination(rt, channel, typed),
        client_id=client_id,
    )
    await admit_send(rt, send, info)
    recovery_code = None
    async with rt.store.transaction() as tx:
        pending = await _pending(rt, tx, user, send, client_id=client_id, info=info)
        issued = rt.oob.issue(
            authenticator_id=pending.id,
            channel=channel,
            destination=send.destination,
            now=rt.clock.now(),
        )
        await store_challenge(tx, issued, user_id=user.id, transaction_id=transaction_id)
        if with_recovery_code and active_recovery_code(items) is None:
            recovery_code = await issue_recovery_code(rt, tx, user.id, active=False)
    code = IssuedCode(
        rt=rt,
        send=dataclasses.replace(send, authenticator_id=pending.id),
        code=issued.code,
        oob_code=issued.oob_code,
        locale=locale_of(user),
        info=info,
    )
    return StartedOob(authenticator=pending, code=code, recovery_code=recovery_code)


async def associate_oob(
    rt: Runtime, bearer: str | None, request: OobAssociation, info: RequestInfo
) -> dict[str, Any]:
    """`/mfa/associate` for SMS, voice or email: start the enrolment, send its first code
    (a failed delivery is the 503 `delivery_failed`), answer Auth0's shape. An `mfa_token`
    may enrol a first factor only; a further one needs an access token with `enroll`."""
    channel = chosen_channel(request.oob_channels)
    async with rt.store.read() as tx:
        caller = await resolve_bearer(rt, tx, bearer)
    caller.require("enroll")
    started = await begin_oob_enrolment(
        rt,
        caller.user_id,
        channel,
        request.typed(channel),
        info,
        client_id=caller.client_id,
        first_only=caller.transaction is not None,
        policy=caller.transaction.policy if caller.transaction else None,
        transaction_id=caller.transaction.id if caller.transaction else None,
        with_recovery_code=True,
    )
    await started.code.deliver()
    body: dict[str, Any] = {
        "authenticator_type": "oob",
        "binding_method": "prompt",
        "oob_channel": channel,
        "oob_code": started.code.oob_code,
    }
    if started.recovery_code is not None:
        body["recovery_codes"] = [started.recovery_code]
    body["id"] = started.authenticator.id
    return body
