"""Steps of the MFA page tests: a person enrolled over the MFA API, a sign-in walked up to
the MFA step, a form posted with its CSRF token, and what the pages and the audit log hold."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import httpx
import pytest

from tests.api.helpers import enrolled
from tests.builders import Person, a_client, a_user
from tests.web.conftest import WebApp, a_web_app, authorize, location, submit_login
from twofold.domain import AuditRecord
from twofold.factors.otp import totp_now
from twofold.flows.runtime import Runtime
from twofold.policy.engine import POLICY_KEY
from twofold.store.repos import audit as audit_repo

_ERROR = re.compile(r'id="error">([^<]*)<')
_FORM = re.compile(r'<form method="post" action="([^"]+)"')
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


@pytest.fixture
async def always(runtime: Runtime, tenant: None) -> None:
    """Tenant policy "always": every sign-in needs MFA (put back by `tenant`)."""
    async with runtime.store.transaction() as tx:
        await tx.tenant.put(POLICY_KEY, ["all-applications"])


@dataclass(frozen=True, slots=True)
class Enrolled:
    person: Person
    secret: str
    recovery_code: str


async def an_enrolled_person(rt: Runtime, http: httpx.AsyncClient) -> Enrolled:
    """A user with an OTP authenticator and a recovery code (enrolled over the MFA API)."""
    person = await a_user(rt)
    secret, code = await enrolled(http, await a_client(rt), person, rt.clock.now())
    return Enrolled(person, secret, code)


async def to_mfa(
    rt: Runtime, http: httpx.AsyncClient, person: Person, **extra: str
) -> tuple[WebApp, str]:
    """Start a sign-in and give the password; returns the app and where the browser went."""
    web = await a_web_app(rt)
    first = await authorize(http, web, **extra)
    return web, location(await submit_login(http, location(first), person))


async def post_form(
    http: httpx.AsyncClient, url: str, fields: dict[str, str], *, page: str | None = None
) -> httpx.Response:
    """Submit the form of `page` (or of a fresh GET of `url`) as a browser does: to its
    action, with its hidden fields (the CSRF token, a pending authenticator id) and `fields`."""
    if page is None:
        shown = await http.get(url)
        assert shown.status_code == 200, shown.text[:300]
        page = shown.text
    form = _FORM.search(page)
    assert form, "no form on the page"
    hidden = {
        html.unescape(name): html.unescape(value)
        for name, value in _HIDDEN.findall(page[form.start() :])
    }
    return await http.post(html.unescape(form.group(1)), data={**hidden, **fields})


async def submit(http: httpx.AsyncClient, page: str, form_id: str, **fields: str) -> httpx.Response:
    """Post the form with this id with its own hidden fields and `fields`, as a browser does
    (a code page has three forms: the code, resend, call me)."""
    form = re.search(
        rf'<form method="post" action="([^"]+)"[^>]*\bid="{form_id}">(.*?)</form>', page, re.S
    )
    assert form, f"no #{form_id} form"
    hidden = _HIDDEN.findall(form.group(2))
    data = {html.unescape(k): html.unescape(v) for k, v in hidden} | fields
    return await http.post(html.unescape(form.group(1)), data=data)


def code_now(rt: Runtime, secret: str) -> str:
    return totp_now(secret, now=rt.clock.now())


def error_of(page: str) -> str:
    found = _ERROR.search(page)
    assert found, "no #error on the page"
    return html.unescape(found.group(1))


def element(page: str, element_id: str, attribute: str) -> str:
    """An attribute of the element with this id (attributes in any order)."""
    tag = re.search(rf'<[a-z]+\b[^>]*\bid="{re.escape(element_id)}"[^>]*>', page)
    assert tag, f"no #{element_id} on the page"
    value = re.search(rf'\b{attribute}="([^"]*)"', tag.group(0))
    assert value, f"#{element_id} has no {attribute}"
    return html.unescape(value.group(1))


def text_of(page: str, element_id: str) -> str:
    found = re.search(rf'id="{re.escape(element_id)}"[^>]*>([^<]*)<', page)
    assert found, f"no #{element_id} on the page"
    return html.unescape(found.group(1)).strip()


async def audit_of(rt: Runtime, user_id: str, type_: str) -> list[AuditRecord]:
    async with rt.store.read() as tx:
        page = await audit_repo.search(tx.conn, user_id=user_id, per_page=100, ascending=True)
    return [record for record in page.items if record.type == type_]
