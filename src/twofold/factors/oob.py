"""Out-of-band codes (SMS, voice call, email): issuing, checking and resending a challenge.

Pure values and functions (factor layer): the flow stores the `OobChallenge`, hands the code
to a channel and the `oob_code` handle to the client. Neither is kept: the code only as a
keyed hash (docs/decisions/007), the handle only as its SHA-256.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from twofold.config import OobSettings
from twofold.errors import (
    InvalidBindingCodeError,
    InvalidRequestError,
    OobCodeExpiredError,
    OobCodeSupersededError,
    OobCodeUsedError,
    TooManyOobFailuresError,
)
from twofold.factors.base import Verification
from twofold.factors.pages import FactorPage, InputField
from twofold.security.compare import equal
from twofold.security.tokens import new_token, token_hash
from twofold.types import Amr

OobChannel = Literal["sms", "voice", "email"]
"""Auth0's `oob_channel` values for codes a person types back (push is `auth0`, elsewhere)."""
CHANNELS: tuple[OobChannel, ...] = ("sms", "voice", "email")
PHONE_CHANNELS: frozenset[OobChannel] = frozenset({"sms", "voice"})
"""Channels that reach a phone number, and may replace each other on a resend."""
NEEDS_ANOTHER_FACTOR: frozenset[OobChannel] = frozenset({"email"})
"""Channels accepted only beside an independent factor, never as a user's first (Auth0's
rule for email: whoever reads the mailbox can usually reset the password too)."""

CODE_DIGITS = 6
_CODE_SPACE = 10**CODE_DIGITS

AMR: Mapping[OobChannel, tuple[Amr, ...]] = MappingProxyType(
    {"sms": (Amr.SMS,), "voice": (Amr.TEL,), "email": ()}
)
"""RFC 8176 section 2: `sms` and `tel` name these; it has no value for email (the flow's
`mfa` says enough, as it does for recovery codes)."""


MAX_PHONE = 64
"""Longer phone input is refused before parsing (E.164 itself is at most 16 characters)."""
MAX_ADDRESS = 320
"""RFC 3696's limit on an email address (64 for the local part, @, 255 for the domain)."""

PHONE = InputField(
    name="phone_number",
    label="Phone number",
    input_type="tel",
    autocomplete="tel",
    max_length=MAX_PHONE,
    hint="With + and the country code, e.g. +1 415 555 2671.",
    invalid=(
        "This phone number cannot receive codes. Enter it with + and the country code,"
        " e.g. +1 415 555 2671."
    ),
)
EMAIL = InputField(
    name="email",
    label="Email address",
    input_type="email",
    autocomplete="email",
    max_length=MAX_ADDRESS,
    hint="An address only you can read.",
    invalid="Enter a valid email address, e.g. jane@example.com.",
)


def _page(label: str, description: str, destination: InputField, *, offer: str) -> FactorPage:
    return FactorPage(
        label=label,
        description=description,
        enrol_description=offer,
        challenge_template="factors/oob/challenge.html",
        enrol_template="factors/oob/enrol.html",
        sends_code=True,
        resend_template="factors/oob/resend.html",
        destination=destination,
    )


PAGES: Mapping[OobChannel, FactorPage] = MappingProxyType(
    {
        "sms": _page(
            "Text message",
            "We sent a 6-digit code by text message to your phone.",
            PHONE,
            offer="Get a 6-digit code by text message on your phone.",
        ),
        "voice": _page(
            "Phone call",
            "We are calling your phone to read you a 6-digit code.",
            PHONE,
            offer="Get a phone call that reads you a 6-digit code.",
        ),
        "email": _page(
            "Email",
            "We sent a 6-digit code to your email address.",
            EMAIL,
            offer="Get a 6-digit code by email.",
        ),
    }
)
"""The hosted pages' entry per channel: out-of-band is one authenticator type in the
registry's terms but three things to a person, so its pages are chosen by channel."""


def new_code() -> str:
    """Six digits, uniform over 000000-999999, from the CSPRNG (leading zeros kept)."""
    return f"{secrets.randbelow(_CODE_SPACE):0{CODE_DIGITS}d}"


def new_challenge_id() -> str:
    return "oobch_" + secrets.token_hex(12)


def handle_hash(oob_code: str) -> str:
    """What the store keeps and looks a challenge up by: the handle has 256 bits, so SHA-256
    suffices (docs/decisions/002)."""
    return token_hash(oob_code)


@dataclass(frozen=True, slots=True)
class OobChallenge:
    """One code sent to one destination; the flow persists it between send and answer."""

    id: str
    authenticator_id: str
    channel: OobChannel
    destination: str
    """E.164 phone number or email address the code went to."""
    code_hash: str
    """Keyed hash of the challenge id and the code (`OobCodes.code_hash`)."""
    handle_hash: str
    """SHA-256 of the `oob_code` handle the client holds."""
    created_at: dt.datetime
    expires_at: dt.datetime
    failures: int = 0
    used: bool = False
    superseded_by: str | None = None
    """The id of the challenge a resend replaced this one with."""


@dataclass(frozen=True, slots=True)
class Issued:
    """A new challenge to store, and the two secrets that must never be stored."""

    challenge: OobChallenge
    code: str
    """For the channel: the message to the person."""
    oob_code: str
    """For the client: Auth0's opaque `oob_code`, sent back with the `binding_code`."""


def normalise(response: str) -> str:
    """The code as typed, without the spaces a person may add; anything else is wrong."""
    code = "".join(response.split())
    if len(code) != CODE_DIGITS or not (code.isascii() and code.isdigit()):
        raise InvalidBindingCodeError()
    return code


def failed(challenge: OobChallenge) -> OobChallenge:
    """The challenge after one more wrong answer. The flow writes it conditionally (`WHERE
    failures = :old`), so concurrent guesses each count."""
    return dataclasses.replace(challenge, failures=challenge.failures + 1)


def verification(spent: OobChallenge) -> Verification:
    """What a spent challenge proves (RFC 8176 `amr`)."""
    return Verification(amr=AMR[spent.channel])


@dataclass(frozen=True, slots=True)
class OobCodes:
    """Issues and checks codes; the hasher is a key-ring keyed hash (purpose `oob-code`)."""

    hasher: Callable[[str], str]
    settings: OobSettings

    def code_hash(self, challenge_id: str, code: str) -> str:
        """Hash the code bound to its challenge: equal codes of two challenges hash apart,
        so the stored hashes reveal nothing about each other."""
        return self.hasher(f"{challenge_id}:{code}")

    def issue(
        self,
        *,
        authenticator_id: str,
        channel: OobChannel,
        destination: str,
        now: dt.datetime,
    ) -> Issued:
        """A fresh code and handle, valid for `code_ttl` seconds from `now`."""
        challenge_id, code, oob_code = new_challenge_id(), new_code(), new_token()
        challenge = OobChallenge(
            id=challenge_id,
            authenticator_id=authenticator_id,
            channel=channel,
            destination=destination,
            code_hash=self.code_hash(challenge_id, code),
            handle_hash=handle_hash(oob_code),
            created_at=now,
            expires_at=now + dt.timedelta(seconds=self.settings.code_ttl),
        )
        return Issued(challenge=challenge, code=code, oob_code=oob_code)

    def resend(
        self, old: OobChallenge, *, now: dt.datetime, channel: OobChannel | None = None
    ) -> tuple[OobChallenge, Issued]:
        """Supersede `old` with a new code (optionally by another channel: "call me instead").

        Returns the old challenge marked dead and the new one; the flow stores both in one
        transaction, the old one conditionally (`WHERE superseded_by IS NULL AND NOT used`)
        so two racing resends cannot both win. The new code starts with no failures: each
        code gets `max_failures` guesses, and the send limits bound how many codes there can
        be. Only the latest challenge can be resent, so an authenticator has one live code.
        """
        if old.used:
            raise OobCodeUsedError()
        if old.superseded_by is not None:
            raise OobCodeSupersededError()
        if channel not in (None, old.channel) and {channel, old.channel} - PHONE_CHANNELS:
            raise InvalidRequestError("Only SMS and voice can stand in for each other.")
        issued = self.issue(
            authenticator_id=old.authenticator_id,
            channel=channel or old.channel,
            destination=old.destination,
            now=now,
        )
        return dataclasses.replace(old, superseded_by=issued.challenge.id), issued

    def check(self, challenge: OobChallenge, response: str, *, now: dt.datetime) -> OobChallenge:
        """The challenge spent by a right code; otherwise a typed error.

        Refusals that do not depend on the code come first (used, superseded, dead, expired),
        so only `InvalidBindingCodeError` means a guess was wrong and must be counted.
        """
        if challenge.used:
            raise OobCodeUsedError()
        if challenge.superseded_by is not None:
            raise OobCodeSupersededError()
        if challenge.failures >= self.settings.max_failures:
            raise TooManyOobFailuresError()
        if now >= challenge.expires_at:
            raise OobCodeExpiredError()
        candidate = self.code_hash(challenge.id, normalise(response))
        # Constant time: a near miss must not answer faster or slower than a far one.
        if not equal(candidate, challenge.code_hash):
            raise InvalidBindingCodeError()
        return dataclasses.replace(challenge, used=True)
