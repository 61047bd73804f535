"""store/repos/users.py: a login's count, time and place (ImpossibleTravel's last location)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.store.builders import a_user
from twofold.clock import FrozenClock
from twofold.store.uow import Store

PARIS = {"country": "FR", "city": "Paris", "latitude": 48.8566, "longitude": 2.3522}


async def test_record_login_keeps_the_last_place_and_overwrites_it(
    engine: AsyncEngine, clock: FrozenClock
) -> None:
    store, now = Store(engine, clock=clock, audit_chains=8), clock.now()
    user = a_user(now)
    later = now + dt.timedelta(hours=2)
    async with store.transaction() as tx:
        await tx.users.add(user)

    async with store.transaction() as tx:
        await tx.users.record_login(user.id, now=now, ip="203.0.113.9", geo=PARIS)
    async with store.read() as tx:
        first = await tx.users.get(user.id)
        joined, _ = await tx.users.with_authenticators(user.id)

    async with store.transaction() as tx:
        await tx.users.record_login(user.id, now=later)
    async with store.read() as tx:
        second = await tx.users.get(user.id)

    assert first is not None
    assert (first.last_login, first.logins_count) == (now, 1)
    assert (first.last_login_ip, first.last_login_geo) == ("203.0.113.9", PARIS)
    assert joined == first
    assert second is not None
    assert (second.last_login, second.logins_count) == (later, 2)
    assert (second.last_login_ip, second.last_login_geo) == (None, None)


async def test_a_new_user_has_no_last_place(engine: AsyncEngine, clock: FrozenClock) -> None:
    store = Store(engine, clock=clock, audit_chains=8)
    user = a_user(clock.now())
    async with store.transaction() as tx:
        await tx.users.add(user)
    async with store.read() as tx:
        found = await tx.users.by_email(user.email)

    assert found == user
    assert found is not None
    assert (found.last_login_ip, found.last_login_geo) == (None, None)
