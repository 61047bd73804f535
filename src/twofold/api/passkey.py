"""Auth0's Passkey API: `POST /passkey/challenge` starts a passwordless sign-in (ADR 008);
the WebAuthn grant on `/oauth/token` finishes it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from twofold.api.deps import RequestInfoDep, RuntimeDep
from twofold.api.params import client_credentials, read_params
from twofold.api.schemas.common import errors, request_body, security
from twofold.api.schemas.passkey import PasskeyChallengeRequest, PasskeyChallengeResponse
from twofold.flows.passkeys import passkey_challenge

router = APIRouter(prefix="/passkey", tags=["Authentication API"])


@router.post(
    "/challenge",
    response_model=PasskeyChallengeResponse,
    responses=errors(400, 401, 403, 429),
    openapi_extra={
        **request_body(PasskeyChallengeRequest),
        **security("ClientBasic", optional=True),
    },
)
async def challenge(request: Request, rt: RuntimeDep, info: RequestInfoDep) -> JSONResponse:
    """Options for a discoverable credential, bound to the client. 403 `access_denied` unless
    the tenant enables passkeys; 403 `unauthorized_client` unless the client has the WebAuthn
    grant type."""
    params = await read_params(request)
    client_id, client_secret = client_credentials(request, params)
    ceremony = await passkey_challenge(
        rt, client_id=client_id, client_secret=client_secret, info=info
    )
    return JSONResponse(ceremony.as_json(), headers={"cache-control": "no-store"})
