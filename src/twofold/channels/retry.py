"""Bounded retries around one provider call, with every attempt recorded (ADR 007).

A transient failure (5xx, 429, a timeout, a dropped connection; SMTP 4yz) is tried again after
an exponential backoff; a permanent one (a 4xx: bad number, bad credentials) never is, since
sending the same request again cannot change the answer and may cost money.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from twofold.channels.base import Attempt, Delivery, DeliveryError

Sleep = Callable[[float], Awaitable[None]]

MAX_DELAY = 2.0
"""No wait between attempts is longer, whatever the settings: a user is waiting for the code."""


@dataclass(frozen=True, slots=True)
class Sent:
    """What one successful attempt learnt from the provider."""

    status: str
    reference: str | None = None


class AttemptFailedError(Exception):
    """One attempt failed; `retryable` says whether another could succeed."""

    def __init__(self, status: str, *, retryable: bool, detail: str = "") -> None:
        super().__init__(status)
        self.status = status
        self.retryable = retryable
        self.detail = detail


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 3
    backoff: float = 0.2
    """Seconds before the second attempt; each later wait doubles, up to MAX_DELAY."""
    sleep: Sleep = asyncio.sleep
    """Injected so tests can record the waits instead of waiting."""

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.backoff < 0:
            raise ValueError("a retry policy needs at least one attempt and a backoff >= 0")

    def delay(self, failed: int) -> float:
        """The wait after the `failed`-th failed attempt (1-based): 0.2, 0.4, 0.8... s."""
        return float(min(self.backoff * 2 ** (failed - 1), MAX_DELAY))


async def deliver(
    provider: str, attempt: Callable[[], Awaitable[Sent]], policy: RetryPolicy
) -> Delivery:
    """Call `attempt` until it succeeds, fails for good, or the policy's attempts are spent."""
    attempts: list[Attempt] = []
    while True:
        started = time.perf_counter()
        try:
            sent = await attempt()
        except AttemptFailedError as failure:
            elapsed = time.perf_counter() - started
            attempts.append(
                Attempt(provider, failure.status, elapsed, delivered=False, detail=failure.detail)
            )
            if not failure.retryable or len(attempts) >= policy.attempts:
                raise DeliveryError(provider=provider, attempts=tuple(attempts)) from failure
            await policy.sleep(policy.delay(len(attempts)))
        else:
            elapsed = time.perf_counter() - started
            attempts.append(Attempt(provider, sent.status, elapsed, delivered=True))
            return Delivery(provider=provider, reference=sent.reference, attempts=tuple(attempts))
