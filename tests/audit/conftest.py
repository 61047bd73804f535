"""Audit fixtures: a Store on a database of its own per test, since tests here tamper with
rows and must not leave a broken chain in the session's shared database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.audit.helpers import CHAINS
from tests.conftest import scratch_database
from twofold.clock import FrozenClock
from twofold.config import Settings
from twofold.store.db import create_engine
from twofold.store.migrate import upgrade
from twofold.store.uow import Store


@pytest.fixture
async def store(tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Store]:
    async with scratch_database(tmp_path, "audit") as url:
        engine = create_engine(Settings(data_dir=tmp_path, database_url=url, redis_url=None))
        try:
            await upgrade(engine)
            yield Store(engine, clock=clock, audit_chains=CHAINS)
        finally:
            await engine.dispose()
