"""Test legs: the whole suite runs once per database (`TWOFOLD_TEST_DATABASE=sqlite|postgresql`).

Each run creates its own database (a temp SQLite file, or a fresh PostgreSQL database) and
drops it afterwards. Redis tests use `TWOFOLD_TEST_REDIS_URL` (a real server).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from twofold.clock import FrozenClock
from twofold.config import PasswordSettings, Settings
from twofold.store.db import create_engine
from twofold.store.migrate import upgrade

LEG = os.environ.get("TWOFOLD_TEST_DATABASE", "sqlite")
POSTGRES_URL = os.environ.get(
    "TWOFOLD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TWOFOLD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _pg_url(database: str) -> str:
    base, _, _ = POSTGRES_URL.rpartition("/")
    return f"{base}/{database}"


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(POSTGRES_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@asynccontextmanager
async def scratch_database(tmp_path: Path, purpose: str) -> AsyncIterator[str]:
    """The URL of an empty database of this leg for one test, dropped afterwards.

    For tests that tamper with rows, bootstrap admins or walk migrations, none of which may
    touch the session's shared database.
    """
    if LEG != "postgresql":
        yield f"sqlite:///{tmp_path / f'{purpose}.db'}"
        return
    name = f"twofold_{purpose}_{secrets.token_hex(6)}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url(name)
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if LEG == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'twofold.db'}"
        return
    if LEG != "postgresql":
        raise pytest.UsageError(f"unknown TWOFOLD_TEST_DATABASE={LEG!r}")
    name = f"twofold_test_{secrets.token_hex(6)}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield _pg_url(name)
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def settings(database_url: str, data_dir: Path) -> Settings:
    # argon2 at its cheapest: the suite hashes hundreds of passwords; the cost is not under test.
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        redis_url=None,
        passwords=PasswordSettings(time_cost=1, memory_kib=8, parallelism=1),
    )


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(dt.datetime(2026, 11, 22, 12, 0, 0, tzinfo=dt.UTC))


@pytest.fixture(scope="session")
def redis_url() -> str:
    return REDIS_URL
