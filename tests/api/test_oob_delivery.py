"""What can stop a code from going out: an invalid number (400), the send limits (429: per
user, per destination, per tenant), the country lists (403), and a provider that fails or
hangs (503 `delivery_failed`, every attempt audited, and the `mfa_token` and the resend still
working once the provider is back)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.api.conftest import TokenFactory
from tests.api.helpers import mfa_token
from tests.api.oob import (
    Oob,
    a_number,
    associate_oob,
    audit_of,
    challenge,
    factors_on,
    last_mail,
    last_sms,
    oob,
    oob_app,
    oob_grant,
    with_otp,
)
from tests.builders import a_client, a_user
from twofold.clock import FrozenClock
from twofold.config import SendLimits, Settings
from twofold.factors.destinations import mask_phone
from twofold.flows.oob_limits import tenant_key
from twofold.store.tables import oob_challenges

__all__ = ["oob"]


@pytest.mark.parametrize(
    ("typed", "description"),
    [
        ("4155552671", "phone_number must start with + and its country code, e.g. +14155552671."),
        ("+1-800-FLOWERS", "phone_number must be a phone number, e.g. +14155552671."),
        ("+1 415 000 0000", "phone_number is not a valid number in its country."),
    ],
)
async def test_an_invalid_number_is_a_400(oob: Oob, typed: str, description: str) -> None:
    app, person = await a_client(oob.rt), await a_user(oob.rt)
    token = await mfa_token(oob.http, app, person)
    refused = await associate_oob(oob.http, token, "sms", phone_number=typed)
    assert refused.status_code == 400
    assert refused.json() == {"error": "invalid_phone_number", "error_description": description}
    assert oob.twilio.hits == 0


async def test_a_missing_destination_or_channel_is_a_400(oob: Oob) -> None:
    app, person = await a_client(oob.rt), await a_user(oob.rt)
    token = await mfa_token(oob.http, app, person)
    no_phone = await associate_oob(oob.http, token, "sms")
    assert no_phone.json() == {
        "error": "invalid_request",
        "error_description": "Missing required parameter: phone_number",
    }
    unknown = await associate_oob(oob.http, token, "carrier-pigeon")
    assert unknown.status_code == 400
    assert unknown.json()["error"] == "invalid_request"
    assert "oob_channels" in unknown.json()["error_description"]


async def test_the_users_sms_burst_runs_out(oob: Oob) -> None:
    app, person = await a_client(oob.rt), await a_user(oob.rt)
    token = await mfa_token(oob.http, app, person)
    for _ in range(10):
        sent = await associate_oob(oob.http, token, "sms", phone_number=a_number())
        assert sent.status_code == 200, sent.text

    refused = await associate_oob(oob.http, token, "sms", phone_number=a_number())

    assert refused.status_code == 429
    assert refused.json() == {
        "error": "too_many_sms",
        "error_description": "Too many SMS messages sent. Try again later.",
    }
    assert refused.headers["retry-after"] == "3600"
    assert len(oob.twilio.messages()) == 10
    [failure] = await audit_of(oob.rt, person.user_id, "gd_send_sms_failure")
    assert (failure.details["reason"], failure.details["limit"]) == ("too_many_sms", "user")


@pytest.mark.parametrize("fault", ["5xx", "timeout"])
async def test_a_provider_failure_is_a_503_and_the_resend_works(oob: Oob, fault: str) -> None:
    phone = a_number()
    app, person = await a_client(oob.rt), await a_user(oob.rt)
    enrol = await mfa_token(oob.http, app, person)
    body = (await associate_oob(oob.http, enrol, "sms", phone_number=phone)).json()
    confirmed = await oob_grant(oob.http, app, enrol, body["oob_code"], last_sms(oob.twilio, phone))
    assert confirmed.status_code == 200, confirmed.text
    token = await mfa_token(oob.http, app, person)
    if fault == "5xx":
        oob.twilio.fail(503, times=3)
    else:
        oob.twilio.stall(1.0, times=3)

    failed = await challenge(oob.http, app, token)

    assert failed.status_code == 503
    assert failed.json() == {
        "error": "delivery_failed",
        "error_description": "The code could not be delivered. Try again in a moment.",
    }
    failures = await audit_of(oob.rt, person.user_id, "gd_send_sms_failure")
    status = 503 if fault == "5xx" else None
    assert [(f.details["provider"], f.details.get("status")) for f in failures] == [
        ("twilio", status)
    ] * 3
    assert all(f.details["reason"] == "delivery_failed" for f in failures)
    resent = await challenge(oob.http, app, token)
    assert resent.status_code == 200, resent.text
    granted = await oob_grant(
        oob.http, app, token, resent.json()["oob_code"], last_sms(oob.twilio, phone)
    )
    assert granted.status_code == 200, granted.text
    async with oob.rt.store.read() as tx:
        kept = await tx.conn.execute(
            select(func.count())
            .select_from(oob_challenges)
            .where(oob_challenges.c.authenticator_id == body["id"])
        )
    assert kept.scalar_one() == 3  # the enrolment's, the undelivered one, the resend


async def test_a_retried_attempt_is_audited_beside_the_send(oob: Oob) -> None:
    app, person = await a_client(oob.rt), await a_user(oob.rt)
    token = await mfa_token(oob.http, app, person)
    oob.twilio.fail(500)
    sent = await associate_oob(oob.http, token, "sms", phone_number=a_number())
    assert sent.status_code == 200, sent.text
    [retried] = await audit_of(oob.rt, person.user_id, "gd_send_sms_failure")
    assert (retried.details["reason"], retried.details["status"]) == ("retried", 500)
    [done] = await audit_of(oob.rt, person.user_id, "gd_send_sms")
    assert (done.details["provider"], done.details["attempts"]) == ("twilio", 2)


async def test_one_number_is_limited_whichever_users_enrol_it(oob: Oob) -> None:
    phone = a_number()
    for _ in range(10):
        app, person = await a_client(oob.rt), await a_user(oob.rt)
        token = await mfa_token(oob.http, app, person)
        sent = await associate_oob(oob.http, token, "sms", phone_number=phone)
        assert sent.status_code == 200, sent.text
    app, person = await a_client(oob.rt), await a_user(oob.rt)
    token = await mfa_token(oob.http, app, person)

    refused = await associate_oob(oob.http, token, "sms", phone_number=phone)

    assert refused.status_code == 429
    assert refused.json()["error"] == "too_many_sms"
    [failure] = await audit_of(oob.rt, person.user_id, "gd_send_sms_failure")
    assert (failure.details["limit"], failure.details["to"]) == ("destination", mask_phone(phone))
    other = await associate_oob(oob.http, token, "sms", phone_number=a_number())
    assert other.status_code == 200, other.text


@pytest.fixture
async def small_tenant(  # noqa: PLR0917 - pytest passes fixtures by name
    settings: Settings,
    clock: FrozenClock,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    tenant: None,
    tmp_path: Path,
) -> AsyncIterator[Oob]:
    """A tenant allowed 2 SMS an hour, and only US numbers. The tenant's bucket is shared by
    the session (whose tests all start at the same instant): full before, full after."""
    await factors_on(client, auth)
    limits = SendLimits(tenant_per_hour=2)
    async with oob_app(settings, clock, tmp_path, sms=limits, countries_allowed=["US"]) as app:
        await app.rt.limiter.reset(tenant_key("sms"))
        yield app
        await app.rt.limiter.reset(tenant_key("sms"))


async def test_the_tenant_budget_refuses_every_user(small_tenant: Oob) -> None:
    oob = small_tenant
    for _ in range(2):
        app, person = await a_client(oob.rt), await a_user(oob.rt)
        token = await mfa_token(oob.http, app, person)
        sent = await associate_oob(oob.http, token, "sms", phone_number=a_number())
        assert sent.status_code == 200, sent.text
    app, person = await a_client(oob.rt), await a_user(oob.rt)
    token = await mfa_token(oob.http, app, person)

    refused = await associate_oob(oob.http, token, "sms", phone_number=a_number())

    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1800"
    [failure] = await audit_of(oob.rt, person.user_id, "gd_send_sms_failure")
    assert (failure.details["reason"], failure.details["limit"]) == ("too_many_sms", "tenant")


async def test_a_country_outside_the_allow_list_is_a_403(small_tenant: Oob) -> None:
    oob = small_tenant
    app, person = await a_client(oob.rt), await a_user(oob.rt)
    token = await mfa_token(oob.http, app, person)

    refused = await associate_oob(oob.http, token, "voice", phone_number="+33612345678")

    assert refused.status_code == 403
    assert refused.json() == {
        "error": "sms_country_not_allowed",
        "error_description": "Codes cannot be sent to phone numbers in this country.",
    }
    assert oob.twilio.hits == 0
    [failure] = await audit_of(oob.rt, person.user_id, "gd_send_voice_failure")
    assert (failure.details["reason"], failure.details["country"]) == (
        "sms_country_not_allowed",
        "FR",
    )


async def test_a_relay_that_keeps_refusing_is_a_503_and_the_resend_works(
    oob: Oob, clock: FrozenClock
) -> None:
    app, person, access = await with_otp(oob, clock)
    address = f"relay-{person.user_id[-6:]}@example.com"
    body = (await associate_oob(oob.http, access, "email", email=address)).json()
    token = await mfa_token(oob.http, app, person)
    confirmed = await oob_grant(
        oob.http, app, token, body["oob_code"], last_mail(oob.relay, address)
    )
    assert confirmed.status_code == 200, confirmed.text
    token = await mfa_token(oob.http, app, person)
    oob.relay.answer("451 4.3.0 Try again later", times=3)

    failed = await challenge(oob.http, app, token, authenticator_id=body["id"])

    assert failed.status_code == 503
    assert failed.json()["error"] == "delivery_failed"
    failures = await audit_of(oob.rt, person.user_id, "gd_send_email_failure")
    assert [(f.details["provider"], f.details["status"]) for f in failures] == [("smtp", 451)] * 3
    resent = await challenge(oob.http, app, token, authenticator_id=body["id"])
    assert resent.status_code == 200, resent.text
    granted = await oob_grant(
        oob.http, app, token, resent.json()["oob_code"], last_mail(oob.relay, address)
    )
    assert granted.status_code == 200, granted.text
