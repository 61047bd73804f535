"""`/mfa/challenge` with `challenge_type: "oob"`: a new code to an enrolled phone or address.

Every call is a resend: a new challenge (new code, new `oob_code`, fresh lifetime) that
supersedes the authenticator's live one, so only the latest code works. "Call me instead"
is the same with `oob_channel: "voice"` for a phone enrolled for SMS (and back).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from twofold.domain import Authenticator, MfaTransaction
from twofold.errors import InvalidRequestError, NotFoundError
from twofold.factors.oob import CHANNELS, PHONE_CHANNELS, OobChannel
from twofold.flows.oob_delivery import deliver, destination_of, locale_of, store_challenge
from twofold.flows.oob_limits import OobSend, admit_send
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.types import FactorType


def requested_channel(oob_channel: str | None) -> OobChannel | None:
    if oob_channel is None:
        return None
    if oob_channel not in CHANNELS:
        raise InvalidRequestError("oob_channel must be sms, voice or email.")
    return oob_channel


def reaches(authenticator: Authenticator, channel: OobChannel | None) -> bool:
    """Whether a code by `channel` can go to this authenticator's destination: its own
    channel, or the other phone channel (SMS and voice stand in for each other)."""
    own = authenticator.oob_channel
    if authenticator.type != FactorType.OOB or own is None:
        return False
    return channel in (None, own) or {channel, own} <= PHONE_CHANNELS


async def send_challenge(
    rt: Runtime,
    transaction: MfaTransaction,
    authenticator: Authenticator,
    channel: OobChannel | None,
    info: RequestInfo,
) -> dict[str, str]:
    """Admit the send, store the new challenge (killing the old one), then send the code.

    A failed delivery (503 `delivery_failed`) leaves the new challenge stored: a code the
    provider may still deliver late stays usable, and the next resend supersedes it.
    """
    issued = await issue_code(
        rt,
        authenticator,
        channel,
        info,
        user_id=transaction.user_id,
        client_id=transaction.client_id,
        transaction_id=transaction.id,
    )
    await issued.deliver()
    return {"challenge_type": "oob", "oob_code": issued.oob_code, "binding_method": "prompt"}


@dataclass(frozen=True, slots=True)
class IssuedCode:
    """A stored challenge whose code is still to be sent: the API and the hosted pages
    both store first and deliver second, and differ only in what a failed delivery shows."""

    rt: Runtime
    send: OobSend
    code: str
    oob_code: str
    locale: str | None
    info: RequestInfo

    async def deliver(self) -> None:
        """Send the code; DeliveryError leaves the stored challenge valid."""
        await deliver(self.rt, self.send, code=self.code, locale=self.locale, info=self.info)


async def issue_code(
    rt: Runtime,
    authenticator: Authenticator,
    channel: OobChannel | None,
    info: RequestInfo,
    *,
    user_id: str,
    client_id: str | None,
    transaction_id: str | None,
) -> IssuedCode:
    """Admit the send (limits, audited refusals) and store a new challenge superseding the
    authenticator's live one; the caller delivers it."""
    used = channel or cast(OobChannel, authenticator.oob_channel)
    send = OobSend(
        user_id=user_id,
        channel=used,
        destination=destination_of(rt, authenticator),
        authenticator_id=authenticator.id,
        client_id=client_id,
    )
    await admit_send(rt, send, info)
    async with rt.store.transaction() as tx:
        user = await tx.users.get(user_id)
        if user is None:
            raise NotFoundError("The user no longer exists.")
        issued = rt.oob.issue(
            authenticator_id=authenticator.id,
            channel=used,
            destination=send.destination,
            now=rt.clock.now(),
        )
        await store_challenge(tx, issued, user_id=user_id, transaction_id=transaction_id)
    return IssuedCode(
        rt=rt,
        send=send,
        code=issued.code,
        oob_code=issued.oob_code,
        locale=locale_of(user),
        info=info,
    )
