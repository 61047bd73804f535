"""At most one pending push per user, held by the database: concurrent challenges, a
challenge racing an uncommitted one on another connection, and an expired push never swept."""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import secrets

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tests.api.helpers import mfa_token
from tests.push.pushes import Enrolled, challenge, enrolled
from twofold.clock import FrozenClock
from twofold.flows.push_challenge import new_push_id
from twofold.flows.runtime import Runtime
from twofold.store.repos.push_transactions import EXPIRED, PENDING, PushTransaction
from twofold.store.uow import Store


def a_push(device: Enrolled, now: dt.datetime) -> PushTransaction:
    return PushTransaction(
        id=new_push_id(),
        user_id=device.person.user_id,
        authenticator_id=device.account.device_id,
        transaction_id=None,
        session_id=None,
        oob_code_hash=secrets.token_hex(32),
        number=42,
        choices=[17, 42, 88],
        facts={},
        status=PENDING,
        created_at=now,
        expires_at=now + dt.timedelta(minutes=5),
    )


async def statuses(rt: Runtime, user_id: str) -> dict[str, str]:
    """Every push of the user and its stored status (not `status_at`: the row itself)."""
    async with rt.store.read() as tx:
        rows = await tx.conn.execute(
            text("SELECT id, status FROM push_transactions WHERE user_id = :user"),
            {"user": user_id},
        )
        return {row.id: row.status for row in rows}


async def replace_in_own_transaction(store: Store, push: PushTransaction) -> list[str]:
    async with store.transaction() as tx:
        return await tx.push_transactions.replace_pending(push)


async def blocked_on_a_lock(rt: Runtime, racing: asyncio.Task[list[str]]) -> None:
    """Return once `racing` waits for a row or index entry another transaction holds (or has
    finished, which only code without the unique index lets it do). SQLite queues writers
    before they begin, so there the racer simply waits its turn."""
    if rt.store.engine.dialect.name == "sqlite":
        await asyncio.sleep(0)
        return
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(500):
        async with rt.store.engine.connect() as conn:
            if await conn.scalar(query) or racing.done():
                return
        await asyncio.sleep(0.01)
    raise AssertionError("the racing transaction neither waited nor finished")


@pytest.mark.usefixtures("push_on")
async def test_two_challenges_at_once_leave_one_pending_push(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    device = await enrolled(client, runtime, clock)
    tokens = [await mfa_token(client, device.app, device.person) for _ in range(2)]

    answers = await asyncio.gather(*(challenge(client, device.app, token) for token in tokens))

    assert [answer.status_code for answer in answers] == [200, 200]
    assert sorted((await statuses(runtime, device.person.user_id)).values()) == [
        EXPIRED,
        PENDING,
    ]


@pytest.mark.usefixtures("push_on")
async def test_a_challenge_racing_an_uncommitted_one_supersedes_it(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    device = await enrolled(client, runtime, clock)
    first, second = a_push(device, clock.now()), a_push(device, clock.now())

    async with runtime.store.transaction() as tx:
        assert await tx.push_transactions.replace_pending(first) == []
        # The racer's supersede cannot see `first` yet; its insert must wait for our commit.
        racing = asyncio.create_task(
            replace_in_own_transaction(runtime.store, second), context=contextvars.Context()
        )
        await blocked_on_a_lock(runtime, racing)
    superseded = await asyncio.wait_for(racing, 10)

    assert superseded == [first.id]
    assert await statuses(runtime, device.person.user_id) == {
        first.id: EXPIRED,
        second.id: PENDING,
    }


@pytest.mark.usefixtures("push_on")
async def test_an_expired_push_never_swept_does_not_block_a_new_one(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    device = await enrolled(client, runtime, clock)
    stale = a_push(device, clock.now() - dt.timedelta(hours=1))
    fresh = a_push(device, clock.now())
    async with runtime.store.transaction() as tx:
        await tx.push_transactions.add(stale)
    assert stale.status_at(clock.now()) == EXPIRED

    async with runtime.store.transaction() as tx:
        superseded = await tx.push_transactions.replace_pending(fresh)

    assert superseded == [stale.id]
    assert await statuses(runtime, device.person.user_id) == {
        stale.id: EXPIRED,
        fresh.id: PENDING,
    }


@pytest.mark.usefixtures("push_on")
async def test_the_database_refuses_a_second_pending_push_for_a_user(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    device = await enrolled(client, runtime, clock)

    async def two_pending() -> None:
        async with runtime.store.transaction() as tx:
            await tx.push_transactions.add(a_push(device, clock.now()))
            await tx.push_transactions.add(a_push(device, clock.now()))

    with pytest.raises(IntegrityError):
        await two_pending()

    assert await statuses(runtime, device.person.user_id) == {}
