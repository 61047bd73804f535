"""From settings to the third-party push senders the push core hands messages to.

Only the configured providers are built; one configured by halves is refused at start-up,
since it would otherwise fail on the first sign-in that needs it. The stream provider is
the push core's own and is not built here.
"""

from __future__ import annotations

import asyncio
import ssl

from pydantic import BaseModel

from twofold.channels.factory import ChannelConfigError
from twofold.channels.push.apns import ApnsKeyError, ApnsSender, load_signing_key, quiet_hpack
from twofold.channels.push.base import PushProvider, PushSender
from twofold.channels.push.fcm import FcmSender, ServiceAccountError, load_service_account
from twofold.channels.push.webpush import (
    EndpointGuard,
    VapidKeyError,
    WebPushSender,
    load_vapid_key,
)
from twofold.channels.retry import RetryPolicy, Sleep
from twofold.config import ApnsSettings, FcmSettings, Settings, WebPushSettings
from twofold.types import Clock

REQUIRED: dict[PushProvider, tuple[str, ...]] = {
    PushProvider.FCM: ("service_account_file",),
    PushProvider.APNS: ("team_id", "key_id", "key_file", "topic"),
    PushProvider.WEBPUSH: ("vapid_private_key_file", "subject"),
}


def _configured(provider: PushProvider, settings: BaseModel) -> bool:
    """False when untouched; True when complete; ChannelConfigError when in between."""
    required = REQUIRED[provider]
    missing = [name for name in required if not getattr(settings, name)]
    if not settings.model_fields_set and len(missing) == len(required):
        return False
    if missing:
        names = ", ".join(f"channels.push.{provider}.{name}" for name in missing)
        raise ChannelConfigError(f"push through {provider} also needs {names}")
    return True


def _fcm(config: FcmSettings, *, retry: RetryPolicy, clock: Clock) -> FcmSender:
    if config.service_account_file is None:
        raise ChannelConfigError("push through fcm needs a service account file")
    return FcmSender(
        load_service_account(config.service_account_file),
        base_url=config.base_url,
        token_uri=config.token_uri,
        timeout=config.timeout,
        retry=retry,
        clock=clock,
    )


def _apns(config: ApnsSettings, *, retry: RetryPolicy, clock: Clock) -> ApnsSender:
    if config.key_file is None:
        raise ChannelConfigError("push through apns needs a key file")
    verify: ssl.SSLContext | bool = True
    if config.ca_file is not None:
        try:
            verify = ssl.create_default_context(cafile=str(config.ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise ChannelConfigError(f"{config.ca_file} is not a readable PEM bundle") from exc
    quiet_hpack()
    return ApnsSender(
        team_id=config.team_id,
        key_id=config.key_id,
        key=load_signing_key(config.key_file),
        topic=config.topic,
        base_url=config.base_url,
        verify=verify,
        timeout=config.timeout,
        retry=retry,
        clock=clock,
    )


def _webpush(config: WebPushSettings, *, retry: RetryPolicy, clock: Clock) -> WebPushSender:
    if config.vapid_private_key_file is None:
        raise ChannelConfigError("push through webpush needs a VAPID key file")
    return WebPushSender(
        key=load_vapid_key(config.vapid_private_key_file),
        subject=config.subject,
        guard=EndpointGuard(tuple(config.allowed_hosts), allow_insecure=config.allow_insecure),
        timeout=config.timeout,
        retry=retry,
        clock=clock,
    )


def build_push_senders(
    settings: Settings, *, clock: Clock, sleep: Sleep = asyncio.sleep
) -> dict[PushProvider, PushSender]:
    """The configured FCM, APNs and Web Push senders; ChannelConfigError if one cannot work
    (half-configured, or an unreadable key file). `sleep` is the wait between retries."""
    config = settings.channels
    push = config.push
    retry = RetryPolicy(attempts=config.retry_attempts, backoff=config.retry_backoff, sleep=sleep)
    senders: dict[PushProvider, PushSender] = {}
    try:
        if _configured(PushProvider.FCM, push.fcm):
            senders[PushProvider.FCM] = _fcm(push.fcm, retry=retry, clock=clock)
        if _configured(PushProvider.APNS, push.apns):
            senders[PushProvider.APNS] = _apns(push.apns, retry=retry, clock=clock)
        if _configured(PushProvider.WEBPUSH, push.webpush):
            senders[PushProvider.WEBPUSH] = _webpush(push.webpush, retry=retry, clock=clock)
    except (ServiceAccountError, ApnsKeyError, VapidKeyError) as exc:
        raise ChannelConfigError(str(exc)) from exc
    return senders
