"""What the hosted pages know about the browser: its session cookie, its remembered-browser
cookie, its long-lived device cookie (NewDevice, ADR 009), and the CSRF token bound to the
session (ADR 006)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.responses import Response

from twofold.api.deps import runtime_of
from twofold.errors import AccessDeniedError
from twofold.flows.policy_check import Device
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.sessions import OpenSession, open_session
from twofold.security import compare, tokens

SESSION_COOKIE = "twofold_session"
REMEMBER_COOKIE = "twofold_rb"
DEVICE_COOKIE = "twofold_device"
DEVICE_DAYS = 400
"""The longest a browser keeps a cookie (RFC 6265bis caps Max-Age at 400 days)."""


class CsrfError(AccessDeniedError):
    description = "This form has expired or did not come from this site. Reload the page."


async def get_browser_session(request: Request) -> OpenSession | None:
    return await open_session(runtime_of(request), request.cookies.get(SESSION_COOKIE))


BrowserSessionDep = Annotated[OpenSession | None, Depends(get_browser_session)]


def set_session_cookie(response: Response, rt: Runtime, current: OpenSession) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        current.token,
        max_age=rt.settings.sessions.absolute_timeout,
        path="/",
        secure=rt.settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response, rt: Runtime) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=rt.settings.secure_cookies, httponly=True, samesite="lax"
    )


def set_remember_cookie(
    response: Response, rt: Runtime, token: str, *, days: int | None = None
) -> None:
    """`days` is the deciding rule's, when it says how long (else the tenant's)."""
    response.set_cookie(
        REMEMBER_COOKIE,
        token,
        max_age=(days if days is not None else rt.settings.sessions.remember_days) * 86400,
        path="/",
        secure=rt.settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )


def csrf_token(rt: Runtime, current: OpenSession) -> str:
    """Bound to the session token, so it changes when the session does (sign-in)."""
    return rt.keyring.keyed_hash(current.token, purpose="csrf")


def check_csrf(rt: Runtime, current: OpenSession | None, submitted: str | None) -> OpenSession:
    """The session a form post belongs to; refuses a post without the right token."""
    if current is None or not compare.equal(submitted, csrf_token(rt, current)):
        raise CsrfError
    return current


def device_of(request: Request, info: RequestInfo) -> Device:
    """What the policy's NewDevice assessor is told about this browser."""
    return Device(cookie=request.cookies.get(DEVICE_COOKIE), user_agent=info.user_agent)


def ensure_device_cookie(response: Response, rt: Runtime, request: Request) -> None:
    """Give a browser without one (or with a malformed one) its device cookie: a random
    token that names nothing (the store keeps only a keyed hash of it), so the next
    sign-in from this browser is recognised. A cookie set with a decision is only seen by
    the next one."""
    held = request.cookies.get(DEVICE_COOKIE)
    if held and tokens.is_well_formed(held):
        return
    response.set_cookie(
        DEVICE_COOKIE,
        tokens.new_token(),
        max_age=DEVICE_DAYS * 86400,
        path="/",
        secure=rt.settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )
