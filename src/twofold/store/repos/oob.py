"""Out-of-band challenges. Single use, the failure cap and "one live code per authenticator"
are conditional updates here, so they hold when several nodes answer the same challenge."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from sqlalchemy import select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from twofold.store.tables.oob import oob_challenges


@dataclass(frozen=True, slots=True)
class StoredChallenge:
    """A challenge as stored: everything but the destination, which is sealed on the
    authenticator and joined back by the flow."""

    id: str
    authenticator_id: str
    user_id: str
    transaction_id: str | None
    channel: str
    """`sms`, `voice` or `email` (the factors' `OobChannel`; the store cannot import it)."""
    code_hash: str
    handle_hash: str
    created_at: dt.datetime
    expires_at: dt.datetime
    failures: int
    used: bool
    superseded_by: str | None


def _stored(row: RowMapping) -> StoredChallenge:
    return StoredChallenge(
        id=row["id"],
        authenticator_id=row["authenticator_id"],
        user_id=row["user_id"],
        transaction_id=row["transaction_id"],
        channel=row["channel"],
        code_hash=row["code_hash"],
        handle_hash=row["handle_hash"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        failures=row["failures"],
        used=bool(row["used"]),
        superseded_by=row["superseded_by"],
    )


_LIVE = (oob_challenges.c.used.is_(False), oob_challenges.c.superseded_by.is_(None))


class OobChallengeRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, item: StoredChallenge) -> None:
        await self._conn.execute(oob_challenges.insert().values(**asdict(item)))

    async def by_handle(self, handle_hash: str) -> StoredChallenge | None:
        query = select(oob_challenges).where(oob_challenges.c.handle_hash == handle_hash)
        row = (await self._conn.execute(query)).first()
        return _stored(row._mapping) if row else None

    async def supersede_live(self, authenticator_id: str, *, by: str) -> int:
        """Kill every live code of the authenticator (a resend); returns how many died."""
        result = await self._conn.execute(
            update(oob_challenges)
            .where(oob_challenges.c.authenticator_id == authenticator_id, *_LIVE)
            .values(superseded_by=by)
        )
        return result.rowcount

    async def add_failure(self, challenge_id: str, *, seen: int) -> bool:
        """Count one wrong answer if nobody counted one since `seen` was read."""
        result = await self._conn.execute(
            update(oob_challenges)
            .where(oob_challenges.c.id == challenge_id, oob_challenges.c.failures == seen)
            .values(failures=seen + 1)
        )
        return result.rowcount == 1

    async def spend(self, challenge_id: str, *, failures: int) -> bool:
        """Mark the challenge used; False when another request spent, superseded or failed it
        since it was read (only one right answer ever wins)."""
        result = await self._conn.execute(
            update(oob_challenges)
            .where(
                oob_challenges.c.id == challenge_id,
                oob_challenges.c.failures == failures,
                *_LIVE,
            )
            .values(used=True)
        )
        return result.rowcount == 1
