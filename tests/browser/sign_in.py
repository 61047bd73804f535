"""What a person does on Twofold's hosted pages, in the browser: gives the password, reads the
TOTP key off the enrol page into "their app" (pyotp), types the codes, notes the recovery code.
Each step photographs the filled page before it submits, so the shots tell the walk."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from playwright.async_api import Page, expect

from tests.browser.artifacts import Shots
from tests.browser.helpers import totp_now
from tests.browser.server import LiveServer
from tests.builders import Person
from twofold.flows.management import mfa_policies, set_mfa_policies
from twofold.policy.engine import TenantPolicy

ALWAYS = [TenantPolicy.ALWAYS.value]
LOGIN = re.compile(r"/u/login\?state=")
ENROL = re.compile(r"/u/mfa/enroll\?")
CHALLENGE = re.compile(r"/u/mfa\?")


@asynccontextmanager
async def tenant_policy(live: LiveServer, policies: Sequence[str]) -> AsyncIterator[None]:
    """The tenant's MFA policy for one test, put back after it: the server is shared."""
    before = await live.run(mfa_policies)
    await live.run(set_mfa_policies, list(policies), actor="browser-test")
    try:
        yield
    finally:
        await live.run(set_mfa_policies, before, actor="browser-test")


def code_now(live: LiveServer, secret: str) -> str:
    """The code the person's app shows at the server's time (the test may have moved it)."""
    return totp_now(secret, at=live.clock.now())


async def give_password(page: Page, shot: Shots, person: Person) -> None:
    await expect(page).to_have_url(LOGIN)
    await page.fill("#username", person.email)
    await page.fill("#password", person.password)
    await shot(page, "login")
    await page.click("#submit")


async def totp_secret(page: Page) -> str:
    """The key as the enrol page shows it for typing into an app (spaces are for reading)."""
    return (await page.inner_text("#totp-secret")).replace(" ", "")


@dataclass(frozen=True, slots=True)
class AppKey:
    """What the person's authenticator app holds, and the code that confirmed it (its time
    step is spent: the server refuses that code from now on)."""

    secret: str
    first_code: str


async def enrol_totp(page: Page, shot: Shots, live: LiveServer) -> AppKey:
    """Add the key shown on the page to "the app" and confirm it with its first code.

    Works on the sign-in's enrol page and on My MFA settings' add page alike.
    """
    secret = await totp_secret(page)
    link = await page.get_attribute("#otpauth-link", "href")
    assert link is not None
    assert link.startswith("otpauth://totp/")
    assert f"secret={secret}" in link
    code = code_now(live, secret)
    await page.fill("#code", code)
    await shot(page, "totp enrol")
    await page.click("#submit")
    return AppKey(secret, code)


async def keep_recovery_code(page: Page, shot: Shots) -> str:
    """The recovery code shown once after the first factor, then on with the sign-in."""
    await expect(page.locator("#recovery-code-title")).to_be_visible()
    code = (await page.inner_text("#recovery-code")).strip()
    assert code
    await shot(page, "recovery code")
    await page.click("#continue")
    return code


async def answer_totp(page: Page, shot: Shots, live: LiveServer, secret: str) -> None:
    """The challenge of a sign-in that already knows the password."""
    await expect(page).to_have_url(CHALLENGE)
    await expect(page.locator("#password")).to_have_count(0)
    await page.fill("#code", code_now(live, secret))
    await shot(page, "totp challenge")
    await page.click("#submit")
