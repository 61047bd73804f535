"""What My MFA settings shows: rows built from `flows.account.Overview` for the templates
(names, factor labels, dates, a short description of each remembered browser), and the
rendering every account page shares."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.responses import Response

from twofold.domain import Authenticator, RememberedBrowser
from twofold.factors.base import Factor
from twofold.flows import account as flows
from twofold.flows.account import Overview
from twofold.flows.factor_pages import key_facts, page_in
from twofold.flows.runtime import Runtime
from twofold.types import FactorType
from twofold.web.account_gate import Account
from twofold.web.browser import csrf_token
from twofold.web.pages import render

Factors = Mapping[FactorType, Factor]

NOTICES = {
    "added": "Authenticator added.",
    "renamed": "Authenticator renamed.",
    "removed": "Authenticator removed.",
    "forgotten": "Browser forgotten: it will be asked for MFA again.",
    "forgotten-all": "Every remembered browser forgotten.",
}
"""Messages a post's 303 names by key (`?done=`), so no text travels in the URL."""

_BROWSERS = (
    ("Edge", re.compile(r"\bEdg(e|A|iOS)?/")),
    ("Opera", re.compile(r"\bOPR/")),
    ("Firefox", re.compile(r"\b(Firefox|FxiOS)/")),
    ("Chrome", re.compile(r"\b(Chrome|CriOS)/")),
    ("Safari", re.compile(r"\bSafari/")),
)
_SYSTEMS = (
    ("Android", re.compile(r"Android")),
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("Windows", re.compile(r"Windows")),
    ("macOS", re.compile(r"Mac OS X|Macintosh")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("Linux", re.compile(r"Linux")),
)


@dataclass(frozen=True, slots=True)
class AuthenticatorRow:
    id: str
    name: str
    label: str
    created: str
    last_used: str
    kind: str | None = None
    """A security key's or device's: "synced passkey" or "device-bound key"."""
    model: str | None = None
    """A security key's or device's AAGUID, or "not disclosed"."""


@dataclass(frozen=True, slots=True)
class BrowserRow:
    id: str
    summary: str
    created: str
    last_used: str


def day(moment: dt.datetime | None) -> str:
    """A date people read at a glance (UTC, as every time Twofold stores)."""
    return moment.strftime("%d %b %Y") if moment else "Never"


def browser_summary(user_agent: str | None) -> str:
    """ "Firefox on Linux": enough to tell one's own browsers apart, no more."""
    text = user_agent or ""
    browser = next((name for name, pattern in _BROWSERS if pattern.search(text)), None)
    system = next((name for name, pattern in _SYSTEMS if pattern.search(text)), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown browser"


def label_of(factors: Factors, item: Authenticator) -> str:
    """The label its page declares (factors/pages.py): the factor's, or for a code sent out
    of band its channel's ("Text message")."""
    page = page_in(factors, item)
    return page.label if page is not None else item.type.value


def authenticator_row(factors: Factors, item: Authenticator) -> AuthenticatorRow:
    """An unnamed authenticator goes by its factor's label ("Authenticator app"). A phone or
    an address is only ever shown masked (`+1 ••• ••• 1234`): as its name until renamed,
    beside its label after."""
    label = label_of(factors, item)
    masked = item.params.get("masked")
    name = item.name or (masked if isinstance(masked, str) else None) or label
    if isinstance(masked, str) and masked != name:
        label = f"{label} · {masked}"
    facts = key_facts(item)
    return AuthenticatorRow(
        id=item.id,
        name=name,
        label=label,
        created=day(item.created_at),
        last_used=day(item.last_used_at),
        kind=facts.kind if facts else None,
        model=model_of(facts.aaguid) if facts else None,
    )


def model_of(aaguid: str) -> str:
    """An authenticator model's AAGUID as shown; all zeros means it did not say."""
    return "not disclosed" if aaguid == str(uuid.UUID(int=0)) else aaguid


def browser_row(item: RememberedBrowser) -> BrowserRow:
    return BrowserRow(
        id=item.id,
        summary=browser_summary(item.user_agent),
        created=day(item.created_at),
        last_used=day(item.last_used_at),
    )


def page_context(factors: Factors, found: Overview) -> dict[str, object]:
    """The settings page's template values (the gate and the route add the rest)."""
    code = found.recovery_code
    return {
        "email": found.user.email,
        "has_factor": found.has_factor,
        "authenticators": [authenticator_row(factors, a) for a in found.authenticators],
        "recovery_code": authenticator_row(factors, code) if code else None,
        "browsers": [browser_row(b) for b in found.browsers],
    }


def account_page(
    request: Request,
    rt: Runtime,
    account: Account,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> Response:
    """Any account page: the CSRF token for its forms and what the base layout needs."""
    values = {"csrf_token": csrf_token(rt, account.current), **context}
    return render(request, rt.settings, template, values, status=status)


async def recovery_code_page(
    request: Request, rt: Runtime, account: Account, code: str, *, heading: str, replaced: bool
) -> Response:
    """A recovery code, shown this once (the page is never cached: `no-store`)."""
    found = await flows.overview(rt, account.user_id)
    context = {
        **page_context(rt.factors, found),
        "code": code,
        "heading": heading,
        "replaced": replaced,
    }
    return account_page(request, rt, account, "account_recovery_code.html", context)
