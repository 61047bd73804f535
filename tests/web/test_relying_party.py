"""End to end with an independent relying party (Authlib's client, not Twofold's SDK): a real
sign-in on the hosted pages (password, then TOTP), the code + PKCE exchange, the ID token
checked against the JWKS, `/userinfo`, refresh rotation, and the ways it must fail."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack

import httpx
import pytest
from fastapi import FastAPI

from tests.api.codeflow import outcomes
from tests.builders import an_ip
from tests.web.conftest import CALLBACK, a_web_app, csrf_of, location, query_of
from tests.web.mfa_steps import Enrolled, an_enrolled_person
from tests.web.relying_party_steps import (
    MULTI_FACTOR_ACR,
    SCOPE,
    RelyingParty,
    a_relying_party_client,
    authorization,
    discover,
    redeem,
    refused,
    sign_in,
    verified_id_token,
)
from twofold.clock import FrozenClock
from twofold.config import Settings
from twofold.flows.runtime import Runtime

Parties = Callable[..., Awaitable[RelyingParty]]


@pytest.fixture
async def browser(app: FastAPI, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A browser on the issuer's origin, so the pages' relative links and the authorization
    URL (absolute, from discovery) share one cookie jar."""
    transport = httpx.ASGITransport(app=app, client=(an_ip(), 40000))
    async with httpx.AsyncClient(transport=transport, base_url=settings.issuer) as http:
        yield http


@pytest.fixture
async def parties(app: FastAPI, runtime: Runtime) -> AsyncIterator[Parties]:
    """`await parties(public=...)`: a registered application and its relying party."""
    async with AsyncExitStack() as stack:

        async def start(*, public: bool = False) -> RelyingParty:
            web = await a_web_app(runtime, public=public)
            oauth = await stack.enter_async_context(a_relying_party_client(app, web))
            return await discover(oauth, runtime.settings.issuer, web)

        yield start


@pytest.fixture
async def who(runtime: Runtime, browser: httpx.AsyncClient) -> Enrolled:
    """A person with a TOTP authenticator, enrolled over the MFA API."""
    return await an_enrolled_person(runtime, browser)


def seconds(clock: FrozenClock) -> int:
    return int(clock.now().timestamp())


@pytest.mark.parametrize("public", [False, True], ids=["regular_web", "spa"])
async def test_code_pkce_and_mfa_give_tokens_a_relying_party_accepts(
    browser: httpx.AsyncClient, parties: Parties, who: Enrolled, clock: FrozenClock, public: bool
) -> None:
    rp = await parties(public=public)
    assert MULTI_FACTOR_ACR in rp.metadata["acr_values_supported"]
    request = authorization(rp)
    callback = await sign_in(browser, who, request, clock)
    mfa_time = seconds(clock)
    assert query_of(callback)["iss"] == rp.metadata["issuer"]  # RFC 9207
    token = await redeem(rp, callback, request)
    assert (token["token_type"], token["scope"]) == ("Bearer", SCOPE)

    claims = await verified_id_token(rp, token, nonce=request.nonce, now=seconds(clock))
    assert claims["sub"] == who.person.user_id
    assert claims["acr"] == MULTI_FACTOR_ACR
    assert {"pwd", "otp", "mfa"} <= set(claims["amr"])
    assert claims["auth_time"] == mfa_time
    assert claims["sid"].startswith("ses_")
    info = await rp.oauth.get(rp.endpoint("userinfo_endpoint"))
    assert info.status_code == 200
    assert (info.json()["sub"], info.json()["email"]) == (who.person.user_id, who.person.email)

    clock.advance(600)
    spent = token["refresh_token"]
    fresh = await rp.oauth.refresh_token(rp.endpoint("token_endpoint"))
    assert fresh["refresh_token"] != spent
    again = await verified_id_token(rp, fresh, nonce=None, now=seconds(clock))
    assert (again["auth_time"], again["acr"], again["sid"]) == (
        mfa_time,
        claims["acr"],
        claims["sid"],
    )
    assert "nonce" not in again
    replay = rp.oauth.refresh_token(rp.endpoint("token_endpoint"), refresh_token=spent)
    assert await refused(replay) == "invalid_grant"


async def test_an_unregistered_redirect_uri_is_shown_and_not_followed(
    browser: httpx.AsyncClient, parties: Parties
) -> None:
    rp = await parties()
    response = await browser.get(authorization(rp, redirect_uri=CALLBACK + "/evil").url)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "Callback URL mismatch" in response.text


@pytest.mark.parametrize(
    "overrides",
    [
        {"redirect_uri": CALLBACK + "/other"},
        {"code_verifier": None},
        {"code_verifier": "w" * 43},
    ],
    ids=["another redirect_uri", "no code_verifier", "wrong code_verifier"],
)
async def test_the_code_is_bound_to_its_redirect_uri_and_verifier(
    browser: httpx.AsyncClient,
    parties: Parties,
    who: Enrolled,
    clock: FrozenClock,
    overrides: dict[str, str | None],
) -> None:
    rp = await parties()
    request = authorization(rp)
    callback = await sign_in(browser, who, request, clock)
    assert await refused(redeem(rp, callback, request, **overrides)) == "invalid_grant"


async def test_a_reused_code_revokes_the_tokens_of_its_first_exchange(
    browser: httpx.AsyncClient,
    parties: Parties,
    who: Enrolled,
    clock: FrozenClock,
    runtime: Runtime,
) -> None:
    rp = await parties()
    request = authorization(rp)
    callback = await sign_in(browser, who, request, clock)
    first = await redeem(rp, callback, request)
    assert await refused(redeem(rp, callback, request)) == "invalid_grant"
    stale = rp.oauth.refresh_token(
        rp.endpoint("token_endpoint"), refresh_token=first["refresh_token"]
    )
    assert await refused(stale) == "invalid_grant"
    assert (await rp.oauth.get(rp.endpoint("userinfo_endpoint"))).status_code == 401
    assert ("feacft", "code_reuse") in await outcomes(runtime, rp.web.client_id)


async def test_a_replayed_refresh_token_revokes_the_whole_family(
    browser: httpx.AsyncClient,
    parties: Parties,
    who: Enrolled,
    clock: FrozenClock,
    runtime: Runtime,
) -> None:
    rp = await parties(public=True)
    request = authorization(rp)
    first = await redeem(rp, await sign_in(browser, who, request, clock), request)
    token_endpoint = rp.endpoint("token_endpoint")
    newest = await rp.oauth.refresh_token(token_endpoint)
    replay = rp.oauth.refresh_token(token_endpoint, refresh_token=first["refresh_token"])
    assert await refused(replay) == "invalid_grant"
    latest = rp.oauth.refresh_token(token_endpoint, refresh_token=newest["refresh_token"])
    assert await refused(latest) == "invalid_grant"
    assert (await rp.oauth.get(rp.endpoint("userinfo_endpoint"))).status_code == 401
    assert ("ferrt", "refresh_token_reuse") in await outcomes(runtime, rp.web.client_id)


async def test_a_login_form_without_its_csrf_token_is_refused(
    browser: httpx.AsyncClient, parties: Parties, who: Enrolled
) -> None:
    rp = await parties()
    login_url = location(await browser.get(authorization(rp).url))
    form = {"username": who.person.email, "password": who.person.password}
    response = await browser.post(login_url, data=form)
    assert response.status_code == 403
    assert "did not come from this site" in response.text


async def test_a_sign_in_left_open_too_long_expires(
    browser: httpx.AsyncClient,
    parties: Parties,
    who: Enrolled,
    clock: FrozenClock,
    runtime: Runtime,
) -> None:
    rp = await parties()
    login_url = location(await browser.get(authorization(rp).url))
    page = await browser.get(login_url)
    clock.advance(runtime.settings.oidc.login_ttl)
    form = {"username": who.person.email, "password": who.person.password}
    response = await browser.post(login_url, data=form | {"csrf_token": csrf_of(page.text)})
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "This sign-in has expired" in response.text


async def test_an_idle_browser_session_must_sign_in_again(
    browser: httpx.AsyncClient,
    parties: Parties,
    who: Enrolled,
    clock: FrozenClock,
    runtime: Runtime,
) -> None:
    rp = await parties()
    await sign_in(browser, who, authorization(rp), clock)
    idle = runtime.settings.sessions.idle_timeout
    clock.advance(idle - 60)
    # Still signed in (and MFA still holds): single sign-on answers at once with a code.
    assert location(await browser.get(authorization(rp).url)).startswith(CALLBACK + "?")
    clock.advance(idle + 1)
    request = authorization(rp)
    callback = await sign_in(browser, who, request, clock)  # from the password page again
    claims = await verified_id_token(
        rp, await redeem(rp, callback, request), nonce=request.nonce, now=seconds(clock)
    )
    assert claims["auth_time"] == seconds(clock)
