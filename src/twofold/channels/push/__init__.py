"""Push notifications to authenticator devices through FCM, APNs and Web Push (issue 7).

`build_push_senders(settings, clock=...)` gives one `PushSender` per configured provider;
the push core owns the stream channel and decides what to do with each `PushResult`.
"""

from twofold.channels.push.base import (
    PushAddress,
    PushMessage,
    PushOutcome,
    PushProvider,
    PushResult,
    PushSender,
)
from twofold.channels.push.factory import build_push_senders
from twofold.channels.push.webpush import EndpointGuard, SubscriptionError, parse_subscription

__all__ = [
    "EndpointGuard",
    "PushAddress",
    "PushMessage",
    "PushOutcome",
    "PushProvider",
    "PushResult",
    "PushSender",
    "SubscriptionError",
    "build_push_senders",
    "parse_subscription",
]
