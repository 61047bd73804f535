"""`/u/mfa/enroll`: a user whose sign-in needs MFA and who has no factor sets one up.

Only while the step-up decision says ENROL: enrolling here needs nothing but the password,
so a user who already has a factor must answer it first (else a stolen password could add
the thief's authenticator). Adding more factors is My MFA settings' job, after MFA. The
forms and their posts are the ones My MFA settings uses (web/enrol_view.py).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from twofold.api.deps import RequestInfoDep, RuntimeDep
from twofold.api.params import Params, read_params
from twofold.domain import AuthorizationRequest
from twofold.errors import InvalidRequestError
from twofold.factors.oob import CHANNELS
from twofold.factors.push import pages as push_pages
from twofold.flows import hosted_mfa, hosted_policy, sessions
from twofold.flows.factor_pages import EnrolChoices, EnrolOption
from twofold.flows.oob_enrolment import EmailNeedsAnotherFactorError
from twofold.flows.policy_check import check_allowed
from twofold.flows.runtime import Runtime
from twofold.flows.sessions import OpenSession
from twofold.flows.step_up import Step
from twofold.types import FactorType
from twofold.web import enrol_view
from twofold.web import mfa_view as view
from twofold.web.browser import BrowserSessionDep, check_csrf
from twofold.web.steps import advance, current_step, resume_decided

router = APIRouter(include_in_schema=False)
PATH = "/u/mfa/enroll"


def _factor(request: Request, auth_request: AuthorizationRequest) -> str | None:
    """`?factor=`; one naming a factor type the sign-in's policy does not accept is refused
    by name (it is never offered)."""
    key = Params(dict(request.query_params)).text("factor", max_length=40)
    sent = key in CHANNELS or key == push_pages.ENROL_KEY
    kind = FactorType.OOB if sent else next((f for f in FactorType if f == key), None)
    if kind is not None:
        check_allowed(hosted_policy.policy_state(auth_request), kind)
    return key


def _enrol_page(
    request: Request,
    rt: Runtime,
    current: OpenSession,
    auth_request: AuthorizationRequest,
    shown: enrol_view.Shown,
    *,
    option: EnrolOption,
    several: bool,
) -> Response:
    context = {
        **shown.context,
        "action": view.page_url(PATH, auth_request, factor=option.key),
        "picker_url": view.page_url(PATH, auth_request) if several else None,
        "submit_label": "Continue",
    }
    return view.mfa_page(
        request, rt, current, auth_request, "mfa_enrol.html", context=context, status=shown.status
    )


def _picker(
    request: Request,
    rt: Runtime,
    current: OpenSession,
    auth_request: AuthorizationRequest,
    choices: EnrolChoices,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    context = {
        "heading": "Secure your account",
        "intro": "Choose how you want to verify it is you when you sign in.",
        "choices": view.enrol_links(auth_request, choices.offered),
        "error": error,
    }
    return view.mfa_page(
        request, rt, current, auth_request, "mfa_picker.html", context=context, status=status
    )


async def _enrolling(
    rt: Runtime, request: Request, current: OpenSession | None, *, finishing_push: bool = False
) -> tuple[OpenSession, AuthorizationRequest, str | None]:
    """The sign-in, and its user when enrolling is the step it is at (else None).

    A push device that just registered already counts as a factor, so the step has moved
    on to the challenge; its page's completing post (`finishing_push`) is let through,
    since it proves this sign-in started that enrolment (flows/hosted_push.py)."""
    current, auth_request = await resume_decided(rt, request, current)
    user_id = current.session.user_id
    if user_id is None:
        return current, auth_request, None
    if finishing_push:
        return current, auth_request, user_id
    if await current_step(rt, request, current, auth_request) != Step.ENROL:
        return current, auth_request, None
    return current, auth_request, user_id


@router.get(PATH)
async def show_enrolment(
    request: Request, rt: RuntimeDep, info: RequestInfoDep, current: BrowserSessionDep
) -> Response:
    current, auth_request, user_id = await _enrolling(rt, request, current)
    if user_id is None:
        return await advance(rt, request, current, auth_request, info)
    choices = await hosted_mfa.enrol_choices(
        rt, user_id, policy=hosted_policy.policy_state(auth_request)
    )
    if not choices.offered:
        raise InvalidRequestError("No factor can be enrolled on this tenant.")
    try:
        option = choices.pick(_factor(request, auth_request))
    except EmailNeedsAnotherFactorError as exc:
        message = enrol_view.refusal_message(exc)
        return _picker(request, rt, current, auth_request, choices, error=message, status=403)
    if option is None:
        return _picker(request, rt, current, auth_request, choices)
    shown = await enrol_view.show(rt, user_id, option, info, sign_in=auth_request)
    several = len(choices.offered) > 1
    return _enrol_page(request, rt, current, auth_request, shown, option=option, several=several)


@router.post(PATH)
async def submit_enrolment(
    request: Request, rt: RuntimeDep, info: RequestInfoDep, current: BrowserSessionDep
) -> Response:
    form = await read_params(request)
    checked = check_csrf(rt, current, form.text("csrf_token", max_length=100))
    finishing_push = form.text("push_enrolment", max_length=100) is not None
    current, auth_request, user_id = await _enrolling(
        rt, request, checked, finishing_push=finishing_push
    )
    if user_id is None:
        return await advance(rt, request, current, auth_request, info)
    choices = await hosted_mfa.enrol_choices(
        rt, user_id, policy=hosted_policy.policy_state(auth_request)
    )
    option = choices.pick(_factor(request, auth_request))
    if option is None:
        raise InvalidRequestError("This enrolment form is incomplete. Start again.")
    outcome = await enrol_view.submit(
        rt, form, option, user_id, info, session_id=current.session.id, sign_in=auth_request
    )
    if isinstance(outcome, enrol_view.Shown):
        several = len(choices.offered) > 1
        return _enrol_page(
            request, rt, current, auth_request, outcome, option=option, several=several
        )
    current = await sessions.record_mfa(rt, current, outcome.amr)
    return await view.after_mfa(rt, request, current, auth_request, passed=outcome, info=info)
