"""The stream channel: what a device's open connection receives (`GET /api/device/stream`).

First the pushes still pending for the device (sent while it was offline), then live ones
from the broker (`device:<id>`, published by whichever node issued them), and `None` every
`stream_keepalive` seconds of silence so the transport can send a comment. The subscription
is opened before the pending pushes are read, so none falls between the two; one seen twice
is sent once.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from twofold.domain import Authenticator, JsonObject
from twofold.flows.push_delivery import device_topic, stream_payload
from twofold.flows.runtime import Runtime


async def device_events(
    rt: Runtime, device: Authenticator
) -> AsyncGenerator[JsonObject | None, None]:
    """Push events for `device`, or None for a keepalive; runs until the consumer stops."""
    keepalive = rt.settings.push.stream_keepalive
    async with rt.push_broker.subscribe(device_topic(device.id)) as subscription:
        async with rt.store.read() as tx:
            pending = await tx.push_transactions.pending_for_authenticator(
                device.id, now=rt.clock.now()
            )
        seen: set[str] = set()
        for push in pending:
            seen.add(push.id)
            yield stream_payload(rt, push)
        while True:
            message = await subscription.next(keepalive)
            if message is not None and message.get("txn") in seen:
                continue
            yield message
