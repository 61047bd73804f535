"""Where audit events go besides the database: JSON lines export, Auth0 log shape (audit).

An export line carries every hashed field in the hashed form, so anyone can re-check the
chains outside Twofold (docs/audit.md has the recipe).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import TextIO

from twofold.domain import AuditRecord, JsonObject
from twofold.store.repos import audit as audit_log
from twofold.store.uow import Store

BATCH = 1000


def to_json(record: AuditRecord) -> JsonObject:
    """One export line: the stored event, times in the form that is hashed."""
    return {
        "id": record.id,
        "chain": record.chain,
        "seq": record.seq,
        "occurred_at": audit_log.timestamp(record.occurred_at),
        "type": record.type,
        "description": record.description,
        "outcome": record.outcome,
        "user_id": record.user_id,
        "client_id": record.client_id,
        "actor": record.actor,
        "ip": record.ip,
        "user_agent": record.user_agent,
        "details": record.details,
        "prev_hash": record.prev_hash,
        "hash": record.hash,
    }


async def export_jsonl(
    store: Store,
    out: TextIO,
    *,
    progress: Callable[[int, int], None] | None = None,
    batch: int = BATCH,
) -> int:
    """Write every event, in id order, one JSON object per line; the number written."""
    async with store.read() as tx:
        total = await audit_log.count(tx.conn)
    written, after = 0, 0
    while True:
        async with store.read() as tx:
            rows = await audit_log.id_batch(tx.conn, after_id=after, limit=batch)
        for record in rows:
            out.write(json.dumps(to_json(record), ensure_ascii=False, separators=(",", ":")))
            out.write("\n")
        written += len(rows)
        if progress is not None:
            progress(written, max(total, written))
        if len(rows) < batch:
            return written
        after = rows[-1].id


def to_auth0_log(record: AuditRecord) -> JsonObject:
    """An Auth0 Management API log event (`GET /api/v2/logs`); absent members are omitted,
    as Auth0 does. Who acted (an admin or application) goes in `details.actor`."""
    log: JsonObject = {
        "log_id": str(record.id),
        "date": _date(record.occurred_at),
        "type": record.type,
        "description": record.description,
    }
    optional = {
        "client_id": record.client_id,
        "ip": record.ip,
        "user_agent": record.user_agent,
        "user_id": record.user_id,
        "user_name": record.details.get("username"),
        "audience": record.details.get("audience"),
    }
    log.update((key, value) for key, value in optional.items() if value is not None)
    details = dict(record.details)
    if record.actor is not None:
        details["actor"] = record.actor
    log["details"] = details
    return log


def _date(moment: dt.datetime) -> str:
    """Auth0's format: UTC, milliseconds, `Z`."""
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
