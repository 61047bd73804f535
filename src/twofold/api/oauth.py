"""`POST /oauth/token`: every grant Auth0's SDKs send, dispatched to its flow."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from twofold.api.deps import RequestInfoDep, RuntimeDep
from twofold.api.params import client_credentials, read_params
from twofold.api.schemas.common import TokenErrorBody, errors, request_body, security
from twofold.api.schemas.oauth import TokenRequest, TokenResponse
from twofold.errors import InvalidRequestError, UnsupportedGrantTypeError
from twofold.flows.grants import GrantType
from twofold.flows.login import PasswordLogin, password_grant
from twofold.flows.machine import ClientCredentials, client_credentials_grant
from twofold.flows.verification import SecondFactor, otp_grant, recovery_grant

router = APIRouter(tags=["Authentication API"])

NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}


@router.post(
    "/oauth/token",
    response_model=TokenResponse,
    response_model_exclude_none=True,
    responses=errors(400, 401, 403, 404, 429, model=TokenErrorBody),
    openapi_extra={**request_body(TokenRequest), **security("ClientBasic", optional=True)},
)
async def token(request: Request, rt: RuntimeDep, info: RequestInfoDep) -> JSONResponse:
    params = await read_params(request)
    grant_type = params.text("grant_type", required=True, max_length=200)
    client_id, client_secret = client_credentials(request, params)
    if grant_type in (GrantType.PASSWORD, GrantType.PASSWORD_REALM):
        username = params.text("username", max_length=320)
        password = params.text("password", max_length=1024, allow_nul=True)
        if not username or not password:
            raise InvalidRequestError("Missing required parameter: username and password")
        tokens = await password_grant(
            rt,
            PasswordLogin(
                grant_type=grant_type,
                client_id=client_id,
                client_secret=client_secret,
                username=username,
                password=password,
                audience=params.text("audience", max_length=1024),
                scope=params.text("scope", max_length=1024),
                realm=params.text("realm", max_length=200),
            ),
            info,
        )
    elif grant_type in (GrantType.MFA_OTP, GrantType.MFA_RECOVERY_CODE):
        is_otp = grant_type == GrantType.MFA_OTP
        grant = SecondFactor(
            client_id=client_id,
            client_secret=client_secret,
            mfa_token=params.text("mfa_token", required=True, max_length=2048),
            response=params.text("otp" if is_otp else "recovery_code", max_length=64),
        )
        tokens = await (otp_grant if is_otp else recovery_grant)(rt, grant, info)
    elif grant_type == GrantType.CLIENT_CREDENTIALS:
        tokens = await client_credentials_grant(
            rt,
            ClientCredentials(
                client_id=client_id,
                client_secret=client_secret,
                audience=params.text("audience", max_length=1024),
                scope=params.text("scope", max_length=1024),
            ),
            info,
        )
    else:
        raise UnsupportedGrantTypeError(f"Unsupported grant type: {grant_type}")
    return JSONResponse(tokens.as_json(), headers=NO_STORE)
