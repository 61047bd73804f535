"""What the MFA pages show, built from the factor registry: picker entries, links, messages,
and the one-time recovery-code page. No factor is named here; each declares its `page`."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from starlette.responses import Response

from twofold.domain import Authenticator, AuthorizationRequest
from twofold.errors import (
    InvalidGrantError,
    OobCodeExpiredError,
    OobCodeSupersededError,
    OobCodeUsedError,
    TooManyOobFailuresError,
    TwofoldError,
)
from twofold.factors.base import Factor
from twofold.flows.factor_pages import EnrolOption, channel_page, page_of
from twofold.flows.hosted_mfa import Passed
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.sessions import OpenSession
from twofold.types import FactorType
from twofold.web.browser import csrf_token, set_session_cookie
from twofold.web.pages import render
from twofold.web.steps import advance

INVALID_CODE = "The code you entered is invalid."
MISSING_CODE = "Enter the code."
CODE_ERRORS: Mapping[type[TwofoldError], str] = MappingProxyType(
    {
        OobCodeExpiredError: "The code has expired. Send a new one.",
        TooManyOobFailuresError: "Too many wrong codes. Send a new one.",
        OobCodeSupersededError: "A newer code was sent: use that one.",
        OobCodeUsedError: "This code was already used. Send a new one.",
    }
)
"""Refusals of a sent code that a retyped code cannot fix; any other is a wrong code."""
NOT_SENT = "We could not send the code. Try again in a moment."
SENT_AGAIN = "We sent a new code."


def sent_description(sent_by: str | None) -> str | None:
    """How the last code comes when its channel says more than the page's own description
    ("We are calling your phone..." after "Call me instead"); None otherwise."""
    page = channel_page(sent_by)
    return page.description if page is not None else None


def code_error(exc: TwofoldError) -> str:
    if type(exc) is InvalidGrantError:  # no live challenge: its description says what to do
        return exc.description
    return CODE_ERRORS.get(type(exc), INVALID_CODE)


def sends_message(retry_at: dt.datetime, now: dt.datetime) -> str:
    """A send limit (`too_many_sms` and friends) as the person reads it."""
    return f"Too many codes were sent. Try again in {_minutes(retry_at, now)}."


@dataclass(frozen=True, slots=True)
class Link:
    """One entry of a picker, or a "Use a recovery code" link."""

    href: str
    label: str
    element_id: str
    description: str | None = None
    detail: str | None = None


def page_url(path: str, auth_request: AuthorizationRequest, **extra: str | None) -> str:
    """`path?state=...` plus the given parameters, URL-encoded (ids hold a `|`)."""
    query = {"state": auth_request.id, **{k: v for k, v in extra.items() if v}}
    return f"{path}?{urlencode(query)}"


def locked_message(retry_at: dt.datetime, now: dt.datetime) -> str:
    return f"Too many failed attempts. Try again in {_minutes(retry_at, now)}."


def asked_too_often(retry_at: dt.datetime, now: dt.datetime) -> str:
    """A limit on asking rather than on failing (WebAuthn challenges started)."""
    return f"Too many attempts. Try again in {_minutes(retry_at, now)}."


def _minutes(retry_at: dt.datetime, now: dt.datetime) -> str:
    minutes = max(1, math.ceil((retry_at - now).total_seconds() / 60))
    return f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"


def added_on(item: Authenticator) -> str:
    """How an authenticator is told apart from others of its kind: its name, or its date."""
    return item.name or f"Added {item.created_at:%d %b %Y}"


def push_label(item: Authenticator) -> str:
    """A push device is chosen by its name: "Push to Pixel 8"."""
    return f"Push to {item.name or 'your device'}"


def authenticator_links(
    rt: Runtime, auth_request: AuthorizationRequest, authenticators: tuple[Authenticator, ...]
) -> list[Link]:
    """Picker entries; each authenticator's page is its factor's (or its channel's)."""
    links = []
    for index, item in enumerate(authenticators, start=1):
        page = page_of(rt, item)
        if page is None:
            continue
        links.append(
            Link(
                href=page_url(
                    "/u/mfa", auth_request, factor=item.type.value, authenticator=item.id
                ),
                label=push_label(item) if page.pushes else page.label,
                element_id=f"choose-{index}",
                description=page.description,
                detail=None if page.pushes else added_on(item),
            )
        )
    return links


def fallback_links(
    factors: Mapping[FactorType, Factor],
    auth_request: AuthorizationRequest,
    fallbacks: tuple[FactorType, ...],
    *,
    showing: FactorType | None = None,
) -> list[Link]:
    """`#use-recovery-code` and its kind, except on the fallback's own form."""
    return [
        Link(
            href=page_url("/u/mfa", auth_request, factor=kind.value),
            label=factors[kind].page.fallback_link or factors[kind].page.label,
            element_id=f"use-{kind.value}",
        )
        for kind in fallbacks
        if kind != showing
    ]


def enrol_links(auth_request: AuthorizationRequest, options: Sequence[EnrolOption]) -> list[Link]:
    """The enrolment picker's entries: an option per factor, or per out-of-band channel."""
    return [
        Link(
            href=page_url("/u/mfa/enroll", auth_request, factor=option.key),
            label=option.page.label,
            element_id=f"enrol-{option.key}",
            description=option.page.offer,
        )
        for option in options
    ]


def mfa_page(
    request: Request,
    rt: Runtime,
    current: OpenSession,
    auth_request: AuthorizationRequest,
    template: str,
    *,
    context: Mapping[str, Any],
    status: int = 200,
) -> Response:
    """Any page of the MFA step: the form's CSRF token, the sign-in's state, and the client's
    origin in `form-action` (the last post of a sign-in ends at the client's callback)."""
    values = {"state": auth_request.id, "csrf_token": csrf_token(rt, current), **context}
    return render(
        request,
        rt.settings,
        template,
        values,
        status=status,
        form_targets=[str(auth_request.params.get("redirect_uri") or "")],
    )


async def after_mfa(
    rt: Runtime,
    request: Request,
    current: OpenSession,
    auth_request: AuthorizationRequest,
    *,
    passed: Passed,
    info: RequestInfo,
) -> Response:
    """Once the session holds the MFA: a new recovery code is shown this once (Continue
    resumes the sign-in at `/u/continue`); otherwise the sign-in moves on at once."""
    if passed.recovery_code is None:
        return await advance(rt, request, current, auth_request, info)
    context = {
        "code": passed.recovery_code,
        "replaced": passed.replaced,
        "continue_url": page_url("/u/continue", auth_request),
    }
    template = "mfa_recovery_code.html"
    response = mfa_page(request, rt, current, auth_request, template, context=context)
    set_session_cookie(response, rt, current)
    return response
