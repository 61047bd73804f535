"""The attempt limiter's contract and its GCRA arithmetic (security layer, storage-free).

Back ends (store/limits/) keep one number per key and mirror `next_allow_at` in SQL or Lua;
everything else they do goes through the functions here. Decision record: docs/decisions/005.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from twofold.config import Bucket
from twofold.errors import TooManyAttemptsError

STEPS_PER_SECOND = 2**20
QUANTUM = 1 / STEPS_PER_SECOND
"""Time resolution (about 1 µs). Instants and intervals are whole multiples of it, so the
sums below are exact in IEEE doubles — in Python, PostgreSQL, SQLite and Redis' Lua alike —
for any value under 2**33 s (year 2242), i.e. while burst x refill_seconds stays below that."""

NEVER = 2.0**33
"""The interval of a bucket that never refills: later than any instant the limiter meets, so
one such interval already reads as "blocked for good". Multiples of a power of two are exact."""

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)
_LATEST = dt.datetime.max.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class Charge:
    """What one failure on a bucket costs at one instant (GCRA, ITU-T I.371 virtual scheduling).

    A key's state is `allow_at`, the earliest instant its next failure conforms: the GCRA
    theoretical arrival time (TAT) minus the tolerance `tau` = (burst - 1) x interval. Storing
    TAT - tau rather than TAT means "exhausted" is `allow_at > now` whatever the bucket, so
    `check` and `blocked` never need the bucket's settings.
    """

    floor: float
    """`allow_at` of a full bucket now (now - tau); a missing or stale key stands here."""
    interval: float
    """Seconds one failure adds (refill_seconds, or NEVER for a bucket that never refills)."""
    tolerance: float
    """tau: after `allow_at + tau` the bucket is full again and the key can be forgotten."""


def timestamp(now: dt.datetime) -> float:
    """Epoch seconds, rounded down to the QUANTUM grid (integer arithmetic, so exact)."""
    if now.tzinfo is None:
        raise ValueError("the limiter needs aware datetimes; use twofold.clock")
    micros = (now - _EPOCH) // _MICROSECOND
    return (micros * STEPS_PER_SECOND // 1_000_000) * QUANTUM


def to_datetime(seconds: float) -> dt.datetime:
    """The first microsecond at or after epoch `seconds`, so `timestamp(to_datetime(s)) >= s`.

    A block that never lifts maps to the latest datetime.
    """
    if seconds >= NEVER:
        return _LATEST
    steps = math.ceil(seconds * STEPS_PER_SECOND)
    return _EPOCH + -(-steps * 1_000_000 // STEPS_PER_SECOND) * _MICROSECOND


def charge(bucket: Bucket, now: dt.datetime) -> Charge:
    """The parameters of one failure on `bucket` at `now`.

    A bucket that never refills is a counter: its clock is frozen at 0 and each failure adds
    NEVER, so `allow_at` goes -(burst-1)·NEVER, ..., 0 (one failure left), NEVER (blocked).
    """
    if bucket.refill_seconds == 0:
        interval, start = NEVER, 0.0
    else:
        interval = max(round(bucket.refill_seconds / QUANTUM), 1) * QUANTUM
        start = timestamp(now)
    tolerance = (bucket.burst - 1) * interval
    return Charge(floor=start - tolerance, interval=interval, tolerance=tolerance)


def next_allow_at(allow_at: float | None, cost: Charge) -> float:
    """The state after one more failure. Back ends run this same expression atomically.

    Every failure counts, even one on an exhausted bucket (requests that raced past `check`):
    each pushes the block one interval further, so racing buys no extra guesses over time.
    """
    start = cost.floor if allow_at is None or allow_at < cost.floor else allow_at
    return start + cost.interval


def expires_at(allow_at: float, cost: Charge) -> float:
    """When the key's bucket is full again; from then on the key may be deleted."""
    return allow_at + cost.tolerance


def is_exhausted(allow_at: float, now: dt.datetime) -> bool:
    """No further failure is allowed at `now`."""
    return allow_at > timestamp(now)


def became_exhausted(allow_at: float, cost: Charge, now: dt.datetime) -> bool:
    """Whether the failure that produced `allow_at` is the one that exhausted the bucket.

    The previous state, clamped to the floor, is exactly `allow_at - interval`, so the
    answer needs only what the atomic update returns.
    """
    return is_exhausted(allow_at, now) and not is_exhausted(allow_at - cost.interval, now)


def ensure_allowed(states: Iterable[float], now: dt.datetime) -> None:
    """Raise TooManyAttemptsError, retrying when every exhausted key allows again."""
    blocking = [allow_at for allow_at in states if is_exhausted(allow_at, now)]
    if blocking:
        raise TooManyAttemptsError(retry_at=to_datetime(max(blocking)))


class AttemptLimiter(Protocol):
    """Failure buckets keyed by strings such as `otp:{user_id}` (see docs/security.md).

    Flows `check` before verifying a guess and `fail` after a wrong one. Both back ends hold
    across processes and nodes; `fail` is atomic, so concurrent failures all count.
    """

    async def check(self, keys: Sequence[tuple[str, Bucket]], *, now: dt.datetime) -> None:
        """Raise TooManyAttemptsError if any key is exhausted; consumes nothing.

        On the hot path: one read. The stored state already says when each key allows again,
        so the buckets are not needed to decide.
        """
        ...

    async def fail(self, key: str, bucket: Bucket, *, now: dt.datetime) -> bool:
        """Record one failure; True when this very failure exhausted the bucket (audit it)."""
        ...

    async def reset(self, key: str) -> None:
        """Forget the key: its bucket is full again."""
        ...

    async def reset_prefix(self, prefix: str) -> int:
        """Forget every key starting with `prefix` (taken literally); how many were removed."""
        ...

    async def blocked(self, prefix: str, *, now: dt.datetime) -> list[str]:
        """The keys starting with `prefix` (taken literally) that are exhausted at `now`."""
        ...
