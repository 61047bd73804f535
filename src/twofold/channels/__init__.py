"""Every outbound call to a third party that delivers a code: SMS, voice call, email (ADR 007).

One protocol per medium (`SmsSender`, `VoiceCaller`, `EmailSender`), small adapters behind
each (Twilio, a signed webhook, SMTP, the console outbox), bounded retries with every attempt
reported, and Jinja2 message templates per locale. `build_channels(settings)` composes them.
"""

from twofold.channels.base import (
    Attempt,
    Delivery,
    DeliveryError,
    EmailSender,
    OutboundCall,
    OutboundEmail,
    OutboundSms,
    SmsSender,
    VoiceCaller,
)
from twofold.channels.factory import ChannelConfigError, Channels, build_channels
from twofold.channels.messages import MessageContext, MessageTemplateError, MessageTemplates
from twofold.channels.webhook import WebhookSignatureError, verify_webhook_signature

__all__ = [
    "Attempt",
    "ChannelConfigError",
    "Channels",
    "Delivery",
    "DeliveryError",
    "EmailSender",
    "MessageContext",
    "MessageTemplateError",
    "MessageTemplates",
    "OutboundCall",
    "OutboundEmail",
    "OutboundSms",
    "SmsSender",
    "VoiceCaller",
    "WebhookSignatureError",
    "build_channels",
    "verify_webhook_signature",
]
