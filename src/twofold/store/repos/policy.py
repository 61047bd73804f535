"""Policy rules in their evaluation order (ADR 009). Positions only order the rules: gaps
left by a deletion are harmless, and a reorder rewrites them all as 0, 1, 2..."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from twofold.domain import JsonObject
from twofold.store.tables.policy import policy_rules


@dataclass(frozen=True, slots=True)
class StoredRule:
    """A rule as saved: the condition's CEL source (compiled again when read) and its action."""

    id: str
    position: int
    name: str
    enabled: bool
    condition: str
    action: JsonObject
    """`{"type": "require_mfa"|"skip_mfa"|"deny", "factors": [...], "max_age": int|None}`."""
    remember: bool | int | None
    """`None` the tenant's default, `False` never, a number of days."""
    created_at: dt.datetime
    updated_at: dt.datetime


def _stored(row: RowMapping) -> StoredRule:
    return StoredRule(
        id=row["id"],
        position=row["position"],
        name=row["name"],
        enabled=row["enabled"],
        condition=row["condition"],
        action=dict(row["action"]),
        remember=row["remember"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


_ORDERED = select(policy_rules).order_by(
    policy_rules.c.position, policy_rules.c.created_at, policy_rules.c.id
)


class PolicyRuleRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def in_order(self) -> list[StoredRule]:
        """Every rule, in evaluation order (ties, from concurrent creations, by age then id)."""
        rows = await self._conn.execute(_ORDERED)
        return [_stored(row) for row in rows.mappings()]

    async def get(self, rule_id: str) -> StoredRule | None:
        query = select(policy_rules).where(policy_rules.c.id == rule_id)
        row = (await self._conn.execute(query)).mappings().one_or_none()
        return None if row is None else _stored(row)

    async def count(self) -> int:
        query = select(func.count()).select_from(policy_rules)
        return int((await self._conn.execute(query)).scalar_one())

    async def next_position(self) -> int:
        """After the last rule: a new rule is tried last until it is reordered."""
        query = select(func.max(policy_rules.c.position))
        last = (await self._conn.execute(query)).scalar_one_or_none()
        return 0 if last is None else int(last) + 1

    async def add(self, rule: StoredRule) -> None:
        await self._conn.execute(
            policy_rules.insert().values(
                id=rule.id,
                position=rule.position,
                name=rule.name,
                enabled=rule.enabled,
                condition=rule.condition,
                action=rule.action,
                remember=rule.remember,
                created_at=rule.created_at,
                updated_at=rule.updated_at,
            )
        )

    async def replace(self, rule: StoredRule) -> bool:
        """Save a rule's editable members (not its position); False when it is gone."""
        result = await self._conn.execute(
            policy_rules.update()
            .where(policy_rules.c.id == rule.id)
            .values(
                name=rule.name,
                enabled=rule.enabled,
                condition=rule.condition,
                action=rule.action,
                remember=rule.remember,
                updated_at=rule.updated_at,
            )
        )
        return result.rowcount == 1

    async def set_positions(self, ids: list[str], *, now: dt.datetime) -> None:
        """Number the rules 0, 1, 2... in the order of `ids` (the caller passes them all)."""
        for position, rule_id in enumerate(ids):
            await self._conn.execute(
                policy_rules.update()
                .where(policy_rules.c.id == rule_id)
                .values(position=position, updated_at=now)
            )

    async def delete(self, rule_id: str) -> bool:
        result = await self._conn.execute(policy_rules.delete().where(policy_rules.c.id == rule_id))
        return result.rowcount == 1
