"""Adaptive MFA's email check on the hosted login (ADR 009, as Auth0 does it): a user with no
factor signing in with low confidence (their IP is on the operator's deny list) types back a
code mailed through a real SMTP relay on loopback before the sign-in goes on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.api.oob import channel_settings, last_mail
from tests.builders import Person, a_user, an_ip
from tests.fakes.smtp import Relay, make_certificate, smtp_server
from tests.fakes.twilio import fake_twilio
from tests.web.conftest import CALLBACK, location, submit_login
from tests.web.mfa_steps import audit_of, error_of, submit, text_of, to_mfa
from tests.web.policy_steps import decisions
from twofold.app import build_runtime, close_runtime, create_app
from twofold.clock import FrozenClock
from twofold.config import Settings
from twofold.factors.destinations import mask_email
from twofold.flows.runtime import Runtime
from twofold.flows.tokens import MULTI_FACTOR_ACR
from twofold.policy.engine import POLICY_KEY, TenantPolicy


@dataclass
class Untrusted:
    """An app whose client address is on the policy's deny list, mailing through `relay`."""

    rt: Runtime
    http: httpx.AsyncClient
    relay: Relay


@pytest.fixture
async def untrusted(
    settings: Settings, clock: FrozenClock, runtime: Runtime, tenant: None, tmp_path: Path
) -> AsyncIterator[Untrusted]:
    async with runtime.store.transaction() as tx:
        await tx.tenant.put(POLICY_KEY, [TenantPolicy.ADAPTIVE.value])
    certificate = make_certificate(tmp_path)
    relay = Relay()
    with fake_twilio() as twilio:
        async with smtp_server(relay, certificate, security="starttls") as port:
            channels = channel_settings(twilio, smtp_port=port, ca_file=certificate.cert_path)
            policy = settings.policy.model_copy(update={"ip_deny_list": ["10.0.0.0/8"]})
            custom = settings.model_copy(update={"channels": channels, "policy": policy})
            rt = await build_runtime(custom, clock=clock)
            transport = httpx.ASGITransport(app=create_app(custom, runtime=rt), client=(an_ip(), 1))
            async with httpx.AsyncClient(transport=transport, base_url="http://twofold.test") as h:
                yield Untrusted(rt, h, relay)
            await close_runtime(rt)


async def at_the_email_step(it: Untrusted, **extra: str) -> tuple[Person, str, httpx.Response]:
    person = await a_user(it.rt)
    _, step = await to_mfa(it.rt, it.http, person, **extra)
    assert step.startswith("/u/verify-email?state="), step
    return person, step, await it.http.get(step)


async def test_the_mailed_code_lets_the_sign_in_go_on(untrusted: Untrusted) -> None:
    person, _, page = await at_the_email_step(untrusted)
    assert page.status_code == 200, page.text[:300]
    assert mask_email(person.email) in text_of(page.text, "verify-description")
    first = last_mail(untrusted.relay, person.email)
    wrong = f"{(int(first) + 1) % 10**6:06d}"

    refused = await submit(untrusted.http, page.text, "verify-email-form", code=wrong)
    resent = await submit(untrusted.http, page.text, "resend")
    second = last_mail(untrusted.relay, person.email)
    done = await submit(untrusted.http, resent.text, "verify-email-form", code=second)

    assert refused.status_code == 400
    assert error_of(refused.text) == "The code you entered is invalid."
    assert resent.status_code == 200
    assert text_of(resent.text, "notice") == "We sent a new code."
    assert location(done).startswith(CALLBACK + "?code=")
    rt, user_id = untrusted.rt, person.user_id
    [decided] = await decisions(rt, user_id)
    assert decided.details["trace"]["decided_by"] == "tenant policy: adaptive"
    assert decided.details["risk_assessment"]["confidence"] == "low"
    assert decided.details["trace"]["assessors"][2] == {
        "assessor": "UntrustedIP",
        "risky": True,
        "code": "found_on_deny_list",
    }
    assert len(await audit_of(rt, user_id, "gd_send_email")) == 2
    [failed] = await audit_of(rt, user_id, "gd_auth_failed")
    assert failed.details["factor"] == "email"
    [verified] = await audit_of(rt, user_id, "tf_login_email_verified")
    assert verified.details == {"to": mask_email(person.email)}
    [login] = await audit_of(rt, user_id, "s")
    assert login.details["risk_assessment"] == decided.details["risk_assessment"]


async def test_a_reload_sends_no_second_code(untrusted: Untrusted) -> None:
    person, step, _ = await at_the_email_step(untrusted)

    again = await untrusted.http.get(step)

    assert again.status_code == 200
    assert len([m for m in untrusted.relay.mails if m.recipients == [person.email]]) == 1
    assert len(await decisions(untrusted.rt, person.user_id)) == 1


async def test_five_wrong_codes_kill_the_code(untrusted: Untrusted) -> None:
    person, _, page = await at_the_email_step(untrusted)
    right = last_mail(untrusted.relay, person.email)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for _ in range(5):
        refused = await submit(untrusted.http, page.text, "verify-email-form", code=wrong)
        assert error_of(refused.text) == "The code you entered is invalid."

    late = await submit(untrusted.http, page.text, "verify-email-form", code=right)

    assert late.status_code == 400
    assert error_of(late.text) == "Too many wrong codes. Send a new one."


async def test_a_failed_delivery_says_so_and_a_resend_works(untrusted: Untrusted) -> None:
    untrusted.relay.answer("451 4.3.0 Try again later", times=3)  # every retry refused
    person = await a_user(untrusted.rt)
    _, step = await to_mfa(untrusted.rt, untrusted.http, person)

    failed = await untrusted.http.get(step)
    resent = await submit(untrusted.http, failed.text, "resend")

    assert failed.status_code == 503
    assert error_of(failed.text) == "We could not send the code. Try again in a moment."
    assert resent.status_code == 200, resent.text[:300]
    code = last_mail(untrusted.relay, person.email)
    done = await submit(untrusted.http, resent.text, "verify-email-form", code=code)
    assert location(done).startswith(CALLBACK + "?code=")


async def test_an_application_asking_for_mfa_still_enrols_after_the_check(
    untrusted: Untrusted,
) -> None:
    person, _, page = await at_the_email_step(untrusted, acr_values=MULTI_FACTOR_ACR)
    code = last_mail(untrusted.relay, person.email)

    done = await submit(untrusted.http, page.text, "verify-email-form", code=code)

    assert location(done).startswith("/u/mfa/enroll?state=")


async def test_the_password_page_does_not_decide(untrusted: Untrusted) -> None:
    """Only the step after the password decides: showing the form audits nothing."""
    person = await a_user(untrusted.rt)
    _, step = await to_mfa(untrusted.rt, untrusted.http, person)
    login_url = step.replace("/u/verify-email", "/u/login")
    await untrusted.http.get(login_url)
    shown = await submit_login(untrusted.http, login_url, person)
    assert location(shown).startswith("/u/verify-email?state=")
    assert len(await decisions(untrusted.rt, person.user_id)) == 1
