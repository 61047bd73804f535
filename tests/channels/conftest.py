"""Channels against loopback fakes: settings that point at them, and retry waits recorded
instead of waited. Nothing here touches the database, so both legs run it alike."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.fakes.smtp import Certificate, make_certificate
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio, fake_twilio
from tests.fakes.webhook import WebhookReceiver, webhook_receiver
from twofold.channels import Channels, MessageContext, build_channels
from twofold.clock import FrozenClock
from twofold.config import ChannelSettings, Settings, TwilioSettings

CODE = "042917"
CONTEXT = MessageContext(code=CODE, tenant_name="Example", minutes=5)
PHONE = "+33612345678"
SIX_DIGITS = re.compile(r"\b(\d{6})\b")


def code_in(text: str) -> str:
    """The one six-digit code a message carries, as a user would read it."""
    codes = SIX_DIGITS.findall(text)
    if len(codes) != 1:
        raise AssertionError(f"expected one code in the message, found {codes}")
    return str(codes[0])


class Waits:
    """Stands in for `asyncio.sleep` between retries: records each wait, returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with fake_twilio() as fake:
        yield fake


@pytest.fixture
def receiver(clock: FrozenClock) -> Iterator[WebhookReceiver]:
    with webhook_receiver(clock) as fake:
        yield fake


@pytest.fixture
def certificate(tmp_path: Path) -> Certificate:
    return make_certificate(tmp_path)


def twilio_settings(twilio: FakeTwilio, **overrides: object) -> TwilioSettings:
    values: dict[str, object] = {
        "account_sid": ACCOUNT_SID,
        "auth_token": SecretStr(AUTH_TOKEN),
        "from_number": FROM_NUMBER,
        "base_url": twilio.url,
        "timeout": 2.0,
    }
    return TwilioSettings.model_validate(values | overrides)


def channels_for(tmp_path: Path, clock: FrozenClock, waits: Waits, **channels: object) -> Channels:
    """`build_channels` on settings whose `channels` area is `channels`, data in tmp_path."""
    settings = Settings(data_dir=tmp_path, channels=ChannelSettings.model_validate(channels))
    return build_channels(settings, clock=clock, sleep=waits)
