"""The async engine, built from Settings on demand (never at import), and write transactions.

SQLite runs in WAL mode and every transaction begins IMMEDIATE: SQLite has one writer, and
taking the write lock up front turns lock-upgrade deadlocks into short, ordered waits. Within
a process, writers queue on an asyncio lock before they take a connection (`begin_write`);
sqlite3 runs on the event loop itself (`sqlite_inline`).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from twofold.config import Settings
from twofold.store import sqlite_inline

READ_ONLY = "twofold_read_only"
"""Execution option: `conn.execution_options(twofold_read_only=True)` for read-only work."""

_WRITERS: weakref.WeakKeyDictionary[Engine, asyncio.Lock] = weakref.WeakKeyDictionary()
"""SQLite engines' in-process writer queues (see `begin_write`)."""

_WRITING: ContextVar[Engine | None] = ContextVar("twofold_writing", default=None)
"""The SQLite engine whose writer queue the current task holds, if any."""

_OPEN: ContextVar[AsyncConnection | None] = ContextVar("twofold_open_transaction", default=None)
"""The connection of the store transaction the current task has open (see `open_connection`)."""


def create_engine(settings: Settings, *, pool_size: int = 20) -> AsyncEngine:
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, async_creator=sqlite_inline.connector(url))
        _configure_sqlite(engine)
        _WRITERS[engine.sync_engine] = asyncio.Lock()
        return engine
    return create_async_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False
    )


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # No busy_timeout: SQLite's busy handler would sleep on the event loop; the inline
        # driver retries SQLITE_BUSY asynchronously instead.
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Reads that must not queue behind writers ask for a deferred transaction.
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


@asynccontextmanager
async def begin_write(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A write transaction: commit on normal exit, roll back on error.

    On SQLite, this process's writers first queue on an asyncio lock, and only then take a
    connection and `BEGIN IMMEDIATE`. Without the queue, every waiting writer holds a pooled
    connection inside SQLite's busy handler, which sleeps and polls (1 ms up to 100 ms per
    try): latency grows in steps, and once the pool is drained a writer that needs a second
    connection (a read beside its transaction) waits for the pool while holding the lock
    every other writer waits for. The queue hands the lock over in FIFO order at once.
    Writers in other processes (several workers, the CLI) still meet the busy handler.
    A write begun inside another one on SQLite would wait for itself: it raises instead.
    """
    lock = _WRITERS.get(engine.sync_engine)
    if lock is None:
        async with engine.begin() as conn:
            yield conn
        return
    if _WRITING.get() is engine.sync_engine:
        raise RuntimeError("a SQLite write transaction cannot be begun inside another")
    async with lock:
        token = _WRITING.set(engine.sync_engine)
        try:
            async with engine.begin() as conn:
                yield conn
        finally:
            _WRITING.reset(token)


@asynccontextmanager
async def tracking(conn: AsyncConnection) -> AsyncIterator[None]:
    """Mark `conn` as the current task's open store transaction for the block."""
    token = _OPEN.set(conn)
    try:
        yield
    finally:
        _OPEN.reset(token)


def open_connection(engine: AsyncEngine) -> AsyncConnection | None:
    """The connection of the store transaction this task has open on `engine`, if any.

    Lets a component with its own statements (the SQL attempt limiter) run them inside the
    request's transaction instead of checking out a second connection: one transaction per
    request, and no request ever holds one pooled connection while waiting for another.
    """
    conn = _OPEN.get()
    if conn is None or conn.sync_engine is not engine.sync_engine:
        return None
    return conn
