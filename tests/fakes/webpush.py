"""A loopback Web Push service (RFC 8030) that decrypts what it receives (RFC 8291).

It makes the subscriptions itself, as a browser would (a P-256 key pair and a 16-byte auth
secret), so it can decrypt the aes128gcm body with the subscription's private key; it checks
the VAPID authorization (RFC 8292: the JWT's `aud` is the endpoint's origin, `exp` within 24
hours, signed by the `k` key the subscription was made for) and the TTL/Urgency/Topic
headers; it answers 201, 404 for an unknown subscription, 410 for an expired one, and
faults a test queues (429 with Retry-After, 503).
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from tests.fakes.loopback import serving
from twofold.clock import FrozenClock

TOPIC = re.compile(r"[A-Za-z0-9_-]{1,32}")
VAPID = re.compile(r"vapid t=(?P<t>[^,\s]+),\s*k=(?P<k>[A-Za-z0-9_-]+)")
MAX_VAPID_LIFETIME = 24 * 3600


def b64url(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode()


def b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


@dataclass
class Browser:
    """One subscription's receiving side: what the browser keeps to decrypt its pushes."""

    key: ec.EllipticCurvePrivateKey
    auth: bytes
    application_server_key: str
    expired: bool = False


@dataclass(frozen=True)
class Received:
    subscription: str
    headers: dict[str, str]
    payload: dict[str, object]
    vapid_claims: dict[str, object]


@dataclass(frozen=True)
class Fault:
    status: int
    retry_after: int | None = None


class FakePushService:
    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock
        self.url = ""
        self.hits = 0
        self.received: list[Received] = []
        self._browsers: dict[str, Browser] = {}
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/push/{sid}", self._push, methods=["POST"])])

    def subscribe(self, application_server_key: str) -> str:
        """A browser's `PushSubscription.toJSON()` for this service, as a string."""
        sid = secrets.token_urlsafe(16)
        browser = Browser(
            ec.generate_private_key(ec.SECP256R1()),
            secrets.token_bytes(16),
            application_server_key,
        )
        self._browsers[sid] = browser
        public = browser.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        keys = {"p256dh": b64url(public), "auth": b64url(browser.auth)}
        return json.dumps({"endpoint": f"{self.url}/push/{sid}", "keys": keys})

    def expire(self, subscription: str) -> None:
        self._browsers[self._sid(subscription)].expired = True

    def forget(self, subscription: str) -> None:
        del self._browsers[self._sid(subscription)]

    def fail(self, status: int, *, times: int = 1, retry_after: int | None = None) -> None:
        with self._lock:
            self._faults.extend(Fault(status, retry_after) for _ in range(times))

    @staticmethod
    def _sid(subscription: str) -> str:
        return str(json.loads(subscription)["endpoint"]).rsplit("/", 1)[1]

    async def _push(self, request: Request) -> Response:
        with self._lock:
            self.hits += 1
            fault = self._faults.popleft() if self._faults else None
        browser = self._browsers.get(request.path_params["sid"])
        if browser is None:
            return PlainTextResponse("No such subscription", status_code=404)
        claims = self._vapid_claims(request, browser)
        if claims is None:
            return PlainTextResponse("Unauthorized", status_code=401)
        if fault is not None:
            headers = {"retry-after": str(fault.retry_after)} if fault.retry_after else {}
            return PlainTextResponse("Slow down", status_code=fault.status, headers=headers)
        if browser.expired:
            return PlainTextResponse("push subscription has unsubscribed or expired.", 410)
        plain = self._decrypted(await request.body(), browser)
        problem = self._header_problem(request) or ("" if plain else "Could not decrypt")
        if problem:
            return PlainTextResponse(problem, status_code=400)
        self.received.append(
            Received(request.path_params["sid"], dict(request.headers), json.loads(plain), claims)
        )
        location = f"{self.url}/message/{secrets.token_urlsafe(8)}"
        return Response(status_code=201, headers={"location": location})

    @staticmethod
    def _decrypted(body: bytes, browser: Browser) -> bytes:
        """RFC 8291 on the receiving side; b"" when the body does not decrypt."""
        try:
            plain: bytes = http_ece.decrypt(
                body, private_key=browser.key, auth_secret=browser.auth, version="aes128gcm"
            )
        except (http_ece.ECEException, ValueError):
            return b""
        return plain

    def _vapid_claims(self, request: Request, browser: Browser) -> dict[str, object] | None:
        match = VAPID.fullmatch(request.headers.get("authorization", ""))
        if match is None or match["k"] != browser.application_server_key:
            return None
        try:
            point = b64url_decode(match["k"])
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
            key = ECKey.import_key(
                public.public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
            )
            decoded = jwt.decode(match["t"], key, algorithms=["ES256"])
        except (JoseError, ValueError):
            return None
        claims = dict(decoded.claims)
        now = self.clock.now().timestamp()
        exp = claims.get("exp")
        if claims.get("aud") != self.url or not isinstance(exp, int):
            return None
        if not (now < exp <= now + MAX_VAPID_LIFETIME):
            return None
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub.startswith(("mailto:", "https://")):
            return None
        return claims

    @staticmethod
    def _header_problem(request: Request) -> str:
        headers = request.headers
        if not headers.get("ttl", "").isdigit():
            return "TTL header required"
        if headers.get("content-encoding") != "aes128gcm":
            return "Unsupported Content-Encoding"
        if headers.get("urgency", "normal") not in ("very-low", "low", "normal", "high"):
            return "Bad Urgency"
        topic = headers.get("topic")
        if topic is not None and not TOPIC.fullmatch(topic):
            return "Bad Topic"
        return ""


@contextmanager
def fake_push_service(clock: FrozenClock) -> Iterator[FakePushService]:
    service = FakePushService(clock)
    with serving(service.app) as server:
        service.url = server.url
        yield service
