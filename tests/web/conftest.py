"""Hosted-page tests over ASGI: a cookie-keeping httpx client walks the pages hop by hop.

The API suite's fixtures (runtime, app, client, tenant) are shared; helpers here register a
web application and sign a person in up to any step.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.api.conftest import app, client, runtime, tenant  # noqa: F401 - shared fixtures
from tests.builders import Person
from twofold.domain import Application
from twofold.flows.client_metadata import USER_GRANTS
from twofold.flows.grants import GrantType
from twofold.flows.runtime import Runtime
from twofold.security import tokens
from twofold.types import ClientId

CALLBACK = "http://localhost:5555/callback"
LOGOUT_URL = "http://localhost:5555/signed-out"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True, slots=True)
class WebApp:
    client_id: str
    client_secret: str | None
    redirect_uri: str = CALLBACK


async def a_web_app(rt: Runtime, *, public: bool = False) -> WebApp:
    """A regular_web (or, with `public`, spa) application registered for the code flow."""
    secret = None if public else tokens.new_client_secret()
    application = Application(
        client_id=ClientId(tokens.new_client_id()),
        name="web app",
        secret_hash=tokens.token_hash(secret) if secret else None,
        app_type="spa" if public else "regular_web",
        grant_types=(
            GrantType.AUTHORIZATION_CODE.value,
            GrantType.REFRESH_TOKEN.value,
            *(grant.value for grant in USER_GRANTS),
        ),
        scopes=(),
        created_at=rt.clock.now(),
        callbacks=(CALLBACK,),
        allowed_logout_urls=(LOGOUT_URL,),
    )
    async with rt.store.transaction() as tx:
        await tx.applications.add(application)
    return WebApp(application.client_id, secret)


@pytest.fixture
async def never(runtime: Runtime, tenant: None) -> None:  # noqa: F811 - the shared fixtures
    """Tenant policy "never": the password alone finishes a sign-in."""
    async with runtime.store.transaction() as tx:
        await tx.tenant.put("mfa_policies", [])


def pkce_pair() -> tuple[str, str]:
    """A code verifier and its S256 challenge (RFC 7636 section 4.2)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no csrf_token field on the page"
    return found.group(1)


def location(response: httpx.Response) -> str:
    assert response.status_code in (302, 303), (response.status_code, response.text[:300])
    return response.headers["location"]


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


async def authorize(
    http: httpx.AsyncClient, web: WebApp, *, challenge: str | None = None, **extra: str
) -> httpx.Response:
    params = {
        "client_id": web.client_id,
        "redirect_uri": web.redirect_uri,
        "response_type": "code",
        "scope": "openid profile email",
        "state": "st-" + secrets.token_hex(4),
        "nonce": "n-" + secrets.token_hex(4),
    }
    if challenge:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    params |= extra
    return await http.get("/authorize", params=params)


async def submit_login(http: httpx.AsyncClient, login_url: str, person: Person) -> httpx.Response:
    page = await http.get(login_url)
    assert page.status_code == 200, page.text[:300]
    form = {"csrf_token": csrf_of(page.text), "username": person.email, "password": person.password}
    return await http.post(login_url, data=form)
