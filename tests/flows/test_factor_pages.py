"""What the enrolment pages offer (`flows/factor_pages.py`): the registry's factors, then the
WebAuthn types and each out-of-band channel the tenant has on, email only beside an
independent factor; and which page tells how a sent code comes."""

from __future__ import annotations

import hashlib

import pytest

from twofold.errors import InvalidRequestError
from twofold.factors import oob
from twofold.factors.registry import build_registry
from twofold.factors.webauthn import pages as webauthn
from twofold.flows.factor_pages import EnrolChoices, channel_page, enrol_options
from twofold.flows.oob_enrolment import EmailNeedsAnotherFactorError
from twofold.types import FactorType
from twofold.web.pages import environment

REGISTRY = build_registry(recovery_hasher=lambda code: hashlib.sha256(code.encode()).hexdigest())
EVERYTHING = {FactorType.OTP, FactorType.RECOVERY_CODE, FactorType.OOB}
KEYS = (FactorType.WEBAUTHN_ROAMING, FactorType.WEBAUTHN_PLATFORM)


def choices(
    *, channels: set[str], independent: bool, enabled: set[FactorType] = EVERYTHING
) -> EnrolChoices:
    options = enrol_options(REGISTRY, enabled=enabled, channels=channels)
    return EnrolChoices(options=options, independent=independent)


def test_the_registry_comes_first_then_each_channel_on() -> None:
    options = enrol_options(REGISTRY, enabled=EVERYTHING, channels={"sms", "voice", "email"})

    assert [(o.key, o.factor_type, o.channel) for o in options] == [
        ("otp", FactorType.OTP, None),
        ("sms", FactorType.OOB, "sms"),
        ("voice", FactorType.OOB, "voice"),
        ("email", FactorType.OOB, "email"),
    ]
    assert [o.page for o in options[1:]] == [
        oob.PAGES["sms"],
        oob.PAGES["voice"],
        oob.PAGES["email"],
    ]
    assert [o.first for o in options] == [True, True, True, False]


def test_email_is_offered_only_beside_an_independent_factor() -> None:
    alone = choices(channels={"email"}, independent=False)
    beside = choices(channels={"email"}, independent=True)

    assert [o.key for o in alone.offered] == ["otp"]
    assert alone.pick(None) is not None
    with pytest.raises(EmailNeedsAnotherFactorError):
        alone.pick("email")
    assert [o.key for o in beside.offered] == ["otp", "email"]
    assert beside.pick(None) is None  # a choice to make
    picked = beside.pick("email")
    assert picked is not None
    assert picked.page.destination == oob.EMAIL


def test_an_option_switched_off_or_unknown_is_a_400() -> None:
    phones = choices(channels={"sms", "voice"}, independent=False, enabled={FactorType.OOB})

    assert phones.pick("sms") is not None
    for key in ("otp", "email", "push"):
        with pytest.raises(InvalidRequestError, match="cannot be added on this tenant"):
            phones.pick(key)


def test_every_code_sending_page_asks_where_to_send() -> None:
    for channel, page in oob.PAGES.items():
        assert page.enrol_template == "factors/oob/enrol.html"
        assert page.destination is not None, channel
        assert page.offer != page.description
    assert (oob.PHONE.input_type, oob.PHONE.autocomplete) == ("tel", "tel")
    assert (oob.EMAIL.input_type, oob.EMAIL.autocomplete) == ("email", "email")


def test_security_keys_and_this_device_come_after_the_registry_when_on() -> None:
    options = enrol_options(REGISTRY, enabled=EVERYTHING | set(KEYS), channels={"sms", "voice"})

    assert [o.key for o in options] == [
        "otp",
        "webauthn-roaming",
        "webauthn-platform",
        "sms",
        "voice",
    ]
    assert [o.page for o in options[1:3]] == [webauthn.PAGES[kind] for kind in KEYS]
    off = enrol_options(REGISTRY, enabled=EVERYTHING, channels=set())
    assert [o.key for o in off] == ["otp"]


def test_a_key_page_names_its_ceremony_and_asks_a_name_first() -> None:
    for kind, page in webauthn.PAGES.items():
        assert page.runs_ceremony, kind
        assert page.name_field is not None
        assert (page.name_field.name, page.name_field.input_type) == ("name", "text")
        environment().get_template(page.enrol_template or "")
        environment().get_template(page.challenge_template)
    fields = [webauthn.PAGES[k].name_field for k in KEYS]
    assert [field.default if field else None for field in fields] == ["Security key", "This device"]
    assert [webauthn.PAGES[k].ceremony for k in KEYS] == [
        "Use security key",
        "Use this device",
    ]


def test_the_page_of_a_code_says_how_it_came() -> None:
    assert channel_page("voice") is oob.PAGES["voice"]
    assert channel_page("sms") is oob.PAGES["sms"]
    assert channel_page("push") is None
    assert channel_page(None) is None
