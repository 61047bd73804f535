"""What every device call shares: the enrolled `Account`, the push address type, and the
error an OAuth-style JSON answer becomes."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx


class AuthenticatorError(Exception):
    """The server refused a device call: `code` is the answer's `error` member."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(f"{status} {code}: {description}")
        self.status = status
        self.code = code
        self.description = description


@dataclass(frozen=True, slots=True)
class PushAddress:
    """Where the server should push: `stream` (the device listens; no token), `fcm`, `apns`
    or `webpush` with the token its platform gave."""

    provider: str = "stream"
    token: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class Account:
    """One enrolment, as the keystore keeps it. `key` is the device's private P-256 JWK;
    `clock_offset` (seconds) is the server's clock minus ours, measured at enrolment."""

    issuer: str
    base_url: str
    device_id: str
    user_id: str
    user_email: str
    totp_secret: str = field(repr=False)
    key: dict[str, str] = field(repr=False)
    algorithm: str = "SHA1"
    digits: int = 6
    period: int = 30
    clock_offset: float = 0.0

    def server_time(self, now: dt.datetime) -> dt.datetime:
        """Our `now` on the server's clock."""
        return now + dt.timedelta(seconds=self.clock_offset)

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Account:
        return cls(**body)


def raise_for_error(response: httpx.Response) -> None:
    """An OAuth-style error body (or any non-2xx answer) as an AuthenticatorError."""
    if response.is_success:
        return
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    raise AuthenticatorError(
        response.status_code,
        str(body.get("error", "http_error")),
        str(body.get("error_description", response.reason_phrase)),
    )
