"""OpenID Connect endpoints of the token side: discovery and `/userinfo` (ADR 006).

`/authorize`, the hosted pages and logout live in web/; the code and refresh grants are on
`POST /oauth/token` (api/oauth.py).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from twofold.api.deps import RuntimeDep
from twofold.api.oauth import GRANTS
from twofold.api.params import bearer
from twofold.api.schemas.common import errors, security
from twofold.api.schemas.oidc import ProviderMetadata, UserInfoResponse
from twofold.flows.runtime import Runtime
from twofold.flows.tokens import MULTI_FACTOR_ACR, OIDC_SCOPES
from twofold.flows.userinfo import userinfo
from twofold.security.pkce import S256

router = APIRouter(tags=["OpenID Connect"])

CLAIMS = (
    "sub",
    "iss",
    "aud",
    "azp",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "sid",
    "email",
    "email_verified",
    "name",
    "updated_at",
)
NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}


def signing_alg(rt: Runtime) -> str:
    """The active key's algorithm (what ID tokens are signed with now), read from the JWKS."""
    signer = rt.signing.signer
    return next(str(jwk["alg"]) for jwk in signer.jwks()["keys"] if jwk.get("kid") == signer.kid)


@router.get("/.well-known/openid-configuration", response_model=ProviderMetadata)
async def openid_configuration(rt: RuntimeDep) -> ProviderMetadata:
    issuer = rt.settings.issuer
    return ProviderMetadata(
        issuer=issuer,
        authorization_endpoint=f"{issuer}authorize",
        token_endpoint=f"{issuer}oauth/token",
        userinfo_endpoint=f"{issuer}userinfo",
        jwks_uri=f"{issuer}.well-known/jwks.json",
        end_session_endpoint=f"{issuer}oidc/logout",
        mfa_challenge_endpoint=f"{issuer}mfa/challenge",
        response_types_supported=["code"],
        response_modes_supported=["query"],
        grant_types_supported=[str(grant) for grant in GRANTS],
        subject_types_supported=["public"],
        id_token_signing_alg_values_supported=[signing_alg(rt)],
        scopes_supported=list(OIDC_SCOPES),
        claims_supported=list(CLAIMS),
        code_challenge_methods_supported=[S256],
        token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post", "none"],
        acr_values_supported=[MULTI_FACTOR_ACR],
        prompt_values_supported=["none", "login"],
        claims_parameter_supported=False,
        request_parameter_supported=False,
        request_uri_parameter_supported=False,
        authorization_response_iss_parameter_supported=True,
    )


async def _userinfo(request: Request, rt: Runtime) -> JSONResponse:
    token = bearer(request)
    if token is None:
        # RFC 6750 section 3.1: no credentials at all gets a bare challenge, no error code.
        return JSONResponse(
            {"error": "invalid_token", "error_description": "Missing Authorization: Bearer token."},
            status_code=401,
            headers={"www-authenticate": "Bearer"},
        )
    claims = await userinfo(rt, token)
    body = UserInfoResponse(
        sub=claims.sub,
        email=claims.email,
        email_verified=claims.email_verified,
        name=claims.name,
        updated_at=claims.updated_at,
    )
    return JSONResponse(body.model_dump(exclude_none=True), headers=NO_STORE)


@router.get(
    "/userinfo",
    response_model=UserInfoResponse,
    responses=errors(401),
    openapi_extra=security("AccessToken"),
)
async def userinfo_get(request: Request, rt: RuntimeDep) -> JSONResponse:
    """OIDC Core 5.3.1 recommends GET with the token in the Authorization header."""
    return await _userinfo(request, rt)


@router.post(
    "/userinfo",
    response_model=UserInfoResponse,
    responses=errors(401),
    openapi_extra=security("AccessToken"),
)
async def userinfo_post(request: Request, rt: RuntimeDep) -> JSONResponse:
    """The same, for clients that POST (the token still in the Authorization header)."""
    return await _userinfo(request, rt)
