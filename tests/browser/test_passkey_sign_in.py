"""(c) A passkey in a real browser: this device's authenticator with room for discoverable
credentials, added in My MFA settings, signs in to an application without a password (both
factors at once), first through the email field's autofill (conditional mediation), then
through "Sign in with a passkey", and is removed in My MFA settings.

Passkeys are a server setting, so this module brings its own `live` with them on.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.browser.artifacts import Shots
from tests.browser.helpers import CALLBACK, a_login_app, answer_callbacks, authorize_path
from tests.browser.server import LiveServer
from tests.browser.sign_in import ALWAYS, LOGIN, give_password, tenant_policy
from tests.browser.webauthn_steps import (
    SECURITY,
    enrol_key,
    keys_switched_on,
    plug_in,
    remove_key,
    sign_out,
)
from tests.builders import a_user
from twofold.config import Settings
from twofold.domain import AuditRecord
from twofold.flows.runtime import Runtime
from twofold.store.repos import audit as audit_repo

AT_CALLBACK = re.compile(rf"^{re.escape(CALLBACK)}\?code=")


@pytest.fixture(scope="module")
def live(settings: Settings, engine: AsyncEngine) -> Iterator[LiveServer]:
    """A server like the session's, on the same database, with passkeys on."""
    webauthn = settings.webauthn.model_copy(update={"passkeys": True})
    server = LiveServer(settings.model_copy(update={"webauthn": webauthn}))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
async def keys_on(live: LiveServer) -> AsyncIterator[None]:
    async with keys_switched_on(live):
        yield


async def logins_of(rt: Runtime, user_id: str) -> list[AuditRecord]:
    async with rt.store.read() as tx:
        page = await audit_repo.search(tx.conn, user_id=user_id, type="s", ascending=True)
    return list(page.items)


@pytest.mark.usefixtures("keys_on")
async def test_a_passkey_signs_in_without_a_password_then_is_removed(
    live: LiveServer, page: Page, shot: Shots
) -> None:
    person = await live.run(a_user)
    client = await live.run(a_login_app)
    key = await plug_in(page, "passkey")
    await answer_callbacks(page)
    async with tenant_policy(live, ALWAYS):
        await page.goto(SECURITY)
        await give_password(page, shot, person)
        await page.click("#setup-mfa-link")
        await page.click("#add-webauthn-platform")
        await enrol_key(page, shot, name="My phone", button="Use this device")
        await page.click("#recovery-code-done")
        [credential] = await key.credentials()
        assert credential["isResidentCredential"] is True  # a passkey: it names its user

        await sign_out(page, live)
        await page.goto(authorize_path(client))  # the autofill's request: picked at once
        await expect(page).to_have_url(AT_CALLBACK)  # no password, no second step

        await sign_out(page, live)
        await key.touch_automatically(False)
        await page.goto(authorize_path(client))
        await expect(page).to_have_url(LOGIN)
        await expect(page.locator("#username")).to_have_attribute(
            "autocomplete", "username webauthn"
        )
        offered = page.locator("#passkey-sign-in")
        await expect(offered).to_be_visible()
        await shot(page, "passkey offered")
        await key.touch_automatically(True)
        await offered.click()  # ends the autofill's pending request, asks in a dialog
        await expect(page).to_have_url(AT_CALLBACK)
        logins = await live.run(logins_of, person.user_id)
        # One login per sign-in (recorded when the app gets its code), proved by the passkey.
        assert [r.details["amr"] for r in logins] == [["hwk", "user", "mfa"]] * 2

        await page.goto(SECURITY)  # the passkey was MFA too: the settings open at once
        await expect(page).to_have_url(f"{live.url}{SECURITY}")
    async with tenant_policy(live, []):
        await remove_key(page, shot, name="My phone", kind="device-bound key")
        await expect(page.locator("#setup-mfa-banner")).to_be_visible()
