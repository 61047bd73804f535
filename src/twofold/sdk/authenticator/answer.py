"""Reading a push and answering it (docs/push-protocol.md, "Transactions" and "Answers").

An answer is a compact JWS signed ES256 by the device key over `{txn, accepted, number,
reason?, iat, exp, jti}`: the signature binds the choice to one transaction, and it lives 30
seconds at most. The device never learns which choice is right; it sends what the user picked.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import ECKey

from twofold.sdk.authenticator.client import Account, raise_for_error
from twofold.sdk.authenticator.keys import device_token

ANSWER_LIFETIME = 30


@dataclass(frozen=True, slots=True)
class PushDetails:
    """What to show the user before they answer."""

    txn: str
    status: str
    """`pending`, `approved`, `rejected` or `expired`."""
    facts: dict[str, Any]
    """`application`, `city`, `country`, `browser`, `time` (any may be null)."""
    choices: tuple[int, ...]
    """The numbers to pick from (empty without number matching or once answered)."""
    number_matching: bool
    expires_at: str


@dataclass(frozen=True, slots=True)
class AnswerResult:
    txn: str
    status: str
    """`approved`, or `rejected` (a denial, a wrong number, a fraud report)."""
    reason: str | None = field(default=None)


def system_now() -> dt.datetime:
    return dt.datetime.fromtimestamp(time.time(), dt.UTC)


def answer_token(
    account: Account,
    txn: str,
    *,
    accepted: bool,
    number: int | None = None,
    fraud: bool = False,
    now: dt.datetime,
) -> str:
    """The signed answer, dated on the server's clock."""
    issued = int(account.server_time(now).timestamp())
    claims: dict[str, Any] = {
        "txn": txn,
        "accepted": accepted,
        "iat": issued,
        "exp": issued + ANSWER_LIFETIME,
        "jti": secrets.token_urlsafe(16),
    }
    if number is not None:
        claims["number"] = number
    if fraud:
        claims["reason"] = "fraud"
    key = ECKey.import_key(dict(account.key))
    return jwt.encode({"alg": "ES256", "typ": "JWT"}, claims, key, ["ES256"])


def _client(http: httpx.AsyncClient | None) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    return nullcontext(http) if http is not None else _own_client()


@asynccontextmanager
async def _own_client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as own:
        yield own


async def _call(
    account: Account,
    http: httpx.AsyncClient | None,
    send: Callable[[httpx.AsyncClient, dict[str, str]], Awaitable[httpx.Response]],
    now: dt.datetime | None,
) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {device_token(account, now=now or system_now())}"}
    async with _client(http) as client:
        response = await send(client, headers)
    raise_for_error(response)
    body = response.json()
    return body if isinstance(body, dict) else {}


async def details(
    account: Account,
    txn: str,
    *,
    http: httpx.AsyncClient | None = None,
    now: dt.datetime | None = None,
) -> PushDetails:
    """The push's facts and choices (`GET /api/device/transactions/{txn}`)."""
    url = account.url(f"api/device/transactions/{txn}")
    body = await _call(account, http, lambda c, h: c.get(url, headers=h), now)
    return PushDetails(
        txn=str(body["txn"]),
        status=str(body["status"]),
        facts=dict(body.get("facts") or {}),
        choices=tuple(int(n) for n in body.get("choices", ())),
        number_matching=bool(body.get("number_matching")),
        expires_at=str(body["expires_at"]),
    )


async def _answer(
    account: Account,
    txn: str,
    token: str,
    http: httpx.AsyncClient | None,
    now: dt.datetime | None,
) -> AnswerResult:
    url = account.url(f"api/device/transactions/{txn}")
    body = await _call(
        account, http, lambda c, h: c.post(url, headers=h, json={"answer": token}), now
    )
    reason = body.get("reason")
    return AnswerResult(
        txn=str(body["txn"]),
        status=str(body["status"]),
        reason=str(reason) if reason is not None else None,
    )


async def approve(
    account: Account,
    txn: str,
    number: int | None,
    *,
    http: httpx.AsyncClient | None = None,
    now: dt.datetime | None = None,
) -> AnswerResult:
    """Approve with the number the user picked (None only without number matching). A wrong
    number is recorded as a rejection: the result says `rejected`, reason `wrong_number`."""
    moment = now or system_now()
    token = answer_token(account, txn, accepted=True, number=number, now=moment)
    return await _answer(account, txn, token, http, moment)


async def deny(
    account: Account,
    txn: str,
    *,
    fraud: bool = False,
    http: httpx.AsyncClient | None = None,
    now: dt.datetime | None = None,
) -> AnswerResult:
    """Deny; `fraud=True` ("this wasn't me") also pauses pushes for the user until an
    administrator clears it."""
    moment = now or system_now()
    token = answer_token(account, txn, accepted=False, fraud=fraud, now=moment)
    return await _answer(account, txn, token, http, moment)
