"""What the hosted pages know about the browser: its session cookie, its remembered-browser
cookie, and the CSRF token bound to the session (ADR 006)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.responses import Response

from twofold.api.deps import runtime_of
from twofold.errors import AccessDeniedError
from twofold.flows.runtime import Runtime
from twofold.flows.sessions import OpenSession, open_session
from twofold.security import compare

SESSION_COOKIE = "twofold_session"
REMEMBER_COOKIE = "twofold_rb"


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


def set_remember_cookie(response: Response, rt: Runtime, token: str) -> None:
    response.set_cookie(
        REMEMBER_COOKIE,
        token,
        max_age=rt.settings.sessions.remember_days * 86400,
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
