"""From settings to channels: provider choice, the outbox refused behind https, and the
settings that cannot work together refused when they are read."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from tests.channels.conftest import Waits
from twofold.channels import ChannelConfigError, MessageTemplateError, build_channels
from twofold.channels.console import ConsoleEmail, ConsoleSms, ConsoleVoice
from twofold.channels.smtp import SmtpEmail
from twofold.channels.twilio import TwilioSms, TwilioVoice
from twofold.channels.webhook import WebhookSms
from twofold.clock import FrozenClock
from twofold.config import ChannelSettings, Settings

TWILIO = {
    "account_sid": "AC0123",
    "auth_token": "token",
    "from_number": "+15005550006",
}
REAL = {
    "sms": {"provider": "twilio"},
    "voice": {"provider": "twilio"},
    "email": {"provider": "smtp", "from_address": "no-reply@example.com"},
    "twilio": TWILIO,
    "smtp": {"host": "smtp.example.com"},
}


def test_nothing_configured_means_the_console_everywhere(tmp_path: Path) -> None:
    channels = build_channels(Settings(data_dir=tmp_path))

    assert (type(channels.sms), type(channels.voice), type(channels.email)) == (
        ConsoleSms,
        ConsoleVoice,
        ConsoleEmail,
    )


def test_the_chosen_providers_are_built(tmp_path: Path, waits: Waits, clock: FrozenClock) -> None:
    settings = Settings(data_dir=tmp_path, channels=ChannelSettings.model_validate(REAL))

    channels = build_channels(settings, clock=clock, sleep=waits)

    assert (type(channels.sms), type(channels.voice), type(channels.email)) == (
        TwilioSms,
        TwilioVoice,
        SmtpEmail,
    )


def test_the_environment_configures_the_webhook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWOFOLD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TWOFOLD_CHANNELS__SMS__PROVIDER", "webhook")
    monkeypatch.setenv("TWOFOLD_CHANNELS__WEBHOOK__URL", "https://sms.example.com/send")
    monkeypatch.setenv("TWOFOLD_CHANNELS__WEBHOOK__SECRET", "s" * 32)
    monkeypatch.setenv("TWOFOLD_CHANNELS__RETRY_ATTEMPTS", "2")

    settings = Settings()

    assert settings.channels.webhook.secret.get_secret_value() == "s" * 32
    assert "s" * 32 not in repr(settings)
    assert settings.channels.retry_attempts == 2
    assert isinstance(build_channels(settings).sms, WebhookSms)


@pytest.mark.parametrize(
    "channels",
    [{}, {"sms": {"provider": "twilio"}, "twilio": TWILIO}],
    ids=["all-console", "voice-and-email-console"],
)
def test_the_outbox_is_refused_behind_an_https_issuer(
    tmp_path: Path, channels: dict[str, object]
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        issuer="https://login.example.com/",
        channels=ChannelSettings.model_validate(channels),
    )

    with pytest.raises(ChannelConfigError, match="writes live codes to a file"):
        build_channels(settings)


def test_the_outbox_behind_https_when_the_operator_allows_it(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        issuer="https://login.example.com/",
        channels=ChannelSettings(allow_outbox=True),
    )

    assert isinstance(build_channels(settings).sms, ConsoleSms)


def test_real_providers_behind_https_need_no_permission(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        issuer="https://login.example.com/",
        channels=ChannelSettings.model_validate(REAL),
    )

    assert isinstance(build_channels(settings).email, SmtpEmail)


def test_a_broken_operator_template_stops_the_build(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "sms.txt").write_text("{% if %}")
    settings = Settings(data_dir=tmp_path, channels=ChannelSettings(template_dir=tmp_path))

    with pytest.raises(MessageTemplateError, match=r"template en/sms\.txt"):
        build_channels(settings)


@pytest.mark.parametrize(
    ("channels", "reason"),
    [
        (
            {"voice": {"provider": "twilio"}},
            "the chosen providers need twilio.account_sid, twilio.auth_token, twilio.from_number",
        ),
        (
            {"sms": {"provider": "webhook"}, "webhook": {"url": "https://sms.example.com"}},
            "the chosen providers need webhook.secret",
        ),
        (
            {"email": {"provider": "smtp"}},
            "the chosen providers need smtp.host, email.from_address",
        ),
        ({"webhook": {"secret": "short"}}, "at least 32 characters"),
        ({"twilio": {"base_url": "http://api.twilio.com"}}, "must be an https URL"),
        ({"webhook": {"url": "ftp://127.0.0.1/"}}, "must be an https URL"),
        ({"smtp": {"username": "u"}}, "SMTP username and password go together"),
        (
            {"smtp": {"username": "u", "password": "p", "security": "none"}},
            "SMTP credentials are sent only over tls or starttls",
        ),
        ({"retry_attempts": 6}, "less than or equal to 5"),
        ({"retry_backoff": 3}, "less than or equal to 2"),
    ],
    ids=[
        "twilio-incomplete",
        "webhook-unsigned",
        "smtp-incomplete",
        "short-secret",
        "plain-http",
        "other-scheme",
        "username-alone",
        "credentials-in-clear",
        "too-many-attempts",
        "long-backoff",
    ],
)
def test_settings_that_cannot_work_are_refused(channels: dict[str, object], reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        ChannelSettings.model_validate(channels)


@pytest.mark.parametrize(("security", "port"), [("tls", 465), ("starttls", 587), ("none", 25)])
def test_the_smtp_port_follows_the_security_unless_given(security: str, port: int) -> None:
    smtp = ChannelSettings.model_validate({"smtp": {"security": security}}).smtp

    assert smtp.resolved_port == port
    assert ChannelSettings.model_validate({"smtp": {"port": 2525}}).smtp.resolved_port == 2525
