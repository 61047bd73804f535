"""MFA transactions, found by the hash of their opaque `mfa_token`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from twofold.domain import JsonObject, MfaTransaction
from twofold.store.tables import mfa_transactions
from twofold.types import ClientId, UserId


def _transaction(row: RowMapping) -> MfaTransaction:
    return MfaTransaction(
        id=row["id"],
        user_id=UserId(row["user_id"]),
        client_id=ClientId(row["client_id"]),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        auth_time=row["auth_time"],
        failures=row["failures"],
        audience=row["audience"],
        scope=row["scope"],
        amr=tuple(row["amr"]),
        challenge=row["challenge"],
        ip=row["ip"],
        consumed=row["consumed"],
    )


class MfaTransactionRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, item: MfaTransaction, *, token_hash: str) -> None:
        await self._conn.execute(
            mfa_transactions.insert().values(
                id=item.id,
                token_hash=token_hash,
                user_id=item.user_id,
                client_id=item.client_id,
                created_at=item.created_at,
                expires_at=item.expires_at,
                auth_time=item.auth_time,
                failures=0,
                audience=item.audience,
                scope=item.scope,
                amr=list(item.amr),
                challenge=item.challenge,
                ip=item.ip,
                consumed=False,
            )
        )

    async def by_token_hash(self, token_hash: str) -> MfaTransaction | None:
        query = select(mfa_transactions).where(mfa_transactions.c.token_hash == token_hash)
        row = (await self._conn.execute(query)).first()
        return _transaction(row._mapping) if row else None

    async def add_failure(self, transaction_id: str) -> int:
        """Count one failed verification; returns the new total (atomic across nodes)."""
        result = await self._conn.execute(
            update(mfa_transactions)
            .where(mfa_transactions.c.id == transaction_id)
            .values(failures=mfa_transactions.c.failures + 1)
            .returning(mfa_transactions.c.failures)
        )
        return int(result.scalar_one())

    async def set_challenge(self, transaction_id: str, challenge: JsonObject) -> None:
        await self._conn.execute(
            update(mfa_transactions)
            .where(mfa_transactions.c.id == transaction_id)
            .values(challenge=challenge)
        )

    async def consume(self, transaction_id: str) -> bool:
        """Mark the transaction used; False if another request consumed it first."""
        result = await self._conn.execute(
            update(mfa_transactions)
            .where(mfa_transactions.c.id == transaction_id, mfa_transactions.c.consumed.is_(False))
            .values(consumed=True)
        )
        return result.rowcount == 1

    async def delete_for_user(self, user_id: str) -> int:
        result = await self._conn.execute(
            mfa_transactions.delete().where(mfa_transactions.c.user_id == user_id)
        )
        return result.rowcount

    async def purge_expired(self, *, before: dt.datetime) -> int:
        result = await self._conn.execute(
            mfa_transactions.delete().where(mfa_transactions.c.expires_at < before)
        )
        return result.rowcount
