"""SMS through any gateway that accepts a signed JSON POST, and the check its receiver runs.

The signature is Stripe's and Slack's shape: `X-Twofold-Signature: t=<unix>,v1=<hex>`, where
`<hex>` is HMAC-SHA256 over `<unix>.<raw body>` with the shared secret. Binding the timestamp
into the MAC lets a receiver refuse a replayed request after `tolerance` seconds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets

from twofold.channels import rest
from twofold.channels.base import Delivery, OutboundSms
from twofold.channels.retry import RetryPolicy, Sent, deliver
from twofold.errors import TwofoldError
from twofold.security.compare import equal
from twofold.types import Clock

SIGNATURE_HEADER = "X-Twofold-Signature"
DEFAULT_TOLERANCE = 300
"""Seconds a receiver accepts between the signature's timestamp and its own clock."""


class WebhookSignatureError(TwofoldError):
    code = "invalid_signature"
    description = "The webhook signature is missing, malformed, stale or wrong."


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `v1` value: hex HMAC-SHA256 of `<timestamp>.<body>`."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def _parse(header: str) -> tuple[int, list[str]]:
    """`t` once, `v1` one or more times; other schemes are ignored (a later `v2`)."""
    timestamps: list[str] = []
    signatures: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            timestamps.append(value)
        elif key == "v1":
            signatures.append(value)
    if len(timestamps) != 1 or not timestamps[0].isdigit() or not signatures:
        raise WebhookSignatureError("The signature header needs one t=<unix> and a v1=<hex>.")
    return int(timestamps[0]), signatures


def verify_webhook_signature(
    secret: str,
    header: str,
    *,
    body: bytes,
    now: dt.datetime,
    tolerance: int = DEFAULT_TOLERANCE,
) -> int:
    """For receivers (and tests): the request's timestamp if `header` signs `body` with
    `secret` no more than `tolerance` seconds from `now`; WebhookSignatureError otherwise.

    Verify the raw body as received, before parsing it: re-serialised JSON differs by a byte.
    """
    timestamp, signatures = _parse(header)
    if abs(now.timestamp() - timestamp) > tolerance:
        raise WebhookSignatureError("The signature is too old, or from the future.")
    expected = sign(secret, timestamp, body)
    if not any(equal(expected, candidate) for candidate in signatures):
        raise WebhookSignatureError("The signature does not match the body.")
    return timestamp


class WebhookSms:
    """POSTs `{"id", "type": "sms", "to", "body"}`; the `id` stays the same across retries,
    so a receiver that got a request but whose reply was lost can drop the duplicate."""

    def __init__(
        self, *, url: str, secret: str, timeout: float, retry: RetryPolicy, clock: Clock
    ) -> None:
        self._url = url
        self._secret = secret
        self._timeout = timeout
        self._retry = retry
        self._clock = clock

    async def send_sms(self, message: OutboundSms) -> Delivery:
        message_id = secrets.token_hex(16)
        body = json.dumps(
            {"id": message_id, "type": "sms", "to": message.to, "body": message.body},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()

        async def attempt() -> Sent:
            # Signed afresh each time, so a late retry is not refused as a stale replay.
            timestamp = int(self._clock.now().timestamp())
            headers = {
                "content-type": "application/json",
                SIGNATURE_HEADER: signature_header(self._secret, timestamp, body),
            }
            response = await rest.post(
                self._url, within=self._timeout, content=body, headers=headers
            )
            return Sent(str(response.status_code), message_id)

        return await deliver("webhook", attempt, self._retry)
