"""Token signing keys (private halves envelope-encrypted)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from twofold.domain import SigningKey
from twofold.store.tables import signing_keys


def _key(row: RowMapping) -> SigningKey:
    return SigningKey(
        kid=row["kid"],
        alg=row["alg"],
        private_key=row["private_key"],
        public_jwk=dict(row["public_jwk"]),
        created_at=row["created_at"],
        active=row["active"],
    )


class SigningKeyRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, key: SigningKey, *, key_id: str) -> None:
        if key.active:
            await self._conn.execute(update(signing_keys).values(active=False))
        await self._conn.execute(
            signing_keys.insert().values(
                kid=key.kid,
                alg=key.alg,
                private_key=key.private_key,
                key_id=key_id,
                public_jwk=key.public_jwk,
                created_at=key.created_at,
                active=key.active,
            )
        )

    async def all(self) -> list[SigningKey]:
        rows = await self._conn.execute(select(signing_keys).order_by(signing_keys.c.created_at))
        return [_key(row._mapping) for row in rows]

    async def set_private_key(self, kid: str, private_key: bytes, *, key_id: str) -> None:
        await self._conn.execute(
            update(signing_keys)
            .where(signing_keys.c.kid == kid)
            .values(private_key=private_key, key_id=key_id)
        )
