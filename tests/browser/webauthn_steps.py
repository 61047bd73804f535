"""Security keys and this device in the browser: Chromium's virtual authenticators (CDP's
WebAuthn domain) stand in for a YubiKey or a fingerprint reader, the tenant's WebAuthn
factors are switched on for a test, and the steps a person takes on the key pages."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

from playwright.async_api import CDPSession, Locator, Page, expect

from tests.browser.artifacts import Shots
from tests.browser.server import LiveServer
from twofold.flows.management import guardian_factors, set_guardian_factor

FACTORS = ("webauthn-roaming", "webauthn-platform")
SECURITY = "/u/account/security"
Kind = Literal["security key", "biometrics", "passkey"]
AAGUID = re.compile(
    r"^(not disclosed|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)
"""What the settings page shows for a model: Chromium's virtual authenticators give one."""

AUTHENTICATORS: dict[Kind, dict[str, Any]] = {
    # A YubiKey-like USB key that cannot verify its user (no PIN set): touch only. Chromium
    # will not make a discoverable credential on it, which the roaming factor does not ask.
    "security key": {
        "protocol": "ctap2",
        "transport": "usb",
        "hasResidentKey": False,
        "hasUserVerification": False,
    },
    # This device's fingerprint reader: built in, verifies its user.
    "biometrics": {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": False,
        "hasUserVerification": True,
        "isUserVerified": True,
    },
    # The same with room for discoverable credentials: passkeys.
    "passkey": {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
    },
}


@asynccontextmanager
async def keys_switched_on(live: LiveServer) -> AsyncIterator[None]:
    """Both WebAuthn factors on for one test, put back after it: the server is shared."""
    before = {item["name"]: bool(item["enabled"]) for item in await live.run(guardian_factors)}
    for name in FACTORS:
        await live.run(set_guardian_factor, name, enabled=True, actor="browser-test")
    try:
        yield
    finally:
        for name in FACTORS:
            await live.run(set_guardian_factor, name, enabled=before[name], actor="browser-test")


@dataclass(frozen=True, slots=True)
class VirtualKey:
    """A virtual authenticator in one tab, and the DevTools session that made it."""

    cdp: CDPSession
    authenticator_id: str

    async def credentials(self) -> list[dict[str, Any]]:
        """What it holds: `isResidentCredential`, `rpId`, `userHandle`, `signCount`..."""
        found = await self.cdp.send(
            "WebAuthn.getCredentials", {"authenticatorId": self.authenticator_id}
        )
        credentials: list[dict[str, Any]] = found["credentials"]
        return credentials

    async def touch_automatically(self, enabled: bool) -> None:
        """Off, a ceremony waits as for a person who has not touched the key yet: the
        passkey autofill stays pending instead of signing in as soon as the page loads."""
        await self.cdp.send(
            "WebAuthn.setAutomaticPresenceSimulation",
            {"authenticatorId": self.authenticator_id, "enabled": enabled},
        )


OLDER_BROWSER = """
if (window.PublicKeyCredential) {  // a secure context (the callback's stand-in may not be)
  delete PublicKeyCredential.parseCreationOptionsFromJSON;
  delete PublicKeyCredential.parseRequestOptionsFromJSON;
  delete PublicKeyCredential.prototype.toJSON;
}
"""
"""Before any page script: a browser without WebAuthn's JSON helpers (Chromium before 129,
Safari before 18), so webauthn.js takes its own base64url path."""


async def without_json_helpers(page: Page) -> None:
    await page.add_init_script(OLDER_BROWSER)
    await page.goto("/u/static/twofold.css")  # any page of ours: check the helpers are gone
    helpers = (
        "PublicKeyCredential.parseCreationOptionsFromJSON",
        "PublicKeyCredential.parseRequestOptionsFromJSON",
        "PublicKeyCredential.prototype.toJSON",
    )
    assert await page.evaluate(f"[{', '.join(helpers)}]") == [None, None, None]


async def plug_in(page: Page, kind: Kind) -> VirtualKey:
    """A virtual authenticator in this page's tab (it stays across navigations), answering
    every ceremony at once, as if touched."""
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("WebAuthn.enable")
    options = {**AUTHENTICATORS[kind], "automaticPresenceSimulation": True}
    added = await cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    return VirtualKey(cdp, added["authenticatorId"])


async def enrol_key(page: Page, shot: Shots, *, name: str, button: str) -> None:
    """On an enrolment page's key form: the name, then the ceremony's button."""
    field = page.locator("#key-name")
    await expect(field).to_be_visible()
    await field.fill(name)
    await shot(page, f"{name} named")
    await page.click("#submit")
    start = page.locator("#webauthn-start")
    await expect(start).to_have_text(button)
    await expect(page.locator("#key-name-shown")).to_have_text(name)
    await shot(page, f"{name} ready")
    await start.click()


async def use_key(page: Page, shot: Shots, *, label: str, button: str) -> None:
    """The challenge page of a sign-in that knows the password: the key's button."""
    await expect(page.locator("#factor-label")).to_contain_text(label)
    start = page.locator("#webauthn-start")
    await expect(start).to_have_text(button)
    await shot(page, f"{label} challenge")
    await start.click()


async def sign_out(page: Page, live: LiveServer) -> None:
    await page.goto("/oidc/logout")
    await expect(page.locator("#signed-out")).to_be_visible()
    assert page.url.startswith(live.url)


async def remove_key(page: Page, shot: Shots, *, name: str, kind: str) -> Locator:
    """On My MFA settings: the key listed with its kind and model, then removed (the
    browser's confirmation accepted). Returns its row, gone by then."""
    row = page.locator("#authenticators tr[data-authenticator-id^='webauthn-']")
    await expect(row.locator(".name")).to_have_text(name)
    await expect(row.locator(".kind")).to_have_text(kind)
    await expect(row.locator(".aaguid")).to_have_text(AAGUID)
    await shot(page, f"{name} listed")
    page.once("dialog", lambda dialog: dialog.accept())
    await row.locator("button.danger").click()
    await expect(page.locator("#notice")).to_have_text("Authenticator removed.")
    await shot(page, f"{name} removed")
    return row
