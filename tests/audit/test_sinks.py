"""audit/sinks.py: JSON lines export that re-verifies outside Twofold, and Auth0's log shape."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json

from tests.audit.helpers import an_entry, append, chain_rows
from twofold.audit import events
from twofold.audit.sinks import export_jsonl, to_auth0_log
from twofold.clock import FrozenClock
from twofold.domain import AuditRecord
from twofold.store.repos import audit as audit_log
from twofold.store.uow import Store


async def test_export_writes_every_event_in_id_order(store: Store, clock: FrozenClock) -> None:
    for n in range(7):
        await append(store, [an_entry(n), an_entry(n + 100)], chain=n % 3, now=clock.now())
        clock.advance(1)
    out = io.StringIO()
    seen: list[tuple[int, int]] = []
    written = await export_jsonl(
        store, out, progress=lambda done, total: seen.append((done, total)), batch=5
    )
    lines = out.getvalue().splitlines()
    assert written == len(lines) == 14
    exported = [json.loads(line) for line in lines]
    ids = [item["id"] for item in exported]
    assert ids == sorted(ids)
    assert seen[-1] == (14, 14)
    rows = await chain_rows(store, 1)
    by_id = {item["id"]: item for item in exported}
    assert by_id[rows[0].id]["occurred_at"] == audit_log.timestamp(rows[0].occurred_at)
    assert [by_id[row.id]["hash"] for row in rows] == [row.hash for row in rows]


async def test_an_export_verifies_with_nothing_but_hashlib(
    store: Store, clock: FrozenClock
) -> None:
    await append(store, [an_entry(1), an_entry(2, description="Zoë 🛡")], chain=0, now=clock.now())
    await append(store, [an_entry(3)], chain=1, now=clock.now())
    out = io.StringIO()
    await export_jsonl(store, out)
    last: dict[int, str] = {}
    for line in out.getvalue().splitlines():
        item = json.loads(line)
        stored, chain = item.pop("hash"), item["chain"]
        del item["id"]
        canonical = json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert hashlib.sha256(canonical.encode("utf-8")).hexdigest() == stored
        assert item["prev_hash"] == last.get(chain, "0" * 64)
        last[chain] = stored


async def test_an_empty_export_writes_nothing(store: Store) -> None:
    out = io.StringIO()
    assert await export_jsonl(store, out) == 0
    assert out.getvalue() == ""


def _record(**changes: object) -> AuditRecord:
    entry = events.LoginFailed(
        user_id="auth0|1",
        client_id="c1",
        ip="10.0.0.1",
        user_agent="curl/8",
        username="a@b.c",
        reason="wrong_password",
    ).entry()
    fields: dict[str, object] = {
        "id": 42,
        "chain": 3,
        "seq": 9,
        "occurred_at": dt.datetime(2026, 11, 22, 12, 0, 0, 123456, tzinfo=dt.UTC),
        "type": entry.type,
        "description": entry.description,
        "outcome": entry.outcome,
        "user_id": entry.user_id,
        "client_id": entry.client_id,
        "actor": entry.actor,
        "ip": entry.ip,
        "user_agent": entry.user_agent,
        "details": entry.details,
        "prev_hash": "a" * 64,
        "hash": "b" * 64,
    }
    fields.update(changes)
    return AuditRecord(**fields)  # type: ignore[arg-type]


def test_auth0_log_shape() -> None:
    assert to_auth0_log(_record()) == {
        "log_id": "42",
        "date": "2026-11-22T12:00:00.123Z",
        "type": "fp",
        "description": "Wrong password",
        "client_id": "c1",
        "ip": "10.0.0.1",
        "user_agent": "curl/8",
        "user_id": "auth0|1",
        "user_name": "a@b.c",
        "details": {"username": "a@b.c", "reason": "wrong_password"},
    }


def test_auth0_log_omits_what_is_absent_and_names_the_actor() -> None:
    entry = events.TokenExchange(
        client_id="c1", ip=None, user_agent=None, grant="client_credentials", audience="https://a/"
    ).entry()
    log = to_auth0_log(
        _record(
            type=entry.type,
            description=entry.description,
            user_id=None,
            ip=None,
            user_agent=None,
            actor="admin@clients",
            details=entry.details,
        )
    )
    assert log == {
        "log_id": "42",
        "date": "2026-11-22T12:00:00.123Z",
        "type": "seccft",
        "description": "Client credentials exchanged for an access token",
        "client_id": "c1",
        "audience": "https://a/",
        "details": {
            "grant": "client_credentials",
            "audience": "https://a/",
            "actor": "admin@clients",
        },
    }
