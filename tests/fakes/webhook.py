"""A loopback SMS gateway that accepts Twofold's signed JSON webhook, as a receiver would:
it checks the signature over the raw body before reading it, and refuses with 401 otherwise.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.loopback import serving
from twofold.channels.webhook import (
    SIGNATURE_HEADER,
    WebhookSignatureError,
    verify_webhook_signature,
)
from twofold.types import Clock

SECRET = "whsec_" + "9c1e" * 10


class WebhookReceiver:
    def __init__(self, clock: Clock, *, secret: str = SECRET) -> None:
        self.secret = secret
        self.received: list[dict[str, str]] = []
        """Payloads accepted (answered 200)."""
        self.ids: list[str] = []
        """The `id` of every correctly signed request, whatever the answer."""
        self.headers: list[str] = []
        self.refusals: list[str] = []
        self.url = ""
        self._clock = clock
        self._statuses: deque[int] = deque()
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/sms", self._sms, methods=["POST"])])

    def answer(self, status: int, *, times: int = 1) -> None:
        """Reply `status` to the next requests, after checking them, instead of accepting."""
        with self._lock:
            self._statuses.extend([status] * times)

    async def _sms(self, request: Request) -> JSONResponse:
        body = await request.body()
        header = request.headers.get(SIGNATURE_HEADER, "")
        try:
            verify_webhook_signature(self.secret, header, body=body, now=self._clock.now())
        except WebhookSignatureError as exc:
            self.refusals.append(exc.description)
            return JSONResponse({"error": exc.code}, status_code=401)
        payload = json.loads(body)
        self.ids.append(payload["id"])
        with self._lock:
            status = self._statuses.popleft() if self._statuses else 200
        if status != 200:
            return JSONResponse({"error": "unavailable"}, status_code=status)
        self.received.append(payload)
        self.headers.append(header)
        return JSONResponse({"accepted": True})


@contextmanager
def webhook_receiver(clock: Clock) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(clock)
    with serving(receiver.app) as server:
        receiver.url = f"{server.url}/sms"
        yield receiver
