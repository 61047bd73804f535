"""Issue 3's walk in a real browser: the step-up example signs a person in through Twofold's
hosted pages (password, TOTP enrolment with the key read off the page, the recovery code),
signs them out through `/oidc/logout`, signs them in again with a TOTP challenge, and steps up
to a fresh TOTP when its sensitive page finds the MFA older than its `max_age`."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.async_api import Page, Request, expect

from tests.browser.artifacts import Shots
from tests.browser.example_site import STEP_UP_MAX_AGE, ExampleSite, serve_example
from tests.browser.helpers import answer_callbacks, authorize_path, callback_params
from tests.browser.server import LiveServer
from tests.browser.sign_in import (
    ALWAYS,
    CHALLENGE,
    ENROL,
    AppKey,
    answer_totp,
    enrol_totp,
    give_password,
    keep_recovery_code,
    tenant_policy,
)
from tests.builders import Client, Person, a_user
from twofold.sdk import MULTI_FACTOR_ACR

MFA_AMR = "pwd otp mfa"


@pytest.fixture(scope="module")
async def example(live: LiveServer) -> AsyncIterator[ExampleSite]:
    async with serve_example(live) as site:
        yield site


@pytest.fixture
async def always(live: LiveServer) -> AsyncIterator[None]:
    async with tenant_policy(live, ALWAYS):
        yield


async def first_sign_in(
    page: Page, shot: Shots, live: LiveServer, example: ExampleSite, person: Person
) -> AppKey:
    """From the example's home to signed in, enrolling TOTP on the way."""
    await page.goto(example.url)
    await expect(page.locator("#signed-out")).to_be_visible()
    await shot(page, "example signed out")
    await page.click("#login")
    await give_password(page, shot, person)
    await expect(page).to_have_url(ENROL)
    key = await enrol_totp(page, shot, live)
    await keep_recovery_code(page, shot)
    await expect(page.locator("#signed-in")).to_be_visible()
    return key


async def test_sign_in_enrols_totp_then_signs_out_and_in_with_a_challenge(
    live: LiveServer, example: ExampleSite, page: Page, shot: Shots, always: None
) -> None:
    person = await live.run(a_user)
    key = await first_sign_in(page, shot, live, example, person)
    assert page.url == f"{example.url}/"
    assert await page.inner_text("#user-email") == person.email
    assert await page.inner_text("#amr") == MFA_AMR
    assert await page.inner_text("#acr") == MULTI_FACTOR_ACR
    await shot(page, "example signed in")

    await page.click("#logout")  # the example's session, then Twofold's at /oidc/logout
    await expect(page.locator("#signed-out")).to_be_visible()
    assert page.url == f"{example.url}/"
    await shot(page, "example signed out again")

    await page.click("#login")
    await give_password(page, shot, person)  # Twofold's session ended with the logout
    await expect(page).to_have_url(CHALLENGE)
    # The code of the step the enrolment spent is refused: a TOTP step works once.
    await page.fill("#code", key.first_code)
    await page.click("#submit")
    await expect(page.locator("#error")).to_have_text("The code you entered is invalid.")
    await shot(page, "spent code refused")

    live.clock.advance(30)  # the app's next code
    await answer_totp(page, shot, live, key.secret)
    await expect(page.locator("#signed-in")).to_be_visible()
    assert await page.inner_text("#user-email") == person.email
    assert await page.inner_text("#amr") == MFA_AMR
    await shot(page, "example signed in again")


def paths_asked_of_twofold(page: Page, live: LiveServer) -> list[str]:
    """Every request the page makes to Twofold from now on, as paths with their query."""
    asked: list[str] = []

    def to_twofold(request: Request) -> None:
        if request.url.startswith(live.url):
            asked.append(request.url.removeprefix(live.url))

    page.on("request", to_twofold)
    return asked


async def ask_twofold_within_max_age(page: Page, example: ExampleSite) -> dict[str, str]:
    """The example's own step-up request, sent straight to Twofold; the callback's query."""
    client = Client(example.settings.client_id, example.settings.client_secret)
    callback = example.settings.redirect_uri
    await answer_callbacks(page, callback)
    step_up = authorize_path(
        client, redirect_uri=callback, acr_values=MULTI_FACTOR_ACR, max_age=str(STEP_UP_MAX_AGE)
    )
    await page.goto(step_up)
    assert page.url.startswith(f"{callback}?")
    return callback_params(page)


async def test_the_sensitive_page_steps_up_to_totp_only_past_max_age(
    live: LiveServer, example: ExampleSite, page: Page, shot: Shots, always: None
) -> None:
    person = await live.run(a_user)
    key = await first_sign_in(page, shot, live, example, person)
    asked = paths_asked_of_twofold(page, live)

    # Within max_age: the sign-in's MFA is enough; Twofold is not asked.
    await page.click("#sensitive-link")
    await expect(page.locator("#sensitive-ok")).to_be_visible()
    first_mfa = int(await page.get_attribute("#sensitive-ok", "data-auth-time") or "0")
    assert asked == []
    await shot(page, "sensitive within max_age")

    await page.click("#home-link")
    live.clock.advance(STEP_UP_MAX_AGE + 1)
    await page.click("#sensitive-link")
    await answer_totp(page, shot, live, key.secret)  # the TOTP again, not the password
    await expect(page.locator("#sensitive-ok")).to_be_visible()
    stepped_up = int(await page.get_attribute("#sensitive-ok", "data-auth-time") or "0")
    assert stepped_up >= first_mfa + STEP_UP_MAX_AGE + 1
    query = parse_qs(urlsplit(asked[0]).query)
    assert asked[0].startswith("/authorize?")
    assert (query["acr_values"], query["max_age"]) == ([MULTI_FACTOR_ACR], [str(STEP_UP_MAX_AGE)])
    assert not [path for path in asked if path.startswith("/u/login")]
    await shot(page, "sensitive after step-up")

    asked.clear()
    live.clock.advance(STEP_UP_MAX_AGE - 60)
    await page.click("#home-link")
    await page.click("#sensitive-link")
    await expect(page.locator("#sensitive-ok")).to_have_attribute("data-auth-time", str(stepped_up))
    assert asked == []

    # Twofold agrees: asked for MFA within max_age, it answers with a code at once.
    assert set(await ask_twofold_within_max_age(page, example)) == {"code", "state", "iss"}
    assert not [path for path in asked if re.match(r"/u/(login|mfa)", path)]
    await shot(page, "twofold answers within max_age")
