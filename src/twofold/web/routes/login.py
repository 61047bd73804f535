"""`/u/login`: the first step of a sign-in: email and password, or, when the tenant enables
passkeys, a passkey (`/u/login/passkey`), which is both factors at once (ADR 008)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from twofold.api.deps import RequestInfoDep, RuntimeDep
from twofold.api.params import read_params
from twofold.domain import AuthorizationRequest
from twofold.errors import InvalidCredentialsError, InvalidRequestError, TooManyAttemptsError
from twofold.flows import authorize, hosted_webauthn, login, sessions
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.sessions import OpenSession
from twofold.web import webauthn_view
from twofold.web.browser import BrowserSessionDep, check_csrf, csrf_token, ensure_device_cookie
from twofold.web.pages import render
from twofold.web.steps import advance, resume

router = APIRouter(include_in_schema=False)

BLOCKED = (
    "Your account has been blocked after multiple consecutive login attempts. "
    "Try again later or contact your administrator."
)


async def login_page(
    request: Request,
    rt: Runtime,
    current: OpenSession,
    auth_request: AuthorizationRequest,
    *,
    info: RequestInfo,
    email: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    """The form, and with passkeys on a passkey ceremony for its button and the email
    field's autofill (a new one each time the page is shown: each answer spends its own)."""
    passkey = await hosted_webauthn.offer_passkey(
        rt, info, session_id=current.session.id, sign_in=auth_request
    )
    response = render(
        request,
        rt.settings,
        "login.html",
        {
            "state": auth_request.id,
            "csrf_token": csrf_token(rt, current),
            "email": email or auth_request.params.get("login_hint") or "",
            "error": error,
            "passkey": passkey,
        },
        status=status,
        form_targets=[str(auth_request.params.get("redirect_uri") or "")],
    )
    ensure_device_cookie(response, rt, request)
    return response


@router.get("/u/login")
async def show_login(
    request: Request, rt: RuntimeDep, info: RequestInfoDep, current: BrowserSessionDep
) -> Response:
    current, auth_request = await resume(rt, request, current)
    return await login_page(request, rt, current, auth_request, info=info)


@router.post("/u/login")
async def submit_login(
    request: Request, rt: RuntimeDep, info: RequestInfoDep, current: BrowserSessionDep
) -> Response:
    form = await read_params(request)
    current = check_csrf(rt, current, form.text("csrf_token", max_length=100))
    current, auth_request = await resume(rt, request, current)
    email = login.normal_email(form.text("username", max_length=320) or "")
    password = form.text("password", max_length=1024, allow_nul=True)
    if not email or not password:
        raise InvalidRequestError("Enter your email address and your password.")
    try:
        await login.check_password_limits(rt, email, info)
        async with rt.store.read() as tx:
            user = await tx.users.by_email(email)
        user = await login.verify_password(
            rt,
            email=email,
            user=user,
            password=password,
            client_id=auth_request.client_id,
            info=info,
        )
    except InvalidCredentialsError:
        return await login_page(
            request,
            rt,
            current,
            auth_request,
            info=info,
            email=email,
            error="Wrong email or password.",
            status=400,
        )
    except TooManyAttemptsError:
        return await login_page(
            request, rt, current, auth_request, info=info, email=email, error=BLOCKED, status=429
        )
    current = await sessions.sign_in(rt, current, user)
    auth_request = await authorize.password_done(rt, auth_request)
    return await advance(rt, request, current, auth_request, info)


@router.post("/u/login/passkey")
async def submit_passkey(
    request: Request, rt: RuntimeDep, info: RequestInfoDep, current: BrowserSessionDep
) -> Response:
    """The browser's answer to the page's passkey ceremony: signed in with both factors,
    the sign-in moves on (to the application, with `amr` `[hwk|swk, user, mfa]`)."""
    form = await read_params(request)
    current = check_csrf(rt, current, form.text("csrf_token", max_length=100))
    current, auth_request = await resume(rt, request, current)
    auth_session, response = webauthn_view.answer_of(form)
    try:
        current = await hosted_webauthn.sign_in_with_passkey(
            rt, current, auth_session, response, info=info, sign_in=auth_request
        )
    except webauthn_view.REFUSALS as exc:
        refused = webauthn_view.passkey_message(exc, rt.clock.now())
        return await login_page(
            request,
            rt,
            current,
            auth_request,
            info=info,
            error=refused,
            status=webauthn_view.status(exc),
        )
    auth_request = await authorize.password_done(rt, auth_request)
    return await advance(rt, request, current, auth_request, info)
