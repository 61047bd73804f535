"""`/u/verify-email`: Adaptive MFA met a sign-in it does not trust from a user with no factor,
so (as Auth0 does) the user proves the account's email address with a mailed code before
the sign-in goes on (ADR 009). Shown only while the step-up decision says VERIFY_EMAIL."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from twofold.api.deps import RequestInfoDep, RuntimeDep
from twofold.api.params import read_params
from twofold.domain import AuthorizationRequest
from twofold.errors import (
    ExpiredTokenError,
    InvalidGrantError,
    TooManyAttemptsError,
    TooManySendsError,
)
from twofold.flows import hosted_verify_email
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.sessions import OpenSession
from twofold.flows.step_up import Step
from twofold.web import mfa_view as view
from twofold.web.browser import BrowserSessionDep, check_csrf
from twofold.web.steps import advance, current_step, resume_decided

router = APIRouter(include_in_schema=False)
PATH = "/u/verify-email"


def _page(
    request: Request,
    rt: Runtime,
    current: OpenSession,
    auth_request: AuthorizationRequest,
    *,
    sent_to: str | None,
    error: str | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    context = {
        "action": view.page_url(PATH, auth_request),
        "sent_to": sent_to,
        "error": error,
        "notice": notice,
    }
    return view.mfa_page(
        request, rt, current, auth_request, "verify_email.html", context=context, status=status
    )


async def _verifying(
    rt: Runtime, request: Request, current: OpenSession | None
) -> tuple[OpenSession, AuthorizationRequest, str | None]:
    """The sign-in, and its user when verifying the email is the step it is at."""
    current, auth_request = await resume_decided(rt, request, current)
    user_id = current.session.user_id
    if user_id is None or await current_step(rt, request, current, auth_request) != (
        Step.VERIFY_EMAIL
    ):
        return current, auth_request, None
    return current, auth_request, user_id


async def _send(
    request: Request,
    rt: Runtime,
    current: OpenSession,
    auth_request: AuthorizationRequest,
    *,
    user_id: str,
    info: RequestInfo,
    again: bool = False,
) -> Response:
    """Send a code and show the form; a refused or failed send says so (try again)."""
    try:
        sent = await hosted_verify_email.send_code(rt, auth_request, user_id, info)
    except TooManySendsError as exc:
        refused = view.sends_message(exc.retry_at, rt.clock.now())
        return _page(request, rt, current, auth_request, sent_to=None, error=refused, status=429)
    if not sent.delivered:
        return _page(
            request, rt, current, sent.sign_in, sent_to=None, error=view.NOT_SENT, status=503
        )
    notice = view.SENT_AGAIN if again else None
    return _page(request, rt, current, sent.sign_in, sent_to=sent.to, notice=notice)


@router.get(PATH)
async def show_verify_email(
    request: Request, rt: RuntimeDep, info: RequestInfoDep, current: BrowserSessionDep
) -> Response:
    current, auth_request, user_id = await _verifying(rt, request, current)
    if user_id is None:
        return await advance(rt, request, current, auth_request, info)
    if hosted_verify_email.has_live_code(rt, auth_request):
        # Shown again (a reload): the code already sent is still the one to type.
        return _page(request, rt, current, auth_request, sent_to=None)
    return await _send(request, rt, current, auth_request, user_id=user_id, info=info)


@router.post(PATH)
async def submit_verify_email(
    request: Request, rt: RuntimeDep, info: RequestInfoDep, current: BrowserSessionDep
) -> Response:
    form = await read_params(request)
    checked = check_csrf(rt, current, form.text("csrf_token", max_length=100))
    current, auth_request, user_id = await _verifying(rt, request, checked)
    if user_id is None:
        return await advance(rt, request, current, auth_request, info)
    if form.text("resend", max_length=10) is not None:
        return await _send(
            request, rt, current, auth_request, user_id=user_id, info=info, again=True
        )
    code = form.text("code", max_length=100)
    if not code:
        return _page(
            request, rt, current, auth_request, sent_to=None, error=view.MISSING_CODE, status=400
        )
    try:
        auth_request = await hosted_verify_email.verify_code(rt, auth_request, user_id, code, info)
    except (InvalidGrantError, ExpiredTokenError) as exc:
        error = view.code_error(exc)
        return _page(request, rt, current, auth_request, sent_to=None, error=error, status=400)
    except TooManyAttemptsError as exc:
        locked = view.locked_message(exc.retry_at, rt.clock.now())
        return _page(request, rt, current, auth_request, sent_to=None, error=locked, status=429)
    return await advance(rt, request, current, auth_request, info)
