"""Builders and raw-SQL tampering for the audit tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import text

from twofold.domain import AuditEntry, AuditRecord
from twofold.store.repos import audit as audit_log
from twofold.store.uow import Store

CHAINS = 4


def an_entry(
    n: int = 0,
    *,
    type_: str = "gd_auth_succeed",
    user_id: str | None = None,
    user_agent: str = "pytest",
    description: str | None = None,
) -> AuditEntry:
    return AuditEntry(
        type=type_,
        description=description or f"event {n}",
        outcome="success",
        user_id=user_id or f"auth0|{n:024x}",
        client_id="client-1",
        ip="10.0.0.1",
        user_agent=user_agent,
        details={"n": n, "factor": "otp"},
    )


async def append(
    store: Store, entries: Sequence[AuditEntry], *, chain: int, now: dt.datetime
) -> None:
    """Append to a chosen chain (Store.transaction picks one at random)."""
    async with store.engine.begin() as conn:
        await audit_log.append(conn, entries, chain=chain, now=now)


async def chain_rows(store: Store, chain: int) -> list[AuditRecord]:
    async with store.read() as tx:
        return await audit_log.chain_batch(tx.conn, chain=chain, after_seq=0, limit=10_000)


async def tamper(store: Store, sql: str, **params: object) -> None:
    """Change the database the way an attacker with write access would."""
    async with store.engine.begin() as conn:
        await conn.execute(text(sql), params)
