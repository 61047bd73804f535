"""What only the SQL back end does: sweep stale rows, store overlong keys."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from twofold.clock import FrozenClock
from twofold.config import Bucket
from twofold.errors import TooManyAttemptsError
from twofold.store.limits.sql import KEY_LENGTH, SqlLimiter
from twofold.store.tables.limits import limit_buckets

MINUTE = Bucket(burst=3, refill_seconds=60)
FOREVER = Bucket(burst=3, refill_seconds=0)


async def stored_keys(engine: AsyncEngine, prefix: str) -> list[str]:
    query = select(limit_buckets.c.key).where(
        func.substr(limit_buckets.c.key, 1, len(prefix)) == prefix
    )
    async with engine.connect() as conn:
        return sorted((await conn.execute(query)).scalars().all())


async def test_the_sweep_removes_only_rows_whose_bucket_is_full_again(
    engine: AsyncEngine, sql_limiter: SqlLimiter, prefix: str, clock: FrozenClock
) -> None:
    refilled, counting, forever = prefix + "a", prefix + "b", prefix + "c"
    await sql_limiter.fail(refilled, MINUTE, now=clock.now())  # full again 60 s later
    await sql_limiter.fail(counting, MINUTE, now=clock.now())
    await sql_limiter.fail(forever, FOREVER, now=clock.now())
    clock.advance(60.5)
    await sql_limiter.fail(counting, MINUTE, now=clock.now())  # sweeps: a minute has passed
    assert await stored_keys(engine, prefix) == [counting, forever]


async def test_the_sweep_runs_at_most_once_a_minute(
    engine: AsyncEngine, sql_limiter: SqlLimiter, prefix: str, clock: FrozenClock
) -> None:
    await sql_limiter.fail(prefix + "a", MINUTE, now=clock.now())  # the first failure sweeps
    clock.advance(61)
    await sql_limiter.fail(prefix + "b", MINUTE, now=clock.now())  # sweeps "a"
    await sql_limiter.fail(prefix + "c", MINUTE, now=clock.now())
    clock.advance(61)
    await sql_limiter.fail(prefix + "d", MINUTE, now=clock.now())  # sweeps "b" and "c"
    clock.advance(59)
    await sql_limiter.fail(prefix + "e", MINUTE, now=clock.now())  # too soon: "d" stays
    assert await stored_keys(engine, prefix) == [prefix + "d", prefix + "e"]


async def test_overlong_keys_are_stored_hashed_and_still_count(
    engine: AsyncEngine, sql_limiter: SqlLimiter, prefix: str, clock: FrozenClock
) -> None:
    """An email longer than the column must not turn a wrong password into a 500."""
    long_email = "a" * 400 + "@example.com"
    key, sibling = f"{prefix}ff:{long_email}:10.0.0.1", f"{prefix}ff:{long_email}:10.0.0.2"
    outcomes = [await sql_limiter.fail(key, FOREVER, now=clock.now()) for _ in range(3)]
    assert outcomes == [False, False, True]
    with pytest.raises(TooManyAttemptsError):
        await sql_limiter.check([(key, FOREVER)], now=clock.now())
    await sql_limiter.check([(sibling, FOREVER)], now=clock.now())
    assert [len(stored) for stored in await stored_keys(engine, prefix)] == [KEY_LENGTH]
    await sql_limiter.reset(key)
    await sql_limiter.check([(key, FOREVER)], now=clock.now())
