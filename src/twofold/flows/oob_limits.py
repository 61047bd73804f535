"""Abuse limits on sending codes out of band (SMS pumping, toll fraud, email bombing).

Before a code goes out, `admit_send` checks the country lists (SMS and voice) and three
send buckets of the attempt limiter — the user's, the destination's and the tenant's, per
medium — then charges each one send. Unlike the failure buckets of flows/attempts.py these
count every send, delivered or not: a provider that failed may still have delivered, and an
attacker must not get free sends by making delivery fail. Refusals are audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from twofold.audit import events
from twofold.config import Bucket, OobSettings, SendLimits
from twofold.domain import AuditEntry
from twofold.errors import (
    CountryNotAllowedError,
    TooManyAttemptsError,
    TooManyEmailError,
    TooManySendsError,
    TooManySmsError,
    TooManyVoiceError,
)
from twofold.factors.destinations import mask, region_of
from twofold.factors.oob import OobChannel
from twofold.flows.runtime import RequestInfo, Runtime

Scope = Literal["user", "destination", "tenant"]

REFUSALS: Mapping[OobChannel, type[TooManySendsError]] = MappingProxyType(
    {"sms": TooManySmsError, "voice": TooManyVoiceError, "email": TooManyEmailError}
)
"""Guardian's error code per medium, whichever of its buckets is empty."""


@dataclass(frozen=True, slots=True)
class OobSend:
    """One code about to go out, and who asked for it."""

    user_id: str
    channel: OobChannel
    destination: str
    """E.164 number or email address, as validated at enrolment."""
    authenticator_id: str | None = None
    """None for the first send of an enrolment that has no authenticator yet."""
    client_id: str | None = None


def send_limits(settings: OobSettings, channel: OobChannel) -> SendLimits:
    by_channel = {"sms": settings.sms, "voice": settings.voice, "email": settings.email}
    return by_channel[channel]


def user_key(channel: OobChannel, user_id: str) -> str:
    return f"send:{channel}:user:{user_id}"


def destination_key(rt: Runtime, channel: OobChannel, destination: str) -> str:
    """Keyed by a peppered hash: the limiter's table and Redis never hold numbers or
    addresses. Case-folded, so `Victim@Example.com` and `victim@example.com` share one."""
    digest = rt.keyring.keyed_hash(destination.casefold(), purpose="oob-destination")
    return f"send:{channel}:to:{digest}"


def tenant_key(channel: OobChannel) -> str:
    return f"send:{channel}:tenant"


def send_buckets(rt: Runtime, send: OobSend) -> list[tuple[Scope, str, Bucket]]:
    """The buckets one send is charged to, narrowest first (the first empty one is reported)."""
    limits = send_limits(rt.settings.oob, send.channel)
    return [
        ("user", user_key(send.channel, send.user_id), limits.per_user),
        (
            "destination",
            destination_key(rt, send.channel, send.destination),
            limits.per_destination,
        ),
        ("tenant", tenant_key(send.channel), limits.tenant),
    ]


def country_allowed(settings: OobSettings, region: str | None) -> bool:
    """The deny list wins; a non-empty allow list admits only its regions (so never a
    non-geographic number, whose region is None)."""
    if region is not None and region in settings.countries_denied:
        return False
    return not settings.countries_allowed or region in settings.countries_allowed


async def _first_empty(
    rt: Runtime, buckets: Sequence[tuple[Scope, str, Bucket]], now: dt.datetime
) -> tuple[Scope, dt.datetime] | None:
    """The first empty bucket and when it allows again. One read per bucket, so the audit
    can say which limit refused: sends cost money and are rare, the reads are not."""
    for scope, key, bucket in buckets:
        try:
            await rt.limiter.check([(key, bucket)], now=now)
        except TooManyAttemptsError as exc:
            return scope, exc.retry_at
    return None


async def admit_send(rt: Runtime, send: OobSend, info: RequestInfo) -> None:
    """Charge one send to each bucket, or raise (and audit) CountryNotAllowedError or the
    medium's TooManySendsError without charging anything.

    Check-then-charge is not one atomic step: sends racing past the check all go out, but
    each one still charges every bucket, pushing the next allowed send further away.
    """
    now = rt.clock.now()
    if send.channel != "email" and not country_allowed(rt.settings.oob, _region(send)):
        await _record(rt, refused(send, info, reason=CountryNotAllowedError.code))
        raise CountryNotAllowedError()
    buckets = send_buckets(rt, send)
    empty = await _first_empty(rt, buckets, now)
    if empty is not None:
        scope, retry_at = empty
        error = REFUSALS[send.channel](retry_at=retry_at)
        await _record(rt, refused(send, info, reason=error.code, limit=scope))
        raise error
    for _scope, key, bucket in buckets:
        await rt.limiter.fail(key, bucket, now=now)


async def _record(rt: Runtime, entry: AuditEntry) -> None:
    """A refusal changes no state, so its event gets a transaction of its own."""
    async with rt.store.transaction() as tx:
        tx.record(entry)


def _region(send: OobSend) -> str | None:
    return None if send.channel == "email" else region_of(send.destination)


def refused(
    send: OobSend,
    info: RequestInfo,
    *,
    reason: str,
    limit: Scope | None = None,
    provider: str | None = None,
    status: int | None = None,
) -> AuditEntry:
    """`gd_send_<channel>_failure`: refused by a limit or the country lists, or (`reason`
    `delivery_failed`, with `provider` and `status`) failed at the provider."""
    return events.OobSendFailed(
        user_id=send.user_id,
        client_id=send.client_id,
        ip=info.ip,
        user_agent=info.user_agent,
        channel=send.channel,
        authenticator_id=send.authenticator_id,
        to=mask(send.channel, send.destination),
        country=_region(send),
        reason=reason,
        limit=limit,
        provider=provider,
        status=status,
    ).entry()


def sent(send: OobSend, info: RequestInfo, *, provider: str, attempts: int) -> AuditEntry:
    """`gd_send_<channel>`: the provider accepted the message after `attempts` tries."""
    return events.OobCodeSent(
        user_id=send.user_id,
        client_id=send.client_id,
        ip=info.ip,
        user_agent=info.user_agent,
        channel=send.channel,
        authenticator_id=send.authenticator_id,
        to=mask(send.channel, send.destination),
        country=_region(send),
        provider=provider,
        attempts=attempts,
    ).entry()
