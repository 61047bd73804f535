"""Shapes shared by every endpoint: the OAuth error body and the error responses that carry it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class OAuthErrorBody(BaseModel):
    error: str = Field(description="A machine-readable code, e.g. `invalid_request`.")
    error_description: str = Field(description="A human-readable sentence; never a secret.")
    line: int | None = Field(
        default=None, description="A refused policy rule: the condition's line (1-based)."
    )
    column: int | None = Field(
        default=None, description="A refused policy rule: the condition's column (1-based)."
    )


class TokenErrorBody(OAuthErrorBody):
    """`/oauth/token` errors; `mfa_required` adds what the client needs to continue."""

    mfa_token: str | None = Field(default=None, description="With `mfa_required` only.")
    mfa_requirements: dict[str, list[dict[str, str]]] | None = Field(
        default=None,
        description='With `mfa_required`: `{"challenge": [...]}` or `{"enroll": [...]}`.',
    )


_ERRORS: dict[int, str] = {
    400: "`invalid_request` (a missing, malformed or out-of-range parameter, or a body that is "
    "not JSON or a form), or an operation-specific code such as `unsupported_grant_type`",
    401: "`invalid_client` (client authentication failed) or `invalid_token` (bearer token "
    "missing, malformed or expired)",
    403: "`insufficient_scope`, `access_denied` or `unauthorized_client`; where an "
    "`mfa_token` or a code is checked, `invalid_grant` or `expired_token`; on the token "
    "endpoint, `mfa_required`",
    404: "`not_found`",
    409: "`conflict`",
    429: "`too_many_attempts`: an attempt limit is exhausted",
}

_STRING = {"type": "string"}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {
        "WWW-Authenticate": {
            "required": True,
            "description": '`Bearer error="invalid_token", ...` or `Basic realm="twofold"`.',
            "schema": _STRING,
        }
    },
    429: {
        "Retry-After": {
            "description": "Seconds until `X-RateLimit-Reset`; absent for a block that never "
            "lifts by itself (an admin unblocks it).",
            "schema": {"type": "integer", "minimum": 1},
        },
        "X-RateLimit-Remaining": {
            "required": True,
            "description": "Always `0` on a 429.",
            "schema": {"type": "integer", "enum": [0]},
        },
        "X-RateLimit-Reset": {
            "required": True,
            "description": "Unix time (seconds) from which the next attempt is allowed; "
            "253402300800 for a block that never lifts by itself.",
            "schema": {"type": "integer", "minimum": 0},
        },
    },
}


def errors(*statuses: int, model: type[BaseModel] = OAuthErrorBody) -> dict[int | str, Any]:
    """OpenAPI `responses` entries for the OAuth-style errors an endpoint can answer.

    Request validation is among them: api/errors.py answers it 400 `invalid_request`, never
    FastAPI's 422 (which api/openapi.py keeps out of the document).
    """
    responses: dict[int | str, Any] = {}
    for status in statuses:
        entry: dict[str, Any] = {"model": model, "description": _ERRORS[status]}
        if status in _HEADERS:
            entry["headers"] = _HEADERS[status]
        responses[status] = entry
    return responses


def request_body(model: type[BaseModel], *, form: bool = True) -> dict[str, Any]:
    """Document a body read by hand (api/params.py) in both encodings Auth0 accepts."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    content: dict[str, Any] = {"application/json": {"schema": schema}}
    if form:
        content["application/x-www-form-urlencoded"] = {"schema": schema}
    return {"requestBody": {"required": True, "content": content}}


def security(*schemes: str, optional: bool = False) -> dict[str, Any]:
    """The `security` of an operation whose credentials are read by hand (api/params.py).

    The schemes themselves are declared once, in api/openapi.py.
    """
    requirements: list[dict[str, list[str]]] = [{scheme: []} for scheme in schemes]
    return {"security": [{}, *requirements] if optional else requirements}
