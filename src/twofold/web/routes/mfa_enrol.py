"""`/u/mfa/enroll`: a user whose sign-in needs MFA and who has no factor sets one up.

Only while the step-up decision says ENROL: enrolling here needs nothing but the password,
so a user who already has a factor must answer it first (else a stolen password could add
the thief's authenticator). Adding more factors is My MFA settings' job, after MFA.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from twofold.api.deps import RequestInfoDep, RuntimeDep
from twofold.api.params import Params, read_params
from twofold.domain import AuthorizationRequest
from twofold.errors import InvalidGrantError, InvalidRequestError, TooManyAttemptsError
from twofold.flows import hosted_mfa, sessions
from twofold.flows.runtime import Runtime
from twofold.flows.sessions import OpenSession
from twofold.flows.step_up import Step
from twofold.types import FactorType
from twofold.web import mfa_view as view
from twofold.web.browser import BrowserSessionDep, check_csrf
from twofold.web.steps import advance, current_step, resume

router = APIRouter(include_in_schema=False)


def _chosen(request: Request, kinds: list[FactorType]) -> FactorType | None:
    """`?factor=`, or the only enrollable factor; None when the user has a choice to make."""
    factor = Params(dict(request.query_params)).text("factor", max_length=40)
    if factor is None:
        return kinds[0] if len(kinds) == 1 else None
    if factor not in [kind.value for kind in kinds]:
        raise InvalidRequestError("This factor cannot be enrolled on this tenant.")
    return FactorType(factor)


def _enrol_page(
    request: Request,
    rt: Runtime,
    current: OpenSession,
    auth_request: AuthorizationRequest,
    enrolment: hosted_mfa.StartedEnrolment,
    *,
    several: bool,
    error: str | None = None,
    status: int = 200,
) -> Response:
    kind = enrolment.factor_type
    context: dict[str, Any] = {
        "error": error,
        "page": rt.factors[kind].page,
        "enrolment": enrolment,
        "action": view.page_url("/u/mfa/enroll", auth_request, factor=kind.value),
        "picker_url": view.page_url("/u/mfa/enroll", auth_request) if several else None,
    }
    return view.mfa_page(
        request, rt, current, auth_request, "mfa_enrol.html", context=context, status=status
    )


async def _enrolling(
    rt: Runtime, request: Request, current: OpenSession | None
) -> tuple[OpenSession, AuthorizationRequest, str | None]:
    """The sign-in, and its user when enrolling is the step it is at (else None)."""
    current, auth_request = await resume(rt, request, current)
    user_id = current.session.user_id
    if user_id is None or await current_step(rt, request, current, auth_request) != Step.ENROL:
        return current, auth_request, None
    return current, auth_request, user_id


@router.get("/u/mfa/enroll")
async def show_enrolment(
    request: Request, rt: RuntimeDep, info: RequestInfoDep, current: BrowserSessionDep
) -> Response:
    current, auth_request, user_id = await _enrolling(rt, request, current)
    if user_id is None:
        return await advance(rt, request, current, auth_request, info)
    kinds = await hosted_mfa.enrollable_factors(rt)
    if not kinds:
        raise InvalidRequestError("No factor can be enrolled on this tenant.")
    kind = _chosen(request, kinds)
    if kind is None:
        context = {
            "heading": "Secure your account",
            "intro": "Choose how you want to verify it is you when you sign in.",
            "choices": view.enrol_links(rt.factors, auth_request, kinds),
        }
        return view.mfa_page(request, rt, current, auth_request, "mfa_picker.html", context=context)
    client_id = auth_request.client_id
    enrolment = await hosted_mfa.start_enrolment(rt, user_id, kind, info, client_id=client_id)
    return _enrol_page(request, rt, current, auth_request, enrolment, several=len(kinds) > 1)


@router.post("/u/mfa/enroll")
async def confirm_enrolment(
    request: Request, rt: RuntimeDep, info: RequestInfoDep, current: BrowserSessionDep
) -> Response:
    form = await read_params(request)
    checked = check_csrf(rt, current, form.text("csrf_token", max_length=100))
    current, auth_request, user_id = await _enrolling(rt, request, checked)
    if user_id is None:
        return await advance(rt, request, current, auth_request, info)
    kinds = await hosted_mfa.enrollable_factors(rt)
    kind = _chosen(request, kinds)
    authenticator_id = form.text("authenticator_id", max_length=100)
    if kind is None or authenticator_id is None:
        raise InvalidRequestError("This enrolment form is incomplete. Start again.")
    code = form.text("code", max_length=100)
    error, status = view.MISSING_CODE, 400
    if code:
        try:
            passed = await hosted_mfa.confirm_enrolment(
                rt, user_id, kind, authenticator_id, code, info, sign_in=auth_request
            )
        except InvalidGrantError:
            error = view.INVALID_CODE
        except TooManyAttemptsError as exc:
            error, status = view.locked_message(exc.retry_at, rt.clock.now()), 429
        else:
            current = await sessions.record_mfa(rt, current, passed.amr)
            return await view.after_mfa(
                rt, request, current, auth_request, passed=passed, info=info
            )
    # The same pending secret again: the user's app may already hold it.
    pending = await hosted_mfa.pending_enrolment(rt, user_id, kind, authenticator_id)
    return _enrol_page(
        request,
        rt,
        current,
        auth_request,
        pending,
        several=len(kinds) > 1,
        error=error,
        status=status,
    )
