"""`/u/mfa`: answer a second factor during a sign-in. Generic over factors: the picker and the
form come from each factor's `page` (label, template), so no factor is named here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from twofold.api.deps import RequestInfoDep, RuntimeDep
from twofold.api.params import Params, read_params
from twofold.domain import Authenticator, AuthorizationRequest
from twofold.errors import InvalidGrantError, InvalidRequestError, TooManyAttemptsError
from twofold.flows import authorize, hosted_mfa, sessions
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.sessions import OpenSession
from twofold.flows.step_up import MfaDemand
from twofold.types import FactorType, UserId
from twofold.web import mfa_view as view
from twofold.web.browser import BrowserSessionDep, check_csrf, set_remember_cookie
from twofold.web.steps import advance, resume

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
    """Set when one authenticator was picked by id."""


def _select(
    request: Request, options: hosted_mfa.Choices
) -> tuple[FactorType | None, Authenticator | None]:
    """`?factor=` (and `&authenticator=`), or the only factor the user has."""
    query = Params(dict(request.query_params))
    factor = query.text("factor", max_length=40)
    picked_id = query.text("authenticator", max_length=100)
    if factor is None:
        only = options.authenticators[0] if len(options.authenticators) == 1 else None
        return (only.type if only else None), None
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
    current, auth_request = await resume(rt, request, current)
    user_id = current.session.user_id
    if user_id is None:
        return current, auth_request
    options = await hosted_mfa.choices(rt, user_id)
    if not options.authenticators:
        return current, auth_request
    factor_type, picked = _select(request, options)
    return Challenge(current, auth_request, user_id, options, factor_type, picked)


async def _offer_remember(rt: Runtime, auth_request: AuthorizationRequest) -> bool:
    """Only when the tenant allows it and only the tenant policy asks for MFA (Auth0's rule:
    an application's `acr_values` is never satisfied by a remembered browser)."""
    if not rt.settings.sessions.remember_browser:
        return False
    return (await authorize.demands_of(rt, auth_request)).mfa == MfaDemand.POLICY


async def _page(
    request: Request, rt: Runtime, it: Challenge, *, error: str | None = None, status: int = 200
) -> Response:
    """The picker, or the chosen factor's form with its fallback and "another method" links."""
    factors, auth_request = rt.factors, it.auth_request
    context: dict[str, Any] = {
        "error": error,
        "fallback_links": view.fallback_links(
            factors, auth_request, it.options.fallbacks, showing=it.factor_type
        ),
    }
    if it.factor_type is None:
        context["heading"] = "Verify your identity"
        context["choices"] = view.authenticator_links(
            factors, auth_request, it.options.authenticators
        )
        template = "mfa_picker.html"
    else:
        page = factors[it.factor_type].page
        several = len(it.options.authenticators) > 1
        context |= {
            "page": page,
            "detail": view.added_on(it.authenticator) if it.authenticator and several else None,
            "action": view.page_url(
                "/u/mfa",
                auth_request,
                factor=it.factor_type.value,
                authenticator=it.authenticator.id if it.authenticator else None,
            ),
            "offer_remember": await _offer_remember(rt, auth_request),
            "remember_days": rt.settings.sessions.remember_days,
            "picker_url": view.page_url("/u/mfa", auth_request)
            if several or page.is_fallback
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
    return await _page(request, rt, it)


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
    if it.factor_type is None:
        raise InvalidRequestError("Choose one of your authenticators.")
    code = form.text("code", max_length=100)
    if not code:
        return await _page(request, rt, it, error=view.MISSING_CODE, status=400)
    try:
        passed = await hosted_mfa.verify_factor(
            rt,
            it.user_id,
            it.factor_type,
            code,
            info,
            sign_in=it.auth_request,
            authenticator_id=it.authenticator.id if it.authenticator else None,
        )
    except InvalidGrantError:
        return await _page(request, rt, it, error=view.INVALID_CODE, status=400)
    except TooManyAttemptsError as exc:
        locked = view.locked_message(exc.retry_at, rt.clock.now())
        return await _page(request, rt, it, error=locked, status=429)
    remember = bool(form.text("remember_browser", max_length=10))
    return await _passed(request, rt, it, passed, info, remember=remember)


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
    token = None
    if remember and await _offer_remember(rt, it.auth_request):
        token = await sessions.remember_browser(rt, it.user_id, current.session.amr, info)
    response = await view.after_mfa(rt, request, current, it.auth_request, passed=passed, info=info)
    if token:
        set_remember_cookie(response, rt, token)
    return response
