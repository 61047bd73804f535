"""What the push page shows (web layer): where it listens for the answer, and the refusals
of sending or completing a push as a person reads them."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from twofold.domain import Authenticator, AuthorizationRequest
from twofold.errors import (
    InvalidGrantError,
    NotFoundError,
    PushExpiredError,
    PushPausedError,
    PushRejectedError,
    TooManyPushError,
)
from twofold.flows.hosted_push import SentPush
from twofold.flows.push_delivery import PushDeliveryError
from twofold.flows.push_limits import PAUSED_DESCRIPTION
from twofold.web.mfa_view import page_url

SENT_AGAIN = "We sent a new sign-in request."
PAUSED = (
    "Sign-in requests to your phone are paused after one was reported as not you. Use another"
    " method, or ask your administrator to clear the pause."
)
PAUSED_AFTER_DENIALS = (
    "Sign-in requests to your phone are paused for a while after several were denied. Use"
    " another method."
)
UNREACHABLE = (
    "We could not reach your device. Enter a code from the app instead, or try again in a moment."
)
DENIED = "The request was denied on your device."
EXPIRED = "The request expired before it was answered. Send a new one."
GONE = "This sign-in request is no longer valid. Send a new one."

REFUSALS = (TooManyPushError, PushPausedError, PushDeliveryError, InvalidGrantError)
"""Why a push was not sent: the fatigue limits, a dead device, a device that is gone."""
UNFINISHED = (PushRejectedError, PushExpiredError, NotFoundError, InvalidGrantError)
"""Why a completing post did not pass: denied, expired, used, or not this session's."""


def refusal(exc: Exception, now: dt.datetime) -> tuple[str, int]:
    """The message and status for a push that was not sent."""
    if isinstance(exc, PushPausedError):
        return PAUSED, 403
    if isinstance(exc, TooManyPushError):
        if exc.description == PAUSED_DESCRIPTION:
            return PAUSED_AFTER_DENIALS, 429
        minutes = max(1, math.ceil((exc.retry_at - now).total_seconds() / 60))
        wait = f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"
        return f"Too many sign-in requests were sent. Try again in {wait}.", 429
    if isinstance(exc, PushDeliveryError):
        return UNREACHABLE, 503
    return getattr(exc, "description", GONE), 403


def unfinished(exc: Exception) -> str:
    """The message for a completing post that did not pass the MFA step."""
    if isinstance(exc, PushRejectedError):
        return DENIED
    if isinstance(exc, PushExpiredError):
        return EXPIRED
    return GONE


def context(
    auth_request: AuthorizationRequest, device: Authenticator | None, push: SentPush | None
) -> dict[str, Any]:
    """The push page's values: the push waited for, its event and status URLs, and the
    link to the same device's codes."""
    if device is None:
        return {"push": None}
    factor = device.type.value
    return {
        "push": push,
        "push_events_url": page_url("/u/mfa/push/events", auth_request, txn=push.txn)
        if push
        else None,
        "push_status_url": page_url("/u/mfa/push/status", auth_request, txn=push.txn)
        if push
        else None,
        "push_code_url": page_url(
            "/u/mfa", auth_request, factor=factor, authenticator=device.id, use="code"
        ),
    }
