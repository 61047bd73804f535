"""Users: create, find by id or email, search, record logins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import LABEL_STYLE_TABLENAME_PLUS_COL, bindparam, func, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from twofold.domain import Authenticator, JsonObject, Page, User
from twofold.errors import ConflictError
from twofold.store.repos.authenticators import _authenticator
from twofold.store.tables import authenticators, users
from twofold.store.tables.base import UtcDateTime
from twofold.types import UserId


def _user(row: RowMapping | Mapping[str, Any]) -> User:
    return User(
        id=UserId(row["id"]),
        email=row["email"],
        name=row["name"],
        password_hash=row["password_hash"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        email_verified=row["email_verified"],
        roles=tuple(row["roles"]),
        app_metadata=dict(row["app_metadata"]),
        user_metadata=dict(row["user_metadata"]),
        last_login=row["last_login"],
        logins_count=row["logins_count"],
        last_login_ip=row["last_login_ip"],
        last_login_geo=row["last_login_geo"],
    )


# Hot-path statements, built once (see repos/transactions.py).
_WITH_AUTHENTICATORS = (
    select(users, authenticators)
    .select_from(users.outerjoin(authenticators, authenticators.c.user_id == users.c.id))
    .where(users.c.id == bindparam("b_id"))
    .order_by(authenticators.c.created_at, authenticators.c.id)
    .set_label_style(LABEL_STYLE_TABLENAME_PLUS_COL)
)
_RECORD_LOGIN = (
    update(users)
    .where(users.c.id == bindparam("b_id"))
    .values(
        last_login=bindparam("b_now", type_=UtcDateTime()),
        logins_count=users.c.logins_count + 1,
        last_login_ip=bindparam("b_ip", type_=users.c.last_login_ip.type),
        last_login_geo=bindparam("b_geo", type_=users.c.last_login_geo.type),
    )
)


class UserRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, user: User) -> None:
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    users.insert().values(
                        id=user.id,
                        email=user.email,
                        email_verified=user.email_verified,
                        name=user.name,
                        password_hash=user.password_hash,
                        roles=list(user.roles),
                        app_metadata=user.app_metadata,
                        user_metadata=user.user_metadata,
                        created_at=user.created_at,
                        updated_at=user.updated_at,
                        logins_count=0,
                    )
                )
        except IntegrityError as exc:
            raise ConflictError("The user already exists.") from exc

    async def get(self, user_id: str) -> User | None:
        row = (await self._conn.execute(select(users).where(users.c.id == user_id))).first()
        return _user(row._mapping) if row else None

    async def with_authenticators(self, user_id: str) -> tuple[User | None, list[Authenticator]]:
        """The user and all their authenticators (as `AuthenticatorRepo.for_user` orders
        them), in one query: one row per authenticator, outer-joined."""
        result = await self._conn.execute(_WITH_AUTHENTICATORS, {"b_id": user_id})
        rows = [row._mapping for row in result]
        if not rows:
            return None, []
        user = _user({c.name: rows[0][c] for c in users.c})
        items = [
            _authenticator({c.name: row[c] for c in authenticators.c})
            for row in rows
            if row[authenticators.c.id] is not None
        ]
        return user, items

    async def by_email(self, email: str) -> User | None:
        query = select(users).where(users.c.email == email.strip().lower())
        row = (await self._conn.execute(query)).first()
        return _user(row._mapping) if row else None

    async def search(
        self,
        *,
        q: str | None,
        page: int,
        per_page: int,
        fields: Sequence[str] = ("email", "name"),
        exact: bool = False,
    ) -> Page[User]:
        """Case-insensitive match on any of `fields`, newest first.

        A substring match by default; `*` in `q` is a wildcard (and then `q` is anchored);
        `exact` compares whole values.
        """
        where: list[Any] = []
        if q:
            columns = [func.lower(users.c[name]) for name in fields if name in ("email", "name")]
            term = q.lower()
            if exact:
                where.append(or_(*(column == term for column in columns)))
            else:
                escaped = _escape_like(term)
                pattern = escaped.replace("*", "%") if "*" in term else f"%{escaped}%"
                where.append(or_(*(column.like(pattern, escape="\\") for column in columns)))
        total = (
            await self._conn.execute(select(func.count()).select_from(users).where(*where))
        ).scalar_one()
        rows = await self._conn.execute(
            select(users)
            .where(*where)
            .order_by(users.c.created_at.desc(), users.c.id)
            .limit(per_page)
            .offset(page * per_page)
        )
        items = tuple(_user(row._mapping) for row in rows)
        return Page(items=items, total=total, page=page, per_page=per_page)

    async def record_login(
        self,
        user_id: UserId,
        *,
        now: dt.datetime,
        ip: str | None = None,
        geo: JsonObject | None = None,
    ) -> None:
        """Count a successful login and keep where it came from; `ip` and `geo` are always
        overwritten (None included), so a login that could not be placed never leaves an
        older location behind for ImpossibleTravel to measure from."""
        params = {"b_id": user_id, "b_now": now, "b_ip": ip, "b_geo": geo}
        await self._conn.execute(_RECORD_LOGIN, params)

    async def set_password(self, user_id: UserId, password_hash: str, *, now: dt.datetime) -> None:
        await self._conn.execute(
            update(users)
            .where(users.c.id == user_id)
            .values(password_hash=password_hash, updated_at=now)
        )

    async def delete(self, user_id: UserId) -> bool:
        result = await self._conn.execute(users.delete().where(users.c.id == user_id))
        return result.rowcount > 0


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
