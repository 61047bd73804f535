"""The example as a relying party of the real Twofold, over ASGI: a password sign-in through
the hosted pages, the code redeemed with PKCE, the ID token checked, a step-up asked for,
and the round trip through `/oidc/logout`. (Completing MFA in a browser is the browser
suite's part.)"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from examples.stepup_app.sessions import COOKIE
from examples.stepup_app.settings import AppSettings
from fastapi import FastAPI

from tests.api.conftest import tenant
from tests.builders import Person, a_user, an_ip
from twofold.flows.runtime import Runtime
from twofold.sdk import MULTI_FACTOR_ACR

__all__ = ["tenant"]

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
async def browser(app: FastAPI, runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The user's browser as Twofold sees it: its own cookie jar, on Twofold's origin."""
    transport = httpx.ASGITransport(app=app, client=(an_ip(), 50000))
    async with httpx.AsyncClient(transport=transport, base_url=runtime.settings.issuer) as http:
        yield http


@pytest.fixture
async def password_only(runtime: Runtime, tenant: None) -> None:
    """Tenant policy "never": the password alone finishes a plain sign-in."""
    async with runtime.store.transaction() as tx:
        await tx.tenant.put("mfa_policies", [])


async def through_twofold(browser: httpx.AsyncClient, authorize: str, *, person: Person) -> str:
    """Follow Twofold's hops from `/authorize`, submitting the password; the callback URL."""
    login = (await browser.get(authorize)).headers["location"]
    page = await browser.get(login)
    csrf = _CSRF.search(page.text)
    assert csrf, page.text[:300]
    form = {"csrf_token": csrf.group(1), "username": person.email, "password": person.password}
    response = await browser.post(login, data=form)
    while response.headers["location"].startswith("/"):
        response = await browser.get(response.headers["location"])
    return str(response.headers["location"])


async def test_sign_in_step_up_request_and_sign_out(
    site: httpx.AsyncClient,
    browser: httpx.AsyncClient,
    site_settings: AppSettings,
    runtime: Runtime,
    password_only: None,
) -> None:
    person = await a_user(runtime)
    started = await site.get("/login")
    callback = await through_twofold(browser, started.headers["location"], person=person)
    assert callback.startswith(f"{site_settings.base_url}/callback?")

    finished = await site.get(callback)
    assert (finished.status_code, finished.headers["location"]) == (302, "/"), finished.text
    home = await site.get("/")
    assert f'<span id="user-email">{person.email}</span>' in home.text
    assert '<dd id="amr">pwd</dd>' in home.text
    replayed = await site.get(callback)
    assert "This sign-in is unknown, used or expired." in replayed.text

    step_up = await site.get("/sensitive")
    assert step_up.status_code == 302
    asked = parse_qs(urlsplit(step_up.headers["location"]).query)
    assert (asked["acr_values"], asked["max_age"]) == ([MULTI_FACTOR_ACR], ["300"])

    signed_out = await site.get("/logout")
    back = await browser.get(signed_out.headers["location"])
    assert (back.status_code, back.headers["location"]) == (302, f"{site_settings.base_url}/")
    assert COOKIE not in site.cookies
    assert 'id="signed-out"' in (await site.get("/")).text
