"""APNs against a loopback Apple over HTTP/2 and TLS: the provider token, the headers, the
payload, and Apple's answers for dead tokens and overload."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.channels.conftest import Waits
from tests.fakes.apns import KEY_ID, TEAM_ID, TOPIC, FakeApns, fake_apns
from tests.fakes.smtp import Certificate, make_certificate
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

TOKEN = "7c1e" * 16
ADDRESS = PushAddress(PushProvider.APNS, TOKEN)
MESSAGE = PushMessage(
    title="Sign-in request",
    body="Payroll from Berlin, DE — Chrome on macOS",
    data={"txn": "txn_8c1f", "base_url": "https://mfa.example.com/", "aps": "not-ours"},
    ttl_seconds=120,
    collapse_key="u_5b0e2f6d",
)


@pytest.fixture
def apns(clock: FrozenClock, certificate: Certificate) -> Iterator[FakeApns]:
    with fake_apns(clock, certificate) as fake:
        yield fake


def apns_sender(
    tmp_path: Path, clock: FrozenClock, waits: Waits, apns: FakeApns, certificate: Certificate
) -> PushSender:
    push = {
        "apns": {
            "team_id": TEAM_ID,
            "key_id": KEY_ID,
            "key_file": apns.key_file,
            "topic": TOPIC,
            "base_url": apns.url,
            "ca_file": certificate.cert_path,
        }
    }
    settings = Settings(data_dir=tmp_path, channels=ChannelSettings.model_validate({"push": push}))
    return build_push_senders(settings, clock=clock, sleep=waits)[PushProvider.APNS]


@pytest.fixture
def sender(
    tmp_path: Path, clock: FrozenClock, waits: Waits, apns: FakeApns, certificate: Certificate
) -> PushSender:
    return apns_sender(tmp_path, clock, waits, apns, certificate)


def result(outcome: PushOutcome, status: int | None, reason: str, attempts: int) -> PushResult:
    return PushResult(outcome, PushProvider.APNS, status, reason, attempts)


async def test_a_push_reaches_apns_over_http2_with_apples_headers(
    clock: FrozenClock, waits: Waits, apns: FakeApns, sender: PushSender
) -> None:
    outcome = await sender.send(ADDRESS, MESSAGE)

    assert outcome == result(PushOutcome.DELIVERED, 200, "", 1)
    [received] = apns.received
    assert (received.token, received.http_version) == (TOKEN, "2")
    expected_headers = {
        "apns-topic": TOPIC,
        "apns-push-type": "alert",
        "apns-priority": "10",
        "apns-expiration": str(int(clock.now().timestamp()) + 120),
        "apns-collapse-id": "u_5b0e2f6d",
    }
    assert {name: received.headers.get(name) for name in expected_headers} == expected_headers
    assert received.payload == {
        "aps": {"alert": {"title": MESSAGE.title, "body": MESSAGE.body}, "sound": "default"},
        "txn": "txn_8c1f",
        "base_url": "https://mfa.example.com/",
    }
    assert waits.delays == []


async def test_the_provider_token_is_reused_for_50_minutes(
    clock: FrozenClock, apns: FakeApns, sender: PushSender
) -> None:
    await sender.send(ADDRESS, MESSAGE)
    clock.advance(49 * 60)
    await sender.send(ADDRESS, MESSAGE)
    assert len(apns.provider_tokens) == 1

    clock.advance(60)
    assert (await sender.send(ADDRESS, MESSAGE)).outcome is PushOutcome.DELIVERED
    assert len(apns.provider_tokens) == 2


async def test_an_unregistered_token_makes_the_device_unreachable(
    apns: FakeApns, sender: PushSender
) -> None:
    apns.unregistered.add(TOKEN)

    assert await sender.send(ADDRESS, MESSAGE) == result(
        PushOutcome.UNREACHABLE, 410, "Unregistered", 1
    )


async def test_a_bad_device_token_makes_the_device_unreachable(
    apns: FakeApns, sender: PushSender
) -> None:
    apns.bad_tokens.add(TOKEN)

    assert await sender.send(ADDRESS, MESSAGE) == result(
        PushOutcome.UNREACHABLE, 400, "BadDeviceToken", 1
    )


async def test_a_token_that_is_not_hex_never_leaves(apns: FakeApns, sender: PushSender) -> None:
    address = PushAddress(PushProvider.APNS, "../../3/device/" + TOKEN)

    assert await sender.send(address, MESSAGE) == result(
        PushOutcome.UNREACHABLE, None, "BadDeviceToken", 0
    )
    assert apns.hits == 0


@pytest.mark.parametrize(("status", "reason"), [(429, "TooManyRequests"), (503, "")])
async def test_an_overloaded_apns_is_tried_again(
    waits: Waits, apns: FakeApns, sender: PushSender, status: int, reason: str
) -> None:
    apns.fail(status)

    outcome = await sender.send(ADDRESS, MESSAGE)

    assert outcome == result(PushOutcome.DELIVERED, 200, "", 2)
    assert (len(apns.received), waits.delays) == (1, [0.2])


async def test_spent_retries_fail_with_apples_reason(
    waits: Waits, apns: FakeApns, sender: PushSender
) -> None:
    apns.fail(429, times=3)

    outcome = await sender.send(ADDRESS, MESSAGE)

    assert outcome == result(PushOutcome.FAILED, 429, "TooManyRequests", 3)
    assert waits.delays == [0.2, 0.4]


async def test_a_refused_request_is_not_sent_again(
    waits: Waits, apns: FakeApns, sender: PushSender
) -> None:
    apns.fail(400)

    assert await sender.send(ADDRESS, MESSAGE) == result(PushOutcome.FAILED, 400, "BadTopic", 1)
    assert (apns.hits, waits.delays) == (1, [])


async def test_an_untrusted_certificate_is_a_connection_error(
    tmp_path: Path, clock: FrozenClock, waits: Waits, apns: FakeApns
) -> None:
    # Another self-signed certificate as the trust anchor: the fake's is not trusted.
    other = tmp_path / "other"
    other.mkdir()
    sender = apns_sender(tmp_path, clock, waits, apns, make_certificate(other))

    outcome = await sender.send(ADDRESS, MESSAGE)

    assert outcome == result(PushOutcome.FAILED, None, "connection_error", 3)
    assert apns.hits == 0


async def test_neither_token_nor_message_reaches_the_logs(
    apns: FakeApns, sender: PushSender, caplog: pytest.LogCaptureFixture
) -> None:
    apns.unregistered.add(TOKEN)

    with caplog.at_level(logging.DEBUG):
        outcome = await sender.send(ADDRESS, MESSAGE)

    assert outcome.outcome is PushOutcome.UNREACHABLE
    assert caplog.records
    for secret in (TOKEN, MESSAGE.body, "txn_8c1f"):
        assert secret not in caplog.text
