"""Limiter fixtures: each back end on the real thing, every key under a prefix of its own.

The session's `engine` fixture has already created the tables (store.migrate.upgrade).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from twofold.security.limits import AttemptLimiter
from twofold.store.limits.redis import RedisLimiter
from twofold.store.limits.sql import SqlLimiter

BACK_ENDS = ("sql", pytest.param("redis", marks=pytest.mark.redis))


@pytest.fixture
def prefix() -> str:
    """A key prefix no other test uses; teardown removes everything under it."""
    return f"test{secrets.token_hex(6)}:"


@pytest.fixture
async def sql_limiter(engine: AsyncEngine, prefix: str) -> AsyncIterator[SqlLimiter]:
    limiter = SqlLimiter(engine)
    yield limiter
    await limiter.reset_prefix(prefix)


@pytest.fixture
async def redis_limiter(redis_url: str, prefix: str) -> AsyncIterator[RedisLimiter]:
    limiter = RedisLimiter.from_url(redis_url)
    try:
        yield limiter
        await limiter.reset_prefix(prefix)
    finally:
        await limiter.aclose()


@pytest.fixture(params=BACK_ENDS)
def limiter(request: pytest.FixtureRequest) -> AttemptLimiter:
    """Each test using it runs once per back end."""
    # Returning the union as the protocol makes mypy check that both back ends conform.
    chosen: SqlLimiter | RedisLimiter = request.getfixturevalue(f"{request.param}_limiter")
    return chosen
