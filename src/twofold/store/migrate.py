"""Bring a database to the newest schema."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from twofold.store.tables import metadata


async def upgrade(engine: AsyncEngine) -> None:
    # TODO(#2): replaced by Alembic migrations in this issue.
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
