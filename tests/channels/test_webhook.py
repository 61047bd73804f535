"""The signed JSON webhook: a loopback gateway checks the signature as a receiver would, and
`verify_webhook_signature` refuses every tampering."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.channels.conftest import CODE, CONTEXT, PHONE, Waits, channels_for, code_in
from tests.fakes.webhook import SECRET, WebhookReceiver
from twofold.channels import Channels, DeliveryError, WebhookSignatureError
from twofold.channels.webhook import signature_header, verify_webhook_signature
from twofold.clock import FrozenClock
from twofold.config import WebhookSettings

NOW = dt.datetime(2026, 11, 22, 12, 0, 0, tzinfo=dt.UTC)
STAMP = int(NOW.timestamp())
BODY = b'{"id":"1","type":"sms","to":"+33612345678","body":"042917 is your code"}'


def webhook_channels(
    tmp_path: Path,
    clock: FrozenClock,
    waits: Waits,
    receiver: WebhookReceiver,
    *,
    secret: str = SECRET,
) -> Channels:
    webhook = WebhookSettings(url=receiver.url, secret=SecretStr(secret), timeout=2.0)
    return channels_for(tmp_path, clock, waits, sms={"provider": "webhook"}, webhook=webhook)


async def test_a_signed_post_reaches_the_gateway(
    tmp_path: Path, clock: FrozenClock, waits: Waits, receiver: WebhookReceiver
) -> None:
    channels = webhook_channels(tmp_path, clock, waits, receiver)

    delivery = await channels.sms.send_sms(
        channels.messages.sms(PHONE, locale="fr", context=CONTEXT)
    )

    [payload] = receiver.received
    assert payload == {
        "id": delivery.reference,
        "type": "sms",
        "to": PHONE,
        "body": "042917 est votre code de vérification Example. Il expire dans 5 minutes. "
        "Ne le donnez à personne.",
    }
    assert code_in(payload["body"]) == CODE
    assert receiver.headers[0].startswith(f"t={STAMP},v1=")
    assert [(a.provider, a.status, a.delivered) for a in delivery.attempts] == [
        ("webhook", "200", True)
    ]


async def test_a_gateway_with_another_secret_refuses_and_it_is_final(
    tmp_path: Path, clock: FrozenClock, waits: Waits, receiver: WebhookReceiver
) -> None:
    channels = webhook_channels(tmp_path, clock, waits, receiver, secret="x" * 40)

    with pytest.raises(DeliveryError) as caught:
        await channels.sms.send_sms(channels.messages.sms(PHONE, locale="en", context=CONTEXT))

    assert [a.status for a in caught.value.attempts] == ["401"]
    assert receiver.refusals == ["The signature does not match the body."]
    assert (receiver.received, waits.delays) == ([], [])


async def test_a_sender_whose_clock_lags_is_refused_as_a_replay(
    tmp_path: Path, waits: Waits, receiver: WebhookReceiver
) -> None:
    lagging = FrozenClock(NOW - dt.timedelta(minutes=10))
    channels = webhook_channels(tmp_path, lagging, waits, receiver)

    with pytest.raises(DeliveryError):
        await channels.sms.send_sms(channels.messages.sms(PHONE, locale="en", context=CONTEXT))

    assert receiver.refusals == ["The signature is too old, or from the future."]


async def test_a_5xx_is_retried_with_the_same_message_id(
    tmp_path: Path, clock: FrozenClock, waits: Waits, receiver: WebhookReceiver
) -> None:
    channels = webhook_channels(tmp_path, clock, waits, receiver)
    receiver.answer(503)

    delivery = await channels.sms.send_sms(
        channels.messages.sms(PHONE, locale="en", context=CONTEXT)
    )

    assert [a.status for a in delivery.attempts] == ["503", "200"]
    assert receiver.ids == [delivery.reference, delivery.reference]
    assert len(receiver.received) == 1
    assert waits.delays == [0.2]


def test_a_valid_signature_is_accepted_within_the_tolerance() -> None:
    header = signature_header(SECRET, STAMP, BODY)
    later = NOW + dt.timedelta(seconds=300)

    assert verify_webhook_signature(SECRET, header, body=BODY, now=later) == STAMP


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{STAMP}.".encode() + BODY, hashlib.sha256).hexdigest()

    assert signature_header(SECRET, STAMP, BODY) == f"t={STAMP},v1={expected}"


def test_any_of_several_v1_signatures_may_match() -> None:
    """A sender rotating its secret may sign with both; the receiver accepts either."""
    good = signature_header(SECRET, STAMP, BODY).split(",")[1]
    header = f"t={STAMP},v1={'0' * 64},{good}"

    assert verify_webhook_signature(SECRET, header, body=BODY, now=NOW) == STAMP


@pytest.mark.parametrize(
    ("secret", "body", "now", "reason"),
    [
        (SECRET, BODY.replace(b"042917", b"000000"), NOW, "does not match the body"),
        ("another-secret-" * 3, BODY, NOW, "does not match the body"),
        (SECRET, BODY, NOW + dt.timedelta(seconds=301), "too old"),
        (SECRET, BODY, NOW - dt.timedelta(seconds=301), "from the future"),
    ],
    ids=["tampered-body", "wrong-secret", "old-timestamp", "future-timestamp"],
)
def test_a_wrong_or_stale_signature_is_refused(
    secret: str, body: bytes, now: dt.datetime, reason: str
) -> None:
    header = signature_header(SECRET, STAMP, BODY)

    with pytest.raises(WebhookSignatureError, match=reason) as caught:
        verify_webhook_signature(secret, header, body=body, now=now)

    assert caught.value.code == "invalid_signature"


@pytest.mark.parametrize(
    "header",
    ["", "v1=abc", f"t={STAMP}", f"t=soon,v1={'0' * 64}", f"t={STAMP},t={STAMP},v1=00"],
    ids=["empty", "no-timestamp", "no-signature", "bad-timestamp", "two-timestamps"],
)
def test_a_malformed_header_is_refused(header: str) -> None:
    with pytest.raises(WebhookSignatureError, match="needs one t=<unix> and a v1=<hex>"):
        verify_webhook_signature(SECRET, header, body=BODY, now=NOW)


def test_a_timestamp_tampered_with_breaks_the_signature() -> None:
    original = signature_header(SECRET, STAMP, BODY)
    moved = original.replace(f"t={STAMP}", f"t={STAMP + 60}")

    with pytest.raises(WebhookSignatureError, match="does not match"):
        verify_webhook_signature(SECRET, moved, body=BODY, now=NOW)
