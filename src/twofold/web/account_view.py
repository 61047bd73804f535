"""What My MFA settings shows: rows built from `flows.account.Overview` for the templates
(names, factor labels, dates, a short description of each remembered browser), and the
rendering every account page shares."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.responses import Response

from twofold.domain import Authenticator, RememberedBrowser
from twofold.factors.base import Factor
from twofold.flows import account as flows
from twofold.flows.account import Overview
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


def label_of(factors: Factors, factor_type: FactorType) -> str:
    """The label the factor declares for its pages (factors/pages.py)."""
    factor = factors.get(factor_type)
    return factor.page.label if factor is not None else factor_type.value


def authenticator_row(factors: Factors, item: Authenticator) -> AuthenticatorRow:
    """An unnamed authenticator goes by its factor's label ("Authenticator app")."""
    label = label_of(factors, item.type)
    return AuthenticatorRow(
        id=item.id,
        name=item.name or label,
        label=label,
        created=day(item.created_at),
        last_used=day(item.last_used_at),
    )


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
