"""SQLite for the async engine without a helper thread: sqlite3 calls run on the event loop.

aiosqlite runs each call on a thread of its own, and SQLAlchemy's adapter over it makes ~4
thread hand-offs per SELECT and 3 per write (~60 per MFA step); on the benchmark those futex
and event-loop wake-ups were ~70 % of the embedded server's CPU, while sqlite3 on a WAL
database answers in microseconds. So the engine gets (through `async_creator`) a connection
shaped like `aiosqlite.Connection` whose coroutines call sqlite3 and return at once.

The price is that a call blocks the loop while it runs: fine for the store's short, indexed
statements, not for long scans. SQLite's busy handler would block it too (it sleeps while
another process holds the write lock), so connections open with `timeout=0` and a statement
answered SQLITE_BUSY is retried after an `asyncio.sleep` (1 ms doubling to 50 ms) until
`timeout` seconds have passed; then the OperationalError is raised as sqlite3 would.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import make_url

_T = TypeVar("_T")

BUSY_TIMEOUT = 30.0
"""Seconds a statement keeps retrying on SQLITE_BUSY (what `sqlite3.connect(timeout=)` was)."""

_FIRST_WAIT = 0.001
_LONGEST_WAIT = 0.05


def _is_busy(error: sqlite3.OperationalError) -> bool:
    # SQLITE_BUSY_SNAPSHOT (a deferred reader turned writer on a stale snapshot) stays busy
    # however long it waits, and SQLite's own busy handler does not retry it either.
    return getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY


async def _patiently(
    call: Callable[[], _T], *, patience: float, repeatable: Callable[[], bool] = lambda: True
) -> _T:
    """`call()`, retried on SQLITE_BUSY with an asynchronous backoff for up to `patience` s
    (while `repeatable()` says a failed call left nothing behind)."""
    try:
        return call()
    except sqlite3.OperationalError as error:
        if not (_is_busy(error) and repeatable()):
            raise
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    wait = _FIRST_WAIT
    while True:
        await asyncio.sleep(min(wait, max(deadline - loop.time(), 0.0)))
        wait = min(wait * 2, _LONGEST_WAIT)
        try:
            return call()
        except sqlite3.OperationalError as error:
            if not (_is_busy(error) and repeatable()) or loop.time() >= deadline:
                raise


class InlineCursor:
    """The parts of `aiosqlite.Cursor` SQLAlchemy's adapter uses, over a sqlite3 cursor."""

    __slots__ = ("_connection", "_cursor")

    def __init__(self, connection: InlineConnection, cursor: sqlite3.Cursor) -> None:
        self._connection = connection
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        # A statement answered SQLITE_BUSY did nothing, so running it again is safe.
        cursor = self._cursor
        await _patiently(lambda: cursor.execute(sql, parameters), patience=self._connection.timeout)
        return self

    async def executemany(self, sql: str, seq_of_parameters: Iterable[Any]) -> InlineCursor:
        rows = list(seq_of_parameters)
        cursor, connection = self._cursor, self._connection.sqlite
        before = connection.total_changes
        # Busy after some rows were written (possible only outside a transaction): the
        # written rows stay, so running all of them again would not be safe.
        await _patiently(
            lambda: cursor.executemany(sql, rows),
            patience=self._connection.timeout,
            repeatable=lambda: connection.total_changes == before,
        )
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        if size is None:
            return self._cursor.fetchmany()
        return self._cursor.fetchmany(size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def setinputsizes(self, *_sizes: Any) -> None:
        return None

    def __aiter__(self) -> InlineCursor:
        return self

    async def __anext__(self) -> Any:
        row = self._cursor.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row


class _InlineQueue:
    """Stands in for aiosqlite's request queue, which SQLAlchemy's adapter feeds directly to
    set `isolation_level`: runs the request at once and resolves its future."""

    __slots__ = ()

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:  # noqa: BLE001 - handed to the awaiting caller, as aiosqlite does
            future.set_exception(error)


class InlineConnection:
    """The parts of `aiosqlite.Connection` SQLAlchemy's adapter uses, over a sqlite3 one."""

    __slots__ = ("_conn", "_tx", "timeout")

    def __init__(self, connection: sqlite3.Connection, *, timeout: float) -> None:
        self._conn: sqlite3.Connection | None = connection
        self._tx = _InlineQueue()
        self.timeout = timeout

    @property
    def _connection(self) -> sqlite3.Connection | None:
        """What the adapter checks before commit/rollback (None once closed)."""
        return self._conn

    @property
    def sqlite(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError("no active connection")
        return self._conn

    @property
    def isolation_level(self) -> str | None:
        return self.sqlite.isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self, self.sqlite.cursor())

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        cursor = self.cursor()
        return await cursor.execute(sql, parameters)

    async def commit(self) -> None:
        # COMMIT answered SQLITE_BUSY leaves the transaction open: retrying it is safe.
        await _patiently(self.sqlite.commit, patience=self.timeout)

    async def rollback(self) -> None:
        self.sqlite.rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self.sqlite.create_function(*args, **kwargs)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        """Close at once (SQLAlchemy's terminate path, also outside the event loop)."""
        if self._conn is not None:
            connection, self._conn = self._conn, None
            connection.close()


def connector(url: str, *, timeout: float = BUSY_TIMEOUT) -> Callable[[], Awaitable[Any]]:
    """An `async_creator` for `create_async_engine(url, ...)` opening `url`'s database inline."""
    args: Sequence[Any]
    args, kwargs = SQLiteDialect_pysqlite().create_connect_args(make_url(url))
    database = args[0]
    uri = bool(kwargs.get("uri", False))

    async def connect() -> InlineConnection:
        # isolation_level=None: sqlite3 never begins on its own; the engine's "begin"
        # listener issues BEGIN / BEGIN IMMEDIATE. timeout=0: busy is retried above instead.
        # check_same_thread=False: SQLAlchemy may close a connection from the GC's thread.
        connection = sqlite3.connect(
            database, timeout=0, isolation_level=None, check_same_thread=False, uri=uri
        )
        return InlineConnection(connection, timeout=timeout)

    return connect
