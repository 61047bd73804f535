"""Security keys and this device's biometrics in a real browser, Chromium's virtual
authenticators standing in for the hardware: (a) a USB key without user verification
enrolled at an application's sign-in (in a browser without WebAuthn's JSON helpers), (b) a
fingerprint reader (user verified) added in My MFA settings (and refused, with the
browser's reason shown, when added twice). Each is used to sign in again after signing out,
then removed in My MFA settings."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page, expect

from tests.browser.artifacts import Shots
from tests.browser.helpers import CALLBACK, a_login_app, answer_callbacks, authorize_path
from tests.browser.server import LiveServer
from tests.browser.sign_in import (
    ALWAYS,
    CHALLENGE,
    ENROL,
    give_password,
    keep_recovery_code,
    tenant_policy,
)
from tests.browser.webauthn_steps import (
    SECURITY,
    enrol_key,
    keys_switched_on,
    plug_in,
    remove_key,
    sign_out,
    use_key,
    without_json_helpers,
)
from tests.builders import a_user

NEVER: list[str] = []
"""MFA optional for applications: a user may remove their last authenticator."""
AT_CALLBACK = re.compile(rf"^{re.escape(CALLBACK)}\?code=")


@pytest.fixture
async def keys_on(live: LiveServer) -> AsyncIterator[None]:
    async with keys_switched_on(live):
        yield


@pytest.mark.usefixtures("keys_on")
async def test_a_security_key_enrolled_at_sign_in_signs_in_again_then_is_removed(
    live: LiveServer, page: Page, shot: Shots
) -> None:
    person = await live.run(a_user)
    client = await live.run(a_login_app)
    key = await plug_in(page, "security key")
    await without_json_helpers(page)  # webauthn.js's fallback, where (b) takes the browser's
    await answer_callbacks(page)
    async with tenant_policy(live, ALWAYS):
        await page.goto(authorize_path(client))
        await give_password(page, shot, person)
        await expect(page).to_have_url(ENROL)
        await page.click("#enrol-webauthn-roaming")
        await enrol_key(page, shot, name="Office YubiKey", button="Use security key")
        await keep_recovery_code(page, shot)
        await expect(page).to_have_url(AT_CALLBACK)
        [credential] = await key.credentials()
        assert credential["isResidentCredential"] is False

        await sign_out(page, live)
        await page.goto(authorize_path(client))
        await give_password(page, shot, person)
        await expect(page).to_have_url(CHALLENGE)
        await use_key(page, shot, label="Security key", button="Use security key")
        await expect(page).to_have_url(AT_CALLBACK)
        [used] = await key.credentials()
        assert used["signCount"] > credential["signCount"]

    async with tenant_policy(live, NEVER):
        await page.goto(SECURITY)  # this session passed MFA with the key: no question asked
        row = await remove_key(page, shot, name="Office YubiKey", kind="device-bound key")
        await expect(row).to_have_count(0)


@pytest.mark.usefixtures("keys_on")
async def test_this_device_added_in_my_mfa_settings_signs_in_again_then_is_removed(
    live: LiveServer, page: Page, shot: Shots
) -> None:
    person = await live.run(a_user)
    await plug_in(page, "biometrics")
    async with tenant_policy(live, NEVER):
        await page.goto(SECURITY)
        await give_password(page, shot, person)
        await page.click("#setup-mfa-link")
        await page.click("#add-webauthn-platform")
        await enrol_key(page, shot, name="Work laptop", button="Use this device")
        await expect(page.locator("#new-recovery-code")).not_to_be_empty()
        await shot(page, "recovery code")
        await page.click("#recovery-code-done")
        await expect(page.locator("#setup-mfa-banner")).to_have_count(0)
        # The same device again: the browser refuses (excludeCredentials), the page says so.
        await page.click("#add-authenticator")
        await page.click("#add-webauthn-platform")
        await enrol_key(page, shot, name="Again", button="Use this device")
        await expect(page.locator("#webauthn-error")).to_contain_text("already registered")
        await expect(page.locator("#webauthn-start")).to_be_enabled()
        await shot(page, "already registered")
        await page.click("#cancel-add")

        await sign_out(page, live)
        await page.goto(SECURITY)
        await give_password(page, shot, person)  # the settings ask for the device now
        await expect(page).to_have_url(CHALLENGE)
        await use_key(page, shot, label="This device", button="Use this device")
        await expect(page).to_have_url(f"{live.url}{SECURITY}")

        await remove_key(page, shot, name="Work laptop", kind="device-bound key")
        await expect(page.locator("#setup-mfa-banner")).to_be_visible()
