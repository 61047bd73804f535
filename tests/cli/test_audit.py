"""`twofold audit verify` and `export` run against a real log, intact and then tampered with."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.builders import a_user
from tests.cli.conftest import Cli
from twofold.audit.chain import HASH_MISMATCH
from twofold.flows.admin import reset_mfa
from twofold.flows.runtime import Runtime
from twofold.store.tables import audit_events


async def some_events(runtime: Runtime, engine: AsyncEngine) -> list[tuple[int, int, int]]:
    """A few users created and reset, spread over the chains; their (id, chain, seq) rows."""
    for _ in range(4):
        person = await a_user(runtime)
        await reset_mfa(runtime, person.user_id, actor="test")
    async with engine.connect() as conn:
        query = select(audit_events.c.id, audit_events.c.chain, audit_events.c.seq)
        rows = (await conn.execute(query.order_by(audit_events.c.id))).all()
    assert len(rows) == 8
    return [(row.id, row.chain, row.seq) for row in rows]


async def test_an_intact_log_verifies(cli: Cli, runtime: Runtime, migrated: AsyncEngine) -> None:
    rows = await some_events(runtime, migrated)
    result = await cli("audit", "verify", "--json")
    assert result.code == 0, result.stderr
    assert result.json() == {"ok": True, "checked": len(rows), "first_broken": None}


async def test_a_tampered_row_is_named_and_fails(
    cli: Cli, runtime: Runtime, migrated: AsyncEngine
) -> None:
    rows = await some_events(runtime, migrated)
    target_id, target_chain, target_seq = rows[len(rows) // 2]
    async with migrated.begin() as conn:
        changed = await conn.execute(
            update(audit_events)
            .where(audit_events.c.id == target_id)
            .values(description="nothing to see here")
        )
        assert changed.rowcount == 1

    as_json = await cli("audit", "verify", "--json")
    assert as_json.code == 1, as_json.stderr
    assert as_json.json()["ok"] is False
    assert as_json.json()["first_broken"] == {
        "id": target_id,
        "chain": target_chain,
        "seq": target_seq,
        "reason": HASH_MISMATCH,
    }

    as_text = await cli("audit", "verify")
    assert as_text.code == 1
    assert "BROKEN" in as_text.words
    assert (
        f"first broken link is event {target_id} (chain {target_chain}, seq {target_seq})"
        in as_text.words
    )
    assert "Traceback" not in as_text.stderr


async def test_export_writes_one_json_line_per_event(
    cli: Cli, runtime: Runtime, migrated: AsyncEngine, tmp_path: Path
) -> None:
    rows = await some_events(runtime, migrated)

    piped = await cli("audit", "export")
    assert piped.code == 0, piped.stderr
    lines = piped.stdout.splitlines()
    assert len(lines) == len(rows)
    events = [json.loads(line) for line in lines]
    assert [(e["id"], e["chain"], e["seq"]) for e in events] == rows
    assert {e["type"] for e in events} == {"ss", "gd_user_delete"}
    assert all(len(e["hash"]) == 64 for e in events)

    out = tmp_path / "audit.jsonl"
    written = await cli("audit", "export", "--out", str(out))
    assert written.code == 0, written.stderr
    assert f"Wrote {len(rows)} events to {out}" in written.words
    assert out.read_text(encoding="utf-8").splitlines() == lines
