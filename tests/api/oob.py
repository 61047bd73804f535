"""Out-of-band codes over the MFA API: an app whose channels deliver to loopback fakes (a
Twilio speaking the REST wire format, a real SMTP relay with STARTTLS and AUTH), the tenant's
sms and email factors switched on through the Management API, and the HTTP steps."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
from pydantic import SecretStr

from tests.api.conftest import TokenFactory
from tests.api.helpers import associate, code, mfa_token, otp_grant
from tests.builders import Client, Person, a_client, a_user, an_ip
from tests.fakes.smtp import PASSWORD, USERNAME, Relay, make_certificate, smtp_server
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio, fake_twilio
from twofold.app import build_runtime, close_runtime, create_app
from twofold.clock import FrozenClock
from twofold.config import ChannelSettings, Settings
from twofold.domain import AuditRecord
from twofold.flows.runtime import Runtime
from twofold.store.repos import audit as audit_repo

MFA_OOB = "http://auth0.com/oauth/grant-type/mfa-oob"
FROM_ADDRESS = "Example <no-reply@example.com>"
SIX_DIGITS = re.compile(r"\b(\d{6})\b")


@dataclass
class Oob:
    rt: Runtime
    http: httpx.AsyncClient
    twilio: FakeTwilio
    relay: Relay


def channel_settings(twilio: FakeTwilio, *, smtp_port: int, ca_file: Path) -> ChannelSettings:
    """SMS and voice through the fake Twilio, email through the relay; no waits between
    retries (the retry policy itself is tested in tests/channels)."""
    return ChannelSettings.model_validate(
        {
            "sms": {"provider": "twilio"},
            "voice": {"provider": "twilio"},
            "email": {"provider": "smtp", "from_address": FROM_ADDRESS},
            "twilio": {
                "account_sid": ACCOUNT_SID,
                "auth_token": SecretStr(AUTH_TOKEN),
                "from_number": FROM_NUMBER,
                "base_url": twilio.url,
                "timeout": 0.5,
            },
            "smtp": {
                "host": "127.0.0.1",
                "port": smtp_port,
                "security": "starttls",
                "username": USERNAME,
                "password": SecretStr(PASSWORD),
                "timeout": 5.0,
                "ca_file": ca_file,
            },
            "retry_attempts": 3,
            "retry_backoff": 0,
        }
    )


async def factors_on(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    """Guardian's sms and email factors on, as an operator would (Auth0 has them off)."""
    writer = await auth("update:guardian_factors")
    for name in ("sms", "email"):
        response = await client.put(
            f"/api/v2/guardian/factors/{name}", json={"enabled": True}, headers=writer
        )
        assert response.json() == {"enabled": True}


@asynccontextmanager
async def oob_app(
    settings: Settings, clock: FrozenClock, tmp_path: Path, **oob_changes: Any
) -> AsyncIterator[Oob]:
    """An app on the shared database whose channels are the loopback fakes; `oob_changes`
    adjust its out-of-band settings (`countries_denied=["FR"]`...)."""
    certificate = make_certificate(tmp_path)
    relay = Relay()
    with fake_twilio() as twilio:
        async with smtp_server(relay, certificate, security="starttls") as port:
            channels = channel_settings(twilio, smtp_port=port, ca_file=certificate.cert_path)
            oob_settings = settings.oob.model_copy(update=oob_changes)
            custom = settings.model_copy(update={"channels": channels, "oob": oob_settings})
            rt = await build_runtime(custom, clock=clock)
            app = create_app(custom, runtime=rt)
            transport = httpx.ASGITransport(app=app, client=(an_ip(), 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://twofold.test") as h:
                yield Oob(rt=rt, http=h, twilio=twilio, relay=relay)
            await close_runtime(rt)


@pytest.fixture
async def oob(  # noqa: PLR0917 - pytest passes fixtures by name
    settings: Settings,
    clock: FrozenClock,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    tenant: None,
    tmp_path: Path,
) -> AsyncIterator[Oob]:
    """An app on the shared database whose channels are the loopback fakes, with the sms
    and email factors on (`tenant` puts the factors back afterwards)."""
    await factors_on(client, auth)
    async with oob_app(settings, clock, tmp_path) as app:
        yield app


def a_number() -> str:
    """A fresh valid US number, so no other test shares its destination bucket."""
    return f"+1415{secrets.randbelow(8) + 2}{secrets.randbelow(10**6):06d}"


def code_in(text: str) -> str:
    codes = SIX_DIGITS.findall(text)
    assert len(codes) == 1, codes
    return str(codes[0])


def last_sms(twilio: FakeTwilio, to: str) -> str:
    """The code of the latest SMS Twilio received for `to`."""
    return code_in([m for m in twilio.messages() if m["To"] == to][-1]["Body"])


def last_call(twilio: FakeTwilio, to: str) -> str:
    """The code the latest call to `to` reads out (digit by digit, twice, in its TwiML)."""
    twiml = [c for c in twilio.calls() if c["To"] == to][-1]["Twiml"]
    spoken = [say.text or "" for say in ElementTree.fromstring(twiml).iter("Say")]  # noqa: S314
    assert len(spoken) == 2, spoken
    assert spoken[0] == spoken[1], spoken
    return "".join(re.findall(r"\d", spoken[0]))


def last_mail(relay: Relay, to: str) -> str:
    mail = [m for m in relay.mails if m.recipients == [to]][-1]
    assert code_in(mail.part("html")) == code_in(mail.part("plain"))
    return code_in(mail.part("plain"))


async def with_otp(oob: Oob, clock: FrozenClock) -> tuple[Client, Person, str]:
    """A user with an active OTP; returns the client, the person and an `enroll` token."""
    app, person = await a_client(oob.rt), await a_user(oob.rt)
    token = await mfa_token(
        oob.http, app, person, audience=oob.rt.settings.mfa_audience, scope="enroll"
    )
    first = (await associate(oob.http, token)).json()
    granted = await otp_grant(oob.http, app, token, code(first["secret"], clock.now()))
    assert granted.status_code == 200, granted.text
    return app, person, granted.json()["access_token"]


async def associate_oob(
    http: httpx.AsyncClient, bearer: str, channel: str, **destination: str
) -> httpx.Response:
    return await http.post(
        "/mfa/associate",
        headers={"authorization": f"Bearer {bearer}"},
        json={"authenticator_types": ["oob"], "oob_channels": [channel], **destination},
    )


async def oob_grant(
    http: httpx.AsyncClient, client: Client, token: str, oob_code: str, binding_code: str
) -> httpx.Response:
    return await http.post(
        "/oauth/token",
        data={
            "grant_type": MFA_OOB,
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "mfa_token": token,
            "oob_code": oob_code,
            "binding_code": binding_code,
        },
    )


async def challenge(
    http: httpx.AsyncClient, client: Client, token: str, **extra: Any
) -> httpx.Response:
    return await http.post(
        "/mfa/challenge",
        json={
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "mfa_token": token,
            "challenge_type": "oob",
            **extra,
        },
    )


async def audit_of(rt: Runtime, user_id: str, type_: str) -> list[AuditRecord]:
    async with rt.store.read() as tx:
        page = await audit_repo.search(tx.conn, user_id=user_id, per_page=100, ascending=True)
    return [record for record in page.items if record.type == type_]
