"""What the pages say when a security key, a device or a passkey is refused, and the refusals
they catch. The browser's own errors (cancelled, timed out, no authenticator) never reach the
server: `static/webauthn.js` words those.

The API's descriptions speak to a program ("Invalid auth_session."); a person is told what
happened and what to do, and every message here ends with a way on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import MappingProxyType

from twofold.api.errors import status_of
from twofold.api.params import Params
from twofold.errors import (
    AccessDeniedError,
    ExpiredTokenError,
    InvalidGrantError,
    InvalidRequestError,
    TooManyAttemptsError,
    TwofoldError,
    WebauthnAssertionError,
    WebauthnCounterRegressionError,
    WebauthnRegistrationError,
)
from twofold.factors.webauthn.ceremony import MAX_RESPONSE_BYTES
from twofold.flows.hosted_webauthn import NoResponseError
from twofold.flows.passkeys import UNKNOWN
from twofold.web.mfa_view import locked_message

REFUSALS = (
    AccessDeniedError,
    ExpiredTokenError,
    InvalidGrantError,
    InvalidRequestError,
    TooManyAttemptsError,
)
"""What a WebAuthn answer or a new ceremony may raise that a page shows beside a new try
(the WebAuthn errors are InvalidGrantErrors)."""

TRY_AGAIN = "Try again."
EXPIRED = "That took too long. Try again."
SPENT = "This attempt was already used or has expired. Try again."
UNREADABLE = "Your browser's answer could not be read. Try again."
NOT_VERIFIED = "Your security key or device could not be verified. Try again."
CLONED = (
    "This security key could not be trusted: it may have been copied. Use another method, or"
    " ask your administrator for help."
)
PASSKEY_UNKNOWN = "This passkey is not registered here. Sign in with your email and password."
PASSKEY_REFUSED = (
    "We could not sign you in with this passkey. Try again, or sign in with your email and"
    " password."
)
MESSAGES: Mapping[type[TwofoldError], str] = MappingProxyType(
    {
        ExpiredTokenError: EXPIRED,
        InvalidGrantError: SPENT,
        InvalidRequestError: UNREADABLE,
        WebauthnAssertionError: NOT_VERIFIED,
        WebauthnCounterRegressionError: CLONED,
    }
)
"""By exact class: a refusal whose own description is written for a person (a registration
refused, a factor switched off, a missing answer) is shown as it is."""


def answer_of(form: Params) -> tuple[str | None, str | None]:
    """A ceremony form's `auth_session` handle and the browser's `authn_response` (JSON text,
    which the flow parses within its size cap)."""
    return (
        form.text("auth_session", max_length=100),
        form.text("authn_response", max_length=MAX_RESPONSE_BYTES),
    )


def message(exc: TwofoldError, now: dt.datetime) -> str:
    """What a security-key page says about a refusal."""
    if isinstance(exc, TooManyAttemptsError):
        return locked_message(exc.retry_at, now)
    if isinstance(exc, WebauthnRegistrationError | NoResponseError | AccessDeniedError):
        return exc.description
    return MESSAGES.get(type(exc), TRY_AGAIN)


def passkey_message(exc: TwofoldError, now: dt.datetime) -> str:
    """What the sign-in page says about a refused passkey: the password is the way on."""
    if isinstance(exc, TooManyAttemptsError):
        return locked_message(exc.retry_at, now)
    if isinstance(exc, WebauthnAssertionError) and exc.description == UNKNOWN:
        return PASSKEY_UNKNOWN
    if isinstance(exc, NoResponseError | AccessDeniedError):  # "Passkeys are not enabled."
        return exc.description
    return PASSKEY_REFUSED


def status(exc: TwofoldError) -> int:
    """As the code pages answer: 400 for an answer refused (a wrong code's status), 403 for
    a refusal by setting, 429 for a limit."""
    if isinstance(exc, TooManyAttemptsError | AccessDeniedError):
        return status_of(exc)
    return 400
