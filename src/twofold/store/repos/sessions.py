"""Browser sessions and remembered browsers, found by the SHA-256 of their cookie token."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from twofold.domain import BrowserSession, RememberedBrowser
from twofold.store.tables import browser_sessions, remembered_browsers
from twofold.types import UserId


def _session(row: RowMapping | Mapping[str, Any]) -> BrowserSession:
    return BrowserSession(
        id=row["id"],
        user_id=UserId(row["user_id"]) if row["user_id"] else None,
        created_at=row["created_at"],
        last_seen_at=row["last_seen_at"],
        expires_at=row["expires_at"],
        auth_time=row["auth_time"],
        mfa_time=row["mfa_time"],
        amr=tuple(row["amr"]),
        ip=row["ip"],
        user_agent=row["user_agent"],
    )


def _remembered(row: RowMapping | Mapping[str, Any]) -> RememberedBrowser:
    return RememberedBrowser(
        id=row["id"],
        user_id=UserId(row["user_id"]),
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        expires_at=row["expires_at"],
        amr=tuple(row["amr"]),
        ip=row["ip"],
        user_agent=row["user_agent"],
    )


class SessionRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, item: BrowserSession, *, token_hash: str) -> None:
        await self._conn.execute(
            browser_sessions.insert().values(
                id=item.id,
                token_hash=token_hash,
                user_id=item.user_id,
                created_at=item.created_at,
                last_seen_at=item.last_seen_at,
                expires_at=item.expires_at,
                auth_time=item.auth_time,
                mfa_time=item.mfa_time,
                amr=list(item.amr),
                ip=item.ip,
                user_agent=item.user_agent,
            )
        )

    async def by_token_hash(self, token_hash: str) -> BrowserSession | None:
        query = select(browser_sessions).where(browser_sessions.c.token_hash == token_hash)
        row = (await self._conn.execute(query)).first()
        return _session(row._mapping) if row else None

    async def get(self, session_id: str) -> BrowserSession | None:
        query = select(browser_sessions).where(browser_sessions.c.id == session_id)
        row = (await self._conn.execute(query)).first()
        return _session(row._mapping) if row else None

    async def sign_in(
        self,
        session_id: str,
        *,
        token_hash: str,
        user_id: str,
        auth_time: dt.datetime,
        amr: tuple[str, ...],
    ) -> None:
        """Bind the session to a user under a new token (no session fixation).

        A different user than before loses the previous user's MFA facts.
        """
        await self._conn.execute(
            update(browser_sessions)
            .where(browser_sessions.c.id == session_id)
            .values(
                token_hash=token_hash,
                user_id=user_id,
                auth_time=auth_time,
                last_seen_at=auth_time,
                mfa_time=None,
                amr=list(amr),
            )
        )

    async def record_mfa(
        self, session_id: str, *, mfa_time: dt.datetime, amr: tuple[str, ...]
    ) -> None:
        await self._conn.execute(
            update(browser_sessions)
            .where(browser_sessions.c.id == session_id)
            .values(mfa_time=mfa_time, amr=list(amr), last_seen_at=mfa_time)
        )

    async def touch(self, session_id: str, *, now: dt.datetime) -> None:
        await self._conn.execute(
            update(browser_sessions)
            .where(browser_sessions.c.id == session_id)
            .values(last_seen_at=now)
        )

    async def delete(self, session_id: str) -> bool:
        result = await self._conn.execute(
            browser_sessions.delete().where(browser_sessions.c.id == session_id)
        )
        return result.rowcount > 0

    async def delete_for_user(self, user_id: str) -> int:
        result = await self._conn.execute(
            browser_sessions.delete().where(browser_sessions.c.user_id == user_id)
        )
        return result.rowcount

    async def purge_expired(self, *, before: dt.datetime) -> int:
        result = await self._conn.execute(
            browser_sessions.delete().where(browser_sessions.c.expires_at < before)
        )
        return result.rowcount


class RememberedBrowserRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, item: RememberedBrowser, *, token_hash: str) -> None:
        await self._conn.execute(
            remembered_browsers.insert().values(
                id=item.id,
                token_hash=token_hash,
                user_id=item.user_id,
                created_at=item.created_at,
                last_used_at=item.last_used_at,
                expires_at=item.expires_at,
                amr=list(item.amr),
                ip=item.ip,
                user_agent=item.user_agent,
            )
        )

    async def by_token_hash(self, token_hash: str) -> RememberedBrowser | None:
        query = select(remembered_browsers).where(remembered_browsers.c.token_hash == token_hash)
        row = (await self._conn.execute(query)).first()
        return _remembered(row._mapping) if row else None

    async def for_user(self, user_id: str) -> list[RememberedBrowser]:
        query = (
            select(remembered_browsers)
            .where(remembered_browsers.c.user_id == user_id)
            .order_by(remembered_browsers.c.last_used_at.desc())
        )
        return [_remembered(row._mapping) for row in await self._conn.execute(query)]

    async def touch(self, remembered_id: str, *, now: dt.datetime) -> None:
        await self._conn.execute(
            update(remembered_browsers)
            .where(remembered_browsers.c.id == remembered_id)
            .values(last_used_at=now)
        )

    async def delete(self, remembered_id: str, *, user_id: str) -> bool:
        result = await self._conn.execute(
            remembered_browsers.delete().where(
                remembered_browsers.c.id == remembered_id,
                remembered_browsers.c.user_id == user_id,
            )
        )
        return result.rowcount > 0

    async def delete_for_user(self, user_id: str) -> int:
        result = await self._conn.execute(
            remembered_browsers.delete().where(remembered_browsers.c.user_id == user_id)
        )
        return result.rowcount
