"""What every channel speaks: outbound messages, the delivery report, and one protocol per medium.

Channels sit in the store|channels layer: they call third parties and know nothing of flows.
Message fields that hold a code are left out of `repr`, so a logged value never shows one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from twofold.errors import TwofoldError


@dataclass(frozen=True, slots=True)
class OutboundSms:
    to: str
    """E.164 (`+15005550006`)."""
    body: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class OutboundCall:
    to: str
    """E.164 (`+15005550006`)."""
    speech: str = field(repr=False)
    """What to say once; the code in it is already spelled digit by digit."""
    locale: str = "en"
    """The language `speech` is in, so the voice reads it with the right accent."""


@dataclass(frozen=True, slots=True)
class OutboundEmail:
    to: str
    subject: str
    text: str = field(repr=False)
    html: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try at handing a message to a provider, as the audit log records it."""

    provider: str
    """`twilio`, `webhook`, `smtp` or `console`."""
    status: str
    """The provider's answer (`201`, `503`, SMTP `250`/`451`), or `timeout`/`connection_error`."""
    duration: float
    """Seconds this attempt took."""
    delivered: bool
    detail: str = ""
    """The provider's own error code, when it gave one (`twilio 21211`); never message text."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """A message the provider accepted; `attempts` ends with the one that succeeded."""

    provider: str
    reference: str | None
    """The provider's id for the message (Twilio's sid, the mail's Message-ID)."""
    attempts: tuple[Attempt, ...]


class DeliveryError(TwofoldError):
    """Every attempt failed, or the provider refused the message for good (a 4xx).

    Carries the attempts for the audit log; the message, which holds the code, is never in it.
    The challenge that wanted to send stays valid, so the user can ask for a resend.
    """

    code = "delivery_failed"
    description = "The code could not be delivered. Try again in a moment."

    def __init__(self, *, provider: str, attempts: tuple[Attempt, ...]) -> None:
        super().__init__()
        self.provider = provider
        self.attempts = attempts

    @property
    def status(self) -> str:
        """The last answer, the one that ended the delivery."""
        return self.attempts[-1].status if self.attempts else "not_attempted"


class SmsSender(Protocol):
    async def send_sms(self, message: OutboundSms) -> Delivery:
        """Hand the text to the provider, retrying its transient failures; or DeliveryError."""
        ...


class VoiceCaller(Protocol):
    async def call(self, message: OutboundCall) -> Delivery:
        """Place a call that reads the code aloud; or DeliveryError."""
        ...


class EmailSender(Protocol):
    async def send_email(self, message: OutboundEmail) -> Delivery:
        """Hand the mail to the relay; or DeliveryError."""
        ...
