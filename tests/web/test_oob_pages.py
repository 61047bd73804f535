"""Codes by text message and phone call on the hosted MFA page, delivered through the
loopback Twilio: the code sent on choosing, resend, "call me instead", a wrong code, and a
failed delivery followed by a resend that works."""

from __future__ import annotations

import html

import httpx

from tests.api.conftest import auth, machine
from tests.api.helpers import associate, code, mfa_token, otp_grant
from tests.api.oob import Oob, a_number, associate_oob, last_call, last_sms, oob, oob_grant
from tests.builders import Person, a_client, a_user
from tests.web.conftest import CALLBACK, location
from tests.web.mfa_steps import always, audit_of, element, error_of, submit, text_of, to_mfa
from twofold.factors.destinations import mask_phone
from twofold.factors.oob import PAGES as CHANNEL_PAGES
from twofold.flows.sessions import open_session
from twofold.web.browser import SESSION_COOKIE

__all__ = ["always", "auth", "machine", "oob"]


async def a_phone_user(oob: Oob) -> tuple[Person, str]:
    """A user whose only factor is a phone enrolled for SMS over the MFA API."""
    phone = a_number()
    app, person = await a_client(oob.rt), await a_user(oob.rt)
    token = await mfa_token(oob.http, app, person)
    body = (await associate_oob(oob.http, token, "sms", phone_number=phone)).json()
    granted = await oob_grant(oob.http, app, token, body["oob_code"], last_sms(oob.twilio, phone))
    assert granted.status_code == 200, granted.text
    return person, phone


async def at_the_code_form(oob: Oob) -> tuple[str, httpx.Response, str]:
    """Sign in with the password; the MFA page sends a code at once (the only factor)."""
    person, phone = await a_phone_user(oob)
    _, mfa_url = await to_mfa(oob.rt, oob.http, person)
    assert mfa_url.startswith("/u/mfa?")
    return mfa_url, await oob.http.get(mfa_url), phone


async def session_amr(oob: Oob) -> tuple[str, ...]:
    opened = await open_session(oob.rt, oob.http.cookies.get(SESSION_COOKIE))
    assert opened is not None
    return opened.session.amr


async def test_the_texted_code_finishes_the_sign_in(oob: Oob, always: None) -> None:
    _, shown, phone = await at_the_code_form(oob)

    assert shown.status_code == 200, shown.text[:300]
    assert text_of(shown.text, "factor-label") == "Text message"
    assert 'autocomplete="one-time-code"' in shown.text
    assert 'id="resend"' in shown.text
    assert 'id="call-me"' in shown.text
    done = await submit(oob.http, shown.text, "mfa-form", code=last_sms(oob.twilio, phone))
    assert location(done).startswith(CALLBACK + "?code=")
    assert await session_amr(oob) == ("pwd", "sms", "mfa")


async def test_a_resend_kills_the_old_code(oob: Oob, always: None) -> None:
    _, shown, phone = await at_the_code_form(oob)
    old = last_sms(oob.twilio, phone)

    resent = await submit(oob.http, shown.text, "resend")

    assert resent.status_code == 200, resent.text[:300]
    assert text_of(resent.text, "notice") == "We sent a new code."
    new = last_sms(oob.twilio, phone)
    stale = await submit(oob.http, shown.text, "mfa-form", code=old)
    assert stale.status_code == 400
    assert error_of(stale.text) == "A newer code was sent: use that one."
    done = await submit(oob.http, resent.text, "mfa-form", code=new)
    assert location(done).startswith(CALLBACK + "?code=")


async def test_call_me_instead_reads_the_code_by_voice(oob: Oob, always: None) -> None:
    _, shown, phone = await at_the_code_form(oob)
    assert text_of(shown.text, "factor-description") == CHANNEL_PAGES["sms"].description

    called = await submit(oob.http, shown.text, "call-me")

    assert called.status_code == 200, called.text[:300]
    assert text_of(called.text, "factor-description") == CHANNEL_PAGES["voice"].description
    wrong = f"{(int(last_call(oob.twilio, phone)) + 1) % 10**6:06d}"
    refused = await submit(oob.http, called.text, "mfa-form", code=wrong)
    assert refused.status_code == 400
    assert text_of(refused.text, "factor-description") == CHANNEL_PAGES["voice"].description
    done = await submit(oob.http, refused.text, "mfa-form", code=last_call(oob.twilio, phone))
    assert location(done).startswith(CALLBACK + "?code=")
    assert await session_amr(oob) == ("pwd", "tel", "mfa")


async def test_a_wrong_code_is_refused_on_the_page(oob: Oob, always: None) -> None:
    person, phone = await a_phone_user(oob)
    _, mfa_url = await to_mfa(oob.rt, oob.http, person)
    shown = await oob.http.get(mfa_url)
    wrong = "000000" if last_sms(oob.twilio, phone) != "000000" else "111111"

    refused = await submit(oob.http, shown.text, "mfa-form", code=wrong)

    assert refused.status_code == 400
    assert error_of(refused.text) == "The code you entered is invalid."
    [failed] = await audit_of(oob.rt, person.user_id, "gd_auth_failed")
    assert failed.details["factor"] == "oob"
    done = await submit(oob.http, refused.text, "mfa-form", code=last_sms(oob.twilio, phone))
    assert location(done).startswith(CALLBACK + "?code=")


async def test_a_failed_delivery_says_so_and_a_resend_works(oob: Oob, always: None) -> None:
    person, phone = await a_phone_user(oob)
    _, mfa_url = await to_mfa(oob.rt, oob.http, person)
    oob.twilio.fail(503, times=3)

    failed = await oob.http.get(mfa_url)

    assert failed.status_code == 503
    assert error_of(failed.text) == "We could not send the code. Try again in a moment."
    resent = await submit(oob.http, failed.text, "resend")
    assert resent.status_code == 200, resent.text[:300]
    done = await submit(oob.http, resent.text, "mfa-form", code=last_sms(oob.twilio, phone))
    assert location(done).startswith(CALLBACK + "?code=")


async def test_the_picker_lists_the_phone_masked(oob: Oob, always: None) -> None:
    app, person = await a_client(oob.rt), await a_user(oob.rt)
    enrol = await mfa_token(
        oob.http, app, person, audience=oob.rt.settings.mfa_audience, scope="enroll"
    )
    first = (await associate(oob.http, enrol)).json()
    otp = await otp_grant(oob.http, app, enrol, code(first["secret"], oob.rt.clock.now()))
    phone = a_number()
    access = otp.json()["access_token"]
    body = (await associate_oob(oob.http, access, "sms", phone_number=phone)).json()
    token = await mfa_token(oob.http, app, person)
    granted = await oob_grant(oob.http, app, token, body["oob_code"], last_sms(oob.twilio, phone))
    assert granted.status_code == 200, granted.text
    _, mfa_url = await to_mfa(oob.rt, oob.http, person)

    picker = await oob.http.get(mfa_url)

    assert picker.status_code == 200, picker.text[:300]
    assert text_of(picker.text, "choose-2") == f"Text message · {mask_phone(phone)}"
    sent = len(oob.twilio.messages())
    chosen = await oob.http.get(html.unescape(element(picker.text, "choose-2", "href")))
    assert len(oob.twilio.messages()) == sent + 1
    done = await submit(oob.http, chosen.text, "mfa-form", code=last_sms(oob.twilio, phone))
    assert location(done).startswith(CALLBACK + "?code=")


async def test_a_refused_resend_keeps_the_last_code_usable(oob: Oob, always: None) -> None:
    _, page, phone = await at_the_code_form(oob)  # the enrolment's code and this one: 2 of 10
    for _ in range(8):
        page = await submit(oob.http, page.text, "resend")
        assert page.status_code == 200, page.text[:300]

    refused = await submit(oob.http, page.text, "resend")

    assert refused.status_code == 429
    assert error_of(refused.text) == "Too many codes were sent. Try again in 60 minutes."
    assert len([m for m in oob.twilio.messages() if m.get("To") == phone]) == 10
    done = await submit(oob.http, refused.text, "mfa-form", code=last_sms(oob.twilio, phone))
    assert location(done).startswith(CALLBACK + "?code=")
