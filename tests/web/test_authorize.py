"""`/authorize` and the password page: validation, where each error goes, and the hops."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from tests.builders import a_user
from tests.web.conftest import (
    CALLBACK,
    a_web_app,
    authorize,
    csrf_of,
    location,
    pkce_pair,
    query_of,
    submit_login,
)
from twofold.clock import FrozenClock
from twofold.domain import Authenticator
from twofold.flows.runtime import Runtime
from twofold.store.tables import audit_events, authorization_requests
from twofold.types import AuthenticatorId, AuthenticatorStatus, FactorType, UserId
from twofold.web.browser import SESSION_COOKIE


async def test_unknown_client_is_shown_not_redirected(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/authorize",
        params={"client_id": "nobody", "redirect_uri": CALLBACK, "response_type": "code"},
    )
    assert response.status_code == 400
    assert "text/html" in response.headers["content-type"]
    assert "Unknown client" in response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]


async def test_unregistered_redirect_uri_is_shown_not_followed(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    web = await a_web_app(runtime)
    response = await client.get(
        "/authorize",
        params={
            "client_id": web.client_id,
            "redirect_uri": CALLBACK + "/evil",
            "response_type": "code",
        },
    )
    assert response.status_code == 400
    assert "Callback URL mismatch" in response.text
    assert "location" not in response.headers


async def test_later_errors_go_back_to_the_client_with_state(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    web = await a_web_app(runtime)
    response = await authorize(client, web, response_type="token", state="s1")
    sent = query_of(location(response))
    assert location(response).startswith(CALLBACK + "?")
    assert sent["error"] == "unsupported_response_type"
    assert sent["state"] == "s1"
    assert sent["iss"] == runtime.settings.issuer


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"code_challenge": "x" * 43, "code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "short", "code_challenge_method": "S256"}, "invalid_request"),
        ({"max_age": "-5"}, "invalid_request"),
        ({"response_mode": "fragment"}, "invalid_request"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"audience": "https://unknown.example/api"}, "access_denied"),
    ],
)
async def test_invalid_parameters_are_returned_to_the_client(
    client: httpx.AsyncClient, runtime: Runtime, extra: dict[str, str], error: str
) -> None:
    web = await a_web_app(runtime)
    response = await authorize(client, web, **extra)
    assert query_of(location(response))["error"] == error


async def test_a_public_client_must_send_pkce(client: httpx.AsyncClient, runtime: Runtime) -> None:
    web = await a_web_app(runtime, public=True)
    response = await authorize(client, web)
    sent = query_of(location(response))
    assert (sent["error"], sent["error_description"]) == (
        "invalid_request",
        "Public clients must use PKCE (code_challenge).",
    )


async def test_sign_in_sets_a_strict_cookie_and_rotates_it(
    client: httpx.AsyncClient, runtime: Runtime, never: None
) -> None:
    web = await a_web_app(runtime)
    person = await a_user(runtime)
    _, challenge = pkce_pair()
    first = await authorize(client, web, challenge=challenge)
    login_url = location(first)
    assert login_url.startswith("/u/login?state=req_")
    cookie = first.headers["set-cookie"]
    assert f"{SESSION_COOKIE}=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    anonymous = client.cookies[SESSION_COOKIE]
    done = await submit_login(client, login_url, person)
    assert location(done).startswith("/u/continue?state=") or location(done).startswith(CALLBACK)
    assert client.cookies[SESSION_COOKIE] != anonymous


async def test_password_alone_finishes_under_policy_never(
    client: httpx.AsyncClient, runtime: Runtime, never: None
) -> None:
    web = await a_web_app(runtime)
    person = await a_user(runtime)
    _, challenge = pkce_pair()
    first = await authorize(client, web, challenge=challenge, state="abc")
    response = await submit_login(client, location(first), person)
    sent = query_of(location(response))
    assert location(response).startswith(CALLBACK)
    assert sent["state"] == "abc"
    assert len(sent["code"]) == 43
    assert sent["iss"] == runtime.settings.issuer
    # Signed in already: the next /authorize goes straight back with a code.
    again = await authorize(client, web, challenge=challenge)
    assert "code" in query_of(location(again))


async def test_wrong_password_is_explained_on_the_page(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    web = await a_web_app(runtime)
    person = await a_user(runtime)
    first = await authorize(client, web)
    login_url = location(first)
    page = await client.get(login_url)
    response = await client.post(
        login_url,
        data={"csrf_token": csrf_of(page.text), "username": person.email, "password": "nope"},
    )
    assert response.status_code == 400
    assert "Wrong email or password." in response.text
    assert 'autocomplete="current-password"' in response.text
    assert f'value="{person.email}"' in response.text


async def test_a_form_without_its_csrf_token_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    web = await a_web_app(runtime)
    person = await a_user(runtime)
    login_url = location(await authorize(client, web))
    response = await client.post(
        login_url, data={"username": person.email, "password": person.password}
    )
    assert response.status_code == 403
    assert "did not come from this site" in response.text


async def test_a_sign_in_link_does_not_work_in_another_browser(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    web = await a_web_app(runtime)
    login_url = location(await authorize(client, web))
    client.cookies.clear()
    response = await client.get(login_url)
    assert response.status_code == 400
    assert "belongs to another browser" in response.text


async def test_an_expired_session_starts_over(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, never: None
) -> None:
    web = await a_web_app(runtime)
    person = await a_user(runtime)
    await submit_login(client, location(await authorize(client, web)), person)
    clock.advance(runtime.settings.sessions.idle_timeout + 1)
    response = await authorize(client, web)
    assert location(response).startswith("/u/login?state=")


async def test_prompt_login_asks_for_the_password_again(
    client: httpx.AsyncClient, runtime: Runtime, never: None
) -> None:
    web = await a_web_app(runtime)
    person = await a_user(runtime)
    await submit_login(client, location(await authorize(client, web)), person)
    response = await authorize(client, web, prompt="login")
    assert location(response).startswith("/u/login?state=")


async def test_prompt_none_without_a_session_says_login_required(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    web = await a_web_app(runtime)
    response = await authorize(client, web, prompt="none", state="q")
    sent = query_of(location(response))
    assert (sent["error"], sent["state"]) == ("login_required", "q")


async def test_max_age_asks_for_the_password_again_when_mfa_is_not_needed(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock, never: None
) -> None:
    web = await a_web_app(runtime)
    person = await a_user(runtime)
    await submit_login(client, location(await authorize(client, web)), person)
    clock.advance(120)
    assert "code" in query_of(location(await authorize(client, web, max_age="300")))
    assert location(await authorize(client, web, max_age="60")).startswith("/u/login?state=")


async def test_mfa_policy_sends_an_unenrolled_user_to_enrolment(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    web = await a_web_app(runtime)
    person = await a_user(runtime)
    response = await submit_login(client, location(await authorize(client, web)), person)
    assert location(response).startswith("/u/mfa/enroll?state=")


async def test_logout_ends_the_session_and_returns_only_to_allowed_urls(
    client: httpx.AsyncClient, runtime: Runtime, never: None
) -> None:
    web = await a_web_app(runtime)
    person = await a_user(runtime)
    await submit_login(client, location(await authorize(client, web)), person)
    refused = await client.get(
        "/oidc/logout",
        params={"client_id": web.client_id, "post_logout_redirect_uri": "https://evil.example/"},
    )
    assert refused.status_code == 400
    response = await client.get(
        "/oidc/logout",
        params={
            "client_id": web.client_id,
            "post_logout_redirect_uri": "http://localhost:5555/signed-out",
            "state": "bye",
        },
    )
    assert location(response) == "http://localhost:5555/signed-out?state=bye"
    assert SESSION_COOKIE not in client.cookies
    assert location(await authorize(client, web)).startswith("/u/login?state=")
    async with runtime.store.read() as tx:
        rows = await tx.conn.execute(
            select(audit_events.c.type).where(audit_events.c.user_id == person.user_id)
        )
        assert "slo" in {row.type for row in rows}


async def test_a_signed_in_browser_gets_its_code_without_a_stored_request(
    client: httpx.AsyncClient, runtime: Runtime, never: None
) -> None:
    web = await a_web_app(runtime)
    person = await a_user(runtime)
    await submit_login(client, location(await authorize(client, web)), person)
    async with runtime.store.read() as tx:
        before = len((await tx.conn.execute(select(authorization_requests.c.id))).all())
    again = await authorize(client, web)
    assert "code" in query_of(location(again))
    async with runtime.store.read() as tx:
        after = len((await tx.conn.execute(select(authorization_requests.c.id))).all())
    assert after == before


async def test_a_switched_off_factor_is_not_an_empty_challenge(
    client: httpx.AsyncClient, runtime: Runtime, tenant: None
) -> None:
    """A user whose only factor the tenant has switched off (SMS is off by default) has
    nothing the pages may ask for: they are offered enrolment, not an empty challenge."""
    async with runtime.store.transaction() as tx:
        await tx.tenant.put("mfa_policies", ["all-applications"])
    web = await a_web_app(runtime)
    person = await a_user(runtime)
    async with runtime.store.transaction() as tx:
        await tx.authenticators.add(
            Authenticator(
                id=AuthenticatorId("sms|dev_pagesless"),
                user_id=UserId(person.user_id),
                type=FactorType.OOB,
                status=AuthenticatorStatus.ACTIVE,
                name=None,
                created_at=runtime.clock.now(),
                oob_channel="sms",
            ),
            key_id=None,
        )
    response = await submit_login(client, location(await authorize(client, web)), person)
    assert location(response).startswith("/u/mfa/enroll?state=")
