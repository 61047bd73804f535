"""Enrolling this device from a `barcode_uri` (docs/push-protocol.md, "Enrolment"): read the
ticket and the server from the URI, make a key, register, and remember the clock offset."""

from __future__ import annotations

import datetime as dt
import email.utils
import secrets
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx

from twofold.sdk.authenticator.client import Account, PushAddress, raise_for_error
from twofold.sdk.authenticator.keys import new_key, public_jwk

MIN_OFFSET_SECONDS = 2.0
"""`Date` has one-second resolution: a smaller difference is noise, not a wrong clock."""


@dataclass(frozen=True, slots=True)
class Ticket:
    """What an enrolment `barcode_uri` tells a push app."""

    ticket: str
    base_url: str


def read_barcode(barcode_uri: str) -> Ticket:
    parts = urlsplit(barcode_uri)
    query = parse_qs(parts.query)
    ticket = query.get("enrollment_tx_id", [""])[0]
    base_url = query.get("base_url", [""])[0]
    if parts.scheme != "otpauth" or not ticket or not base_url.startswith(("https://", "http://")):
        raise ValueError("Not a Twofold push enrolment URI (no enrollment_tx_id or base_url).")
    return Ticket(ticket=ticket, base_url=base_url)


def clock_offset(response: httpx.Response, *, sent: dt.datetime) -> float:
    """The server's clock minus ours, from its `Date` header (0 when absent or close)."""
    header = response.headers.get("date")
    if not header:
        return 0.0
    try:
        server = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return 0.0
    offset = (server - sent).total_seconds()
    return offset if abs(offset) >= MIN_OFFSET_SECONDS else 0.0


async def enrol(
    barcode_uri: str,
    *,
    name: str,
    push: PushAddress | None = None,
    identifier: str | None = None,
    http: httpx.AsyncClient | None = None,
    now: dt.datetime | None = None,
) -> Account:
    """Register a new device key with the server the URI names; returns the account to keep.

    `now` is this device's clock (the system's when None); `http` lets a caller supply its
    own client (proxies, a test transport).
    """
    found = read_barcode(barcode_uri)
    key = new_key()
    address = push or PushAddress()
    body = {
        "identifier": identifier or secrets.token_hex(16),
        "name": name,
        "public_key": public_jwk(key),
        "push": {"provider": address.provider, "token": address.token},
    }
    url = found.base_url.rstrip("/") + "/api/device/enroll"
    headers = {"authorization": f'Ticket id="{found.ticket}"'}
    sent = now or dt.datetime.fromtimestamp(time.time(), dt.UTC)
    if http is None:
        async with httpx.AsyncClient(timeout=10) as own:
            response = await own.post(url, json=body, headers=headers)
    else:
        response = await http.post(url, json=body, headers=headers)
    raise_for_error(response)
    answer = response.json()
    totp = answer["totp"]
    return Account(
        issuer=answer["issuer"],
        base_url=found.base_url,
        device_id=answer["device_id"],
        user_id=answer["user"]["id"],
        user_email=answer["user"]["email"],
        totp_secret=totp["secret"],
        key=key,
        algorithm=totp["algorithm"],
        digits=totp["digits"],
        period=totp["period"],
        clock_offset=clock_offset(response, sent=sent),
    )
