"""The attempt limiter on Redis (store layer, cluster mode): one string per key.

Keys live under `twofold:limit:` and expire when their bucket is full again. `fail` is a
Lua script (EVALSHA), so concurrent failures from every node count.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator, Sequence

from redis.asyncio import Redis

from twofold.config import Bucket
from twofold.security.limits import (
    NEVER,
    became_exhausted,
    charge,
    ensure_allowed,
    is_exhausted,
    timestamp,
)

NAMESPACE = "twofold:limit:"
SCAN_BATCH = 500

# `next_allow_at` in Lua; ARGV: floor, interval, tolerance, now, NEVER. Numbers cross as
# shortest round-trip decimals and come back through %.17g, so they stay exact doubles.
# A bucket that never refills is never full again, so its key gets no expiry.
_FAIL = """
local allow_at = tonumber(redis.call('GET', KEYS[1]))
local floor, interval, tolerance = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local now, never = tonumber(ARGV[4]), tonumber(ARGV[5])
if allow_at == nil or allow_at < floor then
  allow_at = floor
end
allow_at = allow_at + interval
local value = string.format('%.17g', allow_at)
local expires = allow_at + tolerance
if expires >= never then
  redis.call('SET', KEYS[1], value)
else
  redis.call('SET', KEYS[1], value, 'PX', math.ceil((expires - now) * 1000))
end
return value
"""


class RedisLimiter:
    def __init__(self, client: Redis, *, namespace: str = NAMESPACE) -> None:
        self._client = client
        self._namespace = namespace
        self._fail = client.register_script(_FAIL)

    @classmethod
    def from_url(cls, url: str) -> RedisLimiter:
        return cls(Redis.from_url(url))

    async def aclose(self) -> None:
        await self._client.aclose()

    async def check(self, keys: Sequence[tuple[str, Bucket]], *, now: dt.datetime) -> None:
        if not keys:
            return
        values = await self._client.mget([self._namespace + key for key, _ in keys])
        ensure_allowed((float(value) for value in values if value is not None), now)

    async def fail(self, key: str, bucket: Bucket, *, now: dt.datetime) -> bool:
        cost = charge(bucket, now)
        args = [cost.floor, cost.interval, cost.tolerance, timestamp(now), NEVER]
        value = await self._fail(keys=[self._namespace + key], args=args)
        return became_exhausted(float(value), cost, now)

    async def reset(self, key: str) -> None:
        await self._client.delete(self._namespace + key)

    async def reset_prefix(self, prefix: str) -> int:
        removed = 0
        async for names in self._scan(prefix):
            removed += await self._client.unlink(*names)
        return removed

    async def blocked(self, prefix: str, *, now: dt.datetime) -> list[str]:
        found: list[str] = []
        async for names in self._scan(prefix):
            values = await self._client.mget(names)
            found.extend(
                name.decode()[len(self._namespace) :]
                for name, value in zip(names, values, strict=True)
                if value is not None and is_exhausted(float(value), now)
            )
        return found

    async def _scan(self, prefix: str) -> AsyncIterator[list[bytes]]:
        """Keys under `prefix` (glob characters in it taken literally), in batches."""
        pattern = _escape_glob(self._namespace + prefix) + "*"
        names: list[bytes] = []
        async for name in self._client.scan_iter(match=pattern, count=SCAN_BATCH):
            names.append(name)
            if len(names) == SCAN_BATCH:
                yield names
                names = []
        if names:
            yield names


def _escape_glob(text: str) -> str:
    return re.sub(r"([\\*?\[\]])", r"\\\1", text)
