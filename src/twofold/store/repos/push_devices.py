"""Enrolled push devices: finding one by id, storing its key and sealed address, and the
device JWT ids already seen (a replayed `jti` fails its insert)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from twofold.domain import Authenticator, JsonObject
from twofold.store.repos.authenticators import _authenticator
from twofold.store.tables import authenticators, push_device_jtis
from twofold.types import AuthenticatorStatus, FactorType

PUSH_CHANNEL = "auth0"


class PushDeviceRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, device_id: str) -> Authenticator | None:
        """The push authenticator with this id, whoever it belongs to (device calls carry
        only the device id)."""
        query = select(authenticators).where(
            authenticators.c.id == device_id,
            authenticators.c.type == FactorType.OOB.value,
            authenticators.c.oob_channel == PUSH_CHANNEL,
        )
        row = (await self._conn.execute(query)).first()
        return _authenticator(row._mapping) if row else None

    async def activate(
        self,
        device_id: str,
        *,
        name: str,
        params: JsonObject,
        secret: bytes,
        key_id: str,
        now: dt.datetime,
    ) -> bool:
        """A pending device becomes active with its key and sealed address; False when it
        is no longer pending (removed, or replaced by a newer enrolment)."""
        result = await self._conn.execute(
            update(authenticators)
            .where(
                authenticators.c.id == device_id,
                authenticators.c.status == AuthenticatorStatus.PENDING.value,
            )
            .values(
                name=name,
                params=params,
                secret=secret,
                key_id=key_id,
                status=AuthenticatorStatus.ACTIVE.value,
                confirmed_at=now,
            )
        )
        return result.rowcount == 1

    async def update(
        self,
        device_id: str,
        *,
        name: str | None,
        params: JsonObject,
        secret: bytes | None = None,
        key_id: str | None = None,
    ) -> None:
        """Store a device's new name, facts, and (with a new push token) its sealed secret."""
        values: JsonObject = {"name": name, "params": params}
        if secret is not None:
            values |= {"secret": secret, "key_id": key_id}
        await self._conn.execute(
            update(authenticators).where(authenticators.c.id == device_id).values(**values)
        )

    async def record_jti(self, device_id: str, jti: str, *, expires_at: dt.datetime) -> bool:
        """Remember a device JWT id until it expires; False when it was seen already (a
        replay). A savepoint takes the failed insert so the transaction stays usable."""
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    push_device_jtis.insert().values(
                        authenticator_id=device_id, jti=jti, expires_at=expires_at
                    )
                )
        except IntegrityError:
            return False
        return True

    async def prune_jtis(self, *, now: dt.datetime) -> int:
        """Forget ids whose tokens have expired: they can no longer be replayed anyway."""
        result = await self._conn.execute(
            push_device_jtis.delete().where(push_device_jtis.c.expires_at <= now)
        )
        return result.rowcount
