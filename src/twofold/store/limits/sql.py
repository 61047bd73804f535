"""The attempt limiter on the database (store layer): one `limit_buckets` row per key.

Each call is its own short transaction, except a `check` made inside a store transaction,
which reads on that transaction's connection. `fail` is one upsert that runs `next_allow_at`
in SQL, so concurrent failures from any number of nodes all count.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Double, bindparam, case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.dml import ReturningInsert
from sqlalchemy.sql.elements import BindParameter

from twofold.config import Bucket
from twofold.security.limits import (
    became_exhausted,
    charge,
    ensure_allowed,
    expires_at,
    next_allow_at,
    timestamp,
)
from twofold.store.db import READ_ONLY, begin_write, open_connection
from twofold.store.tables.limits import limit_buckets as buckets

KEY_LENGTH = 300
"""The `key` column's length; longer keys are stored hashed (see `_stored_key`)."""

SWEEP_BATCH = 1000
"""Stale rows deleted per sweep; a full batch lets the next failure sweep again at once."""


_STATES = select(buckets.c.tat).where(buckets.c.key.in_(bindparam("b_keys", expanding=True)))
"""`check`'s query, built once: it runs on every OTP grant."""


def _upsert(dialect: str) -> ReturningInsert[float]:
    """INSERT ... ON CONFLICT DO UPDATE ... RETURNING tat: `next_allow_at` in SQL.

    Built once per engine with the charge as bound values: `fail` runs on every WebAuthn
    challenge and out-of-band send, and building the statement per call cost more CPU than
    executing it."""
    floor: BindParameter[float] = bindparam("b_floor", type_=Double())
    after = case((buckets.c.tat > floor, buckets.c.tat), else_=floor) + bindparam(
        "b_interval", type_=Double()
    )
    # SET expressions all read the old row, so `expires` is computed from the same `tat`.
    changes = {"tat": after, "expires": after + bindparam("b_tolerance", type_=Double())}
    values: dict[str, BindParameter[Any]] = {
        "key": bindparam("b_key"),
        "tat": bindparam("b_first", type_=Double()),
        "expires": bindparam("b_expires", type_=Double()),
    }
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(buckets)
        .values(values)
        .on_conflict_do_update(index_elements=[buckets.c.key], set_=changes)
        .returning(buckets.c.tat)
    )


class SqlLimiter:
    def __init__(self, engine: AsyncEngine, *, sweep_every: float = 60.0) -> None:
        self._engine = engine
        self._sweep_every = sweep_every
        self._swept_at = -math.inf
        self._upsert = _upsert(engine.dialect.name)

    async def check(self, keys: Sequence[tuple[str, Bucket]], *, now: dt.datetime) -> None:
        if not keys:
            return
        params = {"b_keys": sorted({_stored_key(key) for key, _ in keys})}
        # Inside a store transaction (the OTP grant), read on its connection: one statement,
        # and no second pooled connection held beside the first.
        current = open_connection(self._engine)
        if current is not None:
            ensure_allowed((await current.execute(_STATES, params)).scalars().all(), now)
            return
        async with self._engine.connect() as plain:
            conn = await plain.execution_options(**{READ_ONLY: True})
            async with conn.begin():
                states = (await conn.execute(_STATES, params)).scalars().all()
        ensure_allowed(states, now)

    async def fail(self, key: str, bucket: Bucket, *, now: dt.datetime) -> bool:
        cost = charge(bucket, now)
        first = next_allow_at(None, cost)
        params = {
            "b_key": _stored_key(key),
            "b_first": first,
            "b_expires": expires_at(first, cost),
            "b_floor": cost.floor,
            "b_interval": cost.interval,
            "b_tolerance": cost.tolerance,
        }
        async with begin_write(self._engine) as conn:
            allow_at = (await conn.execute(self._upsert, params)).scalar_one()
        await self._sweep(timestamp(now))
        return became_exhausted(allow_at, cost, now)

    async def reset(self, key: str) -> None:
        async with begin_write(self._engine) as conn:
            await conn.execute(delete(buckets).where(buckets.c.key == _stored_key(key)))

    async def reset_prefix(self, prefix: str) -> int:
        """Rows removed, counting any expired ones the sweep had not reached yet."""
        async with begin_write(self._engine) as conn:
            result = await conn.execute(delete(buckets).where(_starts_with(prefix)))
        return result.rowcount

    async def blocked(self, prefix: str, *, now: dt.datetime) -> list[str]:
        query = select(buckets.c.key).where(_starts_with(prefix), buckets.c.tat > timestamp(now))
        async with self._engine.connect() as plain:
            conn = await plain.execution_options(**{READ_ONLY: True})
            async with conn.begin():
                return list((await conn.execute(query)).scalars().all())

    async def _sweep(self, now: float) -> None:
        """Delete rows whose bucket is full again, at most once per `sweep_every` seconds."""
        if now - self._swept_at < self._sweep_every:
            return
        stale = buckets.c.expires < now
        batch = select(buckets.c.key).where(stale).limit(SWEEP_BATCH).scalar_subquery()
        # `stale` is repeated outside the subquery: PostgreSQL re-checks it on a row that a
        # concurrent failure just renewed, so a fresh failure is never swept away.
        async with begin_write(self._engine) as conn:
            result = await conn.execute(delete(buckets).where(stale, buckets.c.key.in_(batch)))
        if result.rowcount < SWEEP_BATCH:
            self._swept_at = now


def _stored_key(key: str) -> str:
    """The key as stored: keys that do not fit the column keep a prefix and a SHA-256.

    Hashed keys are exactly KEY_LENGTH long and kept ones shorter, so they never collide.
    Keys come from user input (an email), and an overlong one must not become a 500.
    """
    if len(key) < KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{key[: KEY_LENGTH - len(digest) - 1]}#{digest}"


def _starts_with(prefix: str) -> ColumnElement[bool]:
    # LIKE with `%` and `_` escaped finds the rows; SQLite's LIKE ignores ASCII case, so the
    # exact prefix comparison decides.
    return buckets.c.key.startswith(prefix, autoescape=True) & (
        func.substr(buckets.c.key, 1, len(prefix)) == prefix
    )
