"""Steps of the My MFA settings tests: signing in through the account gate, passing MFA,
and reading the page's tables back."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import httpx

from tests.api.helpers import MFA_RECOVERY, enrolled, mfa_token
from tests.builders import Client, Person, a_client, a_user
from tests.web.conftest import csrf_of, location, query_of, submit_login
from twofold.domain import AuditRecord, Authenticator
from twofold.flows.runtime import Runtime
from twofold.flows.sessions import open_session, record_mfa
from twofold.policy.engine import POLICY_KEY
from twofold.store.repos import audit as audit_repo
from twofold.types import FactorType
from twofold.web.browser import SESSION_COOKIE, csrf_token

ACCOUNT = "/u/account/security"
_ROW = re.compile(r'<tr data-(authenticator|remembered)-id="([^"]+)"[^>]*>(.*?)</tr>', re.S)
_CELL = re.compile(r'<td class="([a-z-]+)"[^>]*>(.*?)</td>', re.S)


@dataclass(frozen=True, slots=True)
class Enrolled:
    person: Person
    client: Client
    """The application the enrolment went through (for MFA API calls)."""
    secret: str
    recovery_code: str


async def an_enrolled_person(rt: Runtime, http: httpx.AsyncClient) -> Enrolled:
    """A user with an OTP authenticator and a recovery code, enrolled over the MFA API."""
    person = await a_user(rt)
    app = await a_client(rt)
    secret, code = await enrolled(http, app, person, rt.clock.now())
    return Enrolled(person, app, secret, code)


async def set_policy(rt: Runtime, *policies: str) -> None:
    async with rt.store.transaction() as tx:
        await tx.tenant.put(POLICY_KEY, list(policies))


async def sign_in(http: httpx.AsyncClient, person: Person) -> str:
    """Visit the page signed out and give the password; returns where the sign-in went."""
    first = await http.get(ACCOUNT)
    login_url = location(first)
    assert login_url.startswith("/u/login?state="), login_url
    return location(await submit_login(http, login_url, person))


async def pass_mfa(rt: Runtime, http: httpx.AsyncClient, mfa_url: str) -> str:
    """End the MFA step as the MFA page does (the session records it), then continue."""
    current = await open_session(rt, http.cookies.get(SESSION_COOKIE))
    assert current is not None
    await record_mfa(rt, current, ("otp",))
    state = query_of(mfa_url)["state"]
    return location(await http.get("/u/continue", params={"state": state}))


async def open_settings(rt: Runtime, http: httpx.AsyncClient, person: Person) -> httpx.Response:
    """The settings page after a full account sign-in (MFA too when the user has a factor)."""
    went = await sign_in(http, person)
    if went.startswith("/u/mfa?"):
        went = await pass_mfa(rt, http, went)
    assert went == ACCOUNT
    page = await http.get(ACCOUNT)
    assert page.status_code == 200, page.text[:300]
    return page


def rows(page: str, kind: str = "authenticator") -> dict[str, dict[str, str]]:
    """`{row id: {cell class: text}}` of a table on the page."""
    found: dict[str, dict[str, str]] = {}
    for row_kind, row_id, body in _ROW.findall(page):
        if row_kind == kind:
            cells = {name: html.unescape(text.strip()) for name, text in _CELL.findall(body)}
            found[html.unescape(row_id)] = cells
    return found


async def post(
    http: httpx.AsyncClient, path: str, page: httpx.Response | str, **fields: str
) -> httpx.Response:
    """Submit one of the page's forms with its CSRF token (or with a token given as text)."""
    token = page if isinstance(page, str) else csrf_of(page.text)
    return await http.post(f"{ACCOUNT}{path}", data={"csrf_token": token, **fields})


async def session_csrf(rt: Runtime, http: httpx.AsyncClient) -> str:
    """The token this browser's forms carry, for a page that shows no form (a forged post)."""
    current = await open_session(rt, http.cookies.get(SESSION_COOKIE))
    assert current is not None
    return csrf_token(rt, current)


async def authenticators_of(rt: Runtime, user_id: str) -> dict[FactorType, Authenticator]:
    """The user's stored authenticators by type (one of each in these tests)."""
    async with rt.store.read() as tx:
        return {item.type: item for item in await tx.authenticators.for_user(user_id)}


async def audit_of(rt: Runtime, user_id: str, type_: str) -> list[AuditRecord]:
    """The user's audit events of one type, oldest first."""
    async with rt.store.read() as tx:
        page = await audit_repo.search(tx.conn, user_id=user_id, type=type_, ascending=True)
    return list(page.items)


async def recovery_grant(http: httpx.AsyncClient, who: Enrolled, code: str) -> httpx.Response:
    """Sign in with a recovery code over the MFA API (the `mfa-recovery-code` grant)."""
    token = await mfa_token(http, who.client, who.person)
    body = {
        "grant_type": MFA_RECOVERY,
        "client_id": who.client.client_id,
        "client_secret": who.client.client_secret,
        "mfa_token": token,
        "recovery_code": code,
    }
    return await http.post("/oauth/token", data=body)
