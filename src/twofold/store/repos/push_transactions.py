"""Push transactions (docs/decisions/010). Answers, supersession and the poll counter are
conditional updates here, so they hold when several nodes touch the same transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from twofold.domain import JsonObject
from twofold.errors import ConflictError
from twofold.store.tables.push import push_transactions

REPLACE_ATTEMPTS = 2
"""A concurrent challenge that committed first refuses our insert once; the retry supersedes
it. Losing twice means a third challenge raced too: refuse rather than loop."""

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class PushTransaction:
    """One push as stored; `status` is `pending`, `approved`, `rejected` or `expired`
    (a pending row past `expires_at` is expired too: `status_at` says so)."""

    id: str
    user_id: str
    authenticator_id: str
    transaction_id: str | None
    session_id: str | None
    oob_code_hash: str | None
    number: int
    choices: list[int]
    facts: JsonObject
    status: str
    created_at: dt.datetime
    expires_at: dt.datetime
    reason: str | None = None
    answered_at: dt.datetime | None = None
    polls: int = 0
    poll_window_start: dt.datetime | None = field(default=None)

    def status_at(self, now: dt.datetime) -> str:
        """The status as a reader must see it: nobody sweeps expired rows."""
        if self.status == PENDING and self.expires_at <= now:
            return EXPIRED
        return self.status


def _stored(row: RowMapping) -> PushTransaction:
    return PushTransaction(
        id=row["id"],
        user_id=row["user_id"],
        authenticator_id=row["authenticator_id"],
        transaction_id=row["transaction_id"],
        session_id=row["session_id"],
        oob_code_hash=row["oob_code_hash"],
        number=row["number"],
        choices=[int(item) for item in row["choices"]],
        facts=dict(row["facts"]),
        status=row["status"],
        reason=row["reason"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        answered_at=row["answered_at"],
        polls=row["polls"],
        poll_window_start=row["poll_window_start"],
    )


_T = push_transactions.c


class PushTransactionRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, item: PushTransaction) -> None:
        await self._conn.execute(push_transactions.insert().values(**asdict(item)))

    async def get(self, transaction_id: str) -> PushTransaction | None:
        row = (
            await self._conn.execute(select(push_transactions).where(_T.id == transaction_id))
        ).first()
        return _stored(row._mapping) if row else None

    async def by_oob_code(self, oob_code_hash: str) -> PushTransaction | None:
        query = select(push_transactions).where(_T.oob_code_hash == oob_code_hash)
        row = (await self._conn.execute(query)).first()
        return _stored(row._mapping) if row else None

    async def pending_for_authenticator(
        self, authenticator_id: str, *, now: dt.datetime
    ) -> list[PushTransaction]:
        """Live pushes a device should see when its stream (re)connects, oldest first."""
        query = (
            select(push_transactions)
            .where(
                _T.authenticator_id == authenticator_id, _T.status == PENDING, _T.expires_at > now
            )
            .order_by(_T.created_at)
        )
        return [_stored(row._mapping) for row in await self._conn.execute(query)]

    async def supersede_pending(self, user_id: str) -> list[str]:
        """Expire the user's pending pushes (a new one replaces them: one pending per user);
        the ids of those that were still pending."""
        query = select(_T.id).where(_T.user_id == user_id, _T.status == PENDING)
        ids = list((await self._conn.scalars(query)).all())
        if ids:
            await self._conn.execute(
                update(push_transactions)
                .where(_T.id.in_(ids), _T.status == PENDING)
                .values(status=EXPIRED, reason="superseded")
            )
        return ids

    async def replace_pending(self, item: PushTransaction) -> list[str]:
        """Store `item` as the user's one pending push, superseding the others (expired but
        never swept ones included); the ids superseded.

        A partial unique index holds "one pending per user" across nodes: a challenge that
        committed between our supersede and our insert makes the insert fail, and the retry
        (in a fresh savepoint, so it sees that commit) supersedes it in turn.
        """
        for _ in range(REPLACE_ATTEMPTS):
            try:
                async with self._conn.begin_nested():
                    superseded = await self.supersede_pending(item.user_id)
                    await self.add(item)
            except IntegrityError:
                continue
            return superseded
        raise ConflictError("Another push notification is being sent: try again.")

    async def answer(
        self, transaction_id: str, *, status: str, reason: str | None, now: dt.datetime
    ) -> bool:
        """Record the device's answer if the push is still pending and live; False when a
        second answer, a replay or a late one lost (only one answer ever wins)."""
        result = await self._conn.execute(
            update(push_transactions)
            .where(_T.id == transaction_id, _T.status == PENDING, _T.expires_at > now)
            .values(status=status, reason=reason, answered_at=now)
        )
        return result.rowcount == 1

    async def release(self, transaction_id: str, *, session_id: str) -> bool:
        """Spend an approved hosted-page push for the session it was sent for: its session is
        cleared, so only the first of concurrent or replayed completions changes the row."""
        result = await self._conn.execute(
            update(push_transactions)
            .where(_T.id == transaction_id, _T.session_id == session_id, _T.status == APPROVED)
            .values(session_id=None)
        )
        return result.rowcount == 1

    async def count_poll(
        self, transaction_id: str, *, now: dt.datetime, window: dt.timedelta
    ) -> int:
        """One more poll in the current window (a fresh window once the last one is over);
        the polls counted in the window so far. Both statements are atomic in the database,
        so concurrent polls through several nodes are all counted."""
        await self._conn.execute(
            update(push_transactions)
            .where(
                _T.id == transaction_id,
                (_T.poll_window_start.is_(None)) | (_T.poll_window_start <= now - window),
            )
            .values(polls=0, poll_window_start=now)
        )
        await self._conn.execute(
            update(push_transactions).where(_T.id == transaction_id).values(polls=_T.polls + 1)
        )
        polls = await self._conn.scalar(select(_T.polls).where(_T.id == transaction_id))
        return int(polls or 0)

    async def rejections_since(self, user_id: str, since: dt.datetime) -> int:
        query = select(func.count()).where(
            _T.user_id == user_id, _T.status == REJECTED, _T.answered_at >= since
        )
        return int(await self._conn.scalar(query) or 0)
