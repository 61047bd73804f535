"""`/.well-known/openid-configuration` (OIDC Discovery 1.0 section 3): every field, and each
one true of the server that publishes it."""

from __future__ import annotations

import httpx

from tests.api.codeflow import a_code_app
from twofold.flows.runtime import Runtime
from twofold.flows.tokens import MULTI_FACTOR_ACR


async def test_the_document_says_what_twofold_does(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    response = await client.get("/.well-known/openid-configuration")
    assert response.status_code == 200
    issuer = runtime.settings.issuer
    assert response.json() == {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}authorize",
        "token_endpoint": f"{issuer}oauth/token",
        "userinfo_endpoint": f"{issuer}userinfo",
        "jwks_uri": f"{issuer}.well-known/jwks.json",
        "end_session_endpoint": f"{issuer}oidc/logout",
        "mfa_challenge_endpoint": f"{issuer}mfa/challenge",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": [
            "password",
            "http://auth0.com/oauth/grant-type/password-realm",
            "http://auth0.com/oauth/grant-type/mfa-otp",
            "http://auth0.com/oauth/grant-type/mfa-oob",
            "http://auth0.com/oauth/grant-type/mfa-recovery-code",
            "client_credentials",
            "authorization_code",
            "refresh_token",
            "urn:okta:params:oauth:grant-type:webauthn",
        ],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [runtime.settings.tokens.signing_alg],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "claims_supported": [
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
        ],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "acr_values_supported": [MULTI_FACTOR_ACR],
        "prompt_values_supported": ["none", "login"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,
    }


async def test_the_signing_alg_is_the_active_keys(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    document = (await client.get("/.well-known/openid-configuration")).json()
    jwks = (await client.get("/.well-known/jwks.json")).json()
    active = [key for key in jwks["keys"] if key["kid"] == runtime.signing.signer.kid]
    assert document["id_token_signing_alg_values_supported"] == [active[0]["alg"]]


async def test_every_grant_announced_is_served(client: httpx.AsyncClient, runtime: Runtime) -> None:
    document = (await client.get("/.well-known/openid-configuration")).json()
    app = await a_code_app(runtime)
    for grant_type in document["grant_types_supported"]:
        body = {"grant_type": grant_type, **app.credentials()}
        response = await client.post("/oauth/token", data=body)
        assert response.json()["error"] != "unsupported_grant_type", grant_type
    unknown = await client.post("/oauth/token", data={"grant_type": "implicit"})
    assert unknown.json()["error"] == "unsupported_grant_type"
