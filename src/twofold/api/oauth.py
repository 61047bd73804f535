"""`POST /oauth/token`: every grant Auth0's SDKs send, dispatched to its flow."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from twofold.api.deps import RequestInfoDep, RuntimeDep
from twofold.api.params import Params, client_credentials, read_params
from twofold.api.schemas.common import TokenErrorBody, errors, request_body, security
from twofold.api.schemas.oauth import TokenRequest, TokenResponse
from twofold.errors import InvalidRequestError, UnsupportedGrantTypeError
from twofold.flows.codes import CodeExchange, authorization_code_grant
from twofold.flows.grants import GrantType
from twofold.flows.login import PasswordLogin, password_grant
from twofold.flows.machine import ClientCredentials, client_credentials_grant
from twofold.flows.oob_verification import OobAnswer, oob_grant
from twofold.flows.passkeys import passkey_grant
from twofold.flows.refresh import RefreshExchange, refresh_token_grant
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.tokens import TokenSet
from twofold.flows.verification import SecondFactor, otp_grant, recovery_grant
from twofold.flows.webauthn_verification import WebauthnAnswer, mfa_grant

router = APIRouter(tags=["Authentication API"])

NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}


@dataclass(frozen=True, slots=True)
class TokenCall:
    """One request to the token endpoint, as every grant reads it."""

    grant_type: str
    params: Params
    client_id: str | None
    client_secret: str | None


Grant = Callable[[Runtime, TokenCall, RequestInfo], Awaitable[TokenSet]]


async def _password(rt: Runtime, call: TokenCall, info: RequestInfo) -> TokenSet:
    params = call.params
    username = params.text("username", max_length=320)
    password = params.text("password", max_length=1024, allow_nul=True)
    if not username or not password:
        raise InvalidRequestError("Missing required parameter: username and password")
    login = PasswordLogin(
        grant_type=call.grant_type,
        client_id=call.client_id,
        client_secret=call.client_secret,
        username=username,
        password=password,
        audience=params.text("audience", max_length=1024),
        scope=params.text("scope", max_length=1024),
        realm=params.text("realm", max_length=200),
    )
    return await password_grant(rt, login, info)


def _second_factor(call: TokenCall, response_name: str) -> SecondFactor:
    return SecondFactor(
        client_id=call.client_id,
        client_secret=call.client_secret,
        mfa_token=call.params.text("mfa_token", required=True, max_length=2048),
        response=call.params.text(response_name, max_length=64),
    )


async def _otp(rt: Runtime, call: TokenCall, info: RequestInfo) -> TokenSet:
    return await otp_grant(rt, _second_factor(call, "otp"), info)


async def _oob(rt: Runtime, call: TokenCall, info: RequestInfo) -> TokenSet:
    answer = OobAnswer(
        client_id=call.client_id,
        client_secret=call.client_secret,
        mfa_token=call.params.text("mfa_token", required=True, max_length=2048),
        oob_code=call.params.text("oob_code", max_length=128),
        binding_code=call.params.text("binding_code", max_length=64),
    )
    return await oob_grant(rt, answer, info)


async def _recovery(rt: Runtime, call: TokenCall, info: RequestInfo) -> TokenSet:
    return await recovery_grant(rt, _second_factor(call, "recovery_code"), info)


async def _client_credentials(rt: Runtime, call: TokenCall, info: RequestInfo) -> TokenSet:
    grant = ClientCredentials(
        client_id=call.client_id,
        client_secret=call.client_secret,
        audience=call.params.text("audience", max_length=1024),
        scope=call.params.text("scope", max_length=1024),
    )
    return await client_credentials_grant(rt, grant, info)


async def _authorization_code(rt: Runtime, call: TokenCall, info: RequestInfo) -> TokenSet:
    exchange = CodeExchange(
        client_id=call.client_id,
        client_secret=call.client_secret,
        code=call.params.text("code", max_length=512),
        redirect_uri=call.params.text("redirect_uri", max_length=2000),
        code_verifier=call.params.text("code_verifier", max_length=128),
    )
    return await authorization_code_grant(rt, exchange, info)


async def _refresh(rt: Runtime, call: TokenCall, info: RequestInfo) -> TokenSet:
    exchange = RefreshExchange(
        client_id=call.client_id,
        client_secret=call.client_secret,
        refresh_token=call.params.text("refresh_token", max_length=512),
        scope=call.params.text("scope", max_length=1024),
    )
    return await refresh_token_grant(rt, exchange, info)


async def _webauthn(rt: Runtime, call: TokenCall, info: RequestInfo) -> TokenSet:
    """With `mfa_token`: a security key or device as the second factor (or completing its
    enrolment); without: a passkey sign-in."""
    params = call.params
    answer = WebauthnAnswer(
        client_id=call.client_id,
        client_secret=call.client_secret,
        mfa_token=params.text("mfa_token", max_length=2048),
        auth_session=params.text("auth_session", max_length=128),
        authn_response=params.json_object("authn_response"),
        audience=params.text("audience", max_length=1024),
        scope=params.text("scope", max_length=1024),
    )
    if answer.mfa_token is not None:
        return await mfa_grant(rt, answer, info)
    return await passkey_grant(rt, answer, info)


GRANTS: dict[str, Grant] = {
    GrantType.PASSWORD: _password,
    GrantType.PASSWORD_REALM: _password,
    GrantType.MFA_OTP: _otp,
    GrantType.MFA_OOB: _oob,
    GrantType.MFA_RECOVERY_CODE: _recovery,
    GrantType.CLIENT_CREDENTIALS: _client_credentials,
    GrantType.AUTHORIZATION_CODE: _authorization_code,
    GrantType.REFRESH_TOKEN: _refresh,
    GrantType.WEBAUTHN: _webauthn,
}
"""The grants this endpoint serves; schemas/oauth.py's `GrantTypeName` lists the same."""


@router.post(
    "/oauth/token",
    response_model=TokenResponse,
    response_model_exclude_none=True,
    responses=errors(400, 401, 403, 404, 429, model=TokenErrorBody),
    openapi_extra={**request_body(TokenRequest), **security("ClientBasic", optional=True)},
)
async def token(request: Request, rt: RuntimeDep, info: RequestInfoDep) -> JSONResponse:
    params = await read_params(request)
    grant_type = params.text("grant_type", required=True, max_length=200) or ""
    client_id, client_secret = client_credentials(request, params)
    grant = GRANTS.get(grant_type)
    if grant is None:
        raise UnsupportedGrantTypeError(f"Unsupported grant type: {grant_type}")
    tokens = await grant(rt, TokenCall(grant_type, params, client_id, client_secret), info)
    return JSONResponse(tokens.as_json(), headers=NO_STORE)
