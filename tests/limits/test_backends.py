"""The AttemptLimiter contract, run against each back end on the real server.

`limiter` is parametrized: SQL on this run's database leg (SQLite or PostgreSQL), and Redis.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twofold.clock import FrozenClock
from twofold.config import Bucket
from twofold.errors import TooManyAttemptsError
from twofold.security.limits import (
    AttemptLimiter,
    became_exhausted,
    charge,
    ensure_allowed,
    next_allow_at,
)

LATEST = dt.datetime.max.replace(tzinfo=dt.UTC)
MINUTE = Bucket(burst=3, refill_seconds=60)
FOREVER = Bucket(burst=3, refill_seconds=0)


async def retry_at(
    limiter: AttemptLimiter, key: str, *, clock: FrozenClock, bucket: Bucket = MINUTE
) -> dt.datetime | None:
    """When `check` says to retry, or None when it lets the key through."""
    try:
        await limiter.check([(key, bucket)], now=clock.now())
    except TooManyAttemptsError as error:
        return error.retry_at
    return None


async def fail_n(
    limiter: AttemptLimiter, key: str, *, bucket: Bucket, n: int, now: dt.datetime
) -> list[bool]:
    return [await limiter.fail(key, bucket, now=now) for _ in range(n)]


async def test_the_nth_failure_exhausts_the_bucket_and_says_so_once(
    limiter: AttemptLimiter, prefix: str, clock: FrozenClock
) -> None:
    key = prefix + "otp:u1"
    assert await fail_n(limiter, key, bucket=MINUTE, n=2, now=clock.now()) == [False, False]
    assert await retry_at(limiter, key, clock=clock) is None
    assert await limiter.fail(key, MINUTE, now=clock.now()) is True
    assert await retry_at(limiter, key, clock=clock) == clock.now() + dt.timedelta(seconds=60)
    assert await fail_n(limiter, key, bucket=MINUTE, n=2, now=clock.now()) == [False, False]


async def test_failures_past_exhaustion_push_the_retry_later(
    limiter: AttemptLimiter, prefix: str, clock: FrozenClock
) -> None:
    """Requests that raced past `check` still count: each costs one more interval."""
    key = prefix + "otp:u1"
    await fail_n(limiter, key, bucket=MINUTE, n=5, now=clock.now())
    assert await retry_at(limiter, key, clock=clock) == clock.now() + dt.timedelta(seconds=180)


async def test_one_failure_refills_per_interval(
    limiter: AttemptLimiter, prefix: str, clock: FrozenClock
) -> None:
    key = prefix + "otp:u1"
    start = clock.now()
    await fail_n(limiter, key, bucket=MINUTE, n=3, now=start)
    clock.advance(59.999_999)
    assert await retry_at(limiter, key, clock=clock) == start + dt.timedelta(seconds=60)
    clock.advance(0.000_001)
    assert await retry_at(limiter, key, clock=clock) is None
    assert await limiter.fail(key, MINUTE, now=clock.now()) is True
    assert await retry_at(limiter, key, clock=clock) == start + dt.timedelta(seconds=120)
    clock.advance(180)
    assert await fail_n(limiter, key, bucket=MINUTE, n=3, now=clock.now()) == [False, False, True]


async def test_a_fractional_interval_counts_exactly(
    limiter: AttemptLimiter, prefix: str, clock: FrozenClock
) -> None:
    """The token endpoint's 300 per 0.1 s: no rounding drift lets a 301st through."""
    bucket = Bucket(burst=300, refill_seconds=0.1)
    key, start = prefix + "ip:10.0.0.1", clock.now()
    outcomes = await fail_n(limiter, key, bucket=bucket, n=300, now=start)
    assert outcomes == [False] * 299 + [True]
    with pytest.raises(TooManyAttemptsError) as raised:
        await limiter.check([(key, bucket)], now=start)
    # 0.1 s on the 2**-20 s grid is 0.1000004 s: the retry is the microsecond after it.
    assert raised.value.retry_at - start == dt.timedelta(microseconds=100_001)
    clock.set(raised.value.retry_at - dt.timedelta(microseconds=1))
    with pytest.raises(TooManyAttemptsError):
        await limiter.check([(key, bucket)], now=clock.now())
    clock.set(raised.value.retry_at)
    await limiter.check([(key, bucket)], now=clock.now())


async def test_a_bucket_without_refill_blocks_until_reset(
    limiter: AttemptLimiter, prefix: str, clock: FrozenClock
) -> None:
    key = prefix + "ff:a@example.com:10.0.0.1"
    outcomes = []
    for _ in range(3):
        outcomes.append(await limiter.fail(key, FOREVER, now=clock.now()))
        clock.advance(86_400 * 30)
    assert outcomes == [False, False, True]
    clock.advance(86_400 * 365 * 20)
    with pytest.raises(TooManyAttemptsError) as raised:
        await limiter.check([(key, FOREVER)], now=clock.now())
    assert raised.value.retry_at == LATEST
    await limiter.reset(key)
    await limiter.check([(key, FOREVER)], now=clock.now())
    assert await fail_n(limiter, key, bucket=FOREVER, n=3, now=clock.now()) == [False, False, True]


async def test_check_reads_every_key_and_names_the_latest_retry(
    limiter: AttemptLimiter, prefix: str, clock: FrozenClock
) -> None:
    soon, later, free = prefix + "otp:u1", prefix + "ip:10.0.0.1", prefix + "rc:u1"
    await limiter.check([], now=clock.now())
    await fail_n(limiter, soon, bucket=MINUTE, n=3, now=clock.now())
    await fail_n(limiter, later, bucket=MINUTE, n=4, now=clock.now())
    await limiter.fail(free, MINUTE, now=clock.now())
    with pytest.raises(TooManyAttemptsError) as raised:
        await limiter.check(
            [(free, MINUTE), (soon, MINUTE), (later, MINUTE), (prefix + "never", MINUTE)],
            now=clock.now(),
        )
    assert raised.value.retry_at == clock.now() + dt.timedelta(seconds=120)
    await limiter.check([(free, MINUTE), (prefix + "never", MINUTE)], now=clock.now())


async def test_reset_forgets_only_that_key(
    limiter: AttemptLimiter, prefix: str, clock: FrozenClock
) -> None:
    one, other = prefix + "otp:u1", prefix + "otp:u10"
    for key in (one, other):
        await fail_n(limiter, key, bucket=MINUTE, n=3, now=clock.now())
    await limiter.reset(one)
    await limiter.reset(prefix + "otp:nobody")
    assert await retry_at(limiter, one, clock=clock) is None
    assert await retry_at(limiter, other, clock=clock) is not None
    assert await fail_n(limiter, one, bucket=MINUTE, n=3, now=clock.now()) == [False, False, True]


SPECIAL = "ff:a%b_c*d?e[f]g\\h:"
"""A prefix holding every LIKE and glob wildcard, an escape character and separators."""
LOOKALIKES = (
    "ff:aXXbYcZZdQeFg\\h:10.0.0.3",  # what the unescaped glob and LIKE would both match
    "ff:a%b_c*d?e[f]g\\:10.0.0.4",  # one character short
    "FF:A%B_C*D?E[F]G\\H:10.0.0.5",  # same letters in capitals (SQLite's LIKE ignores case)
    "ff:a%b_c*d?e[f]g\\h",  # the prefix without its last character
)


async def test_prefixes_are_taken_literally(
    limiter: AttemptLimiter, prefix: str, clock: FrozenClock
) -> None:
    under = prefix + SPECIAL
    blocked, counting = under + "10.0.0.1", under + "::1"
    for key in (blocked, *(prefix + other for other in LOOKALIKES)):
        await fail_n(limiter, key, bucket=FOREVER, n=3, now=clock.now())
    await limiter.fail(counting, FOREVER, now=clock.now())

    assert await limiter.blocked(under, now=clock.now()) == [blocked]
    assert await limiter.reset_prefix(under) == 2
    assert await limiter.blocked(under, now=clock.now()) == []
    assert await limiter.reset_prefix(under) == 0
    await limiter.check([(blocked, FOREVER), (counting, FOREVER)], now=clock.now())
    for other in LOOKALIKES:
        with pytest.raises(TooManyAttemptsError):
            await limiter.check([(prefix + other, FOREVER)], now=clock.now())
    assert sorted(await limiter.blocked(prefix, now=clock.now())) == sorted(
        prefix + other for other in LOOKALIKES
    )


async def test_blocked_lists_keys_as_the_admin_api_reads_them(
    limiter: AttemptLimiter, prefix: str, clock: FrozenClock
) -> None:
    """flows/management.py strips the prefix from each key to show the blocked IP."""
    under = prefix + "ff:a@example.com:"
    for ip in ("10.0.0.1", "2001:db8::1"):
        await fail_n(limiter, under + ip, bucket=FOREVER, n=3, now=clock.now())
    await fail_n(limiter, under + "10.0.0.2", bucket=FOREVER, n=2, now=clock.now())
    await fail_n(
        limiter, prefix + "ff:a@example.com.evil:10.0.0.9", bucket=FOREVER, n=3, now=clock.now()
    )
    found = await limiter.blocked(under, now=clock.now())
    assert sorted(key.removeprefix(under) for key in found) == ["10.0.0.1", "2001:db8::1"]


async def test_blocked_forgets_buckets_that_refilled(
    limiter: AttemptLimiter, prefix: str, clock: FrozenClock
) -> None:
    key = prefix + "otp:u1"
    await fail_n(limiter, key, bucket=MINUTE, n=3, now=clock.now())
    assert await limiter.blocked(prefix, now=clock.now()) == [key]
    clock.advance(60)
    assert await limiter.blocked(prefix, now=clock.now()) == []


@pytest.mark.parametrize("burst", [50, 51])
async def test_concurrent_failures_all_count(
    limiter: AttemptLimiter, prefix: str, clock: FrozenClock, burst: int
) -> None:
    """50 failures at once, over separate connections: exactly 50 are counted."""
    bucket = Bucket(burst=burst, refill_seconds=3600)
    key = prefix + "ip:10.0.0.1"
    outcomes = await asyncio.gather(
        *(limiter.fail(key, bucket, now=clock.now()) for _ in range(50))
    )
    if burst == 50:
        assert outcomes.count(True) == 1
        assert await retry_at(limiter, key, clock=clock) == clock.now() + dt.timedelta(hours=1)
    else:
        assert outcomes.count(True) == 0
        assert await limiter.fail(key, bucket, now=clock.now()) is True


BUCKETS = (MINUTE, FOREVER, Bucket(burst=4, refill_seconds=0.25))
steps = st.lists(
    st.tuples(
        st.sampled_from([0.0, 0.000_001, 0.1, 0.25, 1.0, 20.0, 60.0, 3600.0]),
        st.integers(min_value=0, max_value=len(BUCKETS) - 1),
        st.booleans(),
    ),
    min_size=1,
    max_size=40,
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(script=steps)
async def test_back_ends_agree_with_the_arithmetic(
    limiter: AttemptLimiter, prefix: str, clock: FrozenClock, script: list[tuple[float, int, bool]]
) -> None:
    """Random failures and checks: every outcome is what the pure functions predict."""
    run = f"{prefix}{secrets.token_hex(4)}:"
    model: dict[str, float] = {}
    for pause, which, failing in script:
        clock.advance(pause)
        now, key, bucket = clock.now(), f"{run}{which}", BUCKETS[which]
        if failing:
            cost = charge(bucket, now)
            model[key] = next_allow_at(model.get(key), cost)
            expected = became_exhausted(model[key], cost, now)
            assert await limiter.fail(key, bucket, now=now) is expected
        else:
            seen = await retry_at(limiter, key, clock=clock, bucket=bucket)
            assert seen == _model_retry(model.get(key), now)


def _model_retry(allow_at: float | None, now: dt.datetime) -> dt.datetime | None:
    try:
        ensure_allowed([] if allow_at is None else [allow_at], now)
    except TooManyAttemptsError as error:
        return error.retry_at
    return None
