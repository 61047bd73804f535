"""A phone for text-message codes in a real browser: a person without a factor adds one in My
MFA settings (each code read off the loopback Twilio, as their phone would show it), then
signs in to an application with a code sent by text message.

This module's server sends SMS and calls to the loopback Twilio; the session's server writes
them to the console outbox, so the module brings its own `live`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import Page, expect
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.oob import a_number, last_sms
from tests.browser.artifacts import Shots
from tests.browser.helpers import CALLBACK, a_login_app, answer_callbacks, authorize_path
from tests.browser.pages import BrowserPages
from tests.browser.server import LiveServer
from tests.browser.sign_in import ALWAYS, CHALLENGE, give_password, tenant_policy
from tests.browser.test_page_usability import UNLABELLED
from tests.builders import a_user
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio, fake_twilio
from twofold.config import ChannelSettings, Settings
from twofold.factors.destinations import mask_phone
from twofold.factors.oob import PHONE_CHANNELS
from twofold.flows.management import guardian_factors, set_guardian_factor
from twofold.flows.oob_limits import tenant_key
from twofold.flows.runtime import Runtime

SECURITY = "/u/account/security"


@pytest.fixture(scope="module")
def twilio() -> Iterator[FakeTwilio]:
    with fake_twilio() as fake:
        yield fake


@pytest.fixture(scope="module")
def live(settings: Settings, engine: AsyncEngine, twilio: FakeTwilio) -> Iterator[LiveServer]:
    """A server like the session's, on the same database, whose SMS go to `twilio`."""
    channels = ChannelSettings.model_validate(
        {
            "sms": {"provider": "twilio"},
            "voice": {"provider": "twilio"},
            "twilio": {
                "account_sid": ACCOUNT_SID,
                "auth_token": SecretStr(AUTH_TOKEN),
                "from_number": FROM_NUMBER,
                "base_url": twilio.url,
            },
        }
    )
    server = LiveServer(settings.model_copy(update={"channels": channels}))
    try:
        server.start()
        yield server
    finally:
        server.stop()


async def refill_tenant_budget(rt: Runtime) -> None:
    """Forget the tenant's SMS and voice send buckets. This server's clock is the wall clock,
    ahead of the frozen clock the other suites share: a send charged here would leave those
    buckets looking spent to every test that runs after this one."""
    for channel in PHONE_CHANNELS:
        await rt.limiter.reset(tenant_key(channel))


@pytest.fixture
async def sms_on(live: LiveServer) -> AsyncIterator[None]:
    """The tenant's sms factor on and every sign-in asking for MFA, put back afterwards: the
    database is the whole session's."""
    before = {item["name"]: item["enabled"] for item in await live.run(guardian_factors)}
    await live.run(set_guardian_factor, "sms", enabled=True, actor="browser-test")
    try:
        async with tenant_policy(live, ALWAYS):
            yield
    finally:
        await live.run(
            set_guardian_factor, "sms", enabled=bool(before["sms"]), actor="browser-test"
        )
        await live.run(refill_tenant_budget)


async def add_a_phone(page: Page, shot: Shots, twilio: FakeTwilio, phone: str) -> None:
    """From the "Set Up MFA" banner to the phone listed, masked."""
    await expect(page.locator("#setup-mfa-banner")).to_be_visible()
    await page.click("#setup-mfa-link")
    await page.click("#add-sms")
    field = page.locator("#destination")
    await expect(field).to_have_attribute("type", "tel")
    await expect(field).to_have_attribute("autocomplete", "tel")
    await field.fill(phone)
    assert await page.evaluate(UNLABELLED) == []
    await shot(page, "phone number")
    await page.click("#submit")
    await expect(page.locator("#sent-to")).to_have_text(mask_phone(phone))
    await expect(page.locator("#call-me-button")).to_be_visible()
    assert await page.evaluate(UNLABELLED) == []
    await page.fill("#code", last_sms(twilio, phone))
    await shot(page, "code by text message")
    await page.click("#submit")
    await expect(page.locator("#new-recovery-code")).not_to_be_empty()
    await page.click("#recovery-code-done")
    await expect(page.locator("#setup-mfa-banner")).to_have_count(0)
    phone_row = page.locator("#authenticators tr[data-authenticator-id^='sms|']")
    await expect(phone_row.locator(".name")).to_have_text(mask_phone(phone))
    await expect(phone_row.locator(".type")).to_have_text("Text message")
    await shot(page, "phone listed")


@pytest.mark.usefixtures("sms_on")
async def test_a_phone_added_in_my_mfa_settings_signs_in_by_text_message(
    live: LiveServer, pages: BrowserPages, page: Page, shot: Shots, twilio: FakeTwilio
) -> None:
    person = await live.run(a_user)
    client = await live.run(a_login_app)
    phone = a_number()
    await page.goto(SECURITY)
    await give_password(page, shot, person)
    await add_a_phone(page, shot, twilio, phone)

    elsewhere = await pages.open()  # another browser: a new sign-in, to an application
    await answer_callbacks(elsewhere)
    await elsewhere.goto(authorize_path(client))
    await give_password(elsewhere, shot, person)
    await expect(elsewhere).to_have_url(CHALLENGE)
    await expect(elsewhere.locator("#factor-label")).to_have_text("Text message")
    await elsewhere.fill("#code", last_sms(twilio, phone))
    await shot(elsewhere, "sign-in code by text message")
    await elsewhere.click("#submit")

    await expect(elsewhere).to_have_url(re.compile(rf"^{re.escape(CALLBACK)}\?code="))
    assert len([m for m in twilio.messages() if m["To"] == phone]) == 2
