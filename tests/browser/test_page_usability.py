"""The hosted pages work from the keyboard, name every field, hint the browser's autofill and
password managers, and fit a phone's screen: login, TOTP enrolment, recovery code, challenge."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page, ViewportSize, expect

from tests.browser.artifacts import Shots
from tests.browser.helpers import CALLBACK, Seeded, answer_callbacks, authorize_path, seed
from tests.browser.pages import BrowserPages
from tests.browser.server import LiveServer
from tests.browser.sign_in import (
    ALWAYS,
    CHALLENGE,
    ENROL,
    LOGIN,
    code_now,
    give_password,
    keep_recovery_code,
    tenant_policy,
    totp_secret,
)

UNLABELLED = """() => [...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
  .filter((field) => field.labels.length === 0)
  .map((field) => field.id || field.name || field.outerHTML)"""
WIDTHS = "() => [document.documentElement.scrollWidth, window.innerWidth]"
PHONE = ViewportSize(width=390, height=844)


@pytest.fixture
async def always(live: LiveServer) -> AsyncIterator[None]:
    async with tenant_policy(live, ALWAYS):
        yield


async def unlabelled(page: Page) -> list[str]:
    found: list[str] = await page.evaluate(UNLABELLED)
    return found


async def assert_fits(page: Page) -> None:
    """No horizontal scrolling: the page is as wide as the screen at most."""
    scroll_width, inner_width = await page.evaluate(WIDTHS)
    assert scroll_width <= inner_width, f"{page.url} is {scroll_width}px wide on {inner_width}px"


async def assert_code_field(page: Page) -> None:
    await expect(page.locator("#code")).to_have_attribute("autocomplete", "one-time-code")
    await expect(page.locator("#code")).to_have_attribute("inputmode", "numeric")


async def test_keyboard_labels_and_autocomplete_on_login_enrol_and_challenge(
    live: LiveServer, pages: BrowserPages, page: Page, shot: Shots, always: None
) -> None:
    seeded: Seeded = await live.run(seed)
    await answer_callbacks(page.context)
    await page.goto(authorize_path(seeded.client))
    await expect(page).to_have_url(LOGIN)
    assert await unlabelled(page) == []
    await expect(page.locator("#username")).to_have_attribute("autocomplete", "username")
    await expect(page.locator("#password")).to_have_attribute("autocomplete", "current-password")

    # autofocus: the first field, ready to type
    await expect(page.locator("#username")).to_be_focused()
    await page.keyboard.type(seeded.person.email)
    await page.keyboard.press("Tab")
    await expect(page.locator("#password")).to_be_focused()
    await page.keyboard.type(seeded.person.password)
    await page.keyboard.press("Tab")
    await expect(page.locator("#submit")).to_be_focused()
    await shot(page, "login by keyboard")
    await page.keyboard.press("Enter")

    await expect(page).to_have_url(ENROL)
    assert await unlabelled(page) == []
    await assert_code_field(page)
    await expect(page.locator("#code")).to_be_focused()
    secret = await totp_secret(page)
    await page.keyboard.type(code_now(live, secret))
    await shot(page, "enrol by keyboard")
    await page.keyboard.press("Enter")  # submits the form from its field
    await keep_recovery_code(page, shot)
    await expect(page).to_have_url(re.compile(f"^{re.escape(CALLBACK)}\\?code="))

    other = await pages.open()  # another browser: the password, then the challenge
    await other.goto(authorize_path(seeded.client))
    await give_password(other, shot, seeded.person)
    await expect(other).to_have_url(CHALLENGE)
    assert await unlabelled(other) == []
    await assert_code_field(other)
    await expect(other.locator("#code")).to_be_focused()
    await shot(other, "challenge")
    await other.click("#use-recovery-code")
    await expect(other.locator("label[for=code]")).to_have_text("Recovery code")
    assert await unlabelled(other) == []
    await shot(other, "recovery code challenge")


async def test_login_and_enrolment_fit_a_phone_screen(
    live: LiveServer, page: Page, shot: Shots, always: None
) -> None:
    seeded: Seeded = await live.run(seed)
    await answer_callbacks(page.context)
    await page.set_viewport_size(PHONE)
    await page.goto(authorize_path(seeded.client))
    await expect(page).to_have_url(LOGIN)
    await assert_fits(page)
    await give_password(page, shot, seeded.person)

    await expect(page).to_have_url(ENROL)
    await expect(page.locator("#qr")).to_be_visible()
    await assert_fits(page)
    await shot(page, "enrol on a phone")
    secret = await totp_secret(page)
    await page.fill("#code", code_now(live, secret))
    await page.click("#submit")

    await expect(page.locator("#recovery-code")).to_be_visible()
    await assert_fits(page)
    await shot(page, "recovery code on a phone")
