"""The inline SQLite driver under the engine: round trips, the pragmas, SQLITE_BUSY retried
without blocking the event loop, and sqlite3 errors surfacing as SQLAlchemy's (on a scratch
SQLite file, whatever this leg's database)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from twofold.config import Settings
from twofold.store import sqlite_inline
from twofold.store.db import begin_write, create_engine

SCHEMA = (
    "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
    "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent)",
)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(Settings(data_dir=tmp_path, redis_url=None))
    async with begin_write(engine) as conn:
        for statement in SCHEMA:
            await conn.execute(text(statement))
    yield engine
    await engine.dispose()


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection on the engine's file, as another process would hold it."""
    connection = sqlite3.connect(tmp_path / "twofold.db", isolation_level=None)
    yield connection
    connection.close()


class Ticker:
    """Records the longest gap between wake-ups of a task that sleeps 1 ms at a time."""

    def __init__(self) -> None:
        self.ticks = 0
        self.longest_gap = 0.0

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            await asyncio.sleep(0.001)
            now = loop.time()
            self.longest_gap = max(self.longest_gap, now - last)
            self.ticks += 1
            last = now


async def test_round_trip_through_the_engine(engine: AsyncEngine) -> None:
    async with begin_write(engine) as conn:
        inserted = await conn.execute(
            text("INSERT INTO parent (name) VALUES (:name)"), [{"name": "a"}, {"name": "b"}]
        )
        assert inserted.rowcount == 2
        last = await conn.execute(text("INSERT INTO parent (name) VALUES ('c') RETURNING id"))
        assert last.scalar_one() == 3
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT id, name FROM parent ORDER BY id"))
        assert rows.all() == [(1, "a"), (2, "b"), (3, "c")]
        async with conn.stream(text("SELECT name FROM parent ORDER BY id")) as streamed:
            assert [name async for (name,) in streamed] == ["a", "b", "c"]


async def test_the_pragmas_apply(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        pragmas = {
            name: (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar_one()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 1,
        "foreign_keys": 1,
        "busy_timeout": 0,
    }


async def _insert_then_fail(engine: AsyncEngine) -> None:
    async with begin_write(engine) as conn:
        await conn.execute(text("INSERT INTO parent (name) VALUES ('gone')"))
        raise LookupError


async def test_a_rolled_back_write_leaves_nothing(engine: AsyncEngine) -> None:
    with pytest.raises(LookupError):
        await _insert_then_fail(engine)
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM parent"))).scalar_one() == 0


async def test_a_busy_write_waits_without_blocking_the_loop(
    engine: AsyncEngine, holder: sqlite3.Connection
) -> None:
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO parent (name) VALUES ('first')")
    loop = asyncio.get_running_loop()
    loop.call_later(0.1, holder.commit)
    ticker = Ticker()
    ticking = asyncio.create_task(ticker.run())
    started = loop.time()
    try:
        async with begin_write(engine) as conn:
            await conn.execute(text("INSERT INTO parent (name) VALUES ('second')"))
    finally:
        ticking.cancel()
    waited = loop.time() - started
    assert waited >= 0.09
    # The loop kept running while the write waited: the ticker woke up all along.
    assert ticker.ticks >= 10
    assert ticker.longest_gap < 0.06
    async with engine.connect() as conn:
        names = (await conn.execute(text("SELECT name FROM parent ORDER BY id"))).scalars()
        assert names.all() == ["first", "second"]


async def test_a_write_gives_up_after_the_busy_timeout(
    tmp_path: Path, engine: AsyncEngine, holder: sqlite3.Connection
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'twofold.db'}"
    impatient = create_async_engine(url, async_creator=sqlite_inline.connector(url, timeout=0.05))
    holder.execute("BEGIN IMMEDIATE")
    try:
        async with impatient.connect() as conn:
            with pytest.raises(OperationalError, match="database is locked"):
                await conn.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        holder.rollback()
        await impatient.dispose()


async def test_constraint_violations_surface_as_integrity_errors(engine: AsyncEngine) -> None:
    async with begin_write(engine) as conn:
        await conn.execute(text("INSERT INTO parent (name) VALUES ('taken')"))
    with pytest.raises(IntegrityError, match=r"UNIQUE constraint failed: parent\.name"):
        async with begin_write(engine) as conn:
            await conn.execute(text("INSERT INTO parent (name) VALUES ('taken')"))
    with pytest.raises(IntegrityError, match="FOREIGN KEY constraint failed"):
        async with begin_write(engine) as conn:
            await conn.execute(text("INSERT INTO child (parent_id) VALUES (404)"))
    async with begin_write(engine) as conn:  # the connections went back to the pool usable
        await conn.execute(text("INSERT INTO parent (name) VALUES ('next')"))
