"""The one gate of the account pages (My MFA settings): every page and every form post of
`/u/account/` passes through `enter` or `enter_form`.

A browser gets through with a signed-in session that has passed what an account sign-in
demands (ADR 006: the password, then MFA when the user has a factor; no forced enrolment).
Anything less starts such a sign-in, which returns to the page once it is done.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from starlette.responses import Response

from twofold.api.params import Params, read_params
from twofold.flows import authorize
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.sessions import OpenSession, start_session
from twofold.flows.step_up import Step
from twofold.types import UserId
from twofold.web.browser import check_csrf
from twofold.web.steps import advance, current_step

ACCOUNT_HOME = "/u/account/security"


@dataclass(frozen=True, slots=True)
class Account:
    """A browser let in: its session (for CSRF tokens) and whose settings it may change."""

    current: OpenSession
    user_id: UserId


async def enter(
    rt: Runtime,
    request: Request,
    current: OpenSession | None,
    info: RequestInfo,
    *,
    return_to: str = ACCOUNT_HOME,
) -> Account | Response:
    """The account behind this browser, or the redirect into the sign-in it still needs.

    `return_to` must be a path of these pages (never taken from the request's parameters),
    so the sign-in cannot be made to end somewhere else.
    """
    if current is None:
        current = await start_session(rt, info)
    # Unsaved until a page must be shown: a browser let straight in writes nothing.
    sign_in = authorize.prepare(rt, current, client_id=None, params={"return_to": return_to})
    user_id = current.session.user_id
    if user_id is not None and await current_step(rt, request, current, sign_in) == Step.DONE:
        return Account(current=current, user_id=user_id)
    return await advance(rt, request, current, sign_in, info, saved=False)


async def enter_form(
    rt: Runtime, request: Request, current: OpenSession | None, info: RequestInfo
) -> tuple[Account | Response, Params]:
    """`enter` for a form post: the CSRF token is checked first (a 403 page when wrong), and
    a post the gate turns away ends on the settings page once signed in (the post is lost)."""
    form = await read_params(request)
    current = check_csrf(rt, current, form.text("csrf_token", max_length=100))
    return await enter(rt, request, current, info), form
