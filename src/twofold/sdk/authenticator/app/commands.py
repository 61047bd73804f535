"""The one-shot commands: enrol, codes (once or watching), remove. Each returns an exit
status or raises AppError; none prints a key or a seed."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import time
from pathlib import Path
from typing import TextIO

import httpx

from twofold.sdk.authenticator.answer import system_now
from twofold.sdk.authenticator.app.accounts import find, label, load, open_keystore
from twofold.sdk.authenticator.app.failure import AppError, refused, unreachable
from twofold.sdk.authenticator.client import Account, AuthenticatorError, raise_for_error
from twofold.sdk.authenticator.enrol import enrol, read_barcode
from twofold.sdk.authenticator.keys import device_token
from twofold.sdk.authenticator.totp import totp_now

CLEAR_SCREEN = "\x1b[H\x1b[2J"
NAME_LIMIT = 100


def default_name() -> str:
    return f"twofold-authenticator on {socket.gethostname()}"[:NAME_LIMIT]


async def enrol_device(barcode_uri: str, *, name: str, keys: Path, out: TextIO) -> int:
    """Register this terminal with the server the URI names and keep its key."""
    try:
        base_url = read_barcode(barcode_uri).base_url
    except ValueError as exc:
        raise AppError(str(exc)) from exc
    store = open_keystore(keys, create=True)
    load(store)  # refuse an unsafe keystore before the ticket is spent
    try:
        account = await enrol(barcode_uri, name=name)
    except AuthenticatorError as exc:
        raise refused("the enrolment", exc) from exc
    except httpx.TransportError as exc:
        raise unreachable(base_url, exc) from exc
    store.add(account)
    print(f"Enrolled {label(account)} as {name!r} ({account.device_id}).", file=out)
    print(f"Keys are in {store.path} (readable by you only).", file=out)
    return 0


def code_lines(accounts: list[Account], now: dt.datetime) -> list[str]:
    """One line per account: issuer, email, the current code and its seconds left."""
    lines = []
    for account in accounts:
        moment = account.server_time(now).timestamp()
        left = account.period - int(moment) % account.period
        code = totp_now(account, now=now)
        lines.append(f"{account.issuer}  {account.user_email}  {code}  {left:2d}s left")
    return lines


async def show_codes(keys: Path, *, watch: bool, out: TextIO) -> int:
    accounts = load(open_keystore(keys))
    if not accounts:
        raise AppError(f"no accounts in {keys}: enrol one first")
    while True:
        if watch:
            print(CLEAR_SCREEN, end="", file=out)
        print("\n".join(code_lines(accounts, system_now())), file=out, flush=True)
        if not watch:
            return 0
        await asyncio.sleep(1 - time.time() % 1)


async def unenrol(account: Account, http: httpx.AsyncClient) -> None:
    """`DELETE /api/device/me`: the device removes itself; its JWTs stop working at once."""
    token = device_token(account, now=system_now())
    response = await http.delete(
        account.url("api/device/me"), headers={"authorization": f"Bearer {token}"}
    )
    raise_for_error(response)


async def remove_account(name: str, *, keys: Path, out: TextIO) -> int:
    """Unenrol on the server, then forget the key. A device the server no longer knows is
    forgotten too; any other refusal keeps the key so the user can retry."""
    store = open_keystore(keys)
    account = find(load(store), name)
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            await unenrol(account, http)
    except httpx.TransportError as exc:
        raise unreachable(account.base_url, exc) from exc
    except AuthenticatorError as exc:
        if exc.status != 401 or "not enrolled" not in exc.description:
            raise refused("the removal", exc) from exc
        print(f"The server had already removed {label(account)}.", file=out)
    store.remove(account.device_id)
    print(f"Removed {label(account)} ({account.device_id}); its key is deleted.", file=out)
    return 0
