"""Firebase Cloud Messaging, HTTP v1 API: service-account JWT -> OAuth token -> send.

The OAuth 2.0 JWT bearer grant (RFC 7523) as Google documents it for service accounts: an
RS256 assertion (`iss` the account, `scope` firebase.messaging, `aud` the token URI, one hour)
traded at the token URI for an access token, which is kept until shortly before it expires.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from twofold.channels.push.base import (
    PushAddress,
    PushMessage,
    PushOutcome,
    PushProvider,
    PushResult,
)
from twofold.channels.push.transport import (
    Answer,
    Transport,
    exchange,
    failure,
    json_object,
    request,
    transport,
)
from twofold.channels.push.transport import push_with_retries as _push
from twofold.channels.retry import RetryPolicy
from twofold.types import Clock

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_LIFETIME = 3600
"""Google refuses an assertion valid for more than an hour."""
REFRESH_MARGIN = 60
"""Seconds before `expires_in` at which a new token is fetched, so none expires in flight."""
FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
UNREGISTERED = "UNREGISTERED"


class ServiceAccountError(ValueError):
    """The service-account file cannot be used (checked once, at start-up)."""


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    client_email: str
    project_id: str
    token_uri: str
    private_key: RSAKey = field(repr=False)


def load_service_account(path: Path) -> ServiceAccount:
    """The Google service-account JSON key file; ServiceAccountError naming what is wrong."""
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ServiceAccountError(f"{path} is not a readable JSON file") from exc
    fields = ("client_email", "private_key", "token_uri", "project_id")
    if not isinstance(raw, dict) or any(not isinstance(raw.get(name), str) for name in fields):
        raise ServiceAccountError(f"{path} needs {', '.join(fields)}")
    try:
        key = RSAKey.import_key(raw["private_key"])
    except (JoseError, ValueError) as exc:
        raise ServiceAccountError(f"the private_key in {path} is not an RSA key") from exc
    return ServiceAccount(raw["client_email"], raw["project_id"], raw["token_uri"], key)


@dataclass(slots=True)
class _AccessToken:
    value: str = field(repr=False)
    refresh_at: dt.datetime


def fcm_reason(response: httpx.Response) -> str:
    """FCM's own `errorCode` from the error's details, else the google.rpc `status`."""
    error = json_object(response).get("error")
    if not isinstance(error, dict):
        return ""
    details = error.get("details")
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, dict) and detail.get("@type") == FCM_ERROR:
            return str(detail.get("errorCode", ""))
    status = error.get("status")
    return status if isinstance(status, str) else ""


def _apns_collapse_id(key: str) -> str:
    return key[:64]  # APNs refuses an apns-collapse-id over 64 bytes (BadCollapseId)


class FcmSender:
    provider = PushProvider.FCM

    def __init__(
        self,
        account: ServiceAccount,
        *,
        base_url: str,
        token_uri: str | None,
        timeout: float,
        retry: RetryPolicy,
        clock: Clock,
    ) -> None:
        self._account = account
        self._send_url = (
            f"{base_url.rstrip('/')}/v1/projects/{quote(account.project_id, safe='')}/messages:send"
        )
        self._token_uri = token_uri or account.token_uri
        self._timeout = timeout
        self._retry = retry
        self._clock = clock
        self._token: _AccessToken | None = None
        self._token_lock = asyncio.Lock()

    async def send(self, address: PushAddress, message: PushMessage) -> PushResult:
        body = json.dumps(self._message(address, message), separators=(",", ":")).encode()
        async with transport() as pool:

            async def attempt() -> Answer:
                return await self._attempt(pool, body)

            return await _push(self.provider, attempt, self._retry)

    async def _attempt(self, pool: Transport, body: bytes) -> Answer:
        token = await self._access_token(pool)
        if isinstance(token, Answer):
            return token
        outgoing = request(
            self._send_url,
            timeout=self._timeout,
            content=body,
            headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
        )
        return await exchange(pool, outgoing, explain=self._explain)

    def _explain(self, response: httpx.Response) -> Answer:
        reason = fcm_reason(response)
        if reason == UNREGISTERED or response.status_code == 404:
            return Answer(PushOutcome.UNREACHABLE, response.status_code, reason or UNREGISTERED)
        if response.status_code == 401:
            # The access token was revoked or expired early: fetch a new one and try again.
            self._token = None
            return Answer(PushOutcome.FAILED, 401, reason, retryable=True)
        return failure(response, reason)

    def _message(self, address: PushAddress, message: PushMessage) -> dict[str, object]:
        expires = int(self._clock.now().timestamp()) + message.ttl_seconds
        return {
            "message": {
                "token": address.token,
                "notification": {"title": message.title, "body": message.body},
                "data": dict(message.data),
                "android": {
                    "ttl": f"{message.ttl_seconds}s",
                    "collapse_key": message.collapse_key,
                    "priority": "high",
                },
                "apns": {
                    "headers": {
                        "apns-priority": "10",
                        "apns-expiration": str(expires),
                        "apns-collapse-id": _apns_collapse_id(message.collapse_key),
                    },
                    "payload": {"aps": {"sound": "default"}},
                },
            }
        }

    async def _access_token(self, pool: Transport) -> str | Answer:
        """The cached token, or a new one; the lock keeps concurrent sends to one fetch."""
        async with self._token_lock:
            now = self._clock.now()
            if self._token is not None and now < self._token.refresh_at:
                return self._token.value
            outgoing = request(
                self._token_uri,
                timeout=self._timeout,
                headers={},
                form={"grant_type": GRANT_TYPE, "assertion": self._assertion(now)},
            )
            answer = await exchange(pool, outgoing, explain=_token_refusal)
            if answer.reply is None:
                return answer
            reply = json_object(answer.reply)
            value, lifetime = reply.get("access_token"), reply.get("expires_in")
            if not isinstance(value, str) or not isinstance(lifetime, int):
                return Answer(PushOutcome.FAILED, answer.status, "token reply", retryable=True)
            refresh_at = now + dt.timedelta(seconds=max(lifetime - REFRESH_MARGIN, 0))
            self._token = _AccessToken(value, refresh_at)
            return value

    def _assertion(self, now: dt.datetime) -> str:
        issued = int(now.timestamp())
        claims = {
            "iss": self._account.client_email,
            "scope": SCOPE,
            "aud": self._token_uri,
            "iat": issued,
            "exp": issued + ASSERTION_LIFETIME,
        }
        return jwt.encode({"alg": "RS256", "typ": "JWT"}, claims, self._account.private_key)


def _token_refusal(response: httpx.Response) -> Answer:
    """An OAuth error (RFC 6749 5.2): `invalid_grant` for a revoked key is final."""
    error = json_object(response).get("error")
    return failure(response, f"token {error}" if isinstance(error, str) else "token")
