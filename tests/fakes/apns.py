"""A loopback APNs: HTTP/2 over TLS (hypercorn, h2) with a self-signed certificate.

It checks what Apple checks: the ES256 provider token (`kid`, `iss`, signature, at most an
hour old), the apns-* headers and the `aps` payload; it answers Apple's replies: 200 with an
`apns-id`, 400 BadDeviceToken, 410 Unregistered with a timestamp, 403 for a bad provider
token, and faults a test queues (429 TooManyRequests, 503 ServiceUnavailable).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import threading
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypercorn.asyncio import serve
from hypercorn.config import Config
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.smtp import Certificate
from twofold.clock import FrozenClock

TEAM_ID = "ABCDE12345"
KEY_ID = "KEY1234567"
TOPIC = "com.example.twofold"
FAULT_REASONS = {
    400: "BadTopic",
    429: "TooManyRequests",
    500: "InternalServerError",
    503: "ServiceUnavailable",
}
START_TIMEOUT = 10.0


@dataclass(frozen=True)
class Received:
    token: str
    headers: dict[str, str]
    payload: dict[str, object]
    http_version: str


def apns_error(status: int, reason: str, clock: FrozenClock | None = None) -> JSONResponse:
    body: dict[str, object] = {"reason": reason}
    if clock is not None:  # Apple adds when the token stopped being valid (410 only)
        body["timestamp"] = int(clock.now().timestamp() * 1000)
    return JSONResponse(body, status_code=status, headers={"apns-id": str(uuid.uuid4())})


class FakeApns:
    def __init__(self, clock: FrozenClock, directory: Path) -> None:
        self.clock = clock
        key = ec.generate_private_key(ec.SECP256R1())
        self.key_file = directory / f"AuthKey_{KEY_ID}.p8"
        self.key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        self._public = ECKey.import_key(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        self.url = ""
        self.received: list[Received] = []
        self.hits = 0
        self.http_versions: list[str] = []
        self.provider_tokens: list[str] = []
        self.unregistered: set[str] = set()
        self.bad_tokens: set[str] = set()
        self._faults: deque[int] = deque()
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/3/device/{token}", self._push, methods=["POST"])])

    def fail(self, status: int, *, times: int = 1) -> None:
        with self._lock:
            self._faults.extend([status] * times)

    async def _push(self, request: Request) -> Response:
        with self._lock:
            self.hits += 1
            fault = self._faults.popleft() if self._faults else None
        self.http_versions.append(request.scope["http_version"])
        payload = json.loads(await request.body() or b"null")
        refusal = self._refusal(request, fault, payload)
        if refusal is not None:
            return refusal
        token = request.path_params["token"]
        self.received.append(
            Received(token, dict(request.headers), payload, request.scope["http_version"])
        )
        return Response(status_code=200, headers={"apns-id": str(uuid.uuid4())})

    def _refusal(self, request: Request, fault: int | None, payload: object) -> Response | None:
        """Apple's order: the provider token first, then the request, then the device."""
        reason = self._auth_refusal(request.headers.get("authorization", ""))
        if reason:
            return apns_error(403, reason)
        if fault is not None:
            return apns_error(fault, FAULT_REASONS[fault])
        token = request.path_params["token"]
        reason = self._header_problem(request) or self._token_problem(token)
        aps = payload.get("aps") if isinstance(payload, dict) else None
        if not reason and (not isinstance(aps, dict) or not isinstance(aps.get("alert"), dict)):
            reason = "PayloadEmpty"
        if reason == "Unregistered":
            return apns_error(410, reason, self.clock)
        return apns_error(400, reason) if reason else None

    def _token_problem(self, token: str) -> str:
        if not re.fullmatch(r"[0-9a-f]{64}", token) or token in self.bad_tokens:
            return "BadDeviceToken"
        return "Unregistered" if token in self.unregistered else ""

    def _auth_refusal(self, authorization: str) -> str:
        scheme, _, token = authorization.partition(" ")
        if scheme != "bearer" or not token:
            return "MissingProviderToken"
        try:
            decoded = jwt.decode(token, self._public, algorithms=["ES256"])
        except (JoseError, ValueError):
            return "InvalidProviderToken"
        iat = decoded.claims.get("iat")
        if decoded.header.get("kid") != KEY_ID or decoded.claims.get("iss") != TEAM_ID:
            return "InvalidProviderToken"
        now = self.clock.now().timestamp()
        if not isinstance(iat, int) or not (now - 3600 < iat <= now):
            return "ExpiredProviderToken"
        if token not in self.provider_tokens:
            self.provider_tokens.append(token)
        return ""

    @staticmethod
    def _header_problem(request: Request) -> str:
        headers = request.headers
        if headers.get("apns-topic") != TOPIC:
            return "BadTopic" if headers.get("apns-topic") else "MissingTopic"
        if headers.get("apns-push-type") not in ("alert", "background"):
            return "InvalidPushType"
        if headers.get("apns-priority") not in (None, "5", "10"):
            return "BadPriority"
        if not headers.get("apns-expiration", "0").isdigit():
            return "BadExpirationDate"
        if len(headers.get("apns-collapse-id", "").encode()) > 64:
            return "BadCollapseId"
        return ""


@contextmanager
def fake_apns(clock: FrozenClock, certificate: Certificate) -> Iterator[FakeApns]:
    """Serve over TLS with ALPN h2 from a thread with its own event loop."""
    apns = FakeApns(clock, certificate.cert_path.parent)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    apns.url = f"https://127.0.0.1:{listener.getsockname()[1]}"
    config = Config()
    config.bind = [f"fd://{os.dup(listener.fileno())}"]
    config.certfile = str(certificate.cert_path)
    config.keyfile = str(certificate.key_path)
    config.accesslog = None
    config.errorlog = None
    config.graceful_timeout = 1
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    started = threading.Event()

    async def run() -> None:
        started.set()
        await serve(apns.app, config, shutdown_trigger=stop.wait)  # type: ignore[arg-type]

    thread = threading.Thread(target=loop.run_until_complete, args=(run(),), daemon=True)
    thread.start()
    started.wait(START_TIMEOUT)
    try:
        yield apns
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(START_TIMEOUT)
        loop.close()
        listener.close()
