"""Enrolling a phone (SMS, voice) or an email address on the hosted pages, delivered through
the loopback Twilio and SMTP relay: My MFA settings' add page and the sign-in's enrol step,
one path with the MFA API's `/mfa/associate` (flows/oob_enrolment.py)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import TokenFactory, auth, machine
from tests.api.helpers import mfa_token
from tests.api.oob import (
    Oob,
    a_number,
    associate_oob,
    audit_of,
    factors_on,
    last_call,
    last_mail,
    last_sms,
    oob,
    oob_app,
)
from tests.builders import a_client, a_user
from tests.web.account_steps import (
    ACCOUNT,
    an_enrolled_person,
    authenticators_of,
    open_settings,
    post,
    rows,
)
from tests.web.conftest import CALLBACK, location
from tests.web.mfa_steps import always, element, error_of, submit, text_of, to_mfa
from twofold.clock import FrozenClock
from twofold.config import Settings
from twofold.factors.destinations import mask_email, mask_phone
from twofold.factors.oob import EMAIL, PAGES, PHONE
from twofold.flows.oob_enrolment import EmailNeedsAnotherFactorError
from twofold.flows.sessions import open_session
from twofold.types import AuthenticatorStatus, FactorType
from twofold.web.browser import SESSION_COOKIE
from twofold.web.enrol_view import REFUSALS

__all__ = ["always", "auth", "machine", "oob"]

ADD = f"{ACCOUNT}/add"
_CHOICE = re.compile(r'id="(add-[a-z-]+)"')
_PICKED = re.compile(r'id="(enrol-[a-z-]+)"')
_RECOVERY_CODE = re.compile(r'id="new-recovery-code">([A-Z0-9]{24})<')
EMAIL_REFUSED = REFUSALS[EmailNeedsAnotherFactorError]


async def destination_form(oob: Oob, key: str) -> httpx.Response:
    form = await oob.http.get(f"{ADD}?factor={key}")
    assert form.status_code == 200, form.text[:300]
    return form


async def sent_to_phone(oob: Oob, key: str = "sms") -> tuple[httpx.Response, str]:
    """My MFA settings' code step after typing a fresh number (the user is signed in)."""
    phone = a_number()
    sent = await submit(
        oob.http, (await destination_form(oob, key)).text, "enrol-form", phone_number=phone
    )
    assert sent.status_code == 200, sent.text[:300]
    return sent, phone


async def test_my_mfa_settings_adds_a_phone_for_text_messages(oob: Oob) -> None:
    person = await a_user(oob.rt)
    await open_settings(oob.rt, oob.http, person)
    choices = await oob.http.get(ADD)
    assert _CHOICE.findall(choices.text) == ["add-otp", "add-sms", "add-voice"]  # no email yet
    assert "Get a 6-digit code by text message on your phone." in choices.text

    form = await oob.http.get(element(choices.text, "add-sms", "href"))
    assert text_of(form.text, "factor-label") == "Text message"
    assert (
        element(form.text, "destination", "type"),
        element(form.text, "destination", "autocomplete"),
    ) == ("tel", "tel")
    assert element(form.text, "destination", "name") == "phone_number"
    assert '<label for="destination">Phone number</label>' in form.text
    assert text_of(form.text, "submit") == "Send code"
    phone = a_number()
    sent = await submit(oob.http, form.text, "enrol-form", phone_number=phone)

    assert sent.status_code == 200, sent.text[:300]
    assert text_of(sent.text, "sent-to") == mask_phone(phone)
    assert element(sent.text, "code", "autocomplete") == "one-time-code"
    assert 'id="resend"' in sent.text
    assert 'id="call-me"' in sent.text
    code = last_sms(oob.twilio, phone)
    done = await submit(oob.http, sent.text, "enrol-form", code=code)
    assert done.status_code == 200, done.text[:300]
    assert _RECOVERY_CODE.search(done.text), "a first factor brings the recovery code"
    replayed = await submit(oob.http, sent.text, "enrol-form", code=code)
    assert replayed.status_code == 400
    assert text_of(replayed.text, "error-message").startswith("This enrolment has expired")
    stored = await authenticators_of(oob.rt, person.user_id)
    sms = stored[FactorType.OOB]
    assert (sms.status, sms.oob_channel) == (AuthenticatorStatus.ACTIVE, "sms")
    assert stored[FactorType.RECOVERY_CODE].status == AuthenticatorStatus.ACTIVE
    page = await oob.http.get(ACCOUNT)
    row = rows(page.text)[sms.id]
    assert (row["name"], row["type"]) == (mask_phone(phone), "Text message")
    [completed] = await audit_of(oob.rt, person.user_id, "gd_enrollment_complete")
    assert completed.details == {"authenticator_id": sms.id, "factor": "oob"}
    [sent_event] = await audit_of(oob.rt, person.user_id, "gd_send_sms")
    assert sent_event.details["to"] == mask_phone(phone)

    renamed = await post(oob.http, "/rename", page, authenticator_id=sms.id, name="Work phone")
    assert location(renamed) == f"{ACCOUNT}?done=renamed"
    again = rows((await oob.http.get(ACCOUNT)).text)[sms.id]
    assert (again["name"], again["type"]) == ("Work phone", f"Text message · {mask_phone(phone)}")


@pytest.mark.parametrize(
    "typed", ["4155552671", "+1-800-FLOWERS", "+1 415 000 0000", "+1 900 555 0123"]
)
async def test_a_number_that_cannot_receive_codes_is_refused_on_the_page(
    oob: Oob, typed: str
) -> None:
    await open_settings(oob.rt, oob.http, await a_user(oob.rt))
    form = await destination_form(oob, "sms")

    refused = await submit(oob.http, form.text, "enrol-form", phone_number=typed)

    assert refused.status_code == 400
    assert error_of(refused.text) == PHONE.invalid
    assert element(refused.text, "destination", "value") == typed
    assert oob.twilio.hits == 0


async def test_resend_call_me_instead_and_an_expired_code_while_enrolling(
    oob: Oob, clock: FrozenClock
) -> None:
    person = await a_user(oob.rt)
    await open_settings(oob.rt, oob.http, person)
    sent, phone = await sent_to_phone(oob)
    first = last_sms(oob.twilio, phone)

    resent = await submit(oob.http, sent.text, "resend")
    assert resent.status_code == 200, resent.text[:300]
    assert text_of(resent.text, "notice") == "We sent a new code."
    stale = await submit(oob.http, sent.text, "enrol-form", code=first)
    assert stale.status_code == 400
    assert error_of(stale.text) == "A newer code was sent: use that one."

    clock.advance(300)
    expired = await submit(oob.http, resent.text, "enrol-form", code=last_sms(oob.twilio, phone))
    assert expired.status_code == 400
    assert error_of(expired.text) == "The code has expired. Send a new one."

    called = await submit(oob.http, expired.text, "call-me")
    assert called.status_code == 200, called.text[:300]
    assert text_of(called.text, "factor-description") == PAGES["voice"].description
    wrong = f"{(int(last_call(oob.twilio, phone)) + 1) % 10**6:06d}"
    refused = await submit(oob.http, called.text, "enrol-form", code=wrong)
    assert refused.status_code == 400
    assert error_of(refused.text) == "The code you entered is invalid."
    assert text_of(refused.text, "factor-description") == PAGES["voice"].description
    done = await submit(oob.http, refused.text, "enrol-form", code=last_call(oob.twilio, phone))
    assert done.status_code == 200, done.text[:300]
    stored = (await authenticators_of(oob.rt, person.user_id))[FactorType.OOB]
    assert (stored.status, stored.oob_channel) == (AuthenticatorStatus.ACTIVE, "sms")
    [failed] = await audit_of(oob.rt, person.user_id, "gd_auth_failed")
    assert failed.details["factor"] == "oob"


async def test_email_is_added_only_beside_another_factor(oob: Oob) -> None:
    alone = await a_user(oob.rt)
    await open_settings(oob.rt, oob.http, alone)
    refused = await oob.http.get(f"{ADD}?factor=email")
    assert refused.status_code == 403
    assert error_of(refused.text) == EMAIL_REFUSED
    assert "add-email" not in _CHOICE.findall(refused.text)

    oob.http.cookies.clear()
    who = await an_enrolled_person(oob.rt, oob.http)
    await open_settings(oob.rt, oob.http, who.person)
    choices = await oob.http.get(ADD)
    assert _CHOICE.findall(choices.text) == ["add-otp", "add-sms", "add-voice", "add-email"]
    form = await destination_form(oob, "email")
    assert (
        element(form.text, "destination", "type"),
        element(form.text, "destination", "autocomplete"),
    ) == ("email", "email")
    bad = await submit(oob.http, form.text, "enrol-form", email="not-an-address")
    assert bad.status_code == 400
    assert error_of(bad.text) == EMAIL.invalid
    address = f"mail-{who.person.user_id[-6:]}@example.com"
    sent = await submit(oob.http, form.text, "enrol-form", email=address)
    assert sent.status_code == 200, sent.text[:300]
    assert text_of(sent.text, "sent-to") == mask_email(address)
    assert 'id="call-me"' not in sent.text
    done = await submit(oob.http, sent.text, "enrol-form", code=last_mail(oob.relay, address))
    assert location(done) == f"{ACCOUNT}?done=added"  # no new recovery code beside a factor
    email = (await authenticators_of(oob.rt, who.person.user_id))[FactorType.OOB]
    assert (email.status, email.oob_channel) == (AuthenticatorStatus.ACTIVE, "email")
    assert rows((await oob.http.get(ACCOUNT)).text)[email.id]["name"] == mask_email(address)


async def test_the_send_limits_speak_on_the_page(oob: Oob) -> None:
    person = await a_user(oob.rt)
    await open_settings(oob.rt, oob.http, person)
    form = await destination_form(oob, "sms")
    for _ in range(10):
        sent = await submit(oob.http, form.text, "enrol-form", phone_number=a_number())
        assert sent.status_code == 200, sent.text[:300]
    resend = await submit(oob.http, sent.text, "resend")

    refused = await submit(oob.http, form.text, "enrol-form", phone_number=a_number())

    assert refused.status_code == 429
    assert error_of(refused.text) == "Too many codes were sent. Try again in 60 minutes."
    assert resend.status_code == 429
    assert error_of(resend.text) == "Too many codes were sent. Try again in 60 minutes."
    assert len(oob.twilio.messages()) == 10
    failures = await audit_of(oob.rt, person.user_id, "gd_send_sms_failure")
    assert [(f.details["reason"], f.details["limit"]) for f in failures] == [
        ("too_many_sms", "user")
    ] * 2


async def test_a_failed_delivery_keeps_the_code_form_and_a_resend_works(oob: Oob) -> None:
    person = await a_user(oob.rt)
    await open_settings(oob.rt, oob.http, person)
    form = await destination_form(oob, "sms")
    phone = a_number()
    oob.twilio.fail(503, times=3)

    failed = await submit(oob.http, form.text, "enrol-form", phone_number=phone)

    assert failed.status_code == 503
    assert error_of(failed.text) == "We could not send the code. Try again in a moment."
    assert text_of(failed.text, "sent-to") == mask_phone(phone)
    resent = await submit(oob.http, failed.text, "resend")
    assert resent.status_code == 200, resent.text[:300]
    done = await submit(oob.http, resent.text, "enrol-form", code=last_sms(oob.twilio, phone))
    assert done.status_code == 200, done.text[:300]
    failures = await audit_of(oob.rt, person.user_id, "gd_send_sms_failure")
    assert [f.details["reason"] for f in failures] == ["delivery_failed"] * 3


@pytest.fixture
async def france_denied(  # noqa: PLR0917 - pytest passes fixtures by name
    settings: Settings,
    clock: FrozenClock,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    tenant: None,
    tmp_path: Path,
) -> AsyncIterator[Oob]:
    """The loopback app with the factors on and SMS and voice refused to French numbers."""
    await factors_on(client, auth)
    async with oob_app(settings, clock, tmp_path, countries_denied=["FR"]) as app:
        yield app


async def test_a_country_refusal_is_said_on_the_page(france_denied: Oob) -> None:
    oob = france_denied
    person = await a_user(oob.rt)
    await open_settings(oob.rt, oob.http, person)
    form = await destination_form(oob, "voice")

    refused = await submit(oob.http, form.text, "enrol-form", phone_number="+33612345678")

    assert refused.status_code == 403
    assert error_of(refused.text) == "Codes cannot be sent to phone numbers in this country."
    assert oob.twilio.hits == 0
    [failure] = await audit_of(oob.rt, person.user_id, "gd_send_voice_failure")
    assert failure.details["reason"] == "sms_country_not_allowed"


async def test_a_sign_in_enrols_a_phone_and_finishes(oob: Oob, always: None) -> None:
    person = await a_user(oob.rt)
    _, enrol_url = await to_mfa(oob.rt, oob.http, person)
    assert enrol_url.startswith("/u/mfa/enroll?state=")
    picker = await oob.http.get(enrol_url)
    assert _PICKED.findall(picker.text) == ["enrol-otp", "enrol-sms", "enrol-voice"]
    form = await oob.http.get(element(picker.text, "enrol-sms", "href"))
    assert text_of(form.text, "submit") == "Send code"
    assert element(form.text, "choose-another", "href").startswith("/u/mfa/enroll?state=")
    phone = a_number()
    sent = await submit(oob.http, form.text, "enrol-form", phone_number=phone)
    assert sent.status_code == 200, sent.text[:300]
    assert text_of(sent.text, "submit") == "Continue"

    shown = await submit(oob.http, sent.text, "enrol-form", code=last_sms(oob.twilio, phone))

    assert shown.status_code == 200, shown.text[:300]
    assert len(text_of(shown.text, "recovery-code")) == 24
    done = await oob.http.get(element(shown.text, "continue", "href"))
    assert location(done).startswith(CALLBACK + "?code=")
    opened = await open_session(oob.rt, oob.http.cookies.get(SESSION_COOKIE))
    assert opened is not None
    assert opened.session.amr == ("pwd", "sms", "mfa")
    [completed] = await audit_of(oob.rt, person.user_id, "gd_enrollment_complete")
    assert completed.client_id is not None


async def test_a_sign_in_never_enrols_email_and_the_api_agrees(oob: Oob, always: None) -> None:
    person = await a_user(oob.rt)
    _, enrol_url = await to_mfa(oob.rt, oob.http, person)

    refused = await oob.http.get(f"{enrol_url}&factor=email")

    assert refused.status_code == 403
    assert error_of(refused.text) == EMAIL_REFUSED
    assert "enrol-email" not in _PICKED.findall(refused.text)
    token = await mfa_token(oob.http, await a_client(oob.rt), person)
    api = await associate_oob(oob.http, token, "email", email="alone@example.com")
    assert api.status_code == 403
    assert api.json() == {
        "error": "access_denied",
        "error_description": EmailNeedsAnotherFactorError.description,
    }
    assert oob.relay.mails == []
