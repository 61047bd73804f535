"""Auth0's MFA API: `/mfa/challenge`, `/mfa/associate`, `/mfa/authenticators`."""

from __future__ import annotations

from typing import Any, Literal, cast

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from twofold.api.deps import RequestInfoDep, RuntimeDep
from twofold.api.params import Params, bearer, client_credentials, read_params
from twofold.api.schemas.common import errors, request_body, security
from twofold.api.schemas.mfa import (
    AssociateRequest,
    AssociateResponse,
    AuthenticatorOut,
    BarcodeRequest,
    ChallengeRequest,
    ChallengeResponse,
)
from twofold.errors import InvalidRequestError
from twofold.factors.barcode import render_barcode
from twofold.factors.push.state import PUSH_CHANNEL
from twofold.factors.webauthn.ceremony import parse_response
from twofold.flows.authenticators import delete_authenticator, list_authenticators
from twofold.flows.challenge import ChallengeRequest as Challenge
from twofold.flows.challenge import challenge as challenge_flow
from twofold.flows.enrolment import Association, associate
from twofold.flows.mfa_state import resolve_bearer
from twofold.flows.oob_enrolment import OobAssociation, associate_oob
from twofold.flows.push_enrolment import associate_push
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.webauthn_enrolment import associate_webauthn, confirm_webauthn, webauthn_factor

router = APIRouter(prefix="/mfa", tags=["MFA API"])
NO_STORE = {"cache-control": "no-store"}
BEARER = security("MfaToken")


@router.post(
    "/challenge",
    response_model=ChallengeResponse,
    response_model_exclude_none=True,
    responses=errors(400, 401, 403, 429),
    openapi_extra={**request_body(ChallengeRequest), **security("ClientBasic", optional=True)},
)
async def challenge(request: Request, rt: RuntimeDep, info: RequestInfoDep) -> JSONResponse:
    params = await read_params(request)
    client_id, client_secret = client_credentials(request, params)
    body = await challenge_flow(
        rt,
        Challenge(
            client_id=client_id,
            client_secret=client_secret,
            mfa_token=params.text("mfa_token", required=True, max_length=2048),
            challenge_type=params.text("challenge_type", max_length=100),
            authenticator_id=params.text("authenticator_id", max_length=100),
            oob_channel=params.text("oob_channel", max_length=20),
        ),
        info,
    )
    return JSONResponse(body)


@router.post(
    "/associate",
    response_model=AssociateResponse,
    response_model_exclude_none=True,
    responses=errors(400, 401, 403, 404, 429),
    openapi_extra={**request_body(AssociateRequest), **BEARER},
)
async def associate_route(request: Request, rt: RuntimeDep, info: RequestInfoDep) -> JSONResponse:
    params = await read_params(request)
    auth_session = params.text("auth_session", max_length=128)
    if auth_session is not None:
        body = await _confirm_webauthn(rt, request, params, auth_session, info)
        return JSONResponse(body, headers=NO_STORE)
    types = params.words("authenticator_types")
    if not types:
        raise InvalidRequestError("Missing required parameter: authenticator_types")
    factor = webauthn_factor(types)
    if factor is not None:
        name = params.text("name", max_length=200)
        body = await associate_webauthn(rt, bearer(request), factor, info, name=name)
        return JSONResponse(body, headers=NO_STORE)
    if types == ("oob",) and params.words("oob_channels") == (PUSH_CHANNEL,):
        body = await associate_push(rt, bearer(request), info)
        return JSONResponse(body, headers=NO_STORE)
    if types == ("oob",):
        oob = OobAssociation(
            oob_channels=params.words("oob_channels") or (),
            phone_number=params.text("phone_number", max_length=64),
            email=params.text("email", max_length=320),
        )
        body = await associate_oob(rt, bearer(request), oob, info)
        return JSONResponse(body, headers=NO_STORE)
    async with rt.store.transaction() as tx:
        caller = await resolve_bearer(rt, tx, bearer(request))
        body = await associate(
            rt,
            tx,
            caller,
            Association(authenticator_types=types, oob_channels=params.words("oob_channels") or ()),
            info,
        )
    return JSONResponse(body, headers=NO_STORE)


async def _confirm_webauthn(
    rt: Runtime, request: Request, params: Params, auth_session: str, info: RequestInfo
) -> dict[str, Any]:
    """A WebAuthn registration started with an `enroll` access token, completed."""
    raw = params.json_object("authn_response")
    if raw is None:
        raise InvalidRequestError("Missing required parameter: authn_response")
    return await confirm_webauthn(rt, bearer(request), auth_session, parse_response(raw), info)


@router.get(
    "/authenticators",
    response_model=list[AuthenticatorOut],
    response_model_exclude_none=True,
    responses=errors(401, 403, 429),
    openapi_extra=BEARER,
)
async def authenticators(request: Request, rt: RuntimeDep) -> JSONResponse:
    async with rt.store.read() as tx:
        caller = await resolve_bearer(rt, tx, bearer(request))
        body = await list_authenticators(tx, caller)
    return JSONResponse(body)


@router.delete(
    "/authenticators/{authenticator_id}",
    status_code=204,
    response_class=Response,
    responses=errors(401, 403, 404, 429),
    openapi_extra=BEARER,
)
async def remove_authenticator(
    authenticator_id: str, request: Request, rt: RuntimeDep, info: RequestInfoDep
) -> Response:
    async with rt.store.transaction() as tx:
        caller = await resolve_bearer(rt, tx, bearer(request))
        await delete_authenticator(tx, caller, authenticator_id, info)
    return Response(status_code=204)


@router.post(
    "/barcode",
    responses={
        200: {"content": {"image/svg+xml": {}, "image/png": {}}, "description": "QR code"},
        **errors(400, 401, 429),
    },
    response_class=Response,
    openapi_extra={**request_body(BarcodeRequest, form=False), **BEARER},
)
async def barcode(request: Request, rt: RuntimeDep) -> Response:
    """The QR code of a `barcode_uri`, for clients that cannot draw one.

    POST keeps the TOTP secret out of URLs (and so out of access logs); a bearer is required
    so this is not an open image service.
    """
    params = await read_params(request)
    async with rt.store.read() as tx:
        await resolve_bearer(rt, tx, bearer(request))
    uri = params.text("barcode_uri", required=True, max_length=1024) or ""
    if not uri.startswith("otpauth://"):
        raise InvalidRequestError("barcode_uri must be an otpauth:// URI.")
    fmt = params.text("format", max_length=10) or "svg"
    if fmt not in ("svg", "png"):
        raise InvalidRequestError("format must be svg or png.")
    media = "image/svg+xml" if fmt == "svg" else "image/png"
    image = render_barcode(uri, fmt=cast(Literal["svg", "png"], fmt))
    return Response(image, media_type=media, headers=NO_STORE)
