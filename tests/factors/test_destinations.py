"""Destinations: phone numbers to E.164 (phonenumbers), their regions, and masking."""

from __future__ import annotations

import pytest

from twofold.api.errors import status_of
from twofold.errors import InvalidPhoneNumberError, TwofoldError
from twofold.factors.destinations import (
    MAX_INPUT,
    PhoneNumber,
    mask,
    mask_email,
    mask_phone,
    parse_phone,
    region_of,
)

US = PhoneNumber(e164="+14155552671", region="US")
FR = PhoneNumber(e164="+33612345678", region="FR")


@pytest.mark.parametrize(
    "typed",
    [
        "+14155552671",
        "+1 415 555 2671",
        "+1 (415) 555-2671",
        "+1.415.555.2671",
        "  +1 415 555 2671\t",
        "+1\u00a0415\u00a0555\u00a02671",
    ],
)
def test_international_input_normalises_to_e164(typed: str) -> None:
    assert parse_phone(typed) == US


@pytest.mark.parametrize(
    ("typed", "region", "expected"),
    [
        ("(415) 555-2671", "US", US),
        ("415 555 2671", "US", US),
        ("06 12 34 56 78", "FR", FR),
        ("0033 6 12 34 56 78", "FR", FR),
        ("+33 6 12 34 56 78", "US", FR),
    ],
)
def test_national_input_uses_the_default_region(
    typed: str, region: str, expected: PhoneNumber
) -> None:
    assert parse_phone(typed, default_region=region) == expected


def test_without_a_default_region_the_country_code_is_required() -> None:
    with pytest.raises(InvalidPhoneNumberError) as caught:
        parse_phone("06 12 34 56 78")

    assert caught.value.description == (
        "phone_number must start with + and its country code, e.g. +14155552671."
    )


@pytest.mark.parametrize(
    ("typed", "description"),
    [
        ("+1 415 555 267", "phone_number is not a valid number in its country."),
        ("+1 212 555 010", "phone_number is not a valid number in its country."),
        ("+999 1234 5678", "phone_number has an unknown country code."),
        ("+", "phone_number is not a phone number."),
        ("++1", "phone_number is not a phone number."),
        ("", "phone_number must be a phone number, e.g. +14155552671."),
        ("   ", "phone_number must be a phone number, e.g. +14155552671."),
        ("+1 800 FLOWERS", "phone_number must be a phone number, e.g. +14155552671."),
        ("+1 415 555 2671 ext 12", "phone_number must be a phone number, e.g. +14155552671."),
        ("+1 415 555 2671;", "phone_number must be a phone number, e.g. +14155552671."),
        ("+1" + "5" * MAX_INPUT, "phone_number must be a phone number, e.g. +14155552671."),
    ],
)
def test_invalid_numbers_are_refused_clearly(typed: str, description: str) -> None:
    with pytest.raises(InvalidPhoneNumberError) as caught:
        parse_phone(typed)

    assert (caught.value.code, caught.value.description) == ("invalid_phone_number", description)
    assert status_of(caught.value) == 400


@pytest.mark.parametrize("typed", ["+1 900 555 0199", "+44 909 8790879"])
def test_premium_rate_numbers_are_refused(typed: str) -> None:
    """The numbers SMS pumping sends to: every message earns their owner money."""
    with pytest.raises(InvalidPhoneNumberError) as caught:
        parse_phone(typed)

    assert caught.value.description == "Codes cannot be sent to premium-rate numbers."


def test_descriptions_never_echo_the_input() -> None:
    for typed in ("+1 415 555 267", "0612345678", "+1 800 FLOWERS"):
        with pytest.raises(InvalidPhoneNumberError) as caught:
            parse_phone(typed)
        assert typed not in caught.value.description


def test_regions_of_numbers() -> None:
    assert parse_phone("+44 20 7946 0958").region == "GB"
    assert region_of("+14155552671") == "US"
    assert region_of("+33612345678") == "FR"
    assert region_of("+16135550123") == "CA"
    assert parse_phone("+800 1234 5678") == PhoneNumber(e164="+80012345678", region=None)
    assert region_of("+80012345678") is None


def test_a_stored_number_that_is_not_e164_is_a_server_error() -> None:
    with pytest.raises(TwofoldError) as caught:
        region_of("0612345678")

    assert (caught.value.code, status_of(caught.value)) == ("server_error", 500)
    with pytest.raises(TwofoldError):
        mask_phone("not stored by us")


@pytest.mark.parametrize(
    ("e164", "masked"),
    [
        ("+14155552671", "+1 ••• ••• 2671"),
        ("+33612345678", "+33 ••• ••• 5678"),
        ("+442079460958", "+44 ••• ••• 0958"),
        ("+80012345678", "+800 ••• ••• 5678"),
        ("+2903456", "+290 ••• ••• 56"),
    ],
)
def test_phone_masks_keep_the_country_code_and_last_digits(e164: str, masked: str) -> None:
    assert mask_phone(e164) == masked
    assert mask("sms", e164) == masked
    assert mask("voice", e164) == masked


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("alice@example.com", "a•••@example.com"),
        ("a@b.co", "a•••@b.co"),
        ("first.last+tag@mail.example.org", "f•••@mail.example.org"),
        ("odd@local@example.com", "o•••@example.com"),
        ("not-an-address", "•••"),
        ("@example.com", "•••"),
    ],
)
def test_email_masks_keep_the_first_character_and_the_domain(address: str, masked: str) -> None:
    assert mask_email(address) == masked
    assert mask("email", address) == masked
