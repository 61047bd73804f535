"""Apple Push Notification service: token-based authentication over HTTP/2.

Apple's "Establishing a token-based connection to APNs" and "Sending notification requests
to APNs": an ES256 provider token (`kid` the key id, `iss` the team, `iat`) that Apple wants
refreshed at most every 20 minutes and refuses after 60; `POST /3/device/<token>` over HTTP/2
(APNs speaks nothing else) with the apns-* headers, the alert in `aps`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import ssl
from dataclasses import dataclass, field
from pathlib import Path

import httpx
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
from twofold.channels.push.transport import (
    Answer,
    exchange,
    failure,
    json_object,
    request,
    transport,
)
from twofold.channels.push.transport import push_with_retries as _push
from twofold.channels.retry import RetryPolicy
from twofold.types import Clock

TOKEN_REUSE = dt.timedelta(minutes=50)
"""A provider token is reused this long: Apple throttles tokens renewed more often than
every 20 minutes (TooManyProviderTokenUpdates) and refuses one older than an hour."""
DEVICE_TOKEN = re.compile(r"[0-9a-fA-F]{1,200}")
"""Device tokens are hex; anything else could rewrite the request path, so it never leaves."""
DEAD_TOKEN_REASONS = frozenset({"Unregistered", "BadDeviceToken"})
MAX_COLLAPSE_ID = 64


def quiet_hpack() -> None:
    """hpack logs every header it encodes at DEBUG: the `:path` with the device token and
    the provider token in `authorization`. Raise its level so a DEBUG run leaks neither."""
    hpack = logging.getLogger("hpack")
    if hpack.level < logging.INFO:  # NOTSET included: it would follow a DEBUG root
        hpack.setLevel(logging.INFO)


class ApnsKeyError(ValueError):
    """The .p8 signing key cannot be used (checked once, at start-up)."""


def load_signing_key(path: Path) -> ECKey:
    """Apple's .p8 file: a PKCS#8 PEM of a P-256 key."""
    try:
        key = ECKey.import_key(path.read_bytes())
    except (OSError, JoseError, ValueError) as exc:
        raise ApnsKeyError(f"{path} is not a readable PEM EC private key") from exc
    if key.curve_name != "P-256" or not key.is_private:
        raise ApnsKeyError(f"{path} must hold a P-256 private key (ES256)")
    return key


@dataclass(slots=True)
class _ProviderToken:
    value: str = field(repr=False)
    issued_at: dt.datetime


def apns_reason(response: httpx.Response) -> str:
    reason = json_object(response).get("reason")
    return reason if isinstance(reason, str) else ""


def apns_payload(message: PushMessage) -> dict[str, object]:
    """The alert in `aps`, the data beside it; a data key cannot replace `aps`."""
    aps = {"alert": {"title": message.title, "body": message.body}, "sound": "default"}
    return {**{k: v for k, v in message.data.items() if k != "aps"}, "aps": aps}


class ApnsSender:
    provider = PushProvider.APNS

    def __init__(
        self,
        *,
        team_id: str,
        key_id: str,
        key: ECKey,
        topic: str,
        base_url: str,
        verify: ssl.SSLContext | bool,
        timeout: float,
        retry: RetryPolicy,
        clock: Clock,
    ) -> None:
        self._team_id = team_id
        self._key_id = key_id
        self._key = key
        self._topic = topic
        self._base_url = base_url.rstrip("/")
        self._verify = verify
        self._timeout = timeout
        self._retry = retry
        self._clock = clock
        self._token: _ProviderToken | None = None

    async def send(self, address: PushAddress, message: PushMessage) -> PushResult:
        if not DEVICE_TOKEN.fullmatch(address.token):
            # What APNs would answer, without sending anything to it.
            return PushResult(PushOutcome.UNREACHABLE, self.provider, None, "BadDeviceToken", 0)
        url = f"{self._base_url}/3/device/{address.token}"
        body = json.dumps(apns_payload(message), separators=(",", ":")).encode()
        headers = {
            "apns-topic": self._topic,
            "apns-push-type": "alert",
            "apns-priority": "10",
            "apns-expiration": str(int(self._clock.now().timestamp()) + message.ttl_seconds),
            "apns-collapse-id": message.collapse_key[:MAX_COLLAPSE_ID],
            "content-type": "application/json",
        }
        async with transport(http2=True, verify=self._verify) as pool:

            async def attempt() -> Answer:
                authorization = {"authorization": f"bearer {self._provider_token()}"}
                outgoing = request(
                    url, timeout=self._timeout, content=body, headers=headers | authorization
                )
                return await exchange(pool, outgoing, explain=self._explain)

            return await _push(self.provider, attempt, self._retry)

    def _explain(self, response: httpx.Response) -> Answer:
        reason = apns_reason(response)
        if response.status_code == 410 or reason in DEAD_TOKEN_REASONS:
            return Answer(PushOutcome.UNREACHABLE, response.status_code, reason or "Unregistered")
        if reason == "ExpiredProviderToken":
            self._token = None  # our clock ran ahead of Apple's: sign a fresh one and retry
            return Answer(PushOutcome.FAILED, response.status_code, reason, retryable=True)
        return failure(response, reason)

    def _provider_token(self) -> str:
        now = self._clock.now()
        if self._token is None or now - self._token.issued_at >= TOKEN_REUSE:
            header = {"alg": "ES256", "kid": self._key_id}
            claims = {"iss": self._team_id, "iat": int(now.timestamp())}
            self._token = _ProviderToken(jwt.encode(header, claims, self._key), now)
        return self._token.value
