"""store/repos/audit.py: the hash recipe, chained appends, search and get."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
from dataclasses import replace

import pytest

from tests.audit.helpers import an_entry, append, chain_rows
from twofold.audit.chain import verify
from twofold.clock import FrozenClock
from twofold.domain import AuditRecord, Page
from twofold.store.repos import audit as audit_log
from twofold.store.uow import Store


def test_link_hash_follows_the_documented_recipe() -> None:
    moment = dt.datetime(2026, 11, 22, 13, 0, 0, 5, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    fields = {
        "chain": 3,
        "seq": 1,
        "type": "s",
        "description": "Connexion réussie",
        "outcome": "success",
        "user_id": "auth0|1",
        "client_id": None,
        "actor": None,
        "ip": "::1",
        "user_agent": "curl/8",
        "details": {"b": [1, 2], "a": "ü"},
    }
    body = {**fields, "occurred_at": "2026-11-22T12:00:00.000005+00:00", "prev_hash": "0" * 64}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    expected = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert audit_log.link_hash("0" * 64, occurred_at=moment, **fields) == expected  # type: ignore[arg-type]
    assert audit_log.GENESIS == "0" * 64


async def test_the_first_append_starts_the_chain_at_genesis(
    store: Store, clock: FrozenClock
) -> None:
    await append(store, [an_entry(1), an_entry(2)], chain=2, now=clock.now())
    first, second = await chain_rows(store, 2)
    assert (first.seq, first.prev_hash) == (1, audit_log.GENESIS)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert first.hash == audit_log.record_hash(first)
    async with store.read() as tx:
        assert await audit_log.heads(tx.conn) == {2: audit_log.ChainHead(2, 2, second.hash)}


async def test_writers_racing_to_start_one_chain_all_land(store: Store, clock: FrozenClock) -> None:
    await asyncio.gather(
        *(append(store, [an_entry(n)], chain=0, now=clock.now()) for n in range(12))
    )
    assert [row.seq for row in await chain_rows(store, 0)] == list(range(1, 13))
    assert (await verify(store)).ok


async def test_long_text_is_clipped_before_hashing(store: Store, clock: FrozenClock) -> None:
    await append(store, [an_entry(user_agent="Mozilla/5.0 " * 100)], chain=0, now=clock.now())
    (row,) = await chain_rows(store, 0)
    assert row.user_agent == ("Mozilla/5.0 " * 100)[:500]
    assert (await verify(store)).ok


async def test_unicode_round_trips_through_the_hash(store: Store, clock: FrozenClock) -> None:
    await append(
        store, [an_entry(description="Zoë logged in from Zürich 🛡")], chain=1, now=clock.now()
    )
    (row,) = await chain_rows(store, 1)
    assert row.description == "Zoë logged in from Zürich 🛡"
    assert (await verify(store)).ok


async def _log(store: Store, clock: FrozenClock) -> None:
    """Six events a second apart: users a/b alternate, types s, fp, gd_auth_succeed cycle."""
    kinds = ("s", "fp", "gd_auth_succeed")
    for n in range(6):
        entry = an_entry(n, type_=kinds[n % 3], user_id="auth0|a" if n % 2 == 0 else "auth0|b")
        await append(store, [entry], chain=n % 2, now=clock.now())
        clock.advance(1)


async def _search(store: Store, **filters: object) -> Page[AuditRecord]:
    async with store.read() as tx:
        return await audit_log.search(tx.conn, **filters)  # type: ignore[arg-type]


def _numbers(page: Page[AuditRecord]) -> list[int]:
    return [record.details["n"] for record in page.items]


async def test_search_filters_sorts_and_pages(store: Store, clock: FrozenClock) -> None:
    start = clock.now()
    await _log(store, clock)
    assert _numbers(await _search(store)) == [5, 4, 3, 2, 1, 0]
    assert _numbers(await _search(store, ascending=True)) == [0, 1, 2, 3, 4, 5]
    assert _numbers(await _search(store, user_id="auth0|a")) == [4, 2, 0]
    assert _numbers(await _search(store, type="fp")) == [4, 1]
    assert _numbers(await _search(store, types=("s", "fp"))) == [4, 3, 1, 0]
    assert _numbers(await _search(store, type="fp", user_id="auth0|b")) == [1]
    window = {"since": start + dt.timedelta(seconds=1), "until": start + dt.timedelta(seconds=3)}
    assert _numbers(await _search(store, **window)) == [3, 2, 1]
    assert _numbers(await _search(store, q="EVENT 4")) == [4]
    assert _numbers(await _search(store, q="%")) == []
    assert _numbers(await _search(store, client_id="client-1", ip="10.0.0.1")) == [5, 4, 3, 2, 1, 0]
    assert _numbers(await _search(store, ip="10.0.0.2")) == []
    page = await _search(store, page=1, per_page=4)
    assert (_numbers(page), page.total, page.page, page.per_page) == ([1, 0], 6, 1, 4)


async def test_search_breaks_ties_in_time_by_id(store: Store, clock: FrozenClock) -> None:
    for chain, n in ((1, 0), (0, 1), (1, 2)):
        await append(store, [an_entry(n)], chain=chain, now=clock.now())
    assert _numbers(await _search(store)) == [2, 1, 0]
    assert _numbers(await _search(store, ascending=True)) == [0, 1, 2]


async def test_get_by_id(store: Store, clock: FrozenClock) -> None:
    await append(store, [an_entry(7)], chain=0, now=clock.now())
    (row,) = await chain_rows(store, 0)
    async with store.read() as tx:
        assert await audit_log.get(tx.conn, row.id) == row
        assert await audit_log.get(tx.conn, str(row.id)) == row
        assert await audit_log.get(tx.conn, row.id + 1) is None


@pytest.mark.parametrize("log_id", ["", "abc", "-1", "0", "1e3", "\u0661", "9" * 40, 2**63, -5])
async def test_get_refuses_what_cannot_be_an_id(store: Store, log_id: int | str) -> None:
    async with store.read() as tx:
        assert await audit_log.get(tx.conn, log_id) is None


async def test_count_failed_logins_from_ip_counts_fp_and_fu_in_the_window(
    store: Store, clock: FrozenClock
) -> None:
    start = clock.now()
    suspect, bystander = "203.0.113.9", "198.51.100.7"
    logged = (
        ("fp", suspect, 0),
        ("fu", suspect, 10),
        ("fp", suspect, 20),
        ("s", suspect, 30),  # a success is not a failure
        ("gd_auth_failed", suspect, 40),  # nor is a wrong second factor
        ("fp", bystander, 50),
    )
    for n, (kind, ip, seconds) in enumerate(logged):
        entry = replace(an_entry(n, type_=kind), ip=ip)
        await append(store, [entry], chain=n % 2, now=start + dt.timedelta(seconds=seconds))

    async with store.read() as tx:
        counts = [
            await tx.audit.count_failed_logins_from_ip(ip, since=since)
            for ip, since in (
                (suspect, start),
                (suspect, start + dt.timedelta(seconds=10)),  # inclusive
                (suspect, start + dt.timedelta(seconds=11)),
                (suspect, start + dt.timedelta(seconds=21)),
                (bystander, start),
                ("192.0.2.1", start),
            )
        ]

    assert counts == [3, 2, 1, 0, 1, 0]
