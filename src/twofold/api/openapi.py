"""`/openapi.json` as the wire has it (api layer): FastAPI's generated document, corrected.

Two corrections: request validation answers 400 `invalid_request` (api/errors.py), so the 422
FastAPI adds to every operation with parameters is removed; and credentials read by hand
(api/params.py) get their security schemes, which routes name with `schemas.common.security`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "ClientBasic": {
        "type": "http",
        "scheme": "basic",
        "description": "Client authentication (RFC 6749 section 2.3.1): `client_id` and "
        "`client_secret`; they may instead be sent in the body.",
    },
    "MfaToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "The `mfa_token` of a login that needs MFA (first enrolment and "
        "listing), or an access token for audience `<issuer>mfa/` with `enroll`, "
        "`read:authenticators` or `remove:authenticators`.",
    },
    "EnrolmentTicket": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'A push enrolment ticket: `Ticket id="<enrollment_tx_id>"` from the '
        "`barcode_uri` of `/mfa/associate` (single use, 5 minutes).",
    },
    "DeviceJwt": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A device JWT signed ES256 by the enrolled device key "
        "(docs/push-protocol.md): `iss` = `sub` = device id, at most 60 s of life, unique `jti`.",
    },
    "AccessToken": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token whose audience includes `<issuer>userinfo` (every "
        "token issued for the `openid` scope).",
    },
}
FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def corrected(document: dict[str, Any]) -> dict[str, Any]:
    """The document without FastAPI's 422 answers and with our security schemes (in place)."""
    for item in document.get("paths", {}).values():
        for operation in item.values():
            operation.get("responses", {}).pop("422", None)
    components = document.setdefault("components", {})
    schemas = components.get("schemas", {})
    for name in FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    return document


def install(app: FastAPI) -> None:
    """Serve the corrected document; it is built once, on first request, as FastAPI does."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = corrected(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
