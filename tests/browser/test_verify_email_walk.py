"""Adaptive MFA's email check in a real browser: a person with no factor signs in from an
address on the operator's deny list, reads the code off the console outbox as their mailbox
would show it, types a wrong one, asks for another, and lands on the application.

This module's server puts loopback on the policy's deny list; the session's does not, so
the module brings its own `live`.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.browser.artifacts import Shots
from tests.browser.helpers import CALLBACK, a_login_app, answer_callbacks, authorize_path
from tests.browser.server import LiveServer
from tests.browser.sign_in import give_password, tenant_policy
from tests.browser.test_page_usability import UNLABELLED
from tests.builders import a_user
from twofold.config import Settings
from twofold.factors.destinations import mask_email
from twofold.flows.oob_limits import tenant_key
from twofold.flows.runtime import Runtime
from twofold.policy.engine import TenantPolicy

VERIFY = re.compile(r"/u/verify-email\?state=")
SIX_DIGITS = re.compile(r"\b(\d{6})\b")


@pytest.fixture(scope="module")
def live(settings: Settings, engine: AsyncEngine) -> Iterator[LiveServer]:
    """A server like the session's, on the same database, that does not trust loopback."""
    policy = settings.policy.model_copy(update={"ip_deny_list": ["127.0.0.0/8", "::1/128"]})
    server = LiveServer(settings.model_copy(update={"policy": policy}))
    try:
        server.start()
        yield server
    finally:
        server.stop()


async def refill_email_budget(rt: Runtime) -> None:
    """Forget the tenant's email send bucket. This server's clock is the wall clock, ahead of
    the frozen clock the other suites share: a send charged here would leave the bucket
    looking spent to every test that runs after this one."""
    await rt.limiter.reset(tenant_key("email"))


@pytest.fixture
async def adaptive(live: LiveServer) -> AsyncIterator[None]:
    try:
        async with tenant_policy(live, [TenantPolicy.ADAPTIVE.value]):
            yield
    finally:
        await live.run(refill_email_budget)


def mails_to(data_dir: Path, address: str) -> list[str]:
    """The codes of the mails the console channel wrote for `address`, oldest first."""
    outbox = data_dir / "outbox.jsonl"
    lines = (
        [json.loads(line) for line in outbox.read_text().splitlines()] if outbox.exists() else []
    )
    return [
        SIX_DIGITS.findall(line["text"])[0]
        for line in lines
        if line["medium"] == "email" and line["to"] == address
    ]


@pytest.mark.usefixtures("adaptive")
async def test_an_unusual_sign_in_without_a_factor_is_verified_by_email(
    live: LiveServer, page: Page, shot: Shots, settings: Settings
) -> None:
    person = await live.run(a_user)
    client = await live.run(a_login_app)
    await answer_callbacks(page)
    await page.goto(authorize_path(client))
    await give_password(page, shot, person)

    await expect(page).to_have_url(VERIFY)
    await expect(page.locator("#verify-description")).to_contain_text(mask_email(person.email))
    assert await page.evaluate(UNLABELLED) == []
    await shot(page, "verify by email")
    [first] = mails_to(settings.data_dir, person.email)
    await page.fill("#code", f"{(int(first) + 1) % 10**6:06d}")
    await page.click("#submit")
    await expect(page.locator("#error")).to_have_text("The code you entered is invalid.")
    await page.click("#resend-button")
    await expect(page.locator("#notice")).to_have_text("We sent a new code.")
    codes = mails_to(settings.data_dir, person.email)
    assert len(codes) == 2
    await page.fill("#code", codes[-1])
    await shot(page, "the new code")
    await page.click("#submit")

    await expect(page).to_have_url(re.compile(rf"^{re.escape(CALLBACK)}\?code="))
