"""Where out-of-band codes go: phone numbers normalised to E.164, and masked destinations.

Parsing is `phonenumbers` (Google's libphonenumber metadata). After enrolment a destination
is only ever shown masked, so a stolen session or a shoulder cannot read it back whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from twofold.errors import InvalidPhoneNumberError, TwofoldError
from twofold.factors.oob import MAX_PHONE, OobChannel

MASK: Final = "\u2022\u2022\u2022"
"""Three bullets, whatever was hidden: the mask does not give the length away either."""

MAX_INPUT: Final = MAX_PHONE
"""Longer input is refused before parsing (E.164 itself is at most 16 characters)."""

_TYPED = frozenset("0123456789+-.()/ \t\u00a0")
"""What people type in a number: digits, `+`, separators. Letters are refused, so neither a
vanity number (1-800-FLOWERS) nor an extension ("ext. 12") slips through as digits."""

_TOLL = frozenset({PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST})
"""Numbers that earn their owner money per message or call: the SMS-pumping target."""

_NO_REGION = frozenset({"001", "ZZ"})
"""libphonenumber's answers for non-geographic (+800, +882...) and unknown numbers."""


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """A valid phone number as Twofold stores and compares it."""

    e164: str
    """`+` country code and national number, nothing else (ITU-T E.164), e.g. +14155552671."""
    region: str | None
    """ISO 3166-1 alpha-2 region, e.g. US; None for a non-geographic number."""


def parse_phone(text: str, *, default_region: str | None = None) -> PhoneNumber:
    """Parse what a person typed; raise InvalidPhoneNumberError saying what is wrong.

    With `default_region` None a number must start with `+` and its country code: a server
    for many countries cannot guess which one "06 12 34 56 78" belongs to.
    """
    if len(text) > MAX_INPUT or not text.strip() or not set(text) <= _TYPED:
        raise InvalidPhoneNumberError("phone_number must be a phone number, e.g. +14155552671.")
    try:
        number = phonenumbers.parse(text, default_region)
    except NumberParseException as exc:
        raise InvalidPhoneNumberError(_unparsable(text, exc)) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumberError("phone_number is not a valid number in its country.")
    if phonenumbers.number_type(number) in _TOLL:
        raise InvalidPhoneNumberError("Codes cannot be sent to premium-rate numbers.")
    return PhoneNumber(
        e164=phonenumbers.format_number(number, PhoneNumberFormat.E164),
        region=_region(number),
    )


def _unparsable(text: str, exc: NumberParseException) -> str:
    if exc.error_type != NumberParseException.INVALID_COUNTRY_CODE:
        return "phone_number is not a phone number."
    if text.lstrip().startswith("+"):
        return "phone_number has an unknown country code."
    return "phone_number must start with + and its country code, e.g. +14155552671."


def _region(number: phonenumbers.PhoneNumber) -> str | None:
    region = phonenumbers.region_code_for_number(number)
    return None if region is None or region in _NO_REGION else region


def _stored(e164: str) -> phonenumbers.PhoneNumber:
    """A number Twofold stored after `parse_phone`: one that fails to parse is corrupt state
    (a server error), not the caller's mistake."""
    try:
        return phonenumbers.parse(e164, None)
    except NumberParseException as exc:
        raise TwofoldError("The stored phone number is not in E.164 form.") from exc


def region_of(e164: str) -> str | None:
    """The ISO region of a stored number (what the country allow and deny lists match)."""
    return _region(_stored(e164))


def mask_phone(e164: str) -> str:
    """`+1 ••• ••• 2671`: the country code and the last four digits (fewer for a short
    number, so at least half of it stays hidden)."""
    number = _stored(e164)
    national = phonenumbers.national_significant_number(number)
    shown = national[-min(4, len(national) // 2) :] if len(national) > 1 else ""
    return f"+{number.country_code} {MASK} {MASK} {shown}".rstrip()


def mask_email(address: str) -> str:
    """`a•••@example.com`: the first character and the domain, so the user recognises the
    address and nobody else learns it."""
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return MASK
    return f"{local[0]}{MASK}@{domain}"


def mask(channel: OobChannel, destination: str) -> str:
    """A destination as lists, pages and the audit log show it."""
    return mask_email(destination) if channel == "email" else mask_phone(destination)
