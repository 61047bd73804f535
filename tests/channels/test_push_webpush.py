"""Web Push against a loopback push service that decrypts the payload (RFC 8291) and checks
VAPID (RFC 8292); and the allow list that keeps a browser-given endpoint from aiming our
POSTs anywhere else."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.channels.conftest import Waits
from tests.fakes.webpush import FakePushService, b64url, fake_push_service
from twofold.channels.push import (
    EndpointGuard,
    PushAddress,
    PushMessage,
    PushOutcome,
    PushProvider,
    PushResult,
    SubscriptionError,
    build_push_senders,
    parse_subscription,
)
from twofold.channels.push.webpush import WebPushSender, topic
from twofold.clock import FrozenClock
from twofold.config import ChannelSettings, Settings, WebPushSettings

SUBJECT = "mailto:security@example.com"
MESSAGE = PushMessage(
    title="Sign-in request",
    body="Payroll from Berlin, DE — Chrome on macOS",
    data={"txn": "txn_8c1f", "base_url": "https://mfa.example.com/"},
    ttl_seconds=120,
    collapse_key="u_5b0e2f6d",
)
DEFAULT_GUARD = EndpointGuard(tuple(WebPushSettings().allowed_hosts))


@pytest.fixture
def service(clock: FrozenClock) -> Iterator[FakePushService]:
    with fake_push_service(clock) as fake:
        yield fake


def vapid_key_file(directory: Path, name: str) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    path = directory / name
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def webpush_sender(
    tmp_path: Path,
    clock: FrozenClock,
    waits: Waits,
    *,
    key_name: str = "vapid.pem",
    **webpush: object,
) -> WebPushSender:
    config = {
        "vapid_private_key_file": vapid_key_file(tmp_path, key_name),
        "subject": SUBJECT,
        "allow_insecure": True,
    } | webpush
    channels = ChannelSettings.model_validate({"push": {"webpush": config}})
    settings = Settings(data_dir=tmp_path, channels=channels)
    sender = build_push_senders(settings, clock=clock, sleep=waits)[PushProvider.WEBPUSH]
    assert isinstance(sender, WebPushSender)
    return sender


@pytest.fixture
def sender(tmp_path: Path, clock: FrozenClock, waits: Waits) -> WebPushSender:
    return webpush_sender(tmp_path, clock, waits)


def subscribed(service: FakePushService, sender: WebPushSender) -> PushAddress:
    return PushAddress(PushProvider.WEBPUSH, service.subscribe(sender.public_key))


def result(outcome: PushOutcome, status: int | None, reason: str, attempts: int) -> PushResult:
    return PushResult(outcome, PushProvider.WEBPUSH, status, reason, attempts)


def subscription(endpoint: str) -> str:
    """A well-formed subscription for `endpoint` (keys from a throwaway browser key)."""
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return json.dumps(
        {"endpoint": endpoint, "keys": {"p256dh": b64url(point), "auth": b64url(b"a" * 16)}}
    )


async def test_the_push_service_decrypts_the_message_and_accepts_vapid(
    clock: FrozenClock, waits: Waits, service: FakePushService, sender: WebPushSender
) -> None:
    address = subscribed(service, sender)

    outcome = await sender.send(address, MESSAGE)

    assert outcome == result(PushOutcome.DELIVERED, 201, "", 1)
    [received] = service.received
    assert received.payload == {
        "title": MESSAGE.title,
        "body": MESSAGE.body,
        "data": {"txn": "txn_8c1f", "base_url": "https://mfa.example.com/"},
    }
    headers = {name: received.headers.get(name) for name in ("ttl", "urgency", "topic")}
    assert headers == {"ttl": "120", "urgency": "high", "topic": "u_5b0e2f6d"}
    assert received.vapid_claims == {
        "aud": service.url,
        "exp": int(clock.now().timestamp()) + 12 * 3600,
        "sub": SUBJECT,
    }
    assert waits.delays == []


def test_a_long_collapse_key_becomes_a_valid_topic() -> None:
    long_key = "user:" + "f" * 64

    assert len(topic(long_key)) == 32
    assert topic(long_key) == topic(long_key) != topic(long_key + "0")
    assert topic("u_5b0e2f6d") == "u_5b0e2f6d"


@pytest.mark.parametrize(("status", "how"), [(410, "expire"), (404, "forget")])
async def test_a_dead_subscription_makes_the_device_unreachable(
    service: FakePushService, sender: WebPushSender, status: int, how: str
) -> None:
    address = subscribed(service, sender)
    getattr(service, how)(address.token)

    outcome = await sender.send(address, MESSAGE)

    assert outcome == result(PushOutcome.UNREACHABLE, status, str(status), 1)


async def test_an_overloaded_push_service_is_tried_again_after_retry_after(
    waits: Waits, service: FakePushService, sender: WebPushSender
) -> None:
    address = subscribed(service, sender)
    service.fail(429, retry_after=1)
    service.fail(503)

    outcome = await sender.send(address, MESSAGE)

    assert outcome == result(PushOutcome.DELIVERED, 201, "", 3)
    assert waits.delays == [1.0, 0.4]
    assert len(service.received) == 1


async def test_a_refused_push_is_not_sent_again(
    tmp_path: Path, clock: FrozenClock, waits: Waits, service: FakePushService
) -> None:
    # Signed by another application server than the one the browser subscribed with.
    sender = webpush_sender(tmp_path, clock, waits)
    other = webpush_sender(tmp_path, clock, waits, key_name="other.pem")
    address = PushAddress(PushProvider.WEBPUSH, service.subscribe(other.public_key))

    outcome = await sender.send(address, MESSAGE)

    assert outcome == result(PushOutcome.FAILED, 401, "401", 1)
    assert (service.hits, waits.delays) == (1, [])


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://evil.example.com/push/1",
        "https://fcm.googleapis.com.evil.example/push/1",
        "https://notify.windows.com.evil.example/w/1",
        "https://user:pass@fcm.googleapis.com/fcm/send/1",
        "http://fcm.googleapis.com/fcm/send/1",
        "https://127.0.0.1/push/1",
        "https://169.254.169.254/latest/meta-data",
        "file:///etc/passwd",
    ],
)
def test_an_endpoint_outside_the_allow_list_is_refused(endpoint: str) -> None:
    with pytest.raises(SubscriptionError) as refused:
        parse_subscription(subscription(endpoint), DEFAULT_GUARD)

    assert refused.value.reason == "endpoint_not_allowed"


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/abc",
        "https://wns2-par02p.notify.windows.com/w/?token=abc",
        "https://web.push.apple.com/QGuQyavXut",
    ],
)
def test_the_browsers_push_services_are_allowed_by_default(endpoint: str) -> None:
    assert parse_subscription(subscription(endpoint), DEFAULT_GUARD).endpoint == endpoint


def test_insecure_allows_loopback_but_no_other_host() -> None:
    guard = EndpointGuard(("push.example.com",), allow_insecure=True)

    assert parse_subscription(subscription("http://127.0.0.1:9/push/1"), guard)
    with pytest.raises(SubscriptionError):
        parse_subscription(subscription("http://10.0.0.7/push/1"), guard)


def test_a_subscription_is_checked_before_any_push(
    service: FakePushService, sender: WebPushSender
) -> None:
    sender.check_subscription(service.subscribe(sender.public_key))
    with pytest.raises(SubscriptionError) as refused:
        sender.check_subscription(subscription("https://evil.example.com/push/1"))

    assert refused.value.reason == "endpoint_not_allowed"


async def test_a_refused_endpoint_is_never_contacted(
    tmp_path: Path, clock: FrozenClock, waits: Waits, service: FakePushService
) -> None:
    sender = webpush_sender(tmp_path, clock, waits, allow_insecure=False)
    address = subscribed(service, sender)

    outcome = await sender.send(address, MESSAGE)

    assert outcome == result(PushOutcome.FAILED, None, "endpoint_not_allowed", 0)
    assert service.hits == 0


@pytest.mark.parametrize(
    "token",
    [
        "not json",
        json.dumps({"endpoint": "https://fcm.googleapis.com/x"}),
        json.dumps(
            {"endpoint": "https://fcm.googleapis.com/x", "keys": {"p256dh": "AAAA", "auth": "x"}}
        ),
    ],
)
async def test_a_malformed_subscription_makes_the_device_unreachable(
    service: FakePushService, sender: WebPushSender, token: str
) -> None:
    outcome = await sender.send(PushAddress(PushProvider.WEBPUSH, token), MESSAGE)

    assert outcome == result(PushOutcome.UNREACHABLE, None, "invalid_subscription", 0)
    assert service.hits == 0


async def test_neither_subscription_nor_message_reaches_the_logs(
    service: FakePushService, sender: WebPushSender, caplog: pytest.LogCaptureFixture
) -> None:
    address = subscribed(service, sender)
    service.fail(503)

    with caplog.at_level(logging.DEBUG):
        outcome = await sender.send(address, MESSAGE)

    assert outcome.outcome is PushOutcome.DELIVERED
    assert caplog.records
    endpoint_id = json.loads(address.token)["endpoint"].rsplit("/", 1)[1]
    for secret in (endpoint_id, MESSAGE.body, "txn_8c1f"):
        assert secret not in caplog.text
