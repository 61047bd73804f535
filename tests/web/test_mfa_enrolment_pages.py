"""`/u/mfa/enroll` and "remember this browser": a first factor set up during a sign-in, and a
later sign-in that a remembered browser lets through (under the tenant policy only)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.api.helpers import secret_of
from tests.builders import a_user, an_ip
from tests.web.conftest import CALLBACK, csrf_of, location, query_of
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
from twofold.app import build_runtime, close_runtime, create_app
from twofold.clock import FrozenClock
from twofold.config import Settings
from twofold.flows.runtime import Runtime
from twofold.flows.tokens import MULTI_FACTOR_ACR
from twofold.types import AuthenticatorStatus, FactorType
from twofold.web.browser import REMEMBER_COOKIE, SESSION_COOKIE

pytestmark = pytest.mark.usefixtures("always")  # every sign-in here needs MFA

Remembering = tuple[Runtime, httpx.AsyncClient]


@pytest.fixture
async def remembering(
    settings: Settings, clock: FrozenClock, runtime: Runtime
) -> AsyncIterator[Remembering]:
    """An app whose tenant lets users remember a browser (`sessions.remember_browser`); it
    shares the database and key files that `runtime` prepared."""
    sessions = settings.sessions.model_copy(update={"remember_browser": True})
    custom = settings.model_copy(update={"sessions": sessions})
    rt = await build_runtime(custom, clock=clock)
    transport = httpx.ASGITransport(app=create_app(custom, runtime=rt), client=(an_ip(), 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://twofold.test") as http:
        yield rt, http
    await close_runtime(rt)


async def test_enrolment_shows_the_secret_and_the_first_code_confirms_it(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    person = await a_user(runtime)
    _, enrol_url = await to_mfa(runtime, client, person)
    assert enrol_url.startswith("/u/mfa/enroll?state=req_")
    page = await client.get(enrol_url)
    assert page.status_code == 200
    secret = text_of(page.text, "totp-secret")
    link = element(page.text, "otpauth-link", "href")
    assert link.startswith("otpauth://totp/Twofold:")
    assert secret_of(link) == secret
    assert element(page.text, "qr", "src").startswith("data:image/svg+xml;base64,")
    assert "authenticator app" in element(page.text, "qr", "alt")
    assert element(page.text, "copy-secret", "data-copy") == "#totp-secret"
    assert element(page.text, "code", "autocomplete") == "one-time-code"

    wrong = await post_form(client, enrol_url, {"code": "000000"}, page=page.text)
    assert wrong.status_code == 400
    assert error_of(wrong.text) == "The code you entered is invalid."
    assert text_of(wrong.text, "totp-secret") == secret  # the same pending secret, not a new one

    shown = await post_form(client, enrol_url, {"code": code_now(runtime, secret)}, page=wrong.text)
    assert shown.status_code == 200
    recovery_code = text_of(shown.text, "recovery-code")
    assert len(recovery_code) == 24
    assert 'id="recovery-code-replaced"' not in shown.text
    continue_url = element(shown.text, "continue", "href")
    assert continue_url.startswith("/u/continue?state=req_")
    done = await client.get(continue_url)
    assert location(done).startswith(CALLBACK)
    assert len(query_of(location(done))["code"]) == 43

    async with runtime.store.read() as tx:
        items = await tx.authenticators.for_user(person.user_id)
    assert sorted((a.type, a.status) for a in items) == [
        (FactorType.OTP, AuthenticatorStatus.ACTIVE),
        (FactorType.RECOVERY_CODE, AuthenticatorStatus.ACTIVE),
    ]
    for event in ("gd_start_enroll", "gd_enrollment_complete", "gd_auth_failed"):
        assert len(await audit_of(runtime, person.user_id, event)) == 1, event


async def test_a_reload_replaces_the_pending_secret(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    person = await a_user(runtime)
    _, enrol_url = await to_mfa(runtime, client, person)
    first = await client.get(enrol_url)
    second = await client.get(enrol_url)
    old_secret = text_of(first.text, "totp-secret")
    assert text_of(second.text, "totp-secret") != old_secret
    stale = await post_form(
        client, enrol_url, {"code": code_now(runtime, old_secret)}, page=first.text
    )
    assert stale.status_code == 400
    assert text_of(stale.text, "error-message").startswith("This enrolment has expired")


async def test_a_user_with_a_factor_cannot_enrol_with_the_password_alone(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    who = await an_enrolled_person(runtime, client)
    _, mfa_url = await to_mfa(runtime, client, who.person)
    enrol_url = mfa_url.replace("/u/mfa?", "/u/mfa/enroll?")
    assert location(await client.get(enrol_url)) == mfa_url
    csrf = csrf_of((await client.get(mfa_url)).text)
    fields = {"csrf_token": csrf, "code": "123456", "authenticator_id": "totp|dev_x"}
    assert location(await client.post(enrol_url, data=fields)) == mfa_url
    assert len(await audit_of(runtime, who.person.user_id, "gd_start_enroll")) == 1  # the API's


async def test_enrolment_refuses_a_post_without_its_csrf_token(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    person = await a_user(runtime)
    _, enrol_url = await to_mfa(runtime, client, person)
    refused = await client.post(enrol_url, data={"code": "123456", "authenticator_id": "x"})
    assert refused.status_code == 403


async def test_nothing_to_enrol_when_the_tenant_disabled_otp(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    async with runtime.store.transaction() as tx:
        await tx.tenant.set_factor("otp", enabled=False)
    person = await a_user(runtime)
    _, enrol_url = await to_mfa(runtime, client, person)
    refused = await client.get(enrol_url)
    assert refused.status_code == 400
    assert text_of(refused.text, "error-message") == "No factor can be enrolled on this tenant."


async def test_a_remembered_browser_skips_mfa_under_the_policy_only(
    remembering: Remembering, clock: FrozenClock
) -> None:
    rt, http = remembering
    who = await an_enrolled_person(rt, http)
    clock.advance(30)
    _, mfa_url = await to_mfa(rt, http, who.person)
    page = await http.get(mfa_url)
    assert element(page.text, "remember-browser", "type") == "checkbox"
    assert "Remember this browser for 30 days" in page.text
    fields = {"code": code_now(rt, who.secret), "remember_browser": "on"}
    done = await post_form(http, mfa_url, fields, page=page.text)
    assert location(done).startswith(CALLBACK)
    assert REMEMBER_COOKIE in http.cookies
    assert len(await audit_of(rt, who.person.user_id, "tf_rb_add")) == 1

    del http.cookies[SESSION_COOKIE]  # signed out; the browser is still remembered
    _, skipped = await to_mfa(rt, http, who.person)
    assert skipped.startswith(CALLBACK)

    del http.cookies[SESSION_COOKIE]
    _, asked = await to_mfa(rt, http, who.person, acr_values=MULTI_FACTOR_ACR)
    assert asked.startswith("/u/mfa?state=")
    explicit = await http.get(asked)
    assert 'id="remember-browser"' not in explicit.text
