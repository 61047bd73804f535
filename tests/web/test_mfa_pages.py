"""`/u/mfa`: the challenge of a sign-in, hop by hop over ASGI (codes, limits, recovery codes,
the picker, CSRF, expiry)."""

from __future__ import annotations

import httpx
import pytest

from tests.web.conftest import CALLBACK, location, query_of
from tests.web.mfa_steps import (
    always,  # noqa: F401 - a fixture, used through `pytestmark`
    an_enrolled_person,
    audit_of,
    code_now,
    element,
    error_of,
    post_form,
    text_of,
    to_mfa,
)
from twofold.clock import FrozenClock
from twofold.flows import hosted_mfa
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.types import FactorType

pytestmark = pytest.mark.usefixtures("always")  # every sign-in here needs MFA


async def test_a_right_code_finishes_the_sign_in(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    who = await an_enrolled_person(runtime, client)
    web, mfa_url = await to_mfa(runtime, client, who.person, state="xyz")
    assert mfa_url.startswith("/u/mfa?state=req_")
    page = await client.get(mfa_url)
    assert page.status_code == 200
    assert element(page.text, "code", "autocomplete") == "one-time-code"
    assert element(page.text, "code", "inputmode") == "numeric"
    assert element(page.text, "use-recovery-code", "href").endswith("&factor=recovery-code")
    assert 'id="factor-picker"' not in page.text
    assert 'id="remember-browser"' not in page.text  # the setting is off by default
    clock.advance(30)  # the enrolment spent the current time step
    done = await post_form(client, mfa_url, {"code": code_now(runtime, who.secret)}, page=page.text)
    assert location(done).startswith(CALLBACK)
    sent = query_of(location(done))
    assert sent["state"] == "xyz"
    assert len(sent["code"]) == 43
    passed = (await audit_of(runtime, who.person.user_id, "gd_auth_succeed"))[-1]
    assert passed.client_id == web.client_id
    assert passed.details["factor"] == "otp"


async def test_a_wrong_code_is_explained_on_the_page(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    who = await an_enrolled_person(runtime, client)
    web, mfa_url = await to_mfa(runtime, client, who.person)
    wrong = await post_form(client, mfa_url, {"code": "000000"})
    assert wrong.status_code == 400
    assert error_of(wrong.text) == "The code you entered is invalid."
    [failed] = await audit_of(runtime, who.person.user_id, "gd_auth_failed")
    assert failed.client_id == web.client_id
    assert failed.details == {"factor": "otp", "failures": 1}
    empty = await post_form(client, mfa_url, {"code": ""}, page=wrong.text)
    assert empty.status_code == 400
    assert error_of(empty.text) == "Enter the code."


async def test_ten_wrong_codes_lock_the_user_out(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    who = await an_enrolled_person(runtime, client)
    _, mfa_url = await to_mfa(runtime, client, who.person)
    page = (await client.get(mfa_url)).text
    for attempt in range(10):
        wrong = await post_form(client, mfa_url, {"code": "000000"}, page=page)
        assert wrong.status_code == 400, attempt
    clock.advance(30)
    locked = await post_form(client, mfa_url, {"code": code_now(runtime, who.secret)}, page=page)
    assert locked.status_code == 429
    assert error_of(locked.text) == "Too many failed attempts. Try again in 6 minutes."
    assert await audit_of(runtime, who.person.user_id, "gd_otp_rate_limit_exceed")
    clock.advance(361)
    done = await post_form(client, mfa_url, {"code": code_now(runtime, who.secret)}, page=page)
    assert location(done).startswith(CALLBACK)


async def test_a_recovery_code_signs_in_once_and_is_replaced(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    who = await an_enrolled_person(runtime, client)
    _, mfa_url = await to_mfa(runtime, client, who.person)
    shown = await client.get(mfa_url)
    form_url = element(shown.text, "use-recovery-code", "href")
    form = await client.get(form_url)
    assert element(form.text, "code", "autocomplete") == "off"
    assert 'id="use-recovery-code"' not in form.text
    answer = who.recovery_code.lower()  # typed back in any case
    page = await post_form(client, form_url, {"code": answer}, page=form.text)
    assert page.status_code == 200
    new_code = text_of(page.text, "recovery-code")
    assert len(new_code) == 24
    assert new_code != who.recovery_code
    assert 'id="recovery-code-replaced"' in page.text
    assert element(page.text, "copy-recovery-code", "data-copy") == "#recovery-code"
    continue_url = element(page.text, "continue", "href")
    assert continue_url == mfa_url.replace("/u/mfa?", "/u/continue?")
    assert location(await client.get(continue_url)).startswith(CALLBACK)
    assert await audit_of(runtime, who.person.user_id, "gd_recovery_succeed")

    client.cookies.clear()  # another browser: a new sign-in
    _, again = await to_mfa(runtime, client, who.person)
    old_url = again + "&factor=recovery-code"
    old = await post_form(client, old_url, {"code": who.recovery_code})
    assert old.status_code == 400
    assert error_of(old.text) == "The code you entered is invalid."
    [failed] = await audit_of(runtime, who.person.user_id, "gd_recovery_failed")
    assert failed.details == {"factor": "recovery-code", "failures": 1}
    page = await post_form(client, old_url, {"code": new_code}, page=old.text)
    assert text_of(page.text, "recovery-code") not in (new_code, who.recovery_code)


async def test_several_authenticators_offer_a_picker(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    who = await an_enrolled_person(runtime, client)
    user_id, info = who.person.user_id, RequestInfo(ip="10.0.0.1")
    clock.advance(60)  # listed oldest first
    second = await hosted_mfa.start_enrolment(runtime, user_id, FactorType.OTP, info)
    secret = second.display["secret"]
    added = await hosted_mfa.confirm_enrolment(
        runtime, user_id, FactorType.OTP, second.authenticator_id, code_now(runtime, secret), info
    )
    assert added.amr == ("otp",)
    assert added.recovery_code is None  # the user already holds one
    clock.advance(30)
    _, mfa_url = await to_mfa(runtime, client, who.person)
    picker = await client.get(mfa_url)
    assert picker.status_code == 200
    assert 'id="factor-picker"' in picker.text
    assert 'id="use-recovery-code"' in picker.text
    first_url = element(picker.text, "choose-1", "href")
    second_url = element(picker.text, "choose-2", "href")
    assert "authenticator=totp%7Cdev_" in second_url
    # A pick narrows the check to that authenticator: the other app's code is wrong there.
    wrong = await post_form(client, first_url, {"code": code_now(runtime, secret)})
    assert wrong.status_code == 400
    form = await client.get(second_url)
    assert element(form.text, "choose-another", "href") == mfa_url
    done = await post_form(client, second_url, {"code": code_now(runtime, secret)}, page=form.text)
    assert location(done).startswith(CALLBACK)


async def test_a_post_without_its_csrf_token_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    who = await an_enrolled_person(runtime, client)
    _, mfa_url = await to_mfa(runtime, client, who.person)
    refused = await client.post(mfa_url, data={"code": code_now(runtime, who.secret)})
    assert refused.status_code == 403
    assert text_of(refused.text, "error-code") == "access_denied"
    assert not await audit_of(runtime, who.person.user_id, "gd_auth_failed")


async def test_an_expired_sign_in_shows_the_error_page(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    who = await an_enrolled_person(runtime, client)
    _, mfa_url = await to_mfa(runtime, client, who.person)
    page = await client.get(mfa_url)
    clock.advance(runtime.settings.oidc.login_ttl + 1)
    for expired in (
        await client.get(mfa_url),
        await post_form(client, mfa_url, {"code": "000000"}, page=page.text),
    ):
        assert expired.status_code == 400
        assert text_of(expired.text, "error-message").startswith("This sign-in has expired")


async def test_a_factor_the_user_does_not_hold_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    who = await an_enrolled_person(runtime, client)
    _, mfa_url = await to_mfa(runtime, client, who.person)
    for query in ("&factor=webauthn-roaming", "&factor=otp&authenticator=totp%7Cdev_nope"):
        refused = await client.get(mfa_url + query)
        assert refused.status_code == 400
        assert text_of(refused.text, "error-message") == "Choose one of your authenticators."
