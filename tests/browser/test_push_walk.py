"""Push on the hosted pages in a real browser: a person whose phone runs the authenticator
(the device SDK, enrolled over the MFA API) signs in, chooses the push, reads the number off
the page, approves on the "phone" picking that number, and the page moves on by itself to
the application's callback (server-sent events, no click)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.api.helpers import mfa_token
from tests.browser.artifacts import Shots
from tests.browser.helpers import (
    CALLBACK,
    a_login_app,
    answer_callbacks,
    authorize_path,
    callback_params,
)
from tests.browser.server import LiveServer
from tests.browser.sign_in import ALWAYS, CHALLENGE, give_password, tenant_policy
from tests.builders import Person, a_client, a_user
from tests.push.devices import associate_push, enable_push
from tests.push.pushes import Rerouted
from twofold.sdk.authenticator import Account, approve, enrol


@pytest.fixture
async def push_always(live: LiveServer) -> AsyncIterator[None]:
    """Policy "always" and the push factor on, both put back after the test."""
    await live.run(enable_push, enabled=True)
    try:
        async with tenant_policy(live, ALWAYS):
            yield
    finally:
        await live.run(enable_push, enabled=False)


@pytest.fixture
async def phone(live: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    """The phone's network: every request reaches the live server on 127.0.0.1."""
    port = live.url.rsplit(":", 1)[1]
    transport = Rerouted(f"http://127.0.0.1:{port}")
    async with httpx.AsyncClient(transport=transport, base_url=live.url) as http:
        yield http


async def a_person_with_a_phone(
    live: LiveServer, http: httpx.AsyncClient
) -> tuple[Person, Account]:
    """A user whose first factor is the SDK's device, enrolled with an `mfa_token`."""
    person, app = await live.run(a_user), await live.run(a_client)
    token = await mfa_token(http, app, person)
    body = (await associate_push(http, token)).json()
    account = await enrol(body["barcode_uri"], name="Test phone", http=http)
    return person, account


async def test_an_approved_push_takes_the_browser_to_the_application(
    live: LiveServer, page: Page, shot: Shots, push_always: None, phone: httpx.AsyncClient
) -> None:
    person, account = await a_person_with_a_phone(live, phone)
    app = await live.run(a_login_app)
    await answer_callbacks(page)

    await page.goto(live.url + authorize_path(app))
    await give_password(page, shot, person)
    await expect(page).to_have_url(CHALLENGE)
    await expect(page.locator("#push-sent")).to_contain_text(
        "We sent a sign-in request to Test phone."
    )
    number = int(await page.inner_text("#push-number"))
    txn = await page.get_attribute("input[name=txn]", "value")
    assert txn is not None
    await shot(page, "push sent")

    answered = await approve(account, txn, number, http=phone)

    assert answered.status == "approved"
    await expect(page).to_have_url(re.compile(re.escape(CALLBACK) + r"\?code="))
    assert callback_params(page)["code"]
    await shot(page, "at the application")
