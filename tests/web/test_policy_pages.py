"""The policy decision at the hosted login (ADR 009): a deny goes back to the client, a rule
skips or restricts MFA, its `max_age` and remember-browser setting are honoured, the decision
is audited once per sign-in, and the device cookie makes the next sign-in a known device."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.builders import a_user, an_ip
from tests.web.conftest import CALLBACK, a_web_app, authorize, location, query_of, submit_login
from tests.web.mfa_steps import (
    always,
    an_enrolled_person,
    audit_of,
    code_now,
    element,
    post_form,
    text_of,
    to_mfa,
)
from tests.web.policy_steps import a_rule, decisions, for_person
from tests.web.webauthn_steps import keys_on
from twofold.app import build_runtime, close_runtime, create_app
from twofold.clock import FrozenClock
from twofold.config import Settings
from twofold.flows import sessions
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.types import UserId
from twofold.web.browser import DEVICE_COOKIE, REMEMBER_COOKIE, SESSION_COOKIE

__all__ = ["always", "keys_on"]

DAY = 86400


async def test_a_deny_rule_sends_the_browser_back_with_access_denied(
    runtime: Runtime, client: httpx.AsyncClient, tenant: None
) -> None:
    person = await a_user(runtime)
    name = await a_rule(
        runtime, for_person(person.email, 'request.ip.in_cidr("10.0.0.0/8")'), {"type": "deny"}
    )
    web = await a_web_app(runtime)
    first = await authorize(client, web, state="st-deny")

    refused = await submit_login(client, location(first), person)

    assert location(refused).startswith(CALLBACK + "?")
    assert query_of(location(refused)) == {
        "error": "access_denied",
        "error_description": "Access denied by the sign-in policy.",
        "state": "st-deny",
        "iss": runtime.settings.issuer,
    }
    [decided] = await decisions(runtime, person.user_id)
    assert decided.outcome == "failure"
    assert decided.details["decision"]["outcome"] == "deny"
    assert decided.details["trace"]["decided_by"] == f"rule: {name}"
    assert await audit_of(runtime, person.user_id, "s") == []


async def test_a_skip_rule_beats_the_tenant_policy_always(
    runtime: Runtime, client: httpx.AsyncClient, always: None, clock: FrozenClock
) -> None:
    skipping = await an_enrolled_person(runtime, client)
    asked = await an_enrolled_person(runtime, client)
    await a_rule(runtime, for_person(skipping.person.email), {"type": "skip_mfa"})
    clock.advance(30)

    web, done = await to_mfa(runtime, client, skipping.person)
    del client.cookies[SESSION_COOKIE]
    _, challenged = await to_mfa(runtime, client, asked.person)

    assert done.startswith(CALLBACK + "?code=")
    assert challenged.startswith("/u/mfa?state=")
    [decided] = await decisions(runtime, skipping.person.user_id)
    assert decided.details["decision"]["outcome"] == "skip"
    [login] = [
        s
        for s in await audit_of(runtime, skipping.person.user_id, "s")
        if s.client_id == web.client_id
    ]
    assert login.details["amr"] == ["pwd"]
    assert login.details["risk_assessment"] == decided.details["risk_assessment"]


async def test_a_factor_restriction_hides_the_refused_factor_and_refuses_it_by_name(
    runtime: Runtime, client: httpx.AsyncClient, always: None, clock: FrozenClock
) -> None:
    who = await an_enrolled_person(runtime, client)
    await a_rule(runtime, for_person(who.person.email), {"type": "require_mfa", "factors": ["otp"]})
    clock.advance(30)
    _, mfa_url = await to_mfa(runtime, client, who.person)

    page = await client.get(mfa_url)
    again = await client.get(mfa_url)
    refused = await client.get(mfa_url + "&factor=recovery-code")

    assert page.status_code == 200, page.text[:300]
    assert text_of(page.text, "factor-label") == "Authenticator app"
    assert 'id="use-recovery-code"' not in page.text
    assert again.status_code == 200
    assert refused.status_code == 403
    assert text_of(refused.text, "error-message") == (
        "The sign-in policy does not accept this factor here."
    )
    done = await post_form(client, mfa_url, {"code": code_now(runtime, who.secret)})
    assert location(done).startswith(CALLBACK + "?code=")
    assert len(await decisions(runtime, who.person.user_id)) == 1  # pages read it back


async def test_a_user_holding_only_a_refused_factor_enrols_an_accepted_one(
    runtime: Runtime, client: httpx.AsyncClient, always: None, keys_on: None, clock: FrozenClock
) -> None:
    who = await an_enrolled_person(runtime, client)
    await a_rule(
        runtime,
        for_person(who.person.email),
        {"type": "require_mfa", "factors": ["webauthn-roaming"]},
    )
    clock.advance(30)

    _, step = await to_mfa(runtime, client, who.person)
    enrol = await client.get(step)
    otp_refused = await client.get(step + "&factor=otp")
    challenge = await client.get(step.replace("/u/mfa/enroll", "/u/mfa"))

    assert step.startswith("/u/mfa/enroll?state=")
    assert enrol.status_code == 200, enrol.text[:300]
    assert 'id="enrol-otp"' not in enrol.text
    assert 'name="name"' in enrol.text  # the security key's form: its name first
    assert otp_refused.status_code == 403
    assert location(challenge).startswith("/u/mfa/enroll?state=")


async def test_a_rule_max_age_asks_again_for_an_older_mfa(
    runtime: Runtime, client: httpx.AsyncClient, always: None, clock: FrozenClock
) -> None:
    who = await an_enrolled_person(runtime, client)
    await a_rule(runtime, for_person(who.person.email), {"type": "require_mfa", "max_age": 300})
    clock.advance(30)
    _, mfa_url = await to_mfa(runtime, client, who.person)
    done = await post_form(client, mfa_url, {"code": code_now(runtime, who.secret)})
    assert location(done).startswith(CALLBACK + "?code=")
    web = await a_web_app(runtime)

    clock.advance(200)
    fresh = await authorize(client, web)
    clock.advance(200)
    stale = await authorize(client, web)

    assert location(fresh).startswith(CALLBACK + "?code=")
    assert location(stale).startswith("/u/mfa?state=")


@pytest.fixture
async def remembering(
    settings: Settings, clock: FrozenClock, runtime: Runtime
) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    """An app whose tenant lets users remember a browser (30 days by default)."""
    on = settings.sessions.model_copy(update={"remember_browser": True})
    custom = settings.model_copy(update={"sessions": on})
    rt = await build_runtime(custom, clock=clock)
    transport = httpx.ASGITransport(app=create_app(custom, runtime=rt), client=(an_ip(), 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://twofold.test") as http:
        yield rt, http
    await close_runtime(rt)


async def test_remember_false_hides_the_offer_and_ignores_a_remembered_browser(
    remembering: tuple[Runtime, httpx.AsyncClient], always: None, clock: FrozenClock
) -> None:
    rt, http = remembering
    never = await an_enrolled_person(rt, http)
    default = await an_enrolled_person(rt, http)
    await a_rule(rt, for_person(never.person.email), {"type": "require_mfa"}, remember=False)
    clock.advance(30)

    _, mfa_url = await to_mfa(rt, http, never.person)
    page = await http.get(mfa_url)
    outcomes = []
    for who in (never, default):
        token = await sessions.remember_browser(
            rt, UserId(who.person.user_id), ("otp",), RequestInfo()
        )
        http.cookies.clear()
        http.cookies.set(REMEMBER_COOKIE, token)
        outcomes.append((await to_mfa(rt, http, who.person))[1])

    assert "Authenticator app" in page.text
    assert 'id="remember-browser"' not in page.text
    assert outcomes[0].startswith("/u/mfa?state=")
    assert outcomes[1].startswith(CALLBACK + "?code=")


async def test_a_rule_says_how_many_days_a_browser_is_remembered(
    runtime: Runtime, client: httpx.AsyncClient, always: None, clock: FrozenClock
) -> None:
    """The tenant's default is off: the rule's days turn the offer on, for that long."""
    who = await an_enrolled_person(runtime, client)
    await a_rule(runtime, for_person(who.person.email), {"type": "require_mfa"}, remember=3)
    clock.advance(30)
    _, mfa_url = await to_mfa(runtime, client, who.person)
    page = await client.get(mfa_url)
    assert element(page.text, "remember-browser", "type") == "checkbox"
    assert "Remember this browser for 3 days" in page.text
    fields = {"code": code_now(runtime, who.secret), "remember_browser": "on"}

    done = await post_form(client, mfa_url, fields, page=page.text)

    assert location(done).startswith(CALLBACK + "?code=")
    [cookie] = [c for c in done.headers.get_list("set-cookie") if c.startswith(REMEMBER_COOKIE)]
    assert f"Max-Age={3 * DAY}" in cookie
    clock.advance(2 * DAY)
    del client.cookies[SESSION_COOKIE]
    assert (await to_mfa(runtime, client, who.person))[1].startswith(CALLBACK + "?code=")
    clock.advance(2 * DAY)
    del client.cookies[SESSION_COOKIE]
    assert (await to_mfa(runtime, client, who.person))[1].startswith("/u/mfa?state=")


async def test_the_device_cookie_makes_the_next_sign_in_a_known_device(
    runtime: Runtime, client: httpx.AsyncClient, never: None
) -> None:
    person = await a_user(runtime)
    web = await a_web_app(runtime)

    first = await authorize(client, web)
    [cookie] = [c for c in first.headers.get_list("set-cookie") if c.startswith(DEVICE_COOKIE)]
    login_page = await client.get(location(first))
    done = await submit_login(client, location(first), person)
    del client.cookies[SESSION_COOKIE]
    again = await authorize(client, web)
    second = await submit_login(client, location(again), person)

    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert f"Max-Age={400 * DAY}" in cookie
    assert not [c for c in login_page.headers.get_list("set-cookie") if DEVICE_COOKIE in c]
    assert location(done).startswith(CALLBACK + "?code=")
    assert location(second).startswith(CALLBACK + "?code=")
    made = await decisions(runtime, person.user_id)
    assert [d.details["risk_assessment"]["assessments"]["NewDevice"]["code"] for d in made] == [
        "initial_login",
        "match",
    ]
    assert [d.details["trace"]["decided_by"] for d in made] == ["tenant policy: never"] * 2
    logins = await audit_of(runtime, person.user_id, "s")
    assert [s.details["risk_assessment"] for s in logins] == [
        d.details["risk_assessment"] for d in made
    ]
