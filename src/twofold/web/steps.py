"""Moving a sign-in along: ask the step-up decision, then send the browser to that step's
page, or finish with a code. Every page ends by calling `advance`, so no page needs to know
which page comes next."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from twofold.api.deps import get_request_info
from twofold.domain import AuthorizationRequest, JsonObject
from twofold.flows import authorize, hosted_mfa, hosted_policy
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.sessions import OpenSession, remember_allowed, remembered_for
from twofold.flows.step_up import Facts, MfaDemand, Step, next_step
from twofold.web.browser import (
    REMEMBER_COOKIE,
    device_of,
    ensure_device_cookie,
    set_session_cookie,
)
from twofold.web.pages import redirect

STEP_PAGES = {
    Step.LOGIN: "/u/login",
    Step.VERIFY_EMAIL: "/u/verify-email",
    Step.ENROL: "/u/mfa/enroll",
    Step.CHALLENGE: "/u/mfa",
    Step.DONE: "/u/continue",
}


def step_url(step: Step, auth_request: AuthorizationRequest) -> str:
    return f"{STEP_PAGES[step]}?state={auth_request.id}"


async def resume(
    rt: Runtime, request: Request, current: OpenSession | None
) -> tuple[OpenSession, AuthorizationRequest]:
    """The session and the sign-in named by `?state=`; a missing session means it expired."""
    if current is None:
        raise authorize.SignInExpiredError
    return current, await authorize.load(rt, request.query_params.get("state"), current)


async def decided(
    rt: Runtime,
    request: Request,
    current: OpenSession,
    auth_request: AuthorizationRequest,
    *,
    saved: bool = True,
) -> AuthorizationRequest:
    """The sign-in with its policy decision, once the session holds a user (made once, then
    read back). Nothing is decided while the password step is still due (`prompt=login`):
    the user may turn out to be someone else."""
    user_id = current.session.user_id
    if user_id is None or auth_request.params.get("force_login"):
        return auth_request
    info = await get_request_info(request)
    return await hosted_policy.with_decision(
        rt,
        auth_request,
        user_id=user_id,
        info=info,
        device=device_of(request, info),
        saved=saved,
    )


async def resume_decided(
    rt: Runtime, request: Request, current: OpenSession | None
) -> tuple[OpenSession, AuthorizationRequest]:
    """`resume`, with the policy decision (for the pages after the password step)."""
    current, auth_request = await resume(rt, request, current)
    return current, await decided(rt, request, current, auth_request)


async def has_factor(rt: Runtime, user_id: str, policy: JsonObject | None = None) -> bool:
    """An active authenticator these pages can challenge (a recovery code alone is not one)
    and the sign-in's policy accepts.

    Counting only what the pages can ask for keeps the decision and the pages in step: a
    user whose only factor has no page yet, or is refused by the policy, is offered
    enrolment, never an empty challenge.
    """
    return bool((await hosted_mfa.choices(rt, user_id, policy=policy)).authenticators)


async def current_step(
    rt: Runtime, request: Request, current: OpenSession, auth_request: AuthorizationRequest
) -> Step:
    demands = await authorize.demands_of(rt, auth_request)
    user_id = current.session.user_id
    if user_id is None:
        return next_step(
            demands, Facts(session=current.session, has_factor=False), now=rt.clock.now()
        )
    remembered_at = None
    if demands.mfa == MfaDemand.POLICY and remember_allowed(rt, demands.remember):
        found = await remembered_for(
            rt, request.cookies.get(REMEMBER_COOKIE), user_id, enabled=True
        )
        remembered_at = found.created_at if found else None
    # Whether the user has a factor matters only when MFA may be asked for: a request that
    # never asks (policy "never", no acr_values) skips the query.
    enrolled = demands.mfa != MfaDemand.NONE and await has_factor(
        rt, user_id, hosted_policy.policy_state(auth_request)
    )
    facts = Facts(session=current.session, has_factor=enrolled, remembered_at=remembered_at)
    return next_step(demands, facts, now=rt.clock.now())


async def advance(
    rt: Runtime,
    request: Request,
    current: OpenSession,
    auth_request: AuthorizationRequest,
    info: RequestInfo,
    *,
    saved: bool = True,
) -> Response:
    """Redirect to the next step's page, or finish the sign-in; sets the session cookie
    (and the device cookie, for a browser without one).

    An unsaved request (`authorize.prepare`) is stored only when a page must be shown.
    """
    auth_request = await decided(rt, request, current, auth_request, saved=saved)
    step = await current_step(rt, request, current, auth_request)
    if step == Step.DONE:
        location = await authorize.finish(rt, auth_request, current, info, saved=saved)
        response: Response = redirect(location)
    elif step == Step.DENIED:
        response = redirect(authorize.denied(rt, auth_request))
    elif auth_request.params.get("prompt_none"):
        code = "login_required" if step == Step.LOGIN else "interaction_required"
        response = redirect(authorize.login_required(rt, auth_request, code))
    else:
        if not saved:
            await authorize.save(rt, auth_request)
        response = redirect(step_url(step, auth_request))
    set_session_cookie(response, rt, current)
    ensure_device_cookie(response, rt, request)
    return response
