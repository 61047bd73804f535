"""store/repos/devices.py: NewDevice's history, upserted race-free on this leg's database."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.store.builders import a_user
from twofold.clock import FrozenClock
from twofold.domain import KnownDevice, User
from twofold.store.tables import known_devices
from twofold.store.uow import Store

HASH_A = "a" * 64
HASH_B = "b" * 64


@pytest.fixture
def store(engine: AsyncEngine, clock: FrozenClock) -> Store:
    return Store(engine, clock=clock, audit_chains=8)


async def _new_user(store: Store, now: dt.datetime) -> User:
    user = a_user(now)
    async with store.transaction() as tx:
        await tx.users.add(user)
    return user


async def _touch(store: Store, user: User, *, hash_: str, family: str, at: dt.datetime) -> None:
    async with store.transaction() as tx:
        await tx.known_devices.touch(user.id, device_id_hash=hash_, ua_family=family, now=at)


async def _devices(store: Store, user: User, *, since: dt.datetime) -> list[KnownDevice]:
    async with store.read() as tx:
        return await tx.known_devices.for_user(user.id, since=since)


async def _row_count(store: Store, user: User) -> int:
    query = select(func.count()).select_from(known_devices)
    async with store.read() as tx:
        result = await tx.conn.execute(query.where(known_devices.c.user_id == user.id))
    return int(result.scalar_one())


async def test_touching_a_device_twice_moves_last_seen_on_one_row(
    store: Store, clock: FrozenClock
) -> None:
    start = clock.now()
    user = await _new_user(store, start)
    later = start + dt.timedelta(hours=5)

    await _touch(store, user, hash_=HASH_A, family="Firefox", at=start)
    await _touch(store, user, hash_=HASH_A, family="Firefox", at=later)

    assert await _devices(store, user, since=start) == [
        KnownDevice(user.id, HASH_A, "Firefox", first_seen=start, last_seen=later)
    ]
    assert await _row_count(store, user) == 1


async def test_last_seen_never_moves_back(store: Store, clock: FrozenClock) -> None:
    start = clock.now()
    user = await _new_user(store, start)
    await _touch(store, user, hash_=HASH_A, family="Firefox", at=start)
    await _touch(store, user, hash_=HASH_A, family="Firefox", at=start - dt.timedelta(minutes=1))

    (device,) = await _devices(store, user, since=start - dt.timedelta(days=1))
    assert (device.first_seen, device.last_seen) == (start, start)


async def test_another_family_or_cookie_is_another_device(store: Store, clock: FrozenClock) -> None:
    now = clock.now()
    user = await _new_user(store, now)
    await _touch(store, user, hash_=HASH_A, family="Firefox", at=now)
    await _touch(store, user, hash_=HASH_A, family="Chrome", at=now + dt.timedelta(seconds=1))
    await _touch(store, user, hash_="", family="Chrome", at=now + dt.timedelta(seconds=2))

    found = await _devices(store, user, since=now)
    assert [(d.device_id_hash, d.ua_family) for d in found] == [
        ("", "Chrome"),
        (HASH_A, "Chrome"),
        (HASH_A, "Firefox"),
    ]


async def test_for_user_keeps_to_the_window_the_user_and_the_limit(
    store: Store, clock: FrozenClock
) -> None:
    now = clock.now()
    user, other = await _new_user(store, now), await _new_user(store, now)
    for days, family in ((40, "Old"), (20, "Middle"), (1, "Recent")):
        await _touch(store, user, hash_=HASH_A, family=family, at=now - dt.timedelta(days=days))
    await _touch(store, other, hash_=HASH_B, family="Elsewhere", at=now)

    month = await _devices(store, user, since=now - dt.timedelta(days=30))
    edge = await _devices(store, user, since=now - dt.timedelta(days=20))
    async with store.read() as tx:
        newest = await tx.known_devices.for_user(
            user.id, since=now - dt.timedelta(days=90), limit=1
        )

    assert [d.ua_family for d in month] == ["Recent", "Middle"]
    assert [d.ua_family for d in edge] == ["Recent", "Middle"]  # `since` is inclusive
    assert [d.ua_family for d in newest] == ["Recent"]


async def test_prune_forgets_only_devices_last_seen_before_the_cutoff(
    store: Store, clock: FrozenClock
) -> None:
    now = clock.now()
    user, other = await _new_user(store, now), await _new_user(store, now)
    cutoff = now - dt.timedelta(days=30)
    await _touch(store, user, hash_=HASH_A, family="Old", at=cutoff - dt.timedelta(seconds=1))
    await _touch(store, user, hash_=HASH_A, family="Edge", at=cutoff)
    await _touch(store, other, hash_=HASH_A, family="Old", at=cutoff - dt.timedelta(days=1))

    async with store.transaction() as tx:
        removed = await tx.known_devices.prune(user.id, before=cutoff)

    assert removed == 1
    assert [d.ua_family for d in await _devices(store, user, since=cutoff - dt.timedelta(9))] == [
        "Edge"
    ]
    assert await _row_count(store, other) == 1


async def test_deleting_the_user_deletes_their_devices(store: Store, clock: FrozenClock) -> None:
    now = clock.now()
    user = await _new_user(store, now)
    await _touch(store, user, hash_=HASH_A, family="Firefox", at=now)

    async with store.transaction() as tx:
        assert await tx.users.delete(user.id)

    assert await _row_count(store, user) == 0


async def test_concurrent_first_sightings_of_one_device_land_on_one_row(
    store: Store, clock: FrozenClock
) -> None:
    now = clock.now()
    user = await _new_user(store, now)
    moments = [now + dt.timedelta(seconds=n) for n in range(6)]

    await asyncio.gather(
        *(_touch(store, user, hash_=HASH_B, family="Safari", at=at) for at in moments)
    )

    (device,) = await _devices(store, user, since=now)
    assert device.last_seen == moments[-1]
    assert await _row_count(store, user) == 1


async def test_an_overlong_family_is_clipped_and_an_overlong_hash_refused(
    store: Store, clock: FrozenClock
) -> None:
    now = clock.now()
    user = await _new_user(store, now)
    await _touch(store, user, hash_="", family="X" * 100, at=now)

    with pytest.raises(ValueError, match="device_id_hash"):
        await _touch(store, user, hash_="c" * 65, family="Firefox", at=now)

    assert [d.ua_family for d in await _devices(store, user, since=now)] == ["X" * 64]
