"""What only the Redis back end does: namespaced keys that expire when full again."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from twofold.clock import FrozenClock
from twofold.config import Bucket
from twofold.store.limits.redis import NAMESPACE, RedisLimiter

pytestmark = pytest.mark.redis

MINUTE = Bucket(burst=3, refill_seconds=60)
FOREVER = Bucket(burst=3, refill_seconds=0)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


async def test_keys_expire_when_their_bucket_is_full_again(
    redis: Redis, redis_limiter: RedisLimiter, prefix: str, clock: FrozenClock
) -> None:
    key = prefix + "otp:u1"
    await redis_limiter.fail(key, MINUTE, now=clock.now())
    assert 59_000 < await redis.pttl(NAMESPACE + key) <= 60_000
    await redis_limiter.fail(key, MINUTE, now=clock.now())
    assert 119_000 < await redis.pttl(NAMESPACE + key) <= 120_000


async def test_keys_of_buckets_that_never_refill_do_not_expire(
    redis: Redis, redis_limiter: RedisLimiter, prefix: str, clock: FrozenClock
) -> None:
    key = prefix + "ff:a@example.com:10.0.0.1"
    await redis_limiter.fail(key, FOREVER, now=clock.now())
    assert await redis.pttl(NAMESPACE + key) == -1
    assert await redis.exists(key) == 0
