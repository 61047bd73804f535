"""The example app over HTTP: where it sends the browser, and its SDK-guarded JSON API
answering tokens signed by the real Twofold server."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
from examples.stepup_app.sessions import COOKIE
from examples.stepup_app.settings import AppSettings

from twofold.clock import FrozenClock
from twofold.flows.runtime import Runtime
from twofold.sdk import MULTI_FACTOR_ACR


def query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def access_token(runtime: Runtime, clock: FrozenClock, *, amr: list[str], age: int = 0) -> str:
    now = int(clock.now().timestamp())
    claims = {
        "iss": runtime.settings.issuer,
        "sub": "auth0|u1",
        "aud": runtime.settings.userinfo_audience,
        "iat": now,
        "exp": now + 3600,
        "scope": "openid profile email",
        "amr": amr,
        "auth_time": now - age,
    }
    if "mfa" in amr:
        claims["acr"] = MULTI_FACTOR_ACR
    return runtime.signing.signer.sign(claims)


async def test_a_visitor_is_offered_to_sign_in(site: httpx.AsyncClient) -> None:
    response = await site.get("/")
    assert response.status_code == 200
    assert 'id="signed-out"' in response.text
    assert '<a id="login" href="/login">Sign in</a>' in response.text


async def test_sign_in_redirects_to_authorize_and_sets_the_session_cookie(
    site: httpx.AsyncClient, site_settings: AppSettings
) -> None:
    response = await site.get("/login")
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(f"{site_settings.issuer}authorize?")
    assert "max_age" not in query(location)
    assert "acr_values" not in query(location)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie


async def test_the_sensitive_page_steps_up_through_authorize(site: httpx.AsyncClient) -> None:
    response = await site.get("/sensitive")
    assert response.status_code == 302
    params = query(response.headers["location"])
    assert (params["acr_values"], params["max_age"]) == (MULTI_FACTOR_ACR, "300")
    assert params["code_challenge_method"] == "S256"


async def test_a_callback_this_browser_did_not_start_is_refused(site: httpx.AsyncClient) -> None:
    response = await site.get("/callback", params={"state": "forged", "code": "x"})
    assert response.status_code == 400
    assert "This sign-in is unknown, used or expired." in response.text


async def test_an_error_from_twofold_is_shown_once(site: httpx.AsyncClient) -> None:
    started = await site.get("/login")
    state = query(started.headers["location"])["state"]
    denied = {"state": state, "error": "access_denied", "error_description": "User <b>said</b> no"}
    response = await site.get("/callback", params=denied)
    assert response.status_code == 400
    assert '<p id="error">Twofold said: User &lt;b&gt;said&lt;/b&gt; no</p>' in response.text
    again = await site.get("/callback", params=denied)
    assert "This sign-in is unknown, used or expired." in again.text


async def test_logout_ends_the_session_at_twofold(
    site: httpx.AsyncClient, site_settings: AppSettings
) -> None:
    await site.get("/login")
    response = await site.get("/logout")
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(f"{site_settings.issuer}oidc/logout?")
    assert query(location) == {
        "client_id": site_settings.client_id,
        "post_logout_redirect_uri": "http://localhost:5001/",
    }
    assert f'{COOKIE}=""' in response.headers["set-cookie"]


async def test_the_api_asks_for_a_token(site: httpx.AsyncClient, runtime: Runtime) -> None:
    response = await site.get("/api/sensitive")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == (
        f'Bearer realm="{runtime.settings.userinfo_audience}"'
    )


async def test_the_api_asks_for_a_recent_mfa(
    site: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    token = access_token(runtime, clock, amr=["pwd"])
    response = await site.get("/api/sensitive", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == (
        'Bearer error="insufficient_user_authentication", '
        'error_description="Multi-factor authentication is required.", '
        f'acr_values="{MULTI_FACTOR_ACR}", max_age="300"'
    )
    assert response.json()["error"] == "insufficient_user_authentication"


async def test_the_api_answers_a_recent_mfa(
    site: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    token = access_token(runtime, clock, amr=["pwd", "mfa", "otp"], age=120)
    response = await site.get("/api/sensitive", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "sub": "auth0|u1",
        "auth_time": int(clock.now().timestamp()) - 120,
        "amr": ["pwd", "mfa", "otp"],
    }
