"""Push enrolment tickets: hashed, single use (a conditional update spends one), 5 minutes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from twofold.store.tables import push_enrolments
from twofold.types import AuthenticatorId, UserId


@dataclass(frozen=True, slots=True)
class PushEnrolment:
    """One enrolment ticket: the device presents the ticket, the client polls the oob_code."""

    ticket_hash: str
    oob_code_hash: str
    authenticator_id: AuthenticatorId
    user_id: UserId
    transaction_id: str | None
    client_id: str | None
    created_at: dt.datetime
    expires_at: dt.datetime
    used_at: dt.datetime | None = None


def _enrolment(row: RowMapping | Mapping[str, Any]) -> PushEnrolment:
    return PushEnrolment(
        ticket_hash=row["ticket_hash"],
        oob_code_hash=row["oob_code_hash"],
        authenticator_id=AuthenticatorId(row["authenticator_id"]),
        user_id=UserId(row["user_id"]),
        transaction_id=row["transaction_id"],
        client_id=row["client_id"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        used_at=row["used_at"],
    )


class PushEnrolmentRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, item: PushEnrolment) -> None:
        await self._conn.execute(
            push_enrolments.insert().values(
                ticket_hash=item.ticket_hash,
                oob_code_hash=item.oob_code_hash,
                authenticator_id=item.authenticator_id,
                user_id=item.user_id,
                transaction_id=item.transaction_id,
                client_id=item.client_id,
                created_at=item.created_at,
                expires_at=item.expires_at,
                used_at=item.used_at,
            )
        )

    async def by_ticket(self, ticket_hash: str) -> PushEnrolment | None:
        query = select(push_enrolments).where(push_enrolments.c.ticket_hash == ticket_hash)
        row = (await self._conn.execute(query)).first()
        return _enrolment(row._mapping) if row else None

    async def by_oob_code(self, oob_code_hash: str) -> PushEnrolment | None:
        query = select(push_enrolments).where(push_enrolments.c.oob_code_hash == oob_code_hash)
        row = (await self._conn.execute(query)).first()
        return _enrolment(row._mapping) if row else None

    async def rebind(self, oob_code_hash: str, *, bound_to: str, to: str) -> bool:
        """Move the `oob_code`'s binding from `bound_to` to `to` if it still holds it; False
        otherwise. A hosted page finishing an enrolment does this once: a replay finds the
        binding gone."""
        result = await self._conn.execute(
            update(push_enrolments)
            .where(
                push_enrolments.c.oob_code_hash == oob_code_hash,
                push_enrolments.c.transaction_id == bound_to,
            )
            .values(transaction_id=to)
        )
        return result.rowcount == 1

    async def spend(self, ticket_hash: str, *, now: dt.datetime) -> bool:
        """Mark the ticket used if it is unused and unexpired; False otherwise. Two devices
        racing on one ticket both run this update, and only one row changes."""
        result = await self._conn.execute(
            update(push_enrolments)
            .where(
                push_enrolments.c.ticket_hash == ticket_hash,
                push_enrolments.c.used_at.is_(None),
                push_enrolments.c.expires_at > now,
            )
            .values(used_at=now)
        )
        return result.rowcount == 1
