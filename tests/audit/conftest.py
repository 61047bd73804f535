"""Audit fixtures: a Store on a database of its own per test, since tests here tamper with
rows and must not leave a broken chain in the session's shared database."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import NullPool, text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.audit.helpers import CHAINS
from tests.conftest import LEG, POSTGRES_URL
from twofold.clock import FrozenClock
from twofold.config import Settings
from twofold.store.db import create_engine
from twofold.store.migrate import upgrade
from twofold.store.uow import Store


async def _admin(sql: str) -> None:
    url = POSTGRES_URL.replace("postgresql://", "postgresql+asyncpg://", 1)
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


@pytest.fixture
async def store(tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Store]:
    name = f"twofold_audit_{secrets.token_hex(6)}"
    if LEG == "postgresql":
        await _admin(f'CREATE DATABASE "{name}"')
        url = f"{POSTGRES_URL.rpartition('/')[0]}/{name}"
    else:
        url = f"sqlite:///{tmp_path / 'audit.db'}"
    engine = create_engine(Settings(data_dir=tmp_path, database_url=url, redis_url=None))
    try:
        await upgrade(engine)
        yield Store(engine, clock=clock, audit_chains=CHAINS)
    finally:
        await engine.dispose()
        if LEG == "postgresql":
            await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
