"""My MFA settings in a real browser: a person without a factor signs in at
`/u/account/security`, is asked to set up MFA, adds two authenticator apps from the page,
renames one, removes the other (confirming the browser's dialog), and cannot remove the last
one while the tenant policy is "always"."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Dialog, Locator, Page, ViewportSize, expect

from tests.browser.artifacts import Shots
from tests.browser.server import LiveServer
from tests.browser.sign_in import ALWAYS, enrol_totp, give_password, tenant_policy
from tests.builders import Person, a_user
from twofold.flows.account import LastFactorError

SECURITY = "/u/account/security"
PHONE = ViewportSize(width=390, height=844)
AUTHENTICATORS = "#authenticators tr[data-authenticator-id]:not(#recovery-code-row)"


@pytest.fixture
async def always(live: LiveServer) -> AsyncIterator[None]:
    async with tenant_policy(live, ALWAYS):
        yield


async def listed(page: Page) -> list[str]:
    """The ids of the authenticators the settings page lists (the recovery code aside)."""
    rows = page.locator(AUTHENTICATORS)
    return [await row.get_attribute("data-authenticator-id") or "" for row in await rows.all()]


def row_of(page: Page, authenticator_id: str) -> Locator:
    return page.locator(f'tr[data-authenticator-id="{authenticator_id}"]')


async def add_authenticator(page: Page, shot: Shots, live: LiveServer, start: str) -> None:
    """From a link on the settings page (`start`) through the add page, TOTP."""
    await page.click(start)
    await expect(page).to_have_url(f"{live.url}{SECURITY}/add")
    await enrol_totp(page, shot, live)


async def sign_in_without_a_factor(
    page: Page, shot: Shots, live: LiveServer, person: Person
) -> None:
    """The settings page asks for the password only: no enrolment is forced here."""
    await page.goto(SECURITY)
    await give_password(page, shot, person)
    await expect(page).to_have_url(f"{live.url}{SECURITY}")
    await expect(page.locator("#setup-mfa-banner")).to_be_visible()
    await expect(page.locator("#signed-in-as")).to_have_text(f"Signed in as {person.email}")
    await expect(page.locator("#no-authenticators")).to_be_visible()
    await shot(page, "set up mfa banner")


async def add_the_first(page: Page, shot: Shots, live: LiveServer) -> str:
    """The banner's link, the recovery code shown once, the list; the new one's id."""
    await add_authenticator(page, shot, live, "#setup-mfa-link")
    await expect(page.locator("#new-recovery-code")).not_to_be_empty()
    await shot(page, "first authenticator recovery code")
    await page.click("#recovery-code-done")
    await expect(page.locator("#setup-mfa-banner")).to_have_count(0)
    await expect(page.locator("#recovery-code-row")).to_be_visible()
    (first,) = await listed(page)
    await shot(page, "one authenticator")
    return first


async def rename(page: Page, authenticator_id: str, name: str) -> None:
    row = row_of(page, authenticator_id)
    await row.locator("summary").click()
    await row.locator("input[name=name]").fill(name)
    await row.locator("button[type=submit]", has_text="Save name").click()
    await expect(page.locator("#notice")).to_have_text("Authenticator renamed.")
    await expect(row_of(page, authenticator_id).locator(".name")).to_have_text(name)


async def remove(page: Page, authenticator_id: str) -> None:
    """Its Remove button; the browser's confirmation is accepted by the test's handler."""
    await row_of(page, authenticator_id).locator("button.danger").click()


async def test_my_mfa_settings_add_rename_and_remove_authenticators(
    live: LiveServer, page: Page, shot: Shots, always: None
) -> None:
    person = await live.run(a_user)
    confirmations: list[str] = []

    async def confirm(dialog: Dialog) -> None:
        confirmations.append(dialog.message)
        await dialog.accept()

    page.on("dialog", confirm)
    await sign_in_without_a_factor(page, shot, live, person)
    first = await add_the_first(page, shot, live)

    await add_authenticator(page, shot, live, "#add-authenticator")
    await expect(page.locator("#notice")).to_have_text("Authenticator added.")
    (second,) = [item for item in await listed(page) if item != first]
    await rename(page, second, "Work phone")
    assert set(await listed(page)) == {first, second}
    await shot(page, "two authenticators")

    await remove(page, first)
    await expect(page.locator("#notice")).to_have_text("Authenticator removed.")
    assert await listed(page) == [second]
    assert confirmations == [
        "Remove Authenticator app? You will no longer be able to use it to sign in."
    ]
    await shot(page, "one removed")

    async with page.expect_response(f"{live.url}{SECURITY}/remove") as refused:
        await remove(page, second)
    assert (await refused.value).status == 403
    await expect(page.locator("#error")).to_have_text(LastFactorError.description)
    assert await listed(page) == [second]
    await shot(page, "last one kept")

    async with tenant_policy(live, []):  # "never": the last one may go
        await page.goto(SECURITY)
        await remove(page, second)
        await expect(page.locator("#notice")).to_have_text("Authenticator removed.")
    assert await listed(page) == []
    assert len(confirmations) == 3
    await expect(page.locator("#setup-mfa-banner")).to_be_visible()
    await shot(page, "none left under policy never")


async def test_my_mfa_settings_fit_a_phone_screen(
    live: LiveServer, page: Page, shot: Shots, always: None
) -> None:
    """On a phone the tables become one block per authenticator: no sideways scrolling."""
    person: Person = await live.run(a_user)
    await page.set_viewport_size(PHONE)
    await sign_in_without_a_factor(page, shot, live, person)
    await add_the_first(page, shot, live)
    await add_authenticator(page, shot, live, "#add-authenticator")
    await expect(page.locator(AUTHENTICATORS)).to_have_count(2)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    await expect(page.locator(f"{AUTHENTICATORS} .last-used").first).to_be_visible()
    await shot(page, "settings on a phone")
