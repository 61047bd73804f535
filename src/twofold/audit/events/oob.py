"""Out-of-band sends: a code sent by SMS, voice call or email, or a send refused or failed.

Auth0 logs these as `gd_send_sms`, `gd_send_voice`, `gd_send_email` and their `_failure`
twins. The destination is recorded masked (`+1 ••• ••• 2671`) and the code never is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from twofold.audit.events.base import RequestFacts
from twofold.domain import AuditEntry, JsonObject

Medium = Literal["sms", "voice", "email"]
"""The `oob_channel` a code went through (the factors' `OobChannel`; audit cannot import it)."""

_NOUN: dict[Medium, str] = {"sms": "SMS", "voice": "Voice call", "email": "Email"}


@dataclass(frozen=True, slots=True, kw_only=True)
class _Send(RequestFacts):
    channel: Medium
    authenticator_id: str | None
    """None when no authenticator exists yet (an enrolment's first send)."""
    to: str
    """The destination, masked."""
    country: str | None = None
    """ISO region of a phone number: what SMS-pumping investigations group by."""

    def _details(self) -> JsonObject:
        details: JsonObject = {
            "channel": self.channel,
            "authenticator_id": self.authenticator_id,
            "to": self.to,
        }
        if self.country is not None:
            details["country"] = self.country
        return details


@dataclass(frozen=True, slots=True, kw_only=True)
class OobCodeSent(_Send):
    """A provider accepted the message (delivery to the handset is not known)."""

    provider: str
    attempts: int = 1
    """Tries it took, retries of provider errors included."""

    def entry(self) -> AuditEntry:
        details = self._details() | {"provider": self.provider, "attempts": self.attempts}
        description = f"{_NOUN[self.channel]} sent"
        return self._entry(f"gd_send_{self.channel}", description, "success", details)


@dataclass(frozen=True, slots=True, kw_only=True)
class OobSendFailed(_Send):
    """Nothing went out: a limit or the country lists refused it, or the provider failed."""

    reason: str
    """The error returned: `too_many_sms`, `sms_country_not_allowed`, `delivery_failed`..."""
    limit: str | None = None
    """Which bucket was empty for a rate refusal: `user`, `destination` or `tenant`."""
    provider: str | None = None
    status: int | None = None
    """The provider's last HTTP or SMTP status, when it answered at all."""

    def entry(self) -> AuditEntry:
        details = self._details() | {"reason": self.reason}
        extra = {"limit": self.limit, "provider": self.provider, "status": self.status}
        details |= {name: value for name, value in extra.items() if value is not None}
        description = f"{_NOUN[self.channel]} not sent ({self.reason})"
        return self._entry(f"gd_send_{self.channel}_failure", description, "failure", details)
