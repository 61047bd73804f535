"""`GET /authorize` (OIDC Core 3.1.2.1) and `GET /u/continue`, where every finished step
returns to ask what comes next."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from twofold.api.deps import RequestInfoDep, RuntimeDep
from twofold.api.params import Params
from twofold.flows import authorize
from twofold.flows.sessions import start_session
from twofold.web.browser import BrowserSessionDep
from twofold.web.steps import advance, resume

router = APIRouter(include_in_schema=False)


def _params(request: Request) -> authorize.AuthorizeParams:
    query = Params(dict(request.query_params))
    return authorize.AuthorizeParams(
        client_id=query.text("client_id", max_length=200),
        redirect_uri=query.text("redirect_uri", max_length=2000),
        response_type=query.text("response_type", max_length=100),
        response_mode=query.text("response_mode", max_length=100),
        scope=query.text("scope", max_length=1024),
        state=query.text("state", max_length=2000),
        nonce=query.text("nonce", max_length=500),
        code_challenge=query.text("code_challenge", max_length=128),
        code_challenge_method=query.text("code_challenge_method", max_length=20),
        prompt=query.text("prompt", max_length=100),
        max_age=query.text("max_age", max_length=20),
        acr_values=query.text("acr_values", max_length=1024),
        login_hint=query.text("login_hint", max_length=320),
        audience=query.text("audience", max_length=1024),
    )


@router.get("/authorize")
async def authorize_endpoint(
    request: Request, rt: RuntimeDep, info: RequestInfoDep, current: BrowserSessionDep
) -> Response:
    params = _params(request)
    application = await authorize.registered_client(rt, params)
    kept = authorize.validated(rt, params, application)
    if current is None:
        current = await start_session(rt, info)
    auth_request = authorize.prepare(rt, current, client_id=application.client_id, params=kept)
    return await advance(rt, request, current, auth_request, info, saved=False)


@router.get("/u/continue")
async def continue_sign_in(
    request: Request, rt: RuntimeDep, info: RequestInfoDep, current: BrowserSessionDep
) -> Response:
    current, auth_request = await resume(rt, request, current)
    return await advance(rt, request, current, auth_request, info)
