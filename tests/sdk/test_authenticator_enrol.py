"""twofold.sdk.authenticator's enrolment half, end to end against the real app over ASGI:
enrol from a barcode URI, correct a slow clock from `Date`, sign device JWTs the server
accepts, show codes the `mfa-otp` grant accepts, and keep accounts in a private keystore."""

from __future__ import annotations

import datetime as dt
import email.utils
import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.api.conftest import tenant
from tests.api.helpers import mfa_token, otp_grant
from tests.builders import Client, Person, a_client, a_user, an_ip
from tests.push.conftest import push_on
from tests.push.devices import associate_push
from twofold.clock import FrozenClock
from twofold.flows.runtime import Runtime
from twofold.sdk.authenticator import (
    Account,
    AuthenticatorError,
    Keystore,
    KeystoreError,
    device_token,
    enrol,
    totp_now,
)

__all__ = ["push_on", "tenant"]

pytestmark = pytest.mark.usefixtures("push_on")
SLOW = dt.timedelta(minutes=5)
"""How far behind the server's clock the test device's clock runs."""


class DatedTransport(httpx.AsyncBaseTransport):
    """The ASGI app with the `Date` header a real server adds, from the server's clock."""

    def __init__(self, inner: httpx.AsyncBaseTransport, clock: FrozenClock) -> None:
        self._inner = inner
        self._clock = clock

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        response.headers["date"] = email.utils.format_datetime(self._clock.now(), usegmt=True)
        return response


@pytest.fixture
async def http(app: FastAPI, clock: FrozenClock) -> AsyncIterator[httpx.AsyncClient]:
    inner = httpx.ASGITransport(app=app, client=(an_ip(), 40000))
    transport = DatedTransport(inner, clock)
    async with httpx.AsyncClient(transport=transport, base_url="http://twofold.test") as dated:
        yield dated


async def _barcode(http: httpx.AsyncClient, runtime: Runtime) -> tuple[Client, Person, str]:
    app, person = await a_client(runtime), await a_user(runtime)
    body = (await associate_push(http, await mfa_token(http, app, person))).json()
    return app, person, body["barcode_uri"]


async def test_enrol_registers_the_device_and_corrects_a_slow_clock(
    http: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    app, person, uri = await _barcode(http, runtime)
    device_now = clock.now() - SLOW

    account = await enrol(uri, name="SDK phone", http=http, now=device_now)

    assert account.device_id.startswith("push|dev_")
    assert (account.user_id, account.user_email) == (person.user_id, person.email)
    assert account.issuer == runtime.settings.tenant_name
    assert account.base_url == runtime.settings.issuer
    assert account.clock_offset == SLOW.total_seconds()
    assert "d" in account.key
    # A token dated on the slow clock would be 5 minutes stale; the offset fixes it.
    me = await http.get(
        account.url("api/device/me"),
        headers={"authorization": f"Bearer {device_token(account, now=device_now)}"},
    )
    assert me.status_code == 200, me.text
    assert me.json()["name"] == "SDK phone"
    granted = await otp_grant(
        http, app, await mfa_token(http, app, person), totp_now(account, now=device_now)
    )
    assert granted.status_code == 200, granted.text


async def test_enrol_with_a_spent_ticket_raises_the_servers_error(
    http: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    _, _, uri = await _barcode(http, runtime)
    await enrol(uri, name="first", http=http, now=clock.now())

    with pytest.raises(AuthenticatorError) as refused:
        await enrol(uri, name="second", http=http, now=clock.now())

    assert (refused.value.status, refused.value.code) == (401, "invalid_token")
    assert refused.value.description == "The enrolment ticket has already been used."


async def test_enrol_refuses_a_uri_without_a_ticket() -> None:
    with pytest.raises(ValueError, match="enrollment_tx_id"):
        await enrol("otpauth://totp/Twofold:a?secret=ABC&issuer=Twofold", name="x")


def _account(device_id: str = "push|dev_AAAAAAAAAAAAAAAA") -> Account:
    return Account(
        issuer="Twofold",
        base_url="https://mfa.example.test/",
        device_id=device_id,
        user_id="auth0|1",
        user_email="a@example.com",
        totp_secret="JBSWY3DPEHPK3PXP",
        key={"kty": "EC", "crv": "P-256", "x": "x", "y": "y", "d": "d"},
    )


def test_the_keystore_is_private_and_round_trips(tmp_path: Path) -> None:
    store = Keystore(tmp_path / "keys" / "accounts.json")
    store.add(_account())
    store.add(_account("push|dev_BBBBBBBBBBBBBBBB"))
    store.add(_account())

    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert [a.device_id for a in store.load()] == [
        "push|dev_BBBBBBBBBBBBBBBB",
        "push|dev_AAAAAAAAAAAAAAAA",
    ]
    assert sorted(os.listdir(store.path.parent)) == ["accounts.json"]
    store.remove("push|dev_BBBBBBBBBBBBBBBB")
    assert store.load() == [_account()]


def test_the_keystore_refuses_a_file_others_can_read(tmp_path: Path) -> None:
    store = Keystore(tmp_path / "accounts.json")
    store.save([_account()])
    store.path.chmod(0o644)

    with pytest.raises(KeystoreError, match="readable by others"):
        store.load()


def test_the_keystore_refuses_what_is_not_a_keystore(tmp_path: Path) -> None:
    path = tmp_path / "accounts.json"
    path.write_text("[]")
    path.chmod(0o600)

    with pytest.raises(KeystoreError, match="not a Twofold keystore"):
        Keystore(path).load()


def test_a_missing_keystore_is_empty(tmp_path: Path) -> None:
    assert Keystore(tmp_path / "none.json").load() == []


def test_totp_matches_rfc_6238_vectors() -> None:
    """RFC 6238 appendix B, SHA1, 8 digits, secret "12345678901234567890"."""
    account = Account(
        issuer="t",
        base_url="https://t.test/",
        device_id="d",
        user_id="u",
        user_email="e",
        totp_secret="GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        key={},
        digits=8,
    )
    for seconds, expected in ((59, "94287082"), (1111111109, "07081804"), (2000000000, "69279037")):
        assert totp_now(account, now=dt.datetime.fromtimestamp(seconds, dt.UTC)) == expected
