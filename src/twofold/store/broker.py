"""Publish/subscribe for push transactions (store layer): who waits for an answer or a push.

Topics are `device:<authenticator id>` (pushes for a device's stream) and `push:<transaction
id>` (answers, waking pollers and pages). In embedded mode one process holds every waiter, so
an in-process broker is enough; in cluster mode (`TWOFOLD_REDIS_URL`) Redis pub/sub carries a
message published on node B to a subscriber on node A. Delivery is at most once and only to
current subscribers: the database stays the truth, a message only says "look again".
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from twofold.domain import JsonObject

NAMESPACE = "twofold:push:"
QUEUE_SIZE = 64
"""Messages one slow local subscriber may have waiting; older ones are dropped after that."""


class Subscription(Protocol):
    async def next(self, wait: float) -> JsonObject | None:
        """The next message on the topic, or None when `wait` seconds passed without one."""
        ...


class PushBroker(Protocol):
    async def publish(self, topic: str, payload: JsonObject) -> None:
        """Send `payload` to everyone subscribed to `topic` now (on any node)."""
        ...

    def subscribe(self, topic: str) -> AbstractAsyncContextManager[Subscription]:
        """Listen to `topic` while the context is open; messages published after entry arrive."""
        ...

    async def aclose(self) -> None: ...


class _QueueSubscription:
    def __init__(self, queue: asyncio.Queue[JsonObject]) -> None:
        self._queue = queue

    async def next(self, wait: float) -> JsonObject | None:
        try:
            return await asyncio.wait_for(self._queue.get(), wait)
        except TimeoutError:
            return None


class LocalBroker:
    """In-process: one asyncio queue per subscriber (embedded mode, one process)."""

    def __init__(self) -> None:
        self._topics: dict[str, set[asyncio.Queue[JsonObject]]] = {}

    async def publish(self, topic: str, payload: JsonObject) -> None:
        for queue in list(self._topics.get(topic, ())):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(payload)

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[Subscription]:
        queue: asyncio.Queue[JsonObject] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._topics.setdefault(topic, set()).add(queue)
        try:
            yield _QueueSubscription(queue)
        finally:
            waiting = self._topics.get(topic, set())
            waiting.discard(queue)
            if not waiting:
                self._topics.pop(topic, None)

    async def aclose(self) -> None:
        self._topics.clear()


class _RedisSubscription:
    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub

    async def next(self, wait: float) -> JsonObject | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while (left := deadline - loop.time()) > 0:
            message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
            if message is None or message.get("type") != "message":
                continue
            payload = json.loads(message["data"])
            if isinstance(payload, dict):
                return payload
        return None


class RedisBroker:
    """Redis pub/sub (cluster mode): every node's subscribers get every node's messages."""

    def __init__(self, client: Redis, *, namespace: str = NAMESPACE) -> None:
        self._client = client
        self._namespace = namespace

    @classmethod
    def from_url(cls, url: str) -> RedisBroker:
        return cls(Redis.from_url(url))

    async def publish(self, topic: str, payload: JsonObject) -> None:
        await self._client.publish(self._namespace + topic, json.dumps(payload))

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[Subscription]:
        pubsub = self._client.pubsub()
        try:
            await pubsub.subscribe(self._namespace + topic)
            await _confirmed(pubsub)
            yield _RedisSubscription(pubsub)
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]  # unannotated in redis-py

    async def aclose(self) -> None:
        await self._client.aclose()


async def _confirmed(pubsub: PubSub, *, within: float = 5.0) -> None:
    """Wait for Redis to acknowledge SUBSCRIBE: a message published before that is lost, and
    callers publish (or read the database) right after subscribing."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (left := deadline - loop.time()) > 0:
        message = await pubsub.get_message(timeout=left)
        if message is not None and message.get("type") == "subscribe":
            return
    raise TimeoutError("Redis did not confirm the subscription")
