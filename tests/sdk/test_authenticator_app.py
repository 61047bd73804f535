"""The `twofold-authenticator` terminal app, driven in a pseudo-terminal (pexpect) against a
real Twofold listening on 127.0.0.1: enrol from a barcode URI or a QR image, show a code the
`mfa-otp` grant accepts, answer pushes with the number from the challenge, remove, and fail
with one line and status 2."""

from __future__ import annotations

import io
import json
import re
import socket
import stat
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pexpect
import pytest
import segno
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.helpers import mfa_token, otp_grant
from tests.browser.server import LiveServer
from tests.builders import Client, Person, a_client, a_user
from tests.push.devices import associate_push, enable_push
from tests.push.pushes import challenge, poll
from twofold.config import Settings
from twofold.flows.runtime import Runtime
from twofold.flows.tenant import DEFAULT_FACTORS
from twofold.sdk.authenticator import Keystore, device_token
from twofold.sdk.authenticator.answer import system_now

PROGRAM = [sys.executable, "-m", "twofold.sdk.authenticator.app"]
TIMEOUT = 30
TICKET_LIFETIME = 300
REJECTED = "MFA Authorization rejected."


@dataclass(frozen=True, slots=True)
class Device:
    """A user whose push device is this terminal app, enrolled through the real program."""

    person: Person
    app: Client
    config: Path
    """The app's `$XDG_CONFIG_HOME`."""
    transcript: str

    @property
    def keys(self) -> Path:
        return self.config / "twofold-authenticator" / "keys.json"


@pytest.fixture(scope="module")
def live(settings: Settings, engine: AsyncEngine) -> Iterator[LiveServer]:
    del engine  # the schema
    server = LiveServer(settings)
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def _push_setting(rt: Runtime, *, enabled: bool | None) -> bool:
    """Set the push factor (None: leave it) and return what it was."""
    async with rt.store.transaction() as tx:
        overrides = await tx.tenant.factor_overrides()
    before = overrides.get("push-notification", DEFAULT_FACTORS.get("push-notification", False))
    if enabled is not None:
        await enable_push(rt, enabled=enabled)
    return before


@pytest.fixture
async def http(live: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the live server, with push on for the test and put back afterwards."""
    live.clock.reset()
    before = await live.run(_push_setting, enabled=True)
    try:
        async with httpx.AsyncClient(base_url=live.url, timeout=TIMEOUT) as client:
            yield client
    finally:
        live.clock.reset()
        await live.run(_push_setting, enabled=before)


class Programs:
    """Starts the program in a pseudo-terminal, with everything it shows kept in
    `logfile_read`; whatever still runs when the test ends is killed (an open event stream
    would keep the live server from stopping)."""

    def __init__(self, config: Path) -> None:
        self.config = config
        """The program's `$XDG_CONFIG_HOME` (and `$HOME`)."""
        self.started: list[pexpect.spawn[str]] = []

    def __call__(self, *args: str) -> pexpect.spawn[str]:
        child = pexpect.spawn(
            PROGRAM[0],
            [*PROGRAM[1:], *args],
            env={
                "XDG_CONFIG_HOME": str(self.config),
                "HOME": str(self.config),
                "PATH": "/usr/bin:/bin",
            },
            encoding="utf-8",
            timeout=TIMEOUT,
            dimensions=(40, 200),
        )
        child.logfile_read = io.StringIO()
        self.started.append(child)
        return child

    def stop(self) -> None:
        for child in self.started:
            if child.isalive():
                child.terminate(force=True)


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Programs]:
    programs = Programs(tmp_path)
    try:
        yield programs
    finally:
        programs.stop()


def screen(child: pexpect.spawn[str]) -> str:
    log = child.logfile_read
    assert isinstance(log, io.StringIO)
    return log.getvalue()


def finish(child: pexpect.spawn[str]) -> tuple[int, str]:
    """Wait for the program to end: its exit status and everything it showed."""
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus is not None, child.signalstatus
    return child.exitstatus, screen(child)


@dataclass(frozen=True, slots=True)
class Invitation:
    """A new user and application, and `/mfa/associate`'s answer for a push device."""

    person: Person
    app: Client
    mfa_token: str
    barcode_uri: str
    oob_code: str


async def an_invitation(live: LiveServer, http: httpx.AsyncClient) -> Invitation:
    person, app = await live.run(a_user), await live.run(a_client)
    token = await mfa_token(http, app, person)
    response = await associate_push(http, token)
    assert response.status_code == 200, response.text
    body = response.json()
    return Invitation(person, app, token, body["barcode_uri"], body["oob_code"])


async def an_enrolled_device(live: LiveServer, http: httpx.AsyncClient, spawn: Programs) -> Device:
    invited = await an_invitation(live, http)

    status, output = finish(spawn("enrol", invited.barcode_uri, "--name", "Terminal"))

    assert status == 0, output
    assert f"Enrolled Twofold:{invited.person.email} as 'Terminal'" in output
    confirmed = await poll(http, invited.app, invited.mfa_token, invited.oob_code)
    assert confirmed.status_code == 200, confirmed.text
    return Device(invited.person, invited.app, spawn.config, output)


def secrets_in(keys: Path) -> list[str]:
    """What must never appear on screen: the private key and the TOTP seed."""
    return [
        value
        for account in json.loads(keys.read_text())["accounts"]
        for value in (account["totp_secret"], account["key"]["d"])
    ]


async def test_enrol_keeps_a_private_keystore_and_codes_pass_the_otp_grant(
    live: LiveServer, http: httpx.AsyncClient, spawn: Programs
) -> None:
    device = await an_enrolled_device(live, http, spawn)

    assert stat.S_IMODE(device.keys.stat().st_mode) == 0o600
    assert stat.S_IMODE(device.keys.parent.stat().st_mode) == 0o700
    status, output = finish(spawn("codes"))

    assert status == 0, output
    shown = re.search(rf"Twofold  {re.escape(device.person.email)}  (\d{{6}}) +\d+s left", output)
    assert shown is not None, output
    token = await mfa_token(http, device.app, device.person)
    granted = await otp_grant(http, device.app, token, shown.group(1))
    assert granted.status_code == 200, granted.text
    for secret in secrets_in(device.keys):
        assert secret not in device.transcript + output


async def _prompted(
    child: pexpect.spawn[str], http: httpx.AsyncClient, device: Device
) -> tuple[str, dict[str, Any]]:
    """Challenge the device's user; once the app shows the request, the `mfa_token`, the
    `oob_code`, after checking the app offers the challenge's number among three."""
    token = await mfa_token(http, device.app, device.person)
    response = await challenge(http, device.app, token)
    assert response.status_code == 200, response.text
    body = response.json()
    child.expect(r"Sign-in request for (.+) — is this you\?")
    child.expect(r"Numbers: (\d+)   (\d+)   (\d+)")
    numbers = child.match
    assert isinstance(numbers, re.Match)
    shown = {numbers.group(n) for n in (1, 2, 3)}
    assert len(shown) == 3
    assert body["number"] in shown
    child.expect("Type the number shown on the sign-in page")
    return token, body


async def test_listen_approves_with_the_number_and_denies_with_n(
    live: LiveServer, http: httpx.AsyncClient, spawn: Programs
) -> None:
    device = await an_enrolled_device(live, http, spawn)
    child = spawn("listen")
    child.expect("Waiting for sign-in requests")

    token, body = await _prompted(child, http, device)
    child.sendline(body["number"])
    child.expect("Approved")
    granted = await poll(http, device.app, token, body["oob_code"])
    assert granted.status_code == 200, granted.text
    assert "access_token" in granted.json()

    token, body = await _prompted(child, http, device)
    child.sendline("n")
    child.expect("Denied.")
    refused = await poll(http, device.app, token, body["oob_code"])
    assert refused.status_code == 403, refused.text
    assert refused.json() == {"error": "invalid_grant", "error_description": REJECTED}

    child.sendeof()
    status, output = finish(child)
    assert status == 0, output
    for secret in secrets_in(device.keys):
        assert secret not in output


async def test_listen_reports_this_wasnt_me_and_pushes_pause(
    live: LiveServer, http: httpx.AsyncClient, spawn: Programs
) -> None:
    device = await an_enrolled_device(live, http, spawn)
    child = spawn("listen")
    child.expect("Waiting for sign-in requests")

    token, body = await _prompted(child, http, device)
    child.sendline("f")
    child.expect("Reported as not you")

    refused = await poll(http, device.app, token, body["oob_code"])
    assert refused.status_code == 403, refused.text
    assert refused.json()["error_description"] == REJECTED
    paused = await challenge(http, device.app, await mfa_token(http, device.app, device.person))
    assert paused.status_code == 403, paused.text
    assert paused.json()["error"] == "push_paused"


async def test_remove_unenrols_the_device_and_deletes_its_key(
    live: LiveServer, http: httpx.AsyncClient, spawn: Programs
) -> None:
    device = await an_enrolled_device(live, http, spawn)
    (account,) = Keystore(device.keys).load()

    status, output = finish(spawn("remove", device.person.email))

    assert status == 0, output
    assert f"Removed Twofold:{device.person.email}" in output
    assert Keystore(device.keys).load() == []
    me = await http.get(
        "/api/device/me",
        headers={"authorization": f"Bearer {device_token(account, now=system_now())}"},
    )
    assert me.status_code == 401, me.text
    # a key whose device the server no longer knows is forgotten too
    Keystore(device.keys).add(account)
    status, output = finish(spawn("remove", device.person.email))
    assert status == 0, output
    assert f"The server had already removed Twofold:{device.person.email}." in output
    assert Keystore(device.keys).load() == []


async def test_enrol_reads_the_qr_image(
    live: LiveServer, http: httpx.AsyncClient, spawn: Programs
) -> None:
    invited = await an_invitation(live, http)
    image = spawn.config / "qr.png"
    segno.make(invited.barcode_uri, error="m").save(str(image), scale=4)

    status, output = finish(spawn("enrol", "--qr", str(image), "--name", "From QR"))

    assert status == 0, output
    assert f"Enrolled Twofold:{invited.person.email} as 'From QR'" in output
    confirmed = await poll(http, invited.app, invited.mfa_token, invited.oob_code)
    assert confirmed.status_code == 200, confirmed.text


def one_error_line(spawn: Programs, *args: str) -> str:
    status, output = finish(spawn(*args))
    assert status == 2, output
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith("twofold-authenticator: "), output
    return lines[0].removeprefix("twofold-authenticator: ")


def a_closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_a_bad_uri_a_spent_or_expired_ticket_and_no_server_fail_in_one_line(
    live: LiveServer, http: httpx.AsyncClient, spawn: Programs
) -> None:
    assert "enrollment_tx_id" in one_error_line(
        spawn, "enrol", "otpauth://totp/Twofold:a?secret=ABC&issuer=Twofold"
    )
    nowhere = f"http%3A%2F%2F127.0.0.1%3A{a_closed_port()}%2F"
    assert one_error_line(
        spawn, "enrol", f"otpauth://totp/T:a?secret=A&enrollment_tx_id=x&base_url={nowhere}"
    ).startswith("cannot reach the server at http://127.0.0.1:")
    spent = await an_invitation(live, http)
    assert finish(spawn("enrol", spent.barcode_uri))[0] == 0
    assert one_error_line(spawn, "enrol", spent.barcode_uri) == (
        "the server refused the enrolment: The enrolment ticket has already been used. "
        "(invalid_token)"
    )
    late = await an_invitation(live, http)
    live.clock.advance(TICKET_LIFETIME + 1)
    expired = one_error_line(spawn, "enrol", late.barcode_uri)
    assert expired.startswith("the server refused the enrolment: "), expired
    assert expired.endswith("(invalid_token)"), expired
    assert one_error_line(spawn, "remove", "nobody@example.com").startswith("no account named")


async def test_a_keystore_others_can_read_is_refused(
    live: LiveServer, http: httpx.AsyncClient, spawn: Programs
) -> None:
    device = await an_enrolled_device(live, http, spawn)
    device.keys.chmod(0o644)

    assert "readable by others" in one_error_line(spawn, "codes")
