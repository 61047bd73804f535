"""Sign-out: `/oidc/logout` (OIDC RP-Initiated Logout 1.0) and Auth0's `/v2/logout`.

A return URL is followed only when it is one of the client's allowed logout URLs, matched
exactly; otherwise the user sees the signed-out page (no open redirect).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from twofold.api.deps import RequestInfoDep, RuntimeDep
from twofold.api.params import Params
from twofold.errors import InvalidRequestError
from twofold.flows import sessions
from twofold.flows.authorize import redirect_with
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.web.browser import BrowserSessionDep, clear_session_cookie
from twofold.web.pages import redirect, render

router = APIRouter(include_in_schema=False)


async def _return_url(
    rt: Runtime, *, client_id: str | None, id_token_hint: str | None, return_to: str | None
) -> str | None:
    if id_token_hint:
        claims = rt.signing.verifier.signed_claims(id_token_hint, issuer=rt.settings.issuer)
        hinted = claims.get("aud")
        hinted = hinted[0] if isinstance(hinted, list) and hinted else hinted
        if client_id and hinted != client_id:
            raise InvalidRequestError("client_id does not match the id_token_hint.")
        client_id = str(hinted) if hinted else client_id
    if not return_to:
        return None
    if not client_id:
        raise InvalidRequestError("A return URL needs client_id or id_token_hint.")
    async with rt.store.read() as tx:
        application = await tx.applications.get(client_id)
    if application is None or return_to not in application.allowed_logout_urls:
        raise InvalidRequestError(
            "The return URL is not in the application's list of allowed logout URLs."
        )
    return return_to


async def _sign_out(
    request: Request,
    rt: Runtime,
    current: sessions.OpenSession | None,
    info: RequestInfo,
    *,
    location: str | None,
) -> Response:
    if current is not None:
        await sessions.end_session(rt, current.session, info)
    response = (
        redirect(location, status=302)
        if location
        else render(request, rt.settings, "signed_out.html")
    )
    clear_session_cookie(response, rt)
    return response


@router.get("/oidc/logout")
async def oidc_logout(
    request: Request, rt: RuntimeDep, info: RequestInfoDep, current: BrowserSessionDep
) -> Response:
    query = Params(dict(request.query_params))
    location = await _return_url(
        rt,
        client_id=query.text("client_id", max_length=200),
        id_token_hint=query.text("id_token_hint", max_length=8192),
        return_to=query.text("post_logout_redirect_uri", max_length=2000),
    )
    state = query.text("state", max_length=2000)
    if location and state:
        location = redirect_with(location, {"state": state})
    return await _sign_out(request, rt, current, info, location=location)


@router.get("/v2/logout")
async def auth0_logout(
    request: Request, rt: RuntimeDep, info: RequestInfoDep, current: BrowserSessionDep
) -> Response:
    query = Params(dict(request.query_params))
    location = await _return_url(
        rt,
        client_id=query.text("client_id", max_length=200),
        id_token_hint=None,
        return_to=query.text("returnTo", max_length=2000),
    )
    return await _sign_out(request, rt, current, info, location=location)
