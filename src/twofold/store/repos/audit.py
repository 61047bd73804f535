"""The audit log's SQL: chained append, reads in chain or id order, search (store layer).

Events live in N parallel hash chains. Each event's `hash` is SHA-256 over a canonical JSON
of its fields and the previous event's hash in the same chain; `audit_heads` holds each
chain's last (seq, hash), so deleting the newest events is detected too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, bindparam, func, select, union
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from twofold.domain import AuditEntry, AuditRecord, JsonObject, Page
from twofold.store.tables import audit_events, audit_heads

GENESIS = "0" * 64
"""The `prev_hash` of every chain's first event."""

_LENGTHS = {
    column.name: column.type.length
    for column in audit_events.columns
    if isinstance(column.type, String) and column.type.length
}
"""Free text (user agents, descriptions) is clipped to fit, before it is hashed."""

_MAX_ID = 2**63 - 1


@dataclass(frozen=True, slots=True)
class ChainHead:
    """A chain's last link as `audit_heads` records it (seq 0 and GENESIS when empty)."""

    chain: int
    seq: int
    hash: str


def timestamp(moment: dt.datetime) -> str:
    """The hashed form of a time: UTC ISO 8601 with microseconds."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def link_hash(
    prev_hash: str,
    *,
    chain: int,
    seq: int,
    occurred_at: dt.datetime,
    type: str,
    description: str,
    outcome: str,
    user_id: str | None,
    client_id: str | None,
    actor: str | None,
    ip: str | None,
    user_agent: str | None,
    details: JsonObject,
) -> str:
    """SHA-256 (hex) of one link: canonical JSON (sorted keys, no spaces, UTF-8) of the
    event's fields plus `prev_hash`. docs/audit.md gives the recipe for outside verifiers."""
    body = {
        "prev_hash": prev_hash,
        "chain": chain,
        "seq": seq,
        "occurred_at": timestamp(occurred_at),
        "type": type,
        "description": description,
        "outcome": outcome,
        "user_id": user_id,
        "client_id": client_id,
        "actor": actor,
        "ip": ip,
        "user_agent": user_agent,
        "details": details,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record_hash(record: AuditRecord) -> str:
    """What `record.hash` should be, recomputed from the stored fields."""
    return link_hash(
        record.prev_hash,
        chain=record.chain,
        seq=record.seq,
        occurred_at=record.occurred_at,
        type=record.type,
        description=record.description,
        outcome=record.outcome,
        user_id=record.user_id,
        client_id=record.client_id,
        actor=record.actor,
        ip=record.ip,
        user_agent=record.user_agent,
        details=record.details,
    )


# Writing --------------------------------------------------------------------------------

# Every write transaction appends, so these statements are built once (see
# repos/transactions.py); only a multi-event append on PostgreSQL builds its own.
_LOCK_HEAD = (
    select(audit_heads.c.seq, audit_heads.c.hash)
    .where(audit_heads.c.chain == bindparam("b_chain"))
    .with_for_update()
)
_MOVE_HEAD = (
    audit_heads.update()
    .where(audit_heads.c.chain == bindparam("b_chain"))
    .values(seq=bindparam("b_seq"), hash=bindparam("b_hash"))
)
_APPEND_ONE = _MOVE_HEAD.add_cte(
    audit_events.insert()
    .values(
        {c.name: bindparam(f"e_{c.name}", type_=c.type) for c in audit_events.c if c.name != "id"}
    )
    .cte("appended")
)
"""PostgreSQL: insert one event and move the head in one statement (a data-modifying CTE)."""


async def append(
    conn: AsyncConnection, entries: Sequence[AuditEntry], *, chain: int, now: dt.datetime
) -> None:
    """Chain `entries` onto `chain` inside the caller's transaction.

    Lock the head row, then insert the events and move the head: two round trips on
    PostgreSQL (both writes in one statement, the insert as a data-modifying CTE), three on
    SQLite. The head lock is held until the caller commits, so appends to one chain are
    serialised while appends to other chains run in parallel.
    """
    if not entries:
        return
    seq, prev = await _lock_head(conn, chain)
    rows: list[dict[str, Any]] = []
    for entry in entries:
        seq += 1
        fields = _fields(entry, chain=chain, seq=seq, occurred_at=now)
        digest = link_hash(prev, **fields)
        rows.append({**fields, "prev_hash": prev, "hash": digest})
        prev = digest
    head = {"b_chain": chain, "b_seq": seq, "b_hash": prev}
    if conn.dialect.name != "postgresql":
        await conn.execute(audit_events.insert(), rows)
        await conn.execute(_MOVE_HEAD, head)
    elif len(rows) == 1:
        await conn.execute(_APPEND_ONE, head | {f"e_{k}": v for k, v in rows[0].items()})
    else:
        appended = audit_events.insert().values(rows).cte("appended")
        await conn.execute(_MOVE_HEAD.add_cte(appended), head)


def _fields(entry: AuditEntry, *, chain: int, seq: int, occurred_at: dt.datetime) -> JsonObject:
    return {
        "chain": chain,
        "seq": seq,
        "occurred_at": occurred_at,
        "type": entry.type,
        "description": _clip("description", entry.description),
        "outcome": entry.outcome,
        "user_id": _clip("user_id", entry.user_id),
        "client_id": _clip("client_id", entry.client_id),
        "actor": _clip("actor", entry.actor),
        "ip": _clip("ip", entry.ip),
        "user_agent": _clip("user_agent", entry.user_agent),
        "details": entry.details,
    }


def _clip(column: str, value: Any) -> Any:
    return value[: _LENGTHS[column]] if isinstance(value, str) else value


async def _lock_head(conn: AsyncConnection, chain: int) -> tuple[int, str]:
    """Read the chain's head and lock it (FOR UPDATE on PostgreSQL; SQLite already holds the
    database write lock from BEGIN IMMEDIATE). A missing head is created as genesis; two
    writers racing to create it meet on the primary key, and the loser re-reads."""
    row = (await conn.execute(_LOCK_HEAD, {"b_chain": chain})).first()
    if row is not None:
        return int(row.seq), str(row.hash)
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    create = (
        dialect.insert(audit_heads)
        .values(chain=chain, seq=0, hash=GENESIS)
        .on_conflict_do_nothing(index_elements=[audit_heads.c.chain])
    )
    if (await conn.execute(create)).rowcount == 1:
        return 0, GENESIS  # our own new row: nobody else can see it until we commit
    row = (await conn.execute(_LOCK_HEAD, {"b_chain": chain})).one()
    return int(row.seq), str(row.hash)


# Reading --------------------------------------------------------------------------------


def _record(row: RowMapping) -> AuditRecord:
    return AuditRecord(
        id=row["id"],
        chain=row["chain"],
        seq=row["seq"],
        occurred_at=row["occurred_at"],
        type=row["type"],
        description=row["description"],
        outcome=row["outcome"],
        user_id=row["user_id"],
        client_id=row["client_id"],
        actor=row["actor"],
        ip=row["ip"],
        user_agent=row["user_agent"],
        details=dict(row["details"]),
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


async def get(conn: AsyncConnection, log_id: int | str) -> AuditRecord | None:
    """One event by id; an id that is not a number in range is simply not found."""
    if isinstance(log_id, str):
        if not (log_id.isascii() and log_id.isdigit()):
            return None
        log_id = int(log_id)
    if not 0 < log_id <= _MAX_ID:
        return None
    row = (await conn.execute(select(audit_events).where(audit_events.c.id == log_id))).first()
    return _record(row._mapping) if row else None


async def count(conn: AsyncConnection) -> int:
    total = (await conn.execute(select(func.count()).select_from(audit_events))).scalar_one()
    return int(total)


async def heads(conn: AsyncConnection) -> dict[int, ChainHead]:
    rows = await conn.execute(select(audit_heads))
    return {row.chain: ChainHead(row.chain, row.seq, row.hash) for row in rows}


async def head(conn: AsyncConnection, chain: int) -> ChainHead | None:
    query = select(audit_heads).where(audit_heads.c.chain == chain)
    row = (await conn.execute(query)).first()
    return ChainHead(row.chain, row.seq, row.hash) if row else None


async def chains(conn: AsyncConnection) -> list[int]:
    """Every chain that has events or a head (a head without events, or the reverse, is
    itself a finding for verify)."""
    query = union(select(audit_events.c.chain).distinct(), select(audit_heads.c.chain))
    return sorted(int(chain) for chain in (await conn.execute(query)).scalars())


async def chain_batch(
    conn: AsyncConnection, *, chain: int, after_seq: int, limit: int
) -> list[AuditRecord]:
    """Up to `limit` events of one chain with seq > `after_seq`, in seq order."""
    query = (
        select(audit_events)
        .where(audit_events.c.chain == chain, audit_events.c.seq > after_seq)
        .order_by(audit_events.c.seq)
        .limit(limit)
    )
    return [_record(row) for row in (await conn.execute(query)).mappings()]


async def id_batch(conn: AsyncConnection, *, after_id: int, limit: int) -> list[AuditRecord]:
    """Up to `limit` events with id > `after_id`, in id order (for export)."""
    query = (
        select(audit_events)
        .where(audit_events.c.id > after_id)
        .order_by(audit_events.c.id)
        .limit(limit)
    )
    return [_record(row) for row in (await conn.execute(query)).mappings()]


async def search(
    conn: AsyncConnection,
    *,
    user_id: str | None = None,
    type: str | None = None,
    types: Sequence[str] | None = None,
    client_id: str | None = None,
    ip: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    q: str | None = None,
    page: int = 0,
    per_page: int = 50,
    ascending: bool = False,
) -> Page[AuditRecord]:
    """Events matching every given filter (`since`/`until` inclusive; `q`: description
    contains, case-insensitive), by date then id, newest first unless `ascending`."""
    c = audit_events.c
    where: list[ColumnElement[bool]] = []
    for column, value in ((c.user_id, user_id), (c.type, type), (c.client_id, client_id)):
        if value is not None:
            where.append(column == value)
    if ip is not None:
        where.append(c.ip == ip)
    if types:
        where.append(c.type.in_(list(types)))
    if since is not None:
        where.append(c.occurred_at >= since)
    if until is not None:
        where.append(c.occurred_at <= until)
    if q:
        where.append(func.lower(c.description).contains(q.lower(), autoescape=True))
    total_query = select(func.count()).select_from(audit_events).where(*where)
    total = int((await conn.execute(total_query)).scalar_one())
    order = (c.occurred_at.asc(), c.id.asc()) if ascending else (c.occurred_at.desc(), c.id.desc())
    query = select(audit_events).where(*where).order_by(*order).limit(per_page)
    rows = await conn.execute(query.offset(page * per_page))
    items = tuple(_record(row) for row in rows.mappings())
    return Page(items=items, total=total, page=page, per_page=per_page)


FAILED_LOGIN_TYPES = ("fp", "fu")
"""Auth0's wrong-password and unknown-user events: what UntrustedIP's velocity counts."""


async def count_failed_logins_from_ip(conn: AsyncConnection, ip: str, *, since: dt.datetime) -> int:
    """Failed logins (`fp`, `fu`) from `ip` at or after `since`, across every account.

    Served by `ix_audit_events_ip_type_occurred_at` (two short range scans, one per type),
    since it runs on every login."""
    c = audit_events.c
    query = (
        select(func.count())
        .select_from(audit_events)
        .where(c.ip == ip, c.occurred_at >= since, c.type.in_(FAILED_LOGIN_TYPES))
    )
    return int((await conn.execute(query)).scalar_one())


class AuditRepo:
    """The audit reads a flow makes inside its own transaction, as `tx.audit` (appends go
    through `Tx.record`, chained at commit)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def count_failed_logins_from_ip(self, ip: str, *, since: dt.datetime) -> int:
        return await count_failed_logins_from_ip(self._conn, ip, since=since)
