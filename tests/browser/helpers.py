"""Steps browser tests share: seeding through the flows (`await live.run(seed)`), TOTP codes
as an authenticator app computes them (pyotp, not our own factor code), and a stand-in for the
relying party's callback, answered inside the browser since there is no network."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlencode, urlsplit

import pyotp
from playwright.async_api import BrowserContext, Page, Route

from tests.builders import Client, Person, a_user
from twofold.flows.clients import create_application
from twofold.flows.runtime import Runtime

CALLBACK = "https://app.example/callback"
BROWSER_GRANTS = ("authorization_code", "refresh_token")
CALLBACK_PAGE = "<!doctype html><title>Callback</title><h1>The application got the callback</h1>"


@dataclass(frozen=True, slots=True)
class Seeded:
    person: Person
    client: Client


def totp_now(secret_b32: str, *, at: dt.datetime | None = None) -> str:
    """The code an authenticator app shows now, or at `at` (`live.clock.now()` once a test
    moved the server's clock: a TOTP step is accepted once, so a second code in one test
    needs the clock advanced by a period)."""
    totp = pyotp.TOTP(secret_b32)
    code: str = totp.at(at) if at is not None else totp.now()
    return code


async def a_login_app(
    rt: Runtime,
    *,
    callbacks: Sequence[str] = (CALLBACK,),
    logout_urls: Sequence[str] = (),
    app_type: str = "regular_web",
) -> Client:
    """An application that may send browsers to `/authorize`.

    Created by the `create_application` flow (its secret, its audit event), then given its
    redirect URLs and the browser grants in the store: that flow does not take them yet.
    """
    new = await create_application(rt, name="browser test app", app_type=app_type)
    grants = tuple(dict.fromkeys((*new.application.grant_types, *BROWSER_GRANTS)))
    application = replace(
        new.application,
        callbacks=tuple(callbacks),
        allowed_logout_urls=tuple(logout_urls),
        grant_types=grants,
    )
    async with rt.store.transaction() as tx:
        await tx.applications.delete(application.client_id)
        await tx.applications.add(application)
    return Client(application.client_id, new.client_secret or "")


async def seed(rt: Runtime, *, callbacks: Sequence[str] = (CALLBACK,)) -> Seeded:
    """A user with a password (`tests.builders.PASSWORD`) and an application to sign in to."""
    return Seeded(await a_user(rt), await a_login_app(rt, callbacks=callbacks))


def authorize_path(client: Client, *, redirect_uri: str = CALLBACK, **extra: str) -> str:
    """`/authorize` for the code flow with a fresh `state`; `extra` adds or overrides
    parameters (`nonce`, `prompt`, `max_age`, `acr_values`, PKCE's `code_challenge`...)."""
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid profile email",
        "state": secrets.token_urlsafe(12),
        **extra,
    }
    return f"/authorize?{urlencode(params)}"


async def answer_callbacks(target: BrowserContext | Page, url: str = CALLBACK) -> None:
    """Answer navigations to the relying party's `url` with a small page, so the browser lands
    there and `callback_params(page)` reads what Twofold sent."""

    async def fulfil(route: Route) -> None:
        await route.fulfill(status=200, content_type="text/html", body=CALLBACK_PAGE)

    await target.route(lambda address: address.split("?")[0] == url, fulfil)


def callback_params(page: Page) -> dict[str, str]:
    """The query of the page's URL (`code`, `state`, or `error` and `error_description`)."""
    return dict(parse_qsl(urlsplit(page.url).query))
