"""Authorization requests in flight, grants, authorization codes and refresh tokens.

Codes and refresh tokens are spent with a conditional update (`WHERE used_at IS NULL`), so
exactly one of two concurrent redemptions wins, on any number of nodes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from twofold.domain import (
    AuthorizationCode,
    AuthorizationRequest,
    Grant,
    JsonObject,
    RefreshToken,
)
from twofold.store.tables import authorization_codes, authorization_requests, grants, refresh_tokens
from twofold.types import ClientId, UserId


def _request(row: RowMapping | Mapping[str, Any]) -> AuthorizationRequest:
    return AuthorizationRequest(
        id=row["id"],
        session_id=row["session_id"],
        client_id=ClientId(row["client_id"]) if row["client_id"] else None,
        params=dict(row["params"]),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        failures=row["failures"],
    )


def _grant(row: RowMapping | Mapping[str, Any]) -> Grant:
    return Grant(
        id=row["id"],
        client_id=ClientId(row["client_id"]),
        user_id=UserId(row["user_id"]),
        created_at=row["created_at"],
        session_id=row["session_id"],
        revoked_at=row["revoked_at"],
        revoked_reason=row["revoked_reason"],
    )


def _code(row: RowMapping | Mapping[str, Any]) -> AuthorizationCode:
    return AuthorizationCode(
        grant_id=row["grant_id"],
        client_id=ClientId(row["client_id"]),
        user_id=UserId(row["user_id"]),
        redirect_uri=row["redirect_uri"],
        scope=row["scope"],
        audience=row["audience"],
        auth_time=row["auth_time"],
        amr=tuple(row["amr"]),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        code_challenge=row["code_challenge"],
        code_challenge_method=row["code_challenge_method"],
        nonce=row["nonce"],
        acr=row["acr"],
        session_id=row["session_id"],
        used_at=row["used_at"],
    )


def _refresh(row: RowMapping | Mapping[str, Any]) -> RefreshToken:
    return RefreshToken(
        grant_id=row["grant_id"],
        client_id=ClientId(row["client_id"]),
        user_id=UserId(row["user_id"]),
        scope=row["scope"],
        audience=row["audience"],
        auth_time=row["auth_time"],
        amr=tuple(row["amr"]),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        acr=row["acr"],
        used_at=row["used_at"],
    )


class AuthorizationRequestRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, item: AuthorizationRequest) -> None:
        await self._conn.execute(
            authorization_requests.insert().values(
                id=item.id,
                session_id=item.session_id,
                client_id=item.client_id,
                params=item.params,
                created_at=item.created_at,
                expires_at=item.expires_at,
                failures=item.failures,
            )
        )

    async def get(self, request_id: str) -> AuthorizationRequest | None:
        query = select(authorization_requests).where(authorization_requests.c.id == request_id)
        row = (await self._conn.execute(query)).first()
        return _request(row._mapping) if row else None

    async def set_params(self, request_id: str, params: JsonObject) -> None:
        await self._conn.execute(
            update(authorization_requests)
            .where(authorization_requests.c.id == request_id)
            .values(params=params)
        )

    async def move_to_session(self, request_id: str, *, session_id: str) -> None:
        await self._conn.execute(
            update(authorization_requests)
            .where(authorization_requests.c.id == request_id)
            .values(session_id=session_id)
        )

    async def add_failure(self, request_id: str) -> int:
        result = await self._conn.execute(
            update(authorization_requests)
            .where(authorization_requests.c.id == request_id)
            .values(failures=authorization_requests.c.failures + 1)
            .returning(authorization_requests.c.failures)
        )
        # A sign-in finished or expired a moment ago has no row left to count on.
        return int(result.scalar_one_or_none() or 0)

    async def delete(self, request_id: str) -> bool:
        result = await self._conn.execute(
            authorization_requests.delete().where(authorization_requests.c.id == request_id)
        )
        return result.rowcount > 0

    async def purge_expired(self, *, before: dt.datetime) -> int:
        result = await self._conn.execute(
            authorization_requests.delete().where(authorization_requests.c.expires_at < before)
        )
        return result.rowcount


class GrantRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, item: Grant) -> None:
        await self._conn.execute(
            grants.insert().values(
                id=item.id,
                client_id=item.client_id,
                user_id=item.user_id,
                session_id=item.session_id,
                created_at=item.created_at,
                revoked_at=item.revoked_at,
                revoked_reason=item.revoked_reason,
            )
        )

    async def get(self, grant_id: str) -> Grant | None:
        row = (await self._conn.execute(select(grants).where(grants.c.id == grant_id))).first()
        return _grant(row._mapping) if row else None

    async def revoke(self, grant_id: str, *, now: dt.datetime, reason: str) -> bool:
        """Revoke one family; False when it was already revoked (or never existed)."""
        result = await self._conn.execute(
            update(grants)
            .where(grants.c.id == grant_id, grants.c.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
        )
        return result.rowcount > 0

    async def revoke_for_user(self, user_id: str, *, now: dt.datetime, reason: str) -> int:
        result = await self._conn.execute(
            update(grants)
            .where(grants.c.user_id == user_id, grants.c.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
        )
        return result.rowcount

    async def revoke_for_session(self, session_id: str, *, now: dt.datetime, reason: str) -> int:
        result = await self._conn.execute(
            update(grants)
            .where(grants.c.session_id == session_id, grants.c.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
        )
        return result.rowcount


class AuthorizationCodeRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, item: AuthorizationCode, *, code_hash: str) -> None:
        await self._conn.execute(
            authorization_codes.insert().values(
                code_hash=code_hash,
                grant_id=item.grant_id,
                client_id=item.client_id,
                user_id=item.user_id,
                redirect_uri=item.redirect_uri,
                code_challenge=item.code_challenge,
                code_challenge_method=item.code_challenge_method,
                nonce=item.nonce,
                scope=item.scope,
                audience=item.audience,
                auth_time=item.auth_time,
                amr=list(item.amr),
                acr=item.acr,
                session_id=item.session_id,
                created_at=item.created_at,
                expires_at=item.expires_at,
                used_at=item.used_at,
            )
        )

    async def by_hash(self, code_hash: str) -> AuthorizationCode | None:
        query = select(authorization_codes).where(authorization_codes.c.code_hash == code_hash)
        row = (await self._conn.execute(query)).first()
        return _code(row._mapping) if row else None

    async def spend(self, code_hash: str, *, now: dt.datetime) -> bool:
        """Mark the code used; False when it was already used (a replay)."""
        result = await self._conn.execute(
            update(authorization_codes)
            .where(
                authorization_codes.c.code_hash == code_hash,
                authorization_codes.c.used_at.is_(None),
            )
            .values(used_at=now)
        )
        return result.rowcount == 1

    async def purge_expired(self, *, before: dt.datetime) -> int:
        result = await self._conn.execute(
            authorization_codes.delete().where(authorization_codes.c.expires_at < before)
        )
        return result.rowcount


class RefreshTokenRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, item: RefreshToken, *, token_hash: str) -> None:
        await self._conn.execute(
            refresh_tokens.insert().values(
                token_hash=token_hash,
                grant_id=item.grant_id,
                client_id=item.client_id,
                user_id=item.user_id,
                scope=item.scope,
                audience=item.audience,
                auth_time=item.auth_time,
                amr=list(item.amr),
                acr=item.acr,
                created_at=item.created_at,
                expires_at=item.expires_at,
                used_at=item.used_at,
            )
        )

    async def with_grant(self, token_hash: str) -> tuple[RefreshToken, Grant] | None:
        """The token and its family (one query)."""
        query = (
            select(refresh_tokens, grants)
            .join(grants, grants.c.id == refresh_tokens.c.grant_id)
            .where(refresh_tokens.c.token_hash == token_hash)
        )
        row = (await self._conn.execute(query)).first()
        if row is None:
            return None
        values = row._mapping
        token = _refresh({c.name: values[c] for c in refresh_tokens.c})
        return token, _grant({c.name: values[c] for c in grants.c})

    async def spend(self, token_hash: str, *, now: dt.datetime) -> bool:
        """Rotate: mark the token used; False when it was already used (reuse = theft)."""
        result = await self._conn.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.token_hash == token_hash, refresh_tokens.c.used_at.is_(None))
            .values(used_at=now)
        )
        return result.rowcount == 1

    async def for_grant(self, grant_id: str) -> list[RefreshToken]:
        query = select(refresh_tokens).where(refresh_tokens.c.grant_id == grant_id)
        return [_refresh(row._mapping) for row in await self._conn.execute(query)]
