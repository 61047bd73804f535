"""Sending an out-of-band code: storing its challenge, handing the message to the channel,
and auditing the outcome. Shared by `/mfa/associate` (the first code) and `/mfa/challenge`.

The challenge is committed before the message leaves, and the send runs outside any
transaction: a provider that takes a second to fail must not hold the database's write
lock, and a failed delivery leaves a valid challenge behind (a resend then works).
"""

from __future__ import annotations

from typing import cast

from twofold.channels import Attempt, Delivery, DeliveryError, MessageContext
from twofold.domain import AuditEntry, Authenticator, User
from twofold.factors.oob import Issued, OobChallenge, OobChannel
from twofold.flows.oob_limits import OobSend, refused, sent
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.sealing import unseal
from twofold.store.repos.oob import StoredChallenge
from twofold.store.uow import Tx


def locale_of(user: User) -> str | None:
    """The user's language for the message (`user_metadata.locale`, as Auth0 profiles carry
    it); the templates fall back to English for anything else."""
    locale = user.user_metadata.get("locale")
    return locale if isinstance(locale, str) else None


def destination_of(rt: Runtime, authenticator: Authenticator) -> str:
    """The phone number or address, sealed on the authenticator like a TOTP secret."""
    return unseal(rt, authenticator.id, authenticator.secret or b"").decode()


def with_destination(stored: StoredChallenge, destination: str) -> OobChallenge:
    """The stored row as the factor checks it, its destination joined back."""
    return OobChallenge(
        id=stored.id,
        authenticator_id=stored.authenticator_id,
        channel=cast(OobChannel, stored.channel),  # written from an OobChannel
        destination=destination,
        code_hash=stored.code_hash,
        handle_hash=stored.handle_hash,
        created_at=stored.created_at,
        expires_at=stored.expires_at,
        failures=stored.failures,
        used=stored.used,
        superseded_by=stored.superseded_by,
    )


async def store_challenge(
    tx: Tx, issued: Issued, *, user_id: str, transaction_id: str | None
) -> None:
    """Keep the new challenge and kill the authenticator's older live code (a resend)."""
    challenge = issued.challenge
    await tx.oob.supersede_live(challenge.authenticator_id, by=challenge.id)
    await tx.oob.add(
        StoredChallenge(
            id=challenge.id,
            authenticator_id=challenge.authenticator_id,
            user_id=user_id,
            transaction_id=transaction_id,
            channel=challenge.channel,
            code_hash=challenge.code_hash,
            handle_hash=challenge.handle_hash,
            created_at=challenge.created_at,
            expires_at=challenge.expires_at,
            failures=0,
            used=False,
            superseded_by=None,
        )
    )


async def _hand_over(
    rt: Runtime, channel: OobChannel, to: str, locale: str | None, context: MessageContext
) -> Delivery:
    messages = rt.channels.messages
    if channel == "sms":
        return await rt.channels.sms.send_sms(messages.sms(to, locale=locale, context=context))
    if channel == "voice":
        return await rt.channels.voice.call(messages.call(to, locale=locale, context=context))
    return await rt.channels.email.send_email(messages.email(to, locale=locale, context=context))


def _status(text: str) -> int | None:
    return int(text) if text.isdigit() else None


async def deliver(
    rt: Runtime, send: OobSend, *, code: str, locale: str | None, info: RequestInfo
) -> None:
    """Send `code` and audit every attempt (provider and status, never the code): a failed
    one is a `gd_send_<channel>_failure` (`reason` `retried` when a later attempt got
    through, `delivery_failed` when none did), the one that got through `gd_send_<channel>`
    with the number of tries. DeliveryError then reaches the caller (503 `delivery_failed`)."""
    context = MessageContext(
        code=code,
        tenant_name=rt.settings.tenant_name,
        minutes=max(1, rt.settings.oob.code_ttl // 60),
    )
    try:
        delivery = await _hand_over(rt, send.channel, send.destination, locale, context)
    except DeliveryError as exc:
        await _record(
            rt,
            _failed_attempts(send, info, exc.attempts, reason=exc.code)
            or [refused(send, info, reason=exc.code, provider=exc.provider)],
        )
        raise
    retried = _failed_attempts(send, info, delivery.attempts, reason="retried")
    done = sent(send, info, provider=delivery.provider, attempts=len(delivery.attempts))
    await _record(rt, [*retried, done])


def _failed_attempts(
    send: OobSend, info: RequestInfo, attempts: tuple[Attempt, ...], *, reason: str
) -> list[AuditEntry]:
    return [
        refused(
            send, info, reason=reason, provider=attempt.provider, status=_status(attempt.status)
        )
        for attempt in attempts
        if not attempt.delivered
    ]


async def _record(rt: Runtime, entries: list[AuditEntry]) -> None:
    async with rt.store.transaction() as tx:
        for entry in entries:
            tx.record(entry)
