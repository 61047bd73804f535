"""Web Push: RFC 8030 delivery, RFC 8291 payload encryption (aes128gcm), RFC 8292 VAPID.

The subscription (endpoint and keys) comes from a browser, so its endpoint is checked
against an allow list of push services before anything is sent (no SSRF through it). The
payload is encrypted with `http_ece` (RFC 8188, the web-push-libs implementation); the
VAPID JWT is signed with joserfc so it reads the injected clock.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import http_ece
import httpx
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from twofold.channels.push.base import (
    PushAddress,
    PushMessage,
    PushOutcome,
    PushProvider,
    PushResult,
)
from twofold.channels.push.transport import Answer, exchange, failure, request, transport
from twofold.channels.push.transport import push_with_retries as _push
from twofold.channels.retry import RetryPolicy
from twofold.types import Clock

VAPID_LIFETIME = dt.timedelta(hours=12)
"""RFC 8292 3: `exp` no more than 24 hours ahead; half that leaves room for clock skew."""
TOPIC = re.compile(r"[A-Za-z0-9_-]{1,32}")
"""RFC 8030 5.4: at most 32 characters of the base64url alphabet."""
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
DEAD_SUBSCRIPTION = frozenset({404, 410})
"""RFC 8030 7.3 / push services: the subscription expired or was removed."""


class SubscriptionError(ValueError):
    """A subscription Twofold will not push to; `reason` is the PushResult reason."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class VapidKeyError(ValueError):
    """The VAPID key file cannot be used (checked once, at start-up)."""


@dataclass(frozen=True, slots=True)
class Subscription:
    endpoint: str = field(repr=False)
    p256dh: bytes = field(repr=False)
    auth: bytes = field(repr=False)


def _b64decode(value: object) -> bytes:
    if not isinstance(value, str):
        raise ValueError("not a string")
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def b64encode(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class EndpointGuard:
    """Which push services a subscription may name (`*.` matches any subdomain)."""

    allowed_hosts: Sequence[str]
    allow_insecure: bool = False
    """http and loopback hosts too: for tests against a local fake, never in production."""

    def check(self, endpoint: str) -> None:
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower()
        secure = parts.scheme == "https" or (self.allow_insecure and parts.scheme == "http")
        if not secure or not host or parts.username is not None or parts.password is not None:
            raise SubscriptionError("endpoint_not_allowed", "the endpoint must be an https URL")
        if self.allow_insecure and host in LOOPBACK:
            return
        if not any(_host_matches(host, pattern.lower()) for pattern in self.allowed_hosts):
            raise SubscriptionError("endpoint_not_allowed", "the push service is not allowed")


def _host_matches(host: str, pattern: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    return host == pattern


def parse_subscription(token: str, guard: EndpointGuard) -> Subscription:
    """The browser's PushSubscription JSON, its endpoint allowed and its keys well formed;
    also for the push core to refuse a bad subscription when a device registers."""
    try:
        raw = json.loads(token)
        endpoint, keys = raw["endpoint"], raw["keys"]
        p256dh, auth = _b64decode(keys["p256dh"]), _b64decode(keys["auth"])
        if not isinstance(endpoint, str):
            raise TypeError("endpoint")
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), p256dh)
    except (ValueError, TypeError, KeyError) as exc:
        raise SubscriptionError("invalid_subscription", "not a Web Push subscription") from exc
    if len(auth) != 16:  # RFC 8291 3.2: a 16-octet authentication secret
        raise SubscriptionError("invalid_subscription", "the auth secret is not 16 bytes")
    guard.check(endpoint)
    return Subscription(endpoint, p256dh, auth)


def load_vapid_key(path: Path) -> ECKey:
    try:
        key = ECKey.import_key(path.read_bytes())
    except (OSError, JoseError, ValueError) as exc:
        raise VapidKeyError(f"{path} is not a readable PEM EC private key") from exc
    if key.curve_name != "P-256" or not key.is_private:
        raise VapidKeyError(f"{path} must hold a P-256 private key (RFC 8292 uses ES256)")
    return key


def topic(collapse_key: str) -> str:
    """The collapse key as an RFC 8030 Topic, hashed when it is longer or has other chars."""
    if TOPIC.fullmatch(collapse_key):
        return collapse_key
    return b64encode(hashlib.sha256(collapse_key.encode()).digest())[:32]


def encrypt(payload: bytes, subscription: Subscription) -> bytes:
    """RFC 8291: aes128gcm with a fresh ephemeral ECDH key and salt for every message."""
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    encrypted: bytes = http_ece.encrypt(
        payload,
        salt=secrets.token_bytes(16),
        private_key=ephemeral,
        dh=subscription.p256dh,
        auth_secret=subscription.auth,
        version="aes128gcm",
    )
    return encrypted


def _explain(response: httpx.Response) -> Answer:
    if response.status_code in DEAD_SUBSCRIPTION:
        return Answer(PushOutcome.UNREACHABLE, response.status_code, str(response.status_code))
    return failure(response, str(response.status_code))


class WebPushSender:
    provider = PushProvider.WEBPUSH

    def __init__(
        self,
        *,
        key: ECKey,
        subject: str,
        guard: EndpointGuard,
        timeout: float,
        retry: RetryPolicy,
        clock: Clock,
    ) -> None:
        self._key = key
        self._subject = subject
        self._guard = guard
        self._timeout = timeout
        self._retry = retry
        self._clock = clock
        private = key.raw_value
        if not isinstance(private, ec.EllipticCurvePrivateKey):
            raise VapidKeyError("the VAPID key must be a private key")
        public = private.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        self.public_key = b64encode(public)
        """`applicationServerKey` for the browsers' `pushManager.subscribe` (RFC 8292 3.2)."""

    def check_subscription(self, token: str) -> None:
        """SubscriptionError unless a push to `token` would be attempted: for the push core,
        to refuse a subscription when the device registers rather than at its first push."""
        parse_subscription(token, self._guard)

    async def send(self, address: PushAddress, message: PushMessage) -> PushResult:
        try:
            subscription = parse_subscription(address.token, self._guard)
        except SubscriptionError as refusal:
            outcome = (
                PushOutcome.UNREACHABLE
                if refusal.reason == "invalid_subscription"
                else PushOutcome.FAILED
            )
            return PushResult(outcome, self.provider, None, refusal.reason, 0)
        payload = json.dumps(
            {"title": message.title, "body": message.body, "data": dict(message.data)},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        headers = {
            "ttl": str(message.ttl_seconds),
            "urgency": "high",
            "topic": topic(message.collapse_key),
            "content-encoding": "aes128gcm",
            "content-type": "application/octet-stream",
        }
        async with transport() as pool:

            async def attempt() -> Answer:
                # Encrypted and signed afresh each time: a retry is a new message.
                outgoing = request(
                    subscription.endpoint,
                    timeout=self._timeout,
                    content=encrypt(payload, subscription),
                    headers=headers | {"authorization": self._vapid(subscription.endpoint)},
                )
                return await exchange(pool, outgoing, explain=_explain)

            return await _push(self.provider, attempt, self._retry)

    def _vapid(self, endpoint: str) -> str:
        """RFC 8292 2-3: a JWT for the push service's origin, and our public key."""
        parts = urlsplit(endpoint)
        claims = {
            "aud": f"{parts.scheme}://{parts.netloc}",
            "exp": int((self._clock.now() + VAPID_LIFETIME).timestamp()),
            "sub": self._subject,
        }
        token = jwt.encode({"typ": "JWT", "alg": "ES256"}, claims, self._key)
        return f"vapid t={token}, k={self.public_key}"
