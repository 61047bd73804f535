"""Applications (Auth0 clients)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from twofold.domain import Application, Page
from twofold.store.tables import applications
from twofold.types import ClientId


def _application(row: RowMapping | Mapping[str, Any]) -> Application:
    return Application(
        client_id=ClientId(row["client_id"]),
        name=row["name"],
        secret_hash=row["secret_hash"],
        app_type=row["app_type"],
        grant_types=tuple(row["grant_types"]),
        scopes=tuple(row["scopes"]),
        created_at=row["created_at"],
        callbacks=tuple(row["callbacks"]),
        allowed_logout_urls=tuple(row["allowed_logout_urls"]),
    )


_ORDER = (applications.c.created_at, applications.c.client_id)


class ApplicationRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, app: Application) -> None:
        await self._conn.execute(
            applications.insert().values(
                client_id=app.client_id,
                name=app.name,
                secret_hash=app.secret_hash,
                app_type=app.app_type,
                grant_types=list(app.grant_types),
                scopes=list(app.scopes),
                created_at=app.created_at,
                callbacks=list(app.callbacks),
                allowed_logout_urls=list(app.allowed_logout_urls),
            )
        )

    async def get(self, client_id: str, *, lock: bool = False) -> Application | None:
        """`lock` holds the row until the transaction ends, so a read-modify-write (an update,
        a secret rotation) cannot be undone by a concurrent one."""
        query = select(applications).where(applications.c.client_id == client_id)
        if lock:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).first()
        return _application(row._mapping) if row else None

    async def list(self) -> list[Application]:
        rows = await self._conn.execute(select(applications).order_by(*_ORDER))
        return [_application(row._mapping) for row in rows]

    async def page(self, *, page: int, per_page: int) -> Page[Application]:
        """Oldest first, as `list` (a stable order, so pages neither skip nor repeat)."""
        total_query = select(func.count()).select_from(applications)
        total = int((await self._conn.execute(total_query)).scalar_one())
        query = select(applications).order_by(*_ORDER).limit(per_page).offset(page * per_page)
        rows = await self._conn.execute(query)
        items = tuple(_application(row._mapping) for row in rows)
        return Page(items=items, total=total, page=page, per_page=per_page)

    async def update(self, app: Application) -> bool:
        """Write every setting that can change after creation (the id and date cannot)."""
        result = await self._conn.execute(
            applications.update()
            .where(applications.c.client_id == app.client_id)
            .values(
                name=app.name,
                secret_hash=app.secret_hash,
                app_type=app.app_type,
                grant_types=list(app.grant_types),
                scopes=list(app.scopes),
                callbacks=list(app.callbacks),
                allowed_logout_urls=list(app.allowed_logout_urls),
            )
        )
        return result.rowcount > 0

    async def delete(self, client_id: str) -> bool:
        result = await self._conn.execute(
            applications.delete().where(applications.c.client_id == client_id)
        )
        return result.rowcount > 0
