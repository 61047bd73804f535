"""`/u/mfa`: answer a second factor during a sign-in. Generic over factors: the picker and the
form come from each factor's `page` (label, template), so no factor is named here. A page
that `sends_code` sends one when shown; one that runs a `ceremony` (a security key, this
device) starts one, and a refused answer gets a new one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from twofold.api.deps import RequestInfoDep, RuntimeDep
from twofold.api.params import Params, read_params
from twofold.domain import Authenticator, AuthorizationRequest
from twofold.errors import (
    CountryNotAllowedError,
    ExpiredTokenError,
    InvalidGrantError,
    InvalidRequestError,
    TooManyAttemptsError,
    TooManySendsError,
)
from twofold.factors.oob import OobChannel
from twofold.factors.pages import FactorPage
from twofold.factors.push import pages as push_pages
from twofold.flows import (
    authorize,
    hosted_mfa,
    hosted_oob,
    hosted_policy,
    hosted_push,
    hosted_webauthn,
    sessions,
)
from twofold.flows.factor_pages import page_of
from twofold.flows.policy_check import FactorNotAllowedError, allowed
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.sessions import OpenSession, remember_allowed, remember_days
from twofold.flows.step_up import Demands, MfaDemand
from twofold.flows.webauthn_state import Ceremony
from twofold.types import FactorType, UserId
from twofold.web import mfa_view as view
from twofold.web import push_view, webauthn_view
from twofold.web.browser import BrowserSessionDep, check_csrf, set_remember_cookie
from twofold.web.steps import advance, resume_decided

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True, slots=True)
class Challenge:
    """One request to `/u/mfa`: the sign-in, its user, what they hold and what they picked."""

    current: OpenSession
    auth_request: AuthorizationRequest
    user_id: UserId
    options: hosted_mfa.Choices
    factor_type: FactorType | None
    """None while the user has a choice to make (the picker)."""
    authenticator: Authenticator | None = None
    """Set when one authenticator was picked by id, or is the user's only one."""
    page: FactorPage | None = None
    """The chosen factor's page (an out-of-band authenticator's is its channel's)."""


def _select(
    request: Request, options: hosted_mfa.Choices, auth_request: AuthorizationRequest
) -> tuple[FactorType | None, Authenticator | None]:
    """`?factor=` (and `&authenticator=`), or the only factor the user has. A factor the
    sign-in's policy does not accept is refused by name (it is never listed)."""
    query = Params(dict(request.query_params))
    factor = query.text("factor", max_length=40)
    picked_id = query.text("authenticator", max_length=100)
    known = factor in {kind.value for kind in FactorType}
    if known and not allowed(hosted_policy.policy_state(auth_request), FactorType(str(factor))):
        raise FactorNotAllowedError
    if factor is None:
        only = options.authenticators[0] if len(options.authenticators) == 1 else None
        return (only.type if only else None), only
    held = {a.type.value for a in options.authenticators} | {f.value for f in options.fallbacks}
    picked = next((a for a in options.authenticators if a.id == picked_id), None)
    wrong_pick = picked_id is not None and (picked is None or picked.type.value != factor)
    if factor not in held or wrong_pick:
        raise InvalidRequestError("Choose one of your authenticators.")
    return FactorType(factor), picked


async def _challenge(
    rt: Runtime, request: Request, current: OpenSession | None
) -> Challenge | tuple[OpenSession, AuthorizationRequest]:
    """The challenge to show; the bare sign-in when this user has nothing to answer (the
    step-up decision then says where to go)."""
    current, auth_request = await resume_decided(rt, request, current)
    user_id = current.session.user_id
    if user_id is None:
        return current, auth_request
    options = await hosted_mfa.choices(rt, user_id, policy=hosted_policy.policy_state(auth_request))
    if not options.authenticators:
        return current, auth_request
    factor_type, picked = _select(request, options, auth_request)
    page = _factor_page(rt, factor_type, picked)
    if page is not None and page.pushes and request.query_params.get("use") == "code":
        page = push_pages.CODE_PAGE  # "Enter a code from the app instead"
    return Challenge(current, auth_request, user_id, options, factor_type, picked, page)


def _factor_page(
    rt: Runtime, factor_type: FactorType | None, picked: Authenticator | None
) -> FactorPage | None:
    if factor_type is None:
        return None
    if picked is not None:
        page = page_of(rt, picked)
    else:
        factor = rt.factors.get(factor_type)
        page = factor.page if factor else None
    if page is None:  # e.g. `?factor=oob` without saying which phone or address
        raise InvalidRequestError("Choose one of your authenticators.")
    return page


async def _remembering(rt: Runtime, auth_request: AuthorizationRequest) -> Demands | None:
    """The sign-in's demands when "remember this browser" may be offered: the decision (a
    rule's setting, else the tenant's) allows it and only the policy asks for MFA (Auth0's
    rule: an application's `acr_values` is never satisfied by a remembered browser)."""
    demands = await authorize.demands_of(rt, auth_request)
    if demands.mfa != MfaDemand.POLICY or not remember_allowed(rt, demands.remember):
        return None
    return demands


async def _page(
    request: Request,
    rt: Runtime,
    it: Challenge,
    *,
    error: str | None = None,
    notice: str | None = None,
    status: int = 200,
    oob_code: str | None = None,
    sent_by: str | None = None,
    ceremony: Ceremony | None = None,
    push: hosted_push.SentPush | None = None,
) -> Response:
    """The picker, or the chosen factor's form with its fallback and "another method" links.

    `sent_by` is the channel the last code went by, `ceremony` the WebAuthn options shown,
    `push` the push the page waits for."""
    factors, auth_request = rt.factors, it.auth_request
    remembering = await _remembering(rt, auth_request) if it.factor_type is not None else None
    context: dict[str, Any] = {
        "error": error,
        "notice": notice,
        "fallback_links": view.fallback_links(
            factors, auth_request, it.options.fallbacks, showing=it.factor_type
        ),
    }
    if it.factor_type is None:
        context["heading"] = "Verify your identity"
        context["choices"] = view.authenticator_links(rt, auth_request, it.options.authenticators)
        template = "mfa_picker.html"
    else:
        page = it.page
        several = len(it.options.authenticators) > 1
        context |= {
            "page": page,
            "detail": view.added_on(it.authenticator) if it.authenticator and several else None,
            "action": view.page_url(
                "/u/mfa",
                auth_request,
                factor=it.factor_type.value,
                authenticator=it.authenticator.id if it.authenticator else None,
                use="code" if page is push_pages.CODE_PAGE else None,
            ),
            "offer_remember": remembering is not None,
            "remember_days": remember_days(rt, remembering.remember if remembering else None),
            "oob_code": oob_code,
            "sent_by": sent_by,
            "description": view.sent_description(sent_by),
            "ceremony": ceremony,
            **(
                push_view.context(auth_request, it.authenticator, push)
                if page and page.pushes
                else {}
            ),
            "can_call": it.authenticator is not None and it.authenticator.oob_channel == "sms",
            "picker_url": view.page_url("/u/mfa", auth_request)
            if several or (page is not None and page.is_fallback)
            else None,
        }
        template = "mfa_challenge.html"
    return view.mfa_page(
        request, rt, it.current, auth_request, template, context=context, status=status
    )


@router.get("/u/mfa")
async def show_challenge(
    request: Request, rt: RuntimeDep, info: RequestInfoDep, current: BrowserSessionDep
) -> Response:
    it = await _challenge(rt, request, current)
    if not isinstance(it, Challenge):
        signed_in, auth_request = it
        return await advance(rt, request, signed_in, auth_request, info)
    if it.page is not None and it.page.sends_code:
        return await _send(request, rt, it, info)
    if it.page is not None and it.page.runs_ceremony:
        return await _ceremony(request, rt, it, info)
    if it.page is not None and it.page.pushes:
        return await _push(request, rt, it, info)
    return await _page(request, rt, it)


async def _push(
    request: Request, rt: Runtime, it: Challenge, info: RequestInfo, *, again: bool = False
) -> Response:
    """Send a push for this sign-in and show the page that waits for its answer; refused
    (paused, too many, the device unreachable), the page says why and offers to try again."""
    if it.authenticator is None:
        raise InvalidRequestError("Choose one of your authenticators.")
    try:
        sent = await hosted_push.send(
            rt,
            it.user_id,
            it.authenticator.id,
            info,
            session_id=it.current.session.id,
            sign_in=it.auth_request,
        )
    except push_view.REFUSALS as exc:
        error, status = push_view.refusal(exc, rt.clock.now())
        return await _page(request, rt, it, error=error, status=status)
    notice = push_view.SENT_AGAIN if again else None
    return await _page(request, rt, it, notice=notice, push=sent)


async def _answer_push(
    request: Request, rt: Runtime, it: Challenge, form: Params, info: RequestInfo
) -> Response:
    """ "Send again", or the completing post (by script once approved, or the person's "I
    approved it" button): the push must be approved, for this session, and unused."""
    if form.text("resend", max_length=10) is not None:
        return await _push(request, rt, it, info, again=True)
    txn = form.text("txn", max_length=100) or ""
    try:
        passed = await hosted_push.complete(
            rt,
            txn,
            info,
            user_id=it.user_id,
            session_id=it.current.session.id,
            sign_in=it.auth_request,
        )
    except hosted_push.PushWaitingError as exc:
        return await _page(request, rt, it, error=exc.description, status=400, push=exc.push)
    except push_view.UNFINISHED as exc:
        return await _page(request, rt, it, error=push_view.unfinished(exc), status=400)
    remember = bool(form.text("remember_browser", max_length=10))
    return await _passed(request, rt, it, passed, info, remember=remember)


async def _ceremony(
    request: Request,
    rt: Runtime,
    it: Challenge,
    info: RequestInfo,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    """A new WebAuthn ceremony for the picked key (or all of them), and the form holding its
    options; refused (the challenge limit), the form without one says why."""
    try:
        ceremony = await hosted_webauthn.start_challenge(
            rt,
            it.user_id,
            info,
            session_id=it.current.session.id,
            authenticator_id=it.authenticator.id if it.authenticator else None,
            sign_in=it.auth_request,
        )
    except TooManyAttemptsError as exc:
        refused = view.asked_too_often(exc.retry_at, rt.clock.now())
        return await _page(request, rt, it, error=refused, status=429)
    return await _page(request, rt, it, error=error, status=status, ceremony=ceremony)


async def _send(
    request: Request,
    rt: Runtime,
    it: Challenge,
    info: RequestInfo,
    *,
    channel: OobChannel | None = None,
    again: bool = False,
    last: tuple[str | None, str | None] = (None, None),
) -> Response:
    """Send a code (a new one kills the last) and show the form holding its handle.

    `last` is the previous code's handle and channel from a resend form: a refused resend
    kills nothing, so that code is still the one to type and the form keeps it."""
    if it.authenticator is None:
        raise InvalidRequestError("Choose one of your authenticators.")
    last_code, last_by = last
    try:
        sent = await hosted_oob.send_code(
            rt, it.user_id, it.authenticator.id, info, channel=channel, sign_in=it.auth_request
        )
    except TooManySendsError as exc:
        refused = view.sends_message(exc.retry_at, rt.clock.now())
        return await _page(
            request, rt, it, error=refused, status=429, oob_code=last_code, sent_by=last_by
        )
    except (CountryNotAllowedError, InvalidGrantError) as exc:
        return await _page(
            request, rt, it, error=exc.description, status=403, oob_code=last_code, sent_by=last_by
        )
    if not sent.delivered:
        return await _page(
            request,
            rt,
            it,
            error=view.NOT_SENT,
            status=503,
            oob_code=sent.oob_code,
            sent_by=sent.channel,
        )
    notice = view.SENT_AGAIN if again else None
    return await _page(request, rt, it, notice=notice, oob_code=sent.oob_code, sent_by=sent.channel)


@router.post("/u/mfa")
async def submit_challenge(
    request: Request, rt: RuntimeDep, info: RequestInfoDep, current: BrowserSessionDep
) -> Response:
    form = await read_params(request)
    checked = check_csrf(rt, current, form.text("csrf_token", max_length=100))
    it = await _challenge(rt, request, checked)
    if not isinstance(it, Challenge):
        signed_in, auth_request = it
        return await advance(rt, request, signed_in, auth_request, info)
    if it.factor_type is None or it.page is None:
        raise InvalidRequestError("Choose one of your authenticators.")
    if it.page.runs_ceremony:
        return await _answer_ceremony(request, rt, it, form, info)
    if it.page.pushes:
        return await _answer_push(request, rt, it, form, info)
    if it.page.sends_code and form.text("resend", max_length=10) is not None:
        voice: OobChannel | None = (
            "voice" if form.text("resend", max_length=10) == "voice" else None
        )
        last = (form.text("oob_code", max_length=100), form.text("sent_by", max_length=10))
        return await _send(request, rt, it, info, channel=voice, again=True, last=last)
    return await _answer_code(request, rt, it, form, info)


async def _answer_code(
    request: Request, rt: Runtime, it: Challenge, form: Params, info: RequestInfo
) -> Response:
    """A typed code; refused, the same form again (a sent code's handle kept)."""
    if it.page is None:
        raise InvalidRequestError("Choose one of your authenticators.")
    code = form.text("code", max_length=100)
    oob_code = form.text("oob_code", max_length=100) if it.page.sends_code else None
    sent_by = form.text("sent_by", max_length=10)  # the channel the last code went by
    if not code:
        return await _page(
            request, rt, it, error=view.MISSING_CODE, status=400, oob_code=oob_code, sent_by=sent_by
        )
    try:
        passed = await _answer(rt, it, code, oob_code, info)
    except (InvalidGrantError, ExpiredTokenError) as exc:
        error = view.code_error(exc)
        return await _page(
            request, rt, it, error=error, status=400, oob_code=oob_code, sent_by=sent_by
        )
    except TooManyAttemptsError as exc:
        locked = view.locked_message(exc.retry_at, rt.clock.now())
        return await _page(
            request, rt, it, error=locked, status=429, oob_code=oob_code, sent_by=sent_by
        )
    remember = bool(form.text("remember_browser", max_length=10))
    return await _passed(request, rt, it, passed, info, remember=remember)


async def _answer_ceremony(
    request: Request, rt: Runtime, it: Challenge, form: Params, info: RequestInfo
) -> Response:
    """The browser's answer to the ceremony the form carried; refused, a new ceremony."""
    auth_session, response = webauthn_view.answer_of(form)
    try:
        passed = await hosted_webauthn.verify(
            rt,
            it.user_id,
            auth_session,
            response,
            info=info,
            session_id=it.current.session.id,
            sign_in=it.auth_request,
        )
    except webauthn_view.REFUSALS as exc:
        refused = webauthn_view.message(exc, rt.clock.now())
        return await _ceremony(
            request, rt, it, info, error=refused, status=webauthn_view.status(exc)
        )
    remember = bool(form.text("remember_browser", max_length=10))
    return await _passed(request, rt, it, passed, info, remember=remember)


async def _answer(
    rt: Runtime, it: Challenge, code: str, oob_code: str | None, info: RequestInfo
) -> hosted_mfa.Passed:
    """A sent code is checked against the challenge its handle names; others by factor."""
    if oob_code is not None:
        return await hosted_oob.verify_code(
            rt, it.user_id, oob_code, code, info, sign_in=it.auth_request
        )
    if it.factor_type is None:
        raise InvalidRequestError("Choose one of your authenticators.")
    return await hosted_mfa.verify_factor(
        rt,
        it.user_id,
        it.factor_type,
        code,
        info,
        sign_in=it.auth_request,
        authenticator_id=it.authenticator.id if it.authenticator else None,
    )


async def _passed(
    request: Request,
    rt: Runtime,
    it: Challenge,
    passed: hosted_mfa.Passed,
    info: RequestInfo,
    *,
    remember: bool,
) -> Response:
    """Record the MFA in the session and remember the browser if asked (and allowed)."""
    current = await sessions.record_mfa(rt, it.current, passed.amr)
    remembering = await _remembering(rt, it.auth_request) if remember else None
    days = remember_days(rt, remembering.remember) if remembering else None
    token = None
    if days is not None:
        token = await sessions.remember_browser(
            rt, it.user_id, current.session.amr, info, days=days
        )
    response = await view.after_mfa(rt, request, current, it.auth_request, passed=passed, info=info)
    if token:
        set_remember_cookie(response, rt, token, days=days)
    return response
