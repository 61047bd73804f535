"""Limits against push fatigue (docs/decisions/010): a user who is sent pushes until they tap
"approve" by reflex is the attack, so pushes are rate-limited and paused, and refusals audited.

All state is in the attempt limiter (SQL or Redis), so the limits hold across nodes:
- `push:minute:<user>` and `push:hour:<user>`: every push sent is charged (5 a minute as
  Auth0, 30 an hour);
- `push:pause:<user>`: charged once when the user rejects `rejections_before_pause` pushes
  within `rejection_window`; empty for `pause_seconds`;
- `push:fraud:<user>`: charged once by a fraud report; never refills, so pushes stay off
  until an administrator clears it (`clear_pause`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from twofold.audit import events
from twofold.config import Bucket, PushSettings
from twofold.domain import AuditEntry
from twofold.errors import PushPausedError, TooManyAttemptsError, TooManyPushError
from twofold.flows.runtime import RequestInfo, Runtime

PAUSED_DESCRIPTION = (
    "Push notifications are paused for this user after several rejected pushes. "
    "Try again later or use another factor."
)


def minute_key(user_id: str) -> str:
    return f"push:minute:{user_id}"


def hour_key(user_id: str) -> str:
    return f"push:hour:{user_id}"


def pause_key(user_id: str) -> str:
    return f"push:pause:{user_id}"


def fraud_key(user_id: str) -> str:
    return f"push:fraud:{user_id}"


def send_buckets(settings: PushSettings, user_id: str) -> list[tuple[str, str, Bucket]]:
    """(limit name, key, bucket) charged for every push, narrowest first."""
    return [
        (
            "minute",
            minute_key(user_id),
            Bucket(burst=settings.per_minute, refill_seconds=60 / settings.per_minute),
        ),
        (
            "hour",
            hour_key(user_id),
            Bucket(burst=settings.per_hour, refill_seconds=3600 / settings.per_hour),
        ),
    ]


def pause_bucket(settings: PushSettings) -> Bucket:
    return Bucket(burst=1, refill_seconds=settings.pause_seconds)


FRAUD_BUCKET = Bucket(burst=1, refill_seconds=0)
"""Never refills: only an administrator's `clear_pause` lifts a fraud pause."""


@dataclass(frozen=True, slots=True)
class PushAsk:
    """One push about to be sent, and who asked for it."""

    user_id: str
    authenticator_id: str
    client_id: str | None


async def _blocked(rt: Runtime, key: str, bucket: Bucket, now: dt.datetime) -> dt.datetime | None:
    try:
        await rt.limiter.check([(key, bucket)], now=now)
    except TooManyAttemptsError as exc:
        return exc.retry_at
    return None


async def admit_push(rt: Runtime, ask: PushAsk, info: RequestInfo) -> None:
    """Charge one push to the user's buckets, or raise (and audit) without charging:
    PushPausedError (403) after a fraud report, TooManyPushError (429) while paused after
    rejections or past the per-minute or per-hour limit."""
    settings, now = rt.settings.push, rt.clock.now()
    if await _blocked(rt, fraud_key(ask.user_id), FRAUD_BUCKET, now) is not None:
        await _record(rt, refused(ask, info, reason=PushPausedError.code))
        raise PushPausedError()
    until = await _blocked(rt, pause_key(ask.user_id), pause_bucket(settings), now)
    if until is not None:
        await _record(rt, refused(ask, info, reason=TooManyPushError.code, limit="rejections"))
        raise TooManyPushError(PAUSED_DESCRIPTION, retry_at=until)
    buckets = send_buckets(settings, ask.user_id)
    for limit, key, bucket in buckets:
        until = await _blocked(rt, key, bucket, now)
        if until is not None:
            await _record(rt, refused(ask, info, reason=TooManyPushError.code, limit=limit))
            raise TooManyPushError(
                f"Too many push notifications sent (the per-{limit} limit). Try again later.",
                retry_at=until,
            )
    for _limit, key, bucket in buckets:
        await rt.limiter.fail(key, bucket, now=now)


async def pause_after_rejection(
    rt: Runtime, user_id: str, *, rejections: int, client_id: str | None, info: RequestInfo
) -> bool:
    """Pause pushes when `rejections` (within the window, this one included) reached the
    limit; True when a pause started. Run after the rejection committed."""
    if rejections < rt.settings.push.rejections_before_pause:
        return False
    await rt.limiter.fail(pause_key(user_id), pause_bucket(rt.settings.push), now=rt.clock.now())
    await _record(
        rt, paused(user_id, "rejections", client_id=client_id, info=info, rejections=rejections)
    )
    return True


async def pause_for_fraud(
    rt: Runtime, user_id: str, *, client_id: str | None, info: RequestInfo
) -> None:
    """ "This wasn't me": no more pushes for the user until an administrator looks."""
    await rt.limiter.fail(fraud_key(user_id), FRAUD_BUCKET, now=rt.clock.now())
    await _record(rt, paused(user_id, "fraud", client_id=client_id, info=info))


async def clear_pause(rt: Runtime, user_id: str, *, actor: str) -> None:
    """Lift both pauses (the administrator looked); the send buckets are left as they are."""
    await rt.limiter.reset(fraud_key(user_id))
    await rt.limiter.reset(pause_key(user_id))
    await _record(rt, events.PushPauseCleared(user_id=user_id, actor=actor).entry())


def paused(
    user_id: str,
    cause: str,
    *,
    client_id: str | None,
    info: RequestInfo,
    rejections: int | None = None,
) -> AuditEntry:
    return events.PushPaused(
        user_id=user_id,
        client_id=client_id,
        ip=info.ip,
        user_agent=info.user_agent,
        cause=cause,
        rejections=rejections,
    ).entry()


def refused(
    ask: PushAsk, info: RequestInfo, *, reason: str, limit: str | None = None
) -> AuditEntry:
    return events.PushSendFailed(
        user_id=ask.user_id,
        client_id=ask.client_id,
        ip=info.ip,
        user_agent=info.user_agent,
        authenticator_id=ask.authenticator_id,
        push_id=None,
        reason=reason,
        limit=limit,
    ).entry()


async def _record(rt: Runtime, entry: AuditEntry) -> None:
    """A refusal or a pause changes no row, so its event gets a transaction of its own."""
    async with rt.store.transaction() as tx:
        tx.record(entry)
