"""FCM HTTP v1 against a loopback Google: the OAuth token dance, the message, the errors."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.channels.conftest import Waits
from tests.fakes.fcm import FakeFcm, fake_fcm
from twofold.channels.push import (
    PushAddress,
    PushMessage,
    PushOutcome,
    PushProvider,
    PushResult,
    PushSender,
    build_push_senders,
)
from twofold.clock import FrozenClock
from twofold.config import ChannelSettings, Settings

TOKEN = "fcm-registration-token-" + "x" * 120
ADDRESS = PushAddress(PushProvider.FCM, TOKEN)
MESSAGE = PushMessage(
    title="Sign-in request",
    body="Payroll from Berlin, DE — Chrome on macOS",
    data={"txn": "txn_8c1f", "base_url": "https://mfa.example.com/"},
    ttl_seconds=120,
    collapse_key="u_5b0e2f6d",
)


@pytest.fixture
def fcm(clock: FrozenClock) -> Iterator[FakeFcm]:
    with fake_fcm(clock) as fake:
        yield fake


def fcm_sender(
    tmp_path: Path, clock: FrozenClock, waits: Waits, fcm: FakeFcm, **fcm_settings: object
) -> PushSender:
    push = {
        "fcm": {
            "service_account_file": fcm.write_service_account(tmp_path),
            "base_url": fcm.url,
        }
        | fcm_settings
    }
    settings = Settings(data_dir=tmp_path, channels=ChannelSettings.model_validate({"push": push}))
    return build_push_senders(settings, clock=clock, sleep=waits)[PushProvider.FCM]


@pytest.fixture
def sender(tmp_path: Path, clock: FrozenClock, waits: Waits, fcm: FakeFcm) -> PushSender:
    return fcm_sender(tmp_path, clock, waits, fcm)


def result(outcome: PushOutcome, status: int | None, reason: str, attempts: int) -> PushResult:
    return PushResult(outcome, PushProvider.FCM, status, reason, attempts)


async def test_a_push_reaches_fcm_in_the_v1_shape(
    tmp_path: Path, clock: FrozenClock, waits: Waits, fcm: FakeFcm
) -> None:
    sender = fcm_sender(tmp_path, clock, waits, fcm)

    outcome = await sender.send(ADDRESS, MESSAGE)

    assert outcome == result(PushOutcome.DELIVERED, 200, "", 1)
    expires = int(clock.now().timestamp()) + 120
    assert fcm.messages == [
        {
            "token": TOKEN,
            "notification": {"title": MESSAGE.title, "body": MESSAGE.body},
            "data": {"txn": "txn_8c1f", "base_url": "https://mfa.example.com/"},
            "android": {"ttl": "120s", "collapse_key": "u_5b0e2f6d", "priority": "high"},
            "apns": {
                "headers": {
                    "apns-priority": "10",
                    "apns-expiration": str(expires),
                    "apns-collapse-id": "u_5b0e2f6d",
                },
                "payload": {"aps": {"sound": "default"}},
            },
        }
    ]
    assert (fcm.token_calls, waits.delays) == (1, [])


async def test_the_access_token_is_reused_until_it_nearly_expires(
    tmp_path: Path, clock: FrozenClock, waits: Waits, fcm: FakeFcm
) -> None:
    sender = fcm_sender(tmp_path, clock, waits, fcm)

    for _ in range(3):
        assert (await sender.send(ADDRESS, MESSAGE)).outcome is PushOutcome.DELIVERED
    assert (fcm.token_calls, fcm.send_calls) == (1, 3)

    clock.advance(3599 - 61)
    await sender.send(ADDRESS, MESSAGE)
    assert fcm.token_calls == 1

    clock.advance(2)  # now within the last minute of the token's life
    assert (await sender.send(ADDRESS, MESSAGE)).outcome is PushOutcome.DELIVERED
    assert (fcm.token_calls, fcm.send_calls) == (2, 5)


async def test_an_unregistered_token_makes_the_device_unreachable(
    tmp_path: Path, clock: FrozenClock, waits: Waits, fcm: FakeFcm
) -> None:
    fcm.unregistered.add(TOKEN)
    sender = fcm_sender(tmp_path, clock, waits, fcm)

    outcome = await sender.send(ADDRESS, MESSAGE)

    assert outcome == result(PushOutcome.UNREACHABLE, 404, "UNREGISTERED", 1)
    assert (fcm.messages, waits.delays) == ([], [])


async def test_an_unavailable_fcm_is_tried_again(
    tmp_path: Path, clock: FrozenClock, waits: Waits, fcm: FakeFcm
) -> None:
    fcm.fail(503)
    sender = fcm_sender(tmp_path, clock, waits, fcm)

    outcome = await sender.send(ADDRESS, MESSAGE)

    assert outcome == result(PushOutcome.DELIVERED, 200, "", 2)
    assert (len(fcm.messages), waits.delays) == (1, [0.2])


@pytest.mark.parametrize(("retry_after", "wait"), [(1, 1.0), (30, 2.0)])
async def test_a_quota_reply_is_retried_after_its_retry_after_within_the_cap(
    waits: Waits, fcm: FakeFcm, sender: PushSender, retry_after: int, wait: float
) -> None:
    fcm.fail(429, retry_after=retry_after)

    outcome = await sender.send(ADDRESS, MESSAGE)

    assert outcome == result(PushOutcome.DELIVERED, 200, "", 2)
    assert waits.delays == [wait]


async def test_spent_retries_fail_with_fcms_last_answer(
    tmp_path: Path, clock: FrozenClock, waits: Waits, fcm: FakeFcm
) -> None:
    fcm.fail(503, times=3)
    sender = fcm_sender(tmp_path, clock, waits, fcm)

    outcome = await sender.send(ADDRESS, MESSAGE)

    assert outcome == result(PushOutcome.FAILED, 503, "UNAVAILABLE", 3)
    assert waits.delays == [0.2, 0.4]


async def test_a_refused_message_is_not_sent_again(
    tmp_path: Path, clock: FrozenClock, waits: Waits, fcm: FakeFcm
) -> None:
    fcm.fail(400)
    sender = fcm_sender(tmp_path, clock, waits, fcm)

    outcome = await sender.send(ADDRESS, MESSAGE)

    assert outcome == result(PushOutcome.FAILED, 400, "INVALID_ARGUMENT", 1)
    assert (fcm.send_calls, waits.delays) == (1, [])


async def test_a_revoked_access_token_is_replaced_and_the_push_sent(
    tmp_path: Path, clock: FrozenClock, waits: Waits, fcm: FakeFcm
) -> None:
    sender = fcm_sender(tmp_path, clock, waits, fcm)
    await sender.send(ADDRESS, MESSAGE)
    fcm.revoke_access_tokens()

    outcome = await sender.send(ADDRESS, MESSAGE)

    assert outcome == result(PushOutcome.DELIVERED, 200, "", 2)
    assert fcm.token_calls == 2


async def test_a_token_uri_that_refuses_the_assertion_fails_without_retry(
    tmp_path: Path, clock: FrozenClock, waits: Waits, fcm: FakeFcm
) -> None:
    # An assertion for another audience: Google answers invalid_grant, which no retry fixes.
    sender = fcm_sender(tmp_path, clock, waits, fcm, token_uri=fcm.token_uri + "?aud=other")

    outcome = await sender.send(ADDRESS, MESSAGE)

    assert outcome == result(PushOutcome.FAILED, 400, "token invalid_grant", 1)
    assert (fcm.send_calls, waits.delays) == (0, [])


async def test_an_unreachable_fcm_is_a_connection_error_after_retries(
    tmp_path: Path, clock: FrozenClock, waits: Waits, fcm: FakeFcm
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    sender = fcm_sender(tmp_path, clock, waits, fcm, base_url=f"http://127.0.0.1:{port}")

    outcome = await sender.send(ADDRESS, MESSAGE)

    assert outcome == result(PushOutcome.FAILED, None, "connection_error", 3)
    assert fcm.token_calls == 1


async def test_neither_token_nor_message_reaches_the_logs(
    tmp_path: Path,
    clock: FrozenClock,
    waits: Waits,
    fcm: FakeFcm,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fcm.fail(503)
    sender = fcm_sender(tmp_path, clock, waits, fcm)

    with caplog.at_level(logging.DEBUG):
        outcome = await sender.send(ADDRESS, MESSAGE)

    assert outcome.outcome is PushOutcome.DELIVERED
    assert caplog.records  # httpx and httpcore did log the exchange
    for secret in (TOKEN, MESSAGE.body, "txn_8c1f", "ya29."):
        assert secret not in caplog.text
    assert TOKEN not in repr(ADDRESS)
    assert MESSAGE.body not in repr(MESSAGE)
