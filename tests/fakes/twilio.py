"""A loopback Twilio: the REST wire format of `Messages.json` and `Calls.json` (2010-04-01).

Form-encoded POSTs under HTTP Basic (account SID, auth token), 201 replies shaped like
Twilio's resources, error replies in Twilio's JSON shape (`code`, `message`, `more_info`,
`status`), and faults a test queues: a 5xx or 429 reply, or a reply that stalls.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
import secrets
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.loopback import serving

Resource = Literal["Messages", "Calls"]
E164 = re.compile(r"\+[1-9]\d{1,14}")
ACCOUNT_SID = "AC" + "5ef8" * 8
AUTH_TOKEN = "f3a1c0de" * 4
FROM_NUMBER = "+15005550006"
"""Twilio's magic test number: a valid sender."""
FAULT_ERRORS = {
    429: (20429, "Too Many Requests"),
    500: (20500, "An internal server error has occurred"),
    502: (20502, "Bad Gateway"),
    503: (20503, "Service Unavailable"),
}


@dataclass(frozen=True)
class Received:
    """A request that passed authentication and validation, as the fake stored it."""

    resource: Resource
    form: dict[str, str]
    sid: str


@dataclass(frozen=True)
class Fault:
    status: int | None = None
    """Answer this error status instead of creating the resource."""
    delay: float = 0.0
    """Wait this long before answering (a timeout for a client that waits less)."""


def twilio_error(status: int, code: int, message: str) -> JSONResponse:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return JSONResponse(body, status_code=status)


class FakeTwilio:
    def __init__(self, *, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.received: list[Received] = []
        self.hits = 0
        """Every request, refused or not."""
        self.url = ""
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        prefix = "/2010-04-01/Accounts/{sid}"
        self.app = Starlette(
            routes=[
                Route(f"{prefix}/Messages.json", self._messages, methods=["POST"]),
                Route(f"{prefix}/Calls.json", self._calls, methods=["POST"]),
            ]
        )

    def fail(self, status: int, *, times: int = 1) -> None:
        with self._lock:
            self._faults.extend(Fault(status=status) for _ in range(times))

    def stall(self, seconds: float, *, times: int = 1) -> None:
        with self._lock:
            self._faults.extend(Fault(delay=seconds) for _ in range(times))

    def messages(self) -> list[dict[str, str]]:
        return [r.form for r in self.received if r.resource == "Messages"]

    def calls(self) -> list[dict[str, str]]:
        return [r.form for r in self.received if r.resource == "Calls"]

    def _next_fault(self) -> Fault:
        with self._lock:
            self.hits += 1
            return self._faults.popleft() if self._faults else Fault()

    def _authenticated(self, request: Request) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return (
            scheme.lower() == "basic"
            and secrets.compare_digest(user, self.account_sid)
            and secrets.compare_digest(password, self.auth_token)
            and request.path_params["sid"] == self.account_sid
        )

    async def _messages(self, request: Request) -> JSONResponse:
        return await self._create(request, "Messages")

    async def _calls(self, request: Request) -> JSONResponse:
        return await self._create(request, "Calls")

    async def _create(self, request: Request, resource: Resource) -> JSONResponse:
        fault = self._next_fault()
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if not self._authenticated(request):
            return twilio_error(401, 20003, "Authenticate")
        if fault.status is not None:
            return twilio_error(fault.status, *FAULT_ERRORS[fault.status])
        form = {key: str(value) for key, value in (await request.form()).items()}
        refusal = self._refusal(resource, form)
        if refusal is not None:
            return refusal
        sid = ("SM" if resource == "Messages" else "CA") + secrets.token_hex(16)
        self.received.append(Received(resource, form, sid))
        return JSONResponse(self._resource(resource, form, sid), status_code=201)

    def _refusal(self, resource: Resource, form: dict[str, str]) -> JSONResponse | None:
        to = form.get("To", "")
        if not to:
            return twilio_error(400, 21604, "A 'To' phone number is required.")
        if not E164.fullmatch(to):
            return twilio_error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if form.get("From") != FROM_NUMBER:
            return twilio_error(400, 21212, "Invalid 'From' Phone Number")
        if resource == "Messages" and not form.get("Body"):
            return twilio_error(400, 21602, "Message body is required.")
        if resource == "Calls" and not (form.get("Twiml") or form.get("Url")):
            return twilio_error(400, 21205, "Url or Twiml parameter is required.")
        return None

    def _resource(self, resource: Resource, form: dict[str, str], sid: str) -> dict[str, object]:
        shared: dict[str, object] = {
            "sid": sid,
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "to": form["To"],
            "from": form["From"],
            "status": "queued",
            "direction": "outbound-api",
            "date_created": "Sun, 22 Nov 2026 12:00:00 +0000",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/{resource}/{sid}.json",
        }
        if resource == "Messages":
            shared.update(body=form["Body"], num_segments="1", error_code=None, error_message=None)
        return shared


@contextmanager
def fake_twilio() -> Iterator[FakeTwilio]:
    twilio = FakeTwilio()
    with serving(twilio.app) as server:
        twilio.url = server.url
        yield twilio
