"""MFA transactions, found by the hash of their opaque `mfa_token`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import LABEL_STYLE_TABLENAME_PLUS_COL, bindparam, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from twofold.domain import Application, JsonObject, MfaTransaction
from twofold.store.repos.applications import _application
from twofold.store.tables import applications, mfa_transactions
from twofold.types import ClientId, UserId


def _transaction(row: RowMapping | Mapping[str, Any]) -> MfaTransaction:
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
        policy=row["policy"],
    )


# The hot path's statements are built once: building one per call (coercion, cache key)
# cost as much CPU as sending it (docs/performance.md); SQLAlchemy then only binds values.
_WITH_CLIENT = (
    select(applications, mfa_transactions)
    .select_from(
        applications.outerjoin(
            mfa_transactions, mfa_transactions.c.token_hash == bindparam("b_token_hash")
        )
    )
    .where(applications.c.client_id == bindparam("b_client_id"))
    .set_label_style(LABEL_STYLE_TABLENAME_PLUS_COL)
)
_CONSUME = (
    update(mfa_transactions)
    .where(mfa_transactions.c.id == bindparam("b_id"), mfa_transactions.c.consumed.is_(False))
    .values(consumed=True)
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
                policy=item.policy,
            )
        )

    async def by_token_hash(self, token_hash: str) -> MfaTransaction | None:
        query = select(mfa_transactions).where(mfa_transactions.c.token_hash == token_hash)
        row = (await self._conn.execute(query)).first()
        return _transaction(row._mapping) if row else None

    async def with_client(
        self, token_hash: str, *, client_id: str
    ) -> tuple[Application | None, MfaTransaction | None]:
        """The client `client_id` and the transaction behind `token_hash`, in one query.

        The token is outer-joined, so an unknown token still returns the client, and an
        unknown client returns nothing at all. The transaction may be another client's:
        the caller authenticates the client first, then compares the two.
        """
        params = {"b_token_hash": token_hash, "b_client_id": client_id}
        row = (await self._conn.execute(_WITH_CLIENT, params)).first()
        if row is None:
            return None, None
        values = row._mapping
        application = _application({c.name: values[c] for c in applications.c})
        if values[mfa_transactions.c.id] is None:
            return application, None
        return application, _transaction({c.name: values[c] for c in mfa_transactions.c})

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
        result = await self._conn.execute(_CONSUME, {"b_id": transaction_id})
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
