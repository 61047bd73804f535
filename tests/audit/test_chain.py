"""`verify`: intact chains pass; an altered, deleted or truncated row is named exactly."""

from __future__ import annotations

import asyncio

import pytest

from tests.audit.helpers import CHAINS, an_entry, append, chain_rows, tamper
from twofold.audit import chain as audit_chain
from twofold.audit.chain import BrokenLink, verify
from twofold.clock import FrozenClock
from twofold.store.repos import audit as audit_log
from twofold.store.uow import Store


async def _three_chains(store: Store, clock: FrozenClock) -> None:
    """Chains 0, 1 and 2 with 9 events each, appended two or one at a time, interleaved."""
    n = 0
    for size in (2, 1, 2, 1, 2, 1):
        for chain in range(3):
            entries = [an_entry(n + k) for k in range(size)]
            await append(store, entries, chain=chain, now=clock.now())
            n += size
        clock.advance(1)


async def test_an_empty_log_verifies(store: Store) -> None:
    report = await verify(store)
    assert (report.ok, report.checked, report.first_broken) == (True, 0, None)


async def test_concurrent_transactions_chain_and_verify(store: Store) -> None:
    async def one(n: int) -> None:
        async with store.transaction() as tx:
            await tx.users.get("nobody")  # a round trip, so the transactions interleave
            for k in range(3):
                tx.record(an_entry(n * 3 + k))

    await asyncio.gather(*(one(n) for n in range(20)))

    report = await verify(store)
    assert report == audit_chain.VerifyReport(ok=True, checked=60, first_broken=None)
    async with store.read() as tx:
        assert await audit_log.count(tx.conn) == 60
        heads = await audit_log.heads(tx.conn)
    assert set(heads) <= set(range(CHAINS))
    assert sum(head.seq for head in heads.values()) == 60
    for number, head in heads.items():
        rows = await chain_rows(store, number)
        assert [row.seq for row in rows] == list(range(1, head.seq + 1))
        assert rows[-1].hash == head.hash
        assert rows[0].prev_hash == audit_log.GENESIS


async def test_a_rolled_back_transaction_leaves_no_event(store: Store) -> None:
    async def fail() -> None:
        async with store.transaction() as tx:
            tx.record(an_entry())
            raise RuntimeError

    with pytest.raises(RuntimeError):
        await fail()
    async with store.read() as tx:
        assert await audit_log.count(tx.conn) == 0
    assert (await verify(store)).ok


async def test_verify_reports_progress(store: Store, clock: FrozenClock) -> None:
    await _three_chains(store, clock)
    seen: list[tuple[int, int]] = []
    report = await verify(store, progress=lambda done, total: seen.append((done, total)), batch=4)
    assert report.ok
    assert report.checked == 27
    assert seen[-1] == (27, 27)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


async def test_an_altered_row_is_named(store: Store, clock: FrozenClock) -> None:
    await _three_chains(store, clock)
    victim = (await chain_rows(store, 1))[4]
    await tamper(
        store,
        "UPDATE audit_events SET description = 'nothing happened' WHERE id = :id",
        id=victim.id,
    )
    report = await verify(store)
    assert not report.ok
    assert report.first_broken == BrokenLink(victim.id, 1, victim.seq, audit_chain.HASH_MISMATCH)


async def test_an_altered_and_rehashed_row_breaks_the_next_link(
    store: Store, clock: FrozenClock
) -> None:
    await _three_chains(store, clock)
    rows = await chain_rows(store, 2)
    victim, after = rows[3], rows[4]
    forged = audit_log.link_hash(
        victim.prev_hash,
        chain=victim.chain,
        seq=victim.seq,
        occurred_at=victim.occurred_at,
        type=victim.type,
        description="nothing happened",
        outcome=victim.outcome,
        user_id=victim.user_id,
        client_id=victim.client_id,
        actor=victim.actor,
        ip=victim.ip,
        user_agent=victim.user_agent,
        details=victim.details,
    )
    await tamper(
        store,
        "UPDATE audit_events SET description = 'nothing happened', hash = :hash WHERE id = :id",
        hash=forged,
        id=victim.id,
    )
    report = await verify(store)
    assert report.first_broken == BrokenLink(after.id, 2, after.seq, audit_chain.PREV_MISMATCH)


async def test_a_deleted_middle_row_is_a_gap(store: Store, clock: FrozenClock) -> None:
    await _three_chains(store, clock)
    rows = await chain_rows(store, 0)
    await tamper(store, "DELETE FROM audit_events WHERE id = :id", id=rows[2].id)
    report = await verify(store)
    assert report.first_broken == BrokenLink(rows[3].id, 0, rows[3].seq, audit_chain.SEQ_GAP)


async def test_a_deleted_first_row_is_a_gap(store: Store, clock: FrozenClock) -> None:
    await _three_chains(store, clock)
    rows = await chain_rows(store, 1)
    await tamper(store, "DELETE FROM audit_events WHERE id = :id", id=rows[0].id)
    report = await verify(store)
    assert report.first_broken == BrokenLink(rows[1].id, 1, 2, audit_chain.SEQ_GAP)


async def test_a_deleted_last_row_is_a_truncated_tail(store: Store, clock: FrozenClock) -> None:
    await _three_chains(store, clock)
    rows = await chain_rows(store, 2)
    await tamper(store, "DELETE FROM audit_events WHERE id = :id", id=rows[-1].id)
    report = await verify(store)
    assert report.first_broken == BrokenLink(
        rows[-2].id, 2, rows[-2].seq, audit_chain.TAIL_TRUNCATED
    )
    assert report.checked == 27 - 1


async def test_a_whole_deleted_chain_is_a_truncated_tail(store: Store, clock: FrozenClock) -> None:
    await _three_chains(store, clock)
    await tamper(store, "DELETE FROM audit_events WHERE chain = 1")
    report = await verify(store)
    assert report.first_broken == BrokenLink(None, 1, 0, audit_chain.TAIL_TRUNCATED)


async def test_a_rewritten_last_row_no_longer_matches_the_head(
    store: Store, clock: FrozenClock
) -> None:
    await _three_chains(store, clock)
    last = (await chain_rows(store, 0))[-1]
    forged = audit_log.link_hash(
        last.prev_hash,
        chain=last.chain,
        seq=last.seq,
        occurred_at=last.occurred_at,
        type=last.type,
        description="nothing happened",
        outcome=last.outcome,
        user_id=last.user_id,
        client_id=last.client_id,
        actor=last.actor,
        ip=last.ip,
        user_agent=last.user_agent,
        details=last.details,
    )
    await tamper(
        store,
        "UPDATE audit_events SET description = 'nothing happened', hash = :hash WHERE id = :id",
        hash=forged,
        id=last.id,
    )
    report = await verify(store)
    assert report.first_broken == BrokenLink(last.id, 0, last.seq, audit_chain.TAIL_ALTERED)


async def test_a_row_beyond_the_head_is_named(store: Store, clock: FrozenClock) -> None:
    await _three_chains(store, clock)
    rows = await chain_rows(store, 1)
    await tamper(
        store,
        "UPDATE audit_heads SET seq = :seq, hash = :hash WHERE chain = 1",
        seq=rows[-2].seq,
        hash=rows[-2].hash,
    )
    report = await verify(store)
    assert report.first_broken == BrokenLink(rows[-1].id, 1, rows[-1].seq, audit_chain.BEYOND_HEAD)


async def test_a_deleted_head_is_named(store: Store, clock: FrozenClock) -> None:
    await _three_chains(store, clock)
    last = (await chain_rows(store, 2))[-1]
    await tamper(store, "DELETE FROM audit_heads WHERE chain = 2")
    report = await verify(store)
    assert report.first_broken == BrokenLink(last.id, 2, last.seq, audit_chain.NO_HEAD)


async def test_the_lowest_broken_id_is_reported_across_chains(
    store: Store, clock: FrozenClock
) -> None:
    await _three_chains(store, clock)
    late = (await chain_rows(store, 0))[7]
    early = (await chain_rows(store, 2))[1]
    assert early.id < late.id
    for victim in (late, early):
        await tamper(
            store, "UPDATE audit_events SET outcome = 'failure' WHERE id = :id", id=victim.id
        )
    report = await verify(store)
    assert report.first_broken == BrokenLink(early.id, 2, early.seq, audit_chain.HASH_MISMATCH)


async def test_events_appended_after_a_verify_still_verify(
    store: Store, clock: FrozenClock
) -> None:
    await _three_chains(store, clock)
    assert (await verify(store, batch=2)).ok
    clock.advance(60)
    await append(store, [an_entry(500), an_entry(501)], chain=3, now=clock.now())
    await append(store, [an_entry(502)], chain=0, now=clock.now())
    report = await verify(store, batch=2)
    assert (report.ok, report.checked) == (True, 30)
