"""What the push channels speak: the address of a device, the message, the outcome.

The push core (transactions, number matching, the stream channel) calls a `PushSender` per
provider; the senders call third parties (FCM, APNs, Web Push) and know nothing of flows.
Tokens and message text stay out of `repr`, so a logged value never shows one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class PushProvider(StrEnum):
    STREAM = "stream"
    FCM = "fcm"
    APNS = "apns"
    WEBPUSH = "webpush"


@dataclass(frozen=True, slots=True)
class PushAddress:
    provider: PushProvider
    token: str = field(repr=False)
    """FCM registration token; APNs device token (hex); Web Push: the subscription JSON
    (`{"endpoint": ..., "keys": {"p256dh": ..., "auth": ...}}`) as a string; stream: the
    device id. A bearer of delivery to one device: never logged."""


@dataclass(frozen=True, slots=True)
class PushMessage:
    title: str = field(repr=False)
    """"Sign-in request"."""
    body: str = field(repr=False)
    """"Payroll from Berlin, DE — Chrome on macOS"."""
    data: Mapping[str, str] = field(repr=False)
    """Small and non-secret (`txn`, `base_url`): the device fetches the details itself, over
    its own authenticated channel, so a provider never sees more than a pointer."""
    ttl_seconds: int
    """The push transaction's remaining life: a push delivered after it is useless."""
    collapse_key: str
    """One pending push per user (the user's id hash): a newer push replaces an older one."""


class PushOutcome(StrEnum):
    """UNREACHABLE: the provider says the token or subscription is dead (FCM UNREGISTERED or
    404, APNs 410 Unregistered or 400 BadDeviceToken, Web Push 404/410); the caller marks the
    device unreachable. FAILED: anything else, transient failures after their retries."""

    DELIVERED = "delivered"
    UNREACHABLE = "unreachable"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class PushResult:
    outcome: PushOutcome
    provider: PushProvider
    status: int | None
    """The last HTTP status; None for a connection error, a timeout, or no request at all."""
    reason: str
    """The provider's error code (`UNREGISTERED`, `BadDeviceToken`), `timeout`,
    `connection_error`, or ours (`endpoint_not_allowed`); "" on success."""
    attempts: int


class PushSender(Protocol):
    provider: PushProvider

    async def send(self, address: PushAddress, message: PushMessage) -> PushResult:
        """Hand the message to the provider, retrying its transient failures; never raises
        for a provider's answer, so the caller can always record what happened."""
        ...
