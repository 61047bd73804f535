"""Known devices: NewDevice's history of where each user signed in from (store layer)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import Any

from sqlalchemy import Insert, bindparam, case, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from twofold.domain import KnownDevice
from twofold.store.tables import known_devices
from twofold.store.tables.base import UtcDateTime
from twofold.types import UserId

_UA_FAMILY_LENGTH = 64
_HASH_LENGTH = 64


def new_device_row_id() -> str:
    """`dev_` and 24 url-safe characters (144 random bits)."""
    return "dev_" + secrets.token_urlsafe(18)


def _device(row: RowMapping) -> KnownDevice:
    return KnownDevice(
        user_id=UserId(row["user_id"]),
        device_id_hash=row["device_id_hash"],
        ua_family=row["ua_family"],
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
    )


def _touch(insert: Callable[[Any], Any]) -> Insert:
    """INSERT ... ON CONFLICT (user, hash, family) DO UPDATE: two nodes seeing one new device
    at once both land on one row. `last_seen` only moves forward, so a node whose clock lags
    cannot make a device look older than it is."""
    statement = insert(known_devices).values(
        id=bindparam("b_id"),
        user_id=bindparam("b_user_id"),
        device_id_hash=bindparam("b_hash"),
        ua_family=bindparam("b_family"),
        first_seen=bindparam("b_now", type_=UtcDateTime()),
        last_seen=bindparam("b_now", type_=UtcDateTime()),
    )
    latest = case(
        (known_devices.c.last_seen > statement.excluded.last_seen, known_devices.c.last_seen),
        else_=statement.excluded.last_seen,
    )
    upsert: Insert = statement.on_conflict_do_update(
        index_elements=[
            known_devices.c.user_id,
            known_devices.c.device_id_hash,
            known_devices.c.ua_family,
        ],
        set_={"last_seen": latest},
    )
    return upsert


# Built once per dialect: `touch` runs on every successful login.
_TOUCH = {"postgresql": _touch(postgresql.insert), "sqlite": _touch(sqlite.insert)}


class KnownDeviceRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def for_user(
        self, user_id: str, *, since: dt.datetime, limit: int = 100
    ) -> list[KnownDevice]:
        """The user's devices seen at or after `since`, most recently seen first."""
        query = (
            select(known_devices)
            .where(known_devices.c.user_id == user_id, known_devices.c.last_seen >= since)
            .order_by(known_devices.c.last_seen.desc(), known_devices.c.id)
            .limit(limit)
        )
        return [_device(row) for row in (await self._conn.execute(query)).mappings()]

    async def touch(
        self, user_id: str, *, device_id_hash: str, ua_family: str, now: dt.datetime
    ) -> None:
        """Record a login from this device: a new row, or a later `last_seen` on the known one.

        `device_id_hash` is "" without a device cookie; `ua_family` is clipped to fit (a
        family is a short name, anything longer is noise from the client)."""
        if len(device_id_hash) > _HASH_LENGTH:
            raise ValueError("device_id_hash is longer than a SHA-256 hex digest")
        params = {
            "b_id": new_device_row_id(),
            "b_user_id": user_id,
            "b_hash": device_id_hash,
            "b_family": ua_family[:_UA_FAMILY_LENGTH],
            "b_now": now,
        }
        await self._conn.execute(_TOUCH[self._conn.dialect.name], params)

    async def prune(self, user_id: str, *, before: dt.datetime) -> int:
        """Forget the user's devices last seen before `before`; returns how many."""
        result = await self._conn.execute(
            known_devices.delete().where(
                known_devices.c.user_id == user_id, known_devices.c.last_seen < before
            )
        )
        return result.rowcount
