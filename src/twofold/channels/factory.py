"""From settings to the three channels and their templates: what app.py hands the flows."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass

from twofold.channels.base import EmailSender, SmsSender, VoiceCaller
from twofold.channels.console import OUTBOX_NAME, ConsoleEmail, ConsoleSms, ConsoleVoice, Outbox
from twofold.channels.messages import MessageTemplates
from twofold.channels.retry import RetryPolicy, Sleep
from twofold.channels.smtp import SmtpEmail
from twofold.channels.twilio import TwilioClient, TwilioSms, TwilioVoice
from twofold.channels.webhook import WebhookSms
from twofold.clock import SystemClock
from twofold.config import ChannelSettings, Settings
from twofold.types import Clock


class ChannelConfigError(Exception):
    """The channel settings cannot work together (checked once, at start-up)."""


@dataclass(frozen=True, slots=True)
class Channels:
    sms: SmsSender
    voice: VoiceCaller
    email: EmailSender
    messages: MessageTemplates


def _refuse_outbox_behind_https(settings: Settings) -> None:
    """ADR 007: an outbox file of live codes is for development, not a public server."""
    config = settings.channels
    console = [
        medium
        for medium, provider in (
            ("sms", config.sms.provider),
            ("voice", config.voice.provider),
            ("email", config.email.provider),
        )
        if provider == "console"
    ]
    if console and settings.issuer.startswith("https://") and not config.allow_outbox:
        raise ChannelConfigError(
            f"the console provider ({', '.join(console)}) writes live codes to a file; with an"
            " https issuer set a real provider, or TWOFOLD_CHANNELS__ALLOW_OUTBOX=true"
        )


def _tls_context(config: ChannelSettings) -> ssl.SSLContext | None:
    if config.smtp.ca_file is None:
        return None  # aiosmtplib's default: the system's trust store, hostnames checked
    return ssl.create_default_context(cafile=str(config.smtp.ca_file))


def _smtp(config: ChannelSettings, *, retry: RetryPolicy, clock: Clock) -> SmtpEmail:
    smtp = config.smtp
    return SmtpEmail(
        host=smtp.host,
        port=smtp.resolved_port,
        security=smtp.security,
        username=smtp.username,
        password=smtp.password.get_secret_value() if smtp.password else None,
        timeout=smtp.timeout,
        from_address=config.email.from_address,
        tls_context=_tls_context(config),
        retry=retry,
        clock=clock,
    )


def _sms(
    config: ChannelSettings,
    *,
    twilio: TwilioClient,
    outbox: Outbox,
    retry: RetryPolicy,
    clock: Clock,
) -> SmsSender:
    if config.sms.provider == "twilio":
        return TwilioSms(twilio)
    if config.sms.provider == "webhook":
        return WebhookSms(
            url=config.webhook.url,
            secret=config.webhook.secret.get_secret_value(),
            timeout=config.webhook.timeout,
            retry=retry,
            clock=clock,
        )
    return ConsoleSms(outbox)


def build_channels(
    settings: Settings, *, clock: Clock | None = None, sleep: Sleep = asyncio.sleep
) -> Channels:
    """The configured adapters; ChannelConfigError (or MessageTemplateError) if they cannot
    work. `sleep` is the wait between retries, injected by tests that must not wait."""
    _refuse_outbox_behind_https(settings)
    clock = clock or SystemClock()
    config = settings.channels
    retry = RetryPolicy(attempts=config.retry_attempts, backoff=config.retry_backoff, sleep=sleep)
    outbox = Outbox(settings.data_dir / OUTBOX_NAME, clock=clock)
    twilio = TwilioClient(
        account_sid=config.twilio.account_sid,
        auth_token=config.twilio.auth_token.get_secret_value(),
        from_number=config.twilio.from_number,
        base_url=config.twilio.base_url,
        timeout=config.twilio.timeout,
        retry=retry,
    )
    voice: VoiceCaller = (
        TwilioVoice(twilio) if config.voice.provider == "twilio" else ConsoleVoice(outbox)
    )
    email: EmailSender = (
        _smtp(config, retry=retry, clock=clock)
        if config.email.provider == "smtp"
        else ConsoleEmail(outbox)
    )
    messages = MessageTemplates(config.template_dir)
    messages.check()
    return Channels(
        sms=_sms(config, twilio=twilio, outbox=outbox, retry=retry, clock=clock),
        voice=voice,
        email=email,
        messages=messages,
    )
