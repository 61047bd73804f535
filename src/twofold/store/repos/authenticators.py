"""Authenticators. Single use is enforced here, by conditional updates, across every node."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Insert, and_, bindparam, func, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from twofold.domain import Authenticator, JsonObject
from twofold.errors import ConflictError
from twofold.store.tables import authenticators
from twofold.store.tables.base import UtcDateTime
from twofold.types import AuthenticatorId, AuthenticatorStatus, FactorType, UserId


def _authenticator(row: RowMapping | Mapping[str, Any]) -> Authenticator:
    return Authenticator(
        id=AuthenticatorId(row["id"]),
        user_id=UserId(row["user_id"]),
        type=FactorType(row["type"]),
        status=AuthenticatorStatus(row["status"]),
        name=row["name"],
        created_at=row["created_at"],
        secret=row["secret"],
        secret_hash=row["secret_hash"],
        params=dict(row["params"]),
        last_step=row["last_step"],
        confirmed_at=row["confirmed_at"],
        last_used_at=row["last_used_at"],
        oob_channel=row["oob_channel"],
    )


# Hot-path statements, built once (see repos/transactions.py).
_FOR_USER = (
    select(authenticators)
    .where(authenticators.c.user_id == bindparam("b_user_id"))
    .order_by(authenticators.c.created_at, authenticators.c.id)
)
_USE_STEP = (
    update(authenticators)
    .where(
        authenticators.c.id == bindparam("b_id"),
        authenticators.c.last_step < bindparam("b_step"),
    )
    .values(last_step=bindparam("b_step"), last_used_at=bindparam("b_now", type_=UtcDateTime()))
)
_USE_STEP_AND_ACTIVATE = _USE_STEP.values(
    status=AuthenticatorStatus.ACTIVE.value,
    confirmed_at=bindparam("b_now", type_=UtcDateTime()),
)
_BY_CREDENTIAL = select(authenticators).where(
    authenticators.c.credential_id_hash == bindparam("b_hash")
)
_USE_COUNTER = (
    update(authenticators)
    .where(
        authenticators.c.id == bindparam("b_id"),
        authenticators.c.last_step == bindparam("b_old"),
    )
    .values(last_step=bindparam("b_new"), last_used_at=bindparam("b_now", type_=UtcDateTime()))
)


class AuthenticatorRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(
        self, item: Authenticator, *, key_id: str | None, credential_id_hash: str | None = None
    ) -> None:
        """Insert; with a WebAuthn `credential_id_hash` already stored (for anyone), raise
        ConflictError and leave the transaction usable (a savepoint takes the failure)."""
        if credential_id_hash is None:
            await self._conn.execute(self._insert(item, key_id=key_id, credential_id_hash=None))
            return
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    self._insert(item, key_id=key_id, credential_id_hash=credential_id_hash)
                )
        except IntegrityError as exc:
            raise ConflictError("This credential is already registered.") from exc

    @staticmethod
    def _insert(
        item: Authenticator, *, key_id: str | None, credential_id_hash: str | None
    ) -> Insert:
        return authenticators.insert().values(
            id=item.id,
            user_id=item.user_id,
            type=item.type.value,
            status=item.status.value,
            name=item.name,
            oob_channel=item.oob_channel,
            secret=item.secret,
            key_id=key_id,
            secret_hash=item.secret_hash,
            params=item.params,
            last_step=item.last_step,
            created_at=item.created_at,
            confirmed_at=item.confirmed_at,
            credential_id_hash=credential_id_hash,
        )

    async def by_credential(self, credential_id_hash: str) -> Authenticator | None:
        """The WebAuthn authenticator holding this credential, whoever it belongs to."""
        row = (await self._conn.execute(_BY_CREDENTIAL, {"b_hash": credential_id_hash})).first()
        return _authenticator(row._mapping) if row else None

    async def use_counter(
        self,
        authenticator_id: str,
        *,
        old: int,
        new: int,
        now: dt.datetime,
        params: JsonObject | None = None,
    ) -> bool:
        """Store a WebAuthn signature counter (`last_step`) if it is still `old`; False when
        another assertion of the same credential moved it since it was read (two copies of
        one key racing: a clone). Equality rather than `<`, because authenticators that keep
        no counter send 0 every time. `params` replaces the credential's parameters when an
        assertion changed them (the backed-up flag)."""
        statement = _USE_COUNTER if params is None else _USE_COUNTER.values(params=params)
        result = await self._conn.execute(
            statement, {"b_id": authenticator_id, "b_old": old, "b_new": new, "b_now": now}
        )
        return result.rowcount == 1

    async def for_user(self, user_id: str) -> list[Authenticator]:
        rows = await self._conn.execute(_FOR_USER, {"b_user_id": user_id})
        return [_authenticator(row._mapping) for row in rows]

    async def get(self, authenticator_id: str, *, user_id: str) -> Authenticator | None:
        query = select(authenticators).where(
            authenticators.c.id == authenticator_id, authenticators.c.user_id == user_id
        )
        row = (await self._conn.execute(query)).first()
        return _authenticator(row._mapping) if row else None

    async def use_step(
        self, authenticator_id: str, *, step: int, now: dt.datetime, activate: bool = False
    ) -> bool:
        """Record an accepted TOTP step; False when it (or a later one) was already used.

        The `last_step < :step` condition is what makes a code single use across processes:
        two nodes racing on the same code both run this update, and only one row changes.
        """
        statement = _USE_STEP_AND_ACTIVATE if activate else _USE_STEP
        params = {"b_id": authenticator_id, "b_step": step, "b_now": now}
        result = await self._conn.execute(statement, params)
        return result.rowcount == 1

    async def swap_secret_hash(
        self, authenticator_id: str, *, old: str, new: str, now: dt.datetime
    ) -> bool:
        """Replace a hashed secret only if it is still `old` (a recovery code is used once)."""
        result = await self._conn.execute(
            update(authenticators)
            .where(authenticators.c.id == authenticator_id, authenticators.c.secret_hash == old)
            .values(secret_hash=new, last_used_at=now)
        )
        return result.rowcount == 1

    async def activate(self, authenticator_id: str, *, now: dt.datetime) -> None:
        await self._conn.execute(
            update(authenticators)
            .where(authenticators.c.id == authenticator_id)
            .values(status=AuthenticatorStatus.ACTIVE.value, confirmed_at=now)
        )

    async def rename(self, authenticator_id: str, *, user_id: str, name: str | None) -> bool:
        """Set the name a user gave one of their authenticators; False when not theirs."""
        result = await self._conn.execute(
            update(authenticators)
            .where(authenticators.c.id == authenticator_id, authenticators.c.user_id == user_id)
            .values(name=name)
        )
        return result.rowcount == 1

    async def delete(self, authenticator_id: str, *, user_id: str) -> bool:
        result = await self._conn.execute(
            authenticators.delete().where(
                authenticators.c.id == authenticator_id, authenticators.c.user_id == user_id
            )
        )
        return result.rowcount > 0

    async def delete_for_user(
        self,
        user_id: str,
        *,
        types: Sequence[FactorType] | None = None,
        status: AuthenticatorStatus | None = None,
    ) -> int:
        conditions = [authenticators.c.user_id == user_id]
        if types is not None:
            conditions.append(authenticators.c.type.in_([t.value for t in types]))
        if status is not None:
            conditions.append(authenticators.c.status == status.value)
        result = await self._conn.execute(authenticators.delete().where(and_(*conditions)))
        return result.rowcount

    async def encrypted(self, *, batch: int = 500) -> AsyncIterator[tuple[str, bytes]]:
        """Every (id, encrypted secret), in id order and in batches (for key rotation)."""
        last = ""
        while True:
            rows = (
                await self._conn.execute(
                    select(authenticators.c.id, authenticators.c.secret)
                    .where(authenticators.c.secret.is_not(None), authenticators.c.id > last)
                    .order_by(authenticators.c.id)
                    .limit(batch)
                )
            ).all()
            if not rows:
                return
            for row in rows:
                yield row.id, row.secret
            last = rows[-1].id

    async def count_encrypted(self) -> int:
        query = select(func.count()).where(authenticators.c.secret.is_not(None))
        return (await self._conn.execute(query)).scalar_one()

    async def set_secret(self, authenticator_id: str, secret: bytes, *, key_id: str) -> None:
        await self._conn.execute(
            update(authenticators)
            .where(authenticators.c.id == authenticator_id)
            .values(secret=secret, key_id=key_id)
        )
