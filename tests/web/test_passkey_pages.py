"""Passkey sign-in on the hosted sign-in page: offered (a button and the email field's
autofill) only when the tenant enables passkeys; a passkey with user verification finishes
the sign-in as both factors; an unknown or refused one is explained beside the password."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.api.webauthn import Served, claims_of, device, enrolled, served
from tests.api.webauthn import audit_of as audit_by_client
from tests.builders import Person, a_client, a_user
from tests.support.soft_authenticator import SoftAuthenticator
from tests.web.account_steps import ACCOUNT
from tests.web.conftest import (
    CALLBACK,
    WebApp,
    a_web_app,
    authorize,
    csrf_of,
    location,
    query_of,
)
from tests.web.mfa_steps import always, audit_of, element, error_of, text_of
from tests.web.webauthn_steps import answer, keys_on, options_of
from twofold.clock import FrozenClock
from twofold.config import Settings
from twofold.flows.runtime import Runtime
from twofold.flows.tokens import MULTI_FACTOR_ACR

__all__ = ["always", "keys_on"]
pytestmark = pytest.mark.usefixtures("keys_on", "always")


@pytest.fixture
async def passkeys(
    settings: Settings, clock: FrozenClock, runtime: Runtime
) -> AsyncIterator[Served]:
    """An app with passkeys on, sharing the database `runtime` prepared."""
    async for app in served(settings, clock, passkeys=True):
        yield app


async def with_passkey(on: Served) -> tuple[Person, SoftAuthenticator]:
    """A user whose phone holds a synced passkey (resident, user verifying)."""
    person = await a_user(on.rt)
    key = device(on.rt, resident=True, backup_eligible=True, backed_up=True)
    await enrolled(on.http, on.rt, await a_client(on.rt), person, key, "webauthn-platform")
    on.http.cookies.clear()
    return person, key


async def login_page(http: httpx.AsyncClient, rt: Runtime) -> tuple[WebApp, httpx.Response]:
    """A sign-in to a web app, at its sign-in page."""
    web = await a_web_app(rt)
    login_url = location(await authorize(http, web))
    page = await http.get(login_url)
    assert page.status_code == 200, page.text[:300]
    return web, page


async def redeemed(http: httpx.AsyncClient, web: WebApp, callback: str) -> httpx.Response:
    """The application's side: its code for tokens."""
    return await http.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": query_of(callback)["code"],
            "redirect_uri": web.redirect_uri,
            "client_id": web.client_id,
            "client_secret": web.client_secret or "",
        },
    )


async def test_a_passkey_signs_in_as_both_factors(passkeys: Served) -> None:
    person, key = await with_passkey(passkeys)
    enrolled_with = len(await audit_of(passkeys.rt, person.user_id, "gd_auth_succeed"))
    web, page = await login_page(passkeys.http, passkeys.rt)

    assert element(page.text, "username", "autocomplete") == "username webauthn"
    assert text_of(page.text, "passkey-sign-in") == "Sign in with a passkey"
    options = options_of(page.text)
    assert (options["allowCredentials"], options["userVerification"]) == ([], "required")
    done = await answer(passkeys.http, page.text, "passkey-form", key.get(options))

    callback = location(done)  # no password, no MFA page: the passkey was both
    assert callback.startswith(CALLBACK + "?code=")
    claims = await claims_of(passkeys.http, await redeemed(passkeys.http, web, callback))
    assert claims["sub"] == person.user_id
    assert claims["amr"] == ["swk", "user", "mfa"]
    assert claims["acr"] == MULTI_FACTOR_ACR
    logins = await audit_of(passkeys.rt, person.user_id, "s")
    assert [login.details["amr"] for login in logins] == [["swk", "user", "mfa"]]  # one login
    passed = await audit_of(passkeys.rt, person.user_id, "gd_auth_succeed")
    async with passkeys.rt.store.read() as tx:
        items = await tx.authenticators.for_user(person.user_id)
    (key_id,) = [item.id for item in items if item.type == "webauthn-platform"]
    # One more success of the key than enrolling it left (counted: same-instant events have
    # no reliable order under the frozen clock).
    assert [event.details["authenticator_id"] for event in passed] == [key_id] * (enrolled_with + 1)


async def test_the_account_pages_sign_in_with_a_passkey_too(passkeys: Served) -> None:
    _, key = await with_passkey(passkeys)
    login_url = location(await passkeys.http.get(ACCOUNT))
    page = await passkeys.http.get(login_url)

    done = await answer(passkeys.http, page.text, "passkey-form", key.get(options_of(page.text)))

    assert location(done) == ACCOUNT  # MFA included: the settings open at once
    settings_page = await passkeys.http.get(ACCOUNT)
    assert settings_page.status_code == 200
    assert 'id="setup-mfa-banner"' not in settings_page.text


async def test_an_unknown_passkey_is_explained_with_a_new_ceremony(passkeys: Served) -> None:
    person, _ = await with_passkey(passkeys)
    stranger = device(passkeys.rt, resident=True)
    stranger.create(
        {"challenge": "AAAA", "user": {"id": "c3RyYW5nZXI", "name": "x"}, "rp": {"id": "x"}}
    )
    web, page = await login_page(passkeys.http, passkeys.rt)

    refused = await answer(
        passkeys.http, page.text, "passkey-form", stranger.get(options_of(page.text))
    )

    assert refused.status_code == 400
    assert error_of(refused.text) == (
        "This passkey is not registered here. Sign in with your email and password."
    )
    assert options_of(refused.text)["challenge"] != options_of(page.text)["challenge"]
    assert 'id="login-form"' in refused.text
    [failed] = await audit_by_client(
        passkeys.rt, None, "passkey_challenge_failed", client_id=web.client_id
    )
    assert failed.details["reason"] == "unknown_credential"
    assert await audit_of(passkeys.rt, person.user_id, "s") == []


async def test_passkeys_off_offer_nothing_and_refuse_a_forged_post(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    web = await a_web_app(runtime)
    login_url = location(await authorize(client, web))
    page = await client.get(login_url)
    assert element(page.text, "username", "autocomplete") == "username"
    assert 'id="passkey-form"' not in page.text
    key = device(runtime, resident=True)
    challenge = {"challenge": "AAAA", "user": {"id": "dXNlcg", "name": "x"}, "rp": {"id": "x"}}
    key.create(challenge)
    forged = {
        "csrf_token": csrf_of(page.text),
        "auth_session": "A" * 43,
        "authn_response": json.dumps(key.get({"challenge": "AAAA", "allowCredentials": []})),
    }

    refused = await client.post(login_url.replace("/u/login", "/u/login/passkey"), data=forged)

    assert refused.status_code == 403
    assert error_of(refused.text) == "Passkeys are not enabled."
