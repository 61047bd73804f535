"""store/broker.py: the in-process broker and Redis pub/sub, which carries a message
published through one broker (node B) to a subscriber of another (node A)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from twofold.store.broker import LocalBroker, PushBroker, RedisBroker


@pytest.fixture
async def local() -> AsyncIterator[LocalBroker]:
    broker = LocalBroker()
    yield broker
    await broker.aclose()


@pytest.fixture
async def nodes(redis_url: str) -> AsyncIterator[tuple[RedisBroker, RedisBroker]]:
    """Two brokers with their own Redis connections, as two nodes have; a namespace of
    their own, so parallel runs never hear each other."""
    namespace = f"twofold:test:{secrets.token_hex(4)}:"
    a = RedisBroker(Redis.from_url(redis_url), namespace=namespace)
    b = RedisBroker(Redis.from_url(redis_url), namespace=namespace)
    yield a, b
    await a.aclose()
    await b.aclose()


async def _round_trip(sender: PushBroker, receiver: PushBroker) -> None:
    async with receiver.subscribe("push:txn_1") as subscription:
        await sender.publish("push:txn_1", {"txn": "txn_1", "status": "approved"})
        await sender.publish("push:txn_2", {"txn": "txn_2", "status": "rejected"})
        assert await subscription.next(5) == {"txn": "txn_1", "status": "approved"}
        assert await subscription.next(0.2) is None


async def test_the_local_broker_delivers_to_current_subscribers(local: LocalBroker) -> None:
    await local.publish("push:txn_1", {"txn": "before"})
    await _round_trip(local, local)
    async with local.subscribe("device:d") as first, local.subscribe("device:d") as second:
        await local.publish("device:d", {"txn": "t"})
        assert await first.next(1) == {"txn": "t"}
        assert await second.next(1) == {"txn": "t"}


async def test_a_slow_local_subscriber_keeps_the_latest_messages(local: LocalBroker) -> None:
    async with local.subscribe("device:d") as subscription:
        for number in range(100):
            await local.publish("device:d", {"n": number})
        assert await subscription.next(1) == {"n": 36}


async def test_redis_carries_a_message_from_one_node_to_another(
    nodes: tuple[RedisBroker, RedisBroker],
) -> None:
    node_a, node_b = nodes
    await _round_trip(sender=node_b, receiver=node_a)
    await _round_trip(sender=node_a, receiver=node_b)


async def test_a_closed_redis_subscription_hears_nothing_more(
    nodes: tuple[RedisBroker, RedisBroker],
) -> None:
    node_a, node_b = nodes
    async with node_a.subscribe("device:d") as subscription:
        await node_b.publish("device:d", {"txn": "t"})
        assert await subscription.next(5) == {"txn": "t"}
    async with node_a.subscribe("device:other") as other:
        await node_b.publish("device:d", {"txn": "late"})
        assert await other.next(0.2) is None
