"""WebAuthn ceremonies in flight (ADR 008). Single use is a conditional delete here: of two
requests answering the same challenge, on one node or two, exactly one deletes the row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from twofold.store.tables.base import UtcDateTime
from twofold.store.tables.webauthn import webauthn_challenges


@dataclass(frozen=True, slots=True)
class StoredCeremony:
    """One challenge handed to a browser, and what its answer must match."""

    id: str
    handle_hash: str
    """SHA-256 of the `auth_session` the client holds."""
    purpose: str
    """`register`, `authenticate` or `passkey`."""
    factor: str | None
    """`webauthn-roaming` or `webauthn-platform` for `register`; None otherwise."""
    user_id: str | None
    """None for a passkey sign-in, which names no user until it is answered."""
    bound_to: str
    """`mfa:<transaction id>`, `session:<browser session id>`, `api:<client id>` or
    `client:<client id>`: a handle presented under another binding is refused."""
    challenge: str
    """base64url; public (the browser signs it), so stored in clear."""
    user_verification: str
    allowed: tuple[str, ...]
    """base64url credential ids an `authenticate` ceremony accepts (empty for the others)."""
    name: str | None
    """The name a `register` ceremony gives its new authenticator."""
    created_at: dt.datetime
    expires_at: dt.datetime


def _stored(row: RowMapping) -> StoredCeremony:
    return StoredCeremony(
        id=row["id"],
        handle_hash=row["handle_hash"],
        purpose=row["purpose"],
        factor=row["factor"],
        user_id=row["user_id"],
        bound_to=row["bound_to"],
        challenge=row["challenge"],
        user_verification=row["user_verification"],
        allowed=tuple(row["allowed"]),
        name=row["name"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
    )


# Hot-path statements, built once (see repos/transactions.py).
_BY_HANDLE = select(webauthn_challenges).where(
    webauthn_challenges.c.handle_hash == bindparam("b_handle_hash")
)
_ADD = webauthn_challenges.insert()
_TAKE = webauthn_challenges.delete().where(webauthn_challenges.c.id == bindparam("b_id"))
_PRUNE = webauthn_challenges.delete().where(
    webauthn_challenges.c.expires_at < bindparam("b_now", type_=UtcDateTime())
)


class WebauthnChallengeRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, item: StoredCeremony) -> None:
        row = {
            "id": item.id,
            "handle_hash": item.handle_hash,
            "purpose": item.purpose,
            "factor": item.factor,
            "user_id": item.user_id,
            "bound_to": item.bound_to,
            "challenge": item.challenge,
            "user_verification": item.user_verification,
            "allowed": list(item.allowed),
            "name": item.name,
            "created_at": item.created_at,
            "expires_at": item.expires_at,
        }
        await self._conn.execute(_ADD, row)

    async def by_handle(self, handle_hash: str) -> StoredCeremony | None:
        row = (await self._conn.execute(_BY_HANDLE, {"b_handle_hash": handle_hash})).first()
        return _stored(row._mapping) if row else None

    async def take(self, ceremony_id: str) -> bool:
        """Delete the ceremony; False when another request deleted it first. Called before
        its answer is verified, so neither a failed nor a replayed answer gets a second try."""
        result = await self._conn.execute(_TAKE, {"b_id": ceremony_id})
        return result.rowcount == 1

    async def prune(self, now: dt.datetime) -> int:
        """Delete every ceremony that expired unanswered; how many went."""
        result = await self._conn.execute(_PRUNE, {"b_now": now})
        return result.rowcount
