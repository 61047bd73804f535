"""The retry loop on its own: bounded backoff, final failures, every attempt recorded."""

from __future__ import annotations

import pytest

from tests.channels.conftest import Waits
from twofold.channels import DeliveryError
from twofold.channels.retry import MAX_DELAY, AttemptFailedError, RetryPolicy, Sent, deliver


class Script:
    """A provider call that fails as scripted, then succeeds."""

    def __init__(self, *failures: AttemptFailedError) -> None:
        self._failures = list(failures)
        self.calls = 0

    async def __call__(self) -> Sent:
        self.calls += 1
        if self._failures:
            raise self._failures.pop(0)
        return Sent("202", "ref-1")


def test_the_backoff_doubles_and_is_bounded() -> None:
    policy = RetryPolicy(attempts=5, backoff=0.3)

    assert [policy.delay(failed) for failed in range(1, 8)] == [
        0.3,
        0.6,
        1.2,
        MAX_DELAY,
        MAX_DELAY,
        MAX_DELAY,
        MAX_DELAY,
    ]


@pytest.mark.parametrize(("attempts", "backoff"), [(0, 0.2), (3, -0.1)])
def test_a_policy_needs_an_attempt_and_a_non_negative_backoff(
    attempts: int, backoff: float
) -> None:
    with pytest.raises(ValueError, match="at least one attempt"):
        RetryPolicy(attempts=attempts, backoff=backoff)


async def test_success_after_transient_failures_reports_every_attempt(waits: Waits) -> None:
    script = Script(
        AttemptFailedError("timeout", retryable=True),
        AttemptFailedError("502", retryable=True, detail="gateway 7"),
    )

    delivery = await deliver("gateway", script, RetryPolicy(attempts=3, sleep=waits))

    assert [(a.provider, a.status, a.delivered, a.detail) for a in delivery.attempts] == [
        ("gateway", "timeout", False, ""),
        ("gateway", "502", False, "gateway 7"),
        ("gateway", "202", True, ""),
    ]
    assert (delivery.provider, delivery.reference) == ("gateway", "ref-1")
    assert waits.delays == [0.2, 0.4]


async def test_a_final_failure_stops_at_once(waits: Waits) -> None:
    script = Script(AttemptFailedError("403", retryable=False))

    with pytest.raises(DeliveryError) as caught:
        await deliver("gateway", script, RetryPolicy(attempts=3, sleep=waits))

    assert (caught.value.provider, caught.value.status, script.calls) == ("gateway", "403", 1)
    assert waits.delays == []


async def test_a_single_attempt_policy_never_waits(waits: Waits) -> None:
    script = Script(AttemptFailedError("503", retryable=True))

    with pytest.raises(DeliveryError) as caught:
        await deliver("gateway", script, RetryPolicy(attempts=1, sleep=waits))

    assert [a.status for a in caught.value.attempts] == ["503"]
    assert waits.delays == []


def test_a_delivery_error_without_attempts_says_so() -> None:
    error = DeliveryError(provider="gateway", attempts=())

    assert (error.code, error.status) == ("delivery_failed", "not_attempted")
    assert error.description == "The code could not be delivered. Try again in a moment."
