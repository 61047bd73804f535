"""My MFA settings adds an authenticator (`/u/account/security/add`): the banner's way in,
the recovery code with the first factor, further factors, and what a wrong code does."""

from __future__ import annotations

import html
import re

import httpx

from tests.api.helpers import secret_of
from tests.builders import a_user
from tests.web.account_steps import (
    ACCOUNT,
    an_enrolled_person,
    audit_of,
    authenticators_of,
    open_settings,
    post,
    recovery_grant,
    rows,
    set_policy,
    sign_in,
)
from tests.web.conftest import csrf_of, location, submit_login
from twofold.clock import FrozenClock
from twofold.factors.otp import totp_now
from twofold.flows.runtime import Runtime
from twofold.types import FactorType

ADD = f"{ACCOUNT}/add"
_OTPAUTH = re.compile(r'href="(otpauth://[^"]+)"')
_LINK = re.compile(r'id="setup-mfa-link" href="([^"]+)"')
_CODE = re.compile(r'id="new-recovery-code">([A-Z0-9]{24})<')
_ACTION = re.compile(r'<form method="post" action="([^"]+)" class="stack" id="mfa-form">')
_AUTHENTICATOR_ID = re.compile(r'name="authenticator_id" value="([^"]+)"')


def secret_on(page: str) -> str:
    found = _OTPAUTH.search(page)
    assert found, "no otpauth:// link on the page"
    return secret_of(html.unescape(found.group(1)))


async def confirm(http: httpx.AsyncClient, form_page: httpx.Response, code: str) -> httpx.Response:
    found = _AUTHENTICATOR_ID.search(form_page.text)
    assert found
    form = {"csrf_token": csrf_of(form_page.text), "authenticator_id": found.group(1)}
    return await http.post(f"{ADD}?factor=otp", data=form | {"code": code})


async def test_the_banner_leads_to_a_first_factor_and_its_recovery_code(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    person = await a_user(runtime)
    page = await open_settings(runtime, client, person)
    link = _LINK.search(page.text)
    assert link
    form_page = await client.get(link.group(1))
    assert form_page.status_code == 200
    assert 'id="setup-mfa-banner"' not in form_page.text
    assert 'id="qr" src="data:image/svg+xml;base64,' in form_page.text
    secret = secret_on(form_page.text)
    shown = await confirm(client, form_page, totp_now(secret, now=clock.now()))
    assert shown.status_code == 200
    assert shown.headers["cache-control"] == "no-store"
    code = _CODE.search(shown.text)
    assert code
    page = await client.get(ACCOUNT)
    assert page.status_code == 200
    assert 'id="setup-mfa-banner"' not in page.text
    stored = await authenticators_of(runtime, person.user_id)
    assert stored[FactorType.OTP].status == "active"
    assert rows(page.text)[stored[FactorType.OTP].id]["name"] == "Authenticator app"
    assert stored[FactorType.RECOVERY_CODE].id in rows(page.text)
    [event] = await audit_of(runtime, person.user_id, "gd_enrollment_complete")
    assert event.details == {"authenticator_id": stored[FactorType.OTP].id, "factor": "otp"}


async def test_a_wrong_first_code_shows_the_same_secret_again(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    await open_settings(runtime, client, await a_user(runtime))
    form_page = await client.get(f"{ADD}?factor=otp")
    secret = secret_on(form_page.text)
    wrong = str((int(totp_now(secret, now=clock.now())) + 1) % 1_000_000).zfill(6)
    again = await confirm(client, form_page, wrong)
    assert again.status_code == 400
    assert "The code you entered is invalid." in again.text
    assert secret_on(again.text) == secret
    assert (await confirm(client, again, totp_now(secret, now=clock.now()))).status_code == 200


async def test_a_further_factor_brings_no_new_recovery_code_and_can_be_removed(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, tenant: None
) -> None:
    await set_policy(runtime, "all-applications")
    enrolled = await an_enrolled_person(runtime, client)
    await open_settings(runtime, client, enrolled.person)
    form_page = await client.get(ADD)
    secret = secret_on(form_page.text)
    added = await confirm(client, form_page, totp_now(secret, now=clock.now()))
    assert location(added) == f"{ACCOUNT}?done=added"
    page = await client.get(location(added))
    assert "Authenticator added." in page.text
    names = [row["name"] for row in rows(page.text).values()]
    assert names == ["Authenticator app", "Authenticator app", "Recovery code"]
    assert (await recovery_grant(client, enrolled, enrolled.recovery_code)).status_code == 200
    first = next(iter(rows(page.text)))
    removed = await post(client, "/remove", page, authenticator_id=first)
    assert location(removed) == f"{ACCOUNT}?done=removed"
    page = await client.get(ACCOUNT)
    last = next(iter(rows(page.text)))
    refused = await post(client, "/remove", page, authenticator_id=last)
    assert refused.status_code == 403


async def test_a_signed_out_add_signs_in_and_comes_back_to_it(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    first = await client.get(f"{ADD}?factor=otp")
    login_url = location(first)
    assert login_url.startswith("/u/login?state=")
    back = await submit_login(client, login_url, await a_user(runtime))
    assert location(back) == f"{ADD}?factor=otp"
    form_page = await client.get(location(back))
    assert form_page.status_code == 200
    assert 'id="enrol-form"' in form_page.text


async def test_an_unknown_factor_is_refused(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await open_settings(runtime, client, await a_user(runtime))
    response = await client.get(f"{ADD}?factor=sms")
    assert response.status_code == 400
    assert 'id="error-code">invalid_request<' in response.text


async def test_the_hosted_mfa_page_opens_the_settings(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    enrolled = await an_enrolled_person(runtime, client)
    mfa_url = await sign_in(client, enrolled.person)
    assert mfa_url.startswith("/u/mfa?state=")
    challenge = await client.get(mfa_url)
    action = _ACTION.search(challenge.text)
    assert action
    clock.advance(30)  # the enrolment spent the current time step
    code = totp_now(enrolled.secret, now=clock.now())
    form = {"csrf_token": csrf_of(challenge.text), "code": code}
    passed = await client.post(html.unescape(action.group(1)), data=form)
    assert location(passed) == ACCOUNT
    page = await client.get(ACCOUNT)
    assert page.status_code == 200
    assert 'id="authenticators"' in page.text
