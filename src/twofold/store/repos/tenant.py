"""Tenant settings changed at run time: the MFA policy and which factors are enabled."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from twofold.store.tables import guardian_factors, tenant_settings


class TenantRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, key: str) -> Any:
        query = select(tenant_settings.c.value).where(tenant_settings.c.key == key)
        return (await self._conn.execute(query)).scalar_one_or_none()

    async def put(self, key: str, value: Any) -> None:
        result = await self._conn.execute(
            tenant_settings.update().where(tenant_settings.c.key == key).values(value=value)
        )
        if result.rowcount == 0:
            await self._conn.execute(tenant_settings.insert().values(key=key, value=value))

    async def factor_overrides(self) -> dict[str, bool]:
        rows = await self._conn.execute(select(guardian_factors))
        return {row.name: row.enabled for row in rows}

    async def set_factor(self, name: str, *, enabled: bool) -> None:
        result = await self._conn.execute(
            guardian_factors.update().where(guardian_factors.c.name == name).values(enabled=enabled)
        )
        if result.rowcount == 0:
            await self._conn.execute(guardian_factors.insert().values(name=name, enabled=enabled))
