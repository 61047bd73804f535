"""The browser harness itself: Chromium reaches the live server as localhost, shots land where
the docs say, seeding reaches the server's database, and the error watch catches what it must."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import parse_qsl, urlsplit

from playwright.async_api import Page

from tests.browser.artifacts import Shots, artifacts_root
from tests.browser.helpers import (
    CALLBACK,
    Seeded,
    answer_callbacks,
    authorize_path,
    callback_params,
    seed,
    totp_now,
)
from tests.browser.pages import BrowserPages
from tests.browser.server import LiveServer
from tests.builders import Client
from twofold.domain import Application
from twofold.flows.runtime import Runtime

PROBE = "<!doctype html><title>probe</title><script>document.title = 'inline ran'</script>"
PROBE_HEADERS = {"content-type": "text/html", "content-security-policy": "script-src 'self'"}


async def _application(rt: Runtime, client_id: str) -> Application | None:
    async with rt.store.read() as tx:
        return await tx.applications.get(client_id)


async def test_chromium_opens_the_live_server_as_localhost(
    live: LiveServer, page: Page, shot: Shots
) -> None:
    response = await page.goto("/healthz")
    assert response is not None
    assert response.status == 200
    assert page.url == f"{live.url}/healthz"
    assert live.url.startswith("http://localhost:")
    assert live.settings.issuer == f"{live.url}/"
    assert json.loads(await page.inner_text("body")) == {"status": "ok"}
    path = await shot(page, "health")

    folder = artifacts_root() / "browser" / "test_chromium_opens_the_live_server_as_localhost"
    assert path == folder / "01-health.png"
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


async def test_the_live_server_signs_with_the_legs_keys(page: Page, shot: Shots) -> None:
    response = await page.goto("/.well-known/jwks.json")
    assert response is not None
    assert response.status == 200
    keys = json.loads(await page.inner_text("body"))["keys"]
    await shot(page, "jwks")
    assert keys
    assert all(key["kid"] and key["use"] == "sig" for key in keys)


async def test_seeding_reaches_the_live_servers_database(live: LiveServer, page: Page) -> None:
    seeded: Seeded = await live.run(seed)
    response = await page.request.post(
        "/oauth/token",
        form={
            "grant_type": "password",
            "client_id": seeded.client.client_id,
            "client_secret": seeded.client.client_secret,
            "username": seeded.person.email,
            "password": seeded.person.password,
        },
    )
    assert response.status == 403
    assert (await response.json())["error"] == "mfa_required"
    application = await live.run(_application, seeded.client.client_id)
    assert application is not None
    assert application.callbacks == (CALLBACK,)
    assert "authorization_code" in application.grant_types


async def test_the_watch_reports_csp_violations_and_script_errors(
    live: LiveServer, pages: BrowserPages, page: Page
) -> None:
    # A page as the hosted pages will be served: a strict CSP header, here broken on purpose.
    probe = f"{live.url}/csp-probe"
    await page.route(probe, lambda route: route.fulfill(body=PROBE, headers=PROBE_HEADERS))
    await page.goto(probe)
    # The error is thrown in the task that settles the promise: reported before it returns.
    await page.evaluate("new Promise((done) => setTimeout(() => { done(); throw Error('boom') }))")

    problems = pages.watch(page).take()
    assert f"CSP violation: script-src-elem blocked inline in {probe}" in problems
    assert "uncaught JavaScript error: boom" in problems
    assert await page.title() == "probe"


async def test_the_relying_partys_callback_is_answered_inside_the_browser(
    page: Page, shot: Shots
) -> None:
    client = Client("client-id", "")
    query = dict(parse_qsl(urlsplit(authorize_path(client, state="xyz")).query))
    assert query == {
        "response_type": "code",
        "client_id": "client-id",
        "redirect_uri": CALLBACK,
        "scope": "openid profile email",
        "state": "xyz",
    }
    await answer_callbacks(page)
    response = await page.goto(f"{CALLBACK}?code=abc&state=xyz")
    assert response is not None
    assert response.status == 200
    await shot(page, "callback")
    assert callback_params(page) == {"code": "abc", "state": "xyz"}


def test_totp_now_matches_rfc_6238() -> None:
    # RFC 6238 appendix B, SHA-1, T = 59 s: 94287082, whose last six digits an app shows.
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of "12345678901234567890"
    assert totp_now(secret, at=dt.datetime.fromtimestamp(59, dt.UTC)) == "287082"
