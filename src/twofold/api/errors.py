"""The one error mapping: TwofoldError -> {"error", "error_description"} and an HTTP status."""

from __future__ import annotations

import logging
import math

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from twofold import errors

log = logging.getLogger("twofold.api")

STATUS: tuple[tuple[type[errors.TwofoldError], int], ...] = (
    (errors.MfaRequiredError, 403),
    (errors.InvalidGrantError, 403),
    (errors.ExpiredTokenError, 403),
    (errors.AccessDeniedError, 403),
    (errors.UnauthorizedClientError, 403),
    (errors.InsufficientScopeError, 403),
    (errors.InvalidClientError, 401),
    (errors.InvalidTokenError, 401),
    (errors.NotFoundError, 404),
    (errors.ConflictError, 409),
    (errors.TooManyAttemptsError, 429),
    (errors.InvalidRequestError, 400),
    (errors.UnsupportedGrantTypeError, 400),
    (errors.UnsupportedChallengeTypeError, 400),
    (errors.AssociationRequiredError, 400),
)
"""First match wins (subclasses before their parents); anything else is a 500."""


def status_of(error: errors.TwofoldError) -> int:
    return next((status for kind, status in STATUS if isinstance(error, kind)), 500)


def error_response(error: errors.TwofoldError) -> JSONResponse:
    body: dict[str, object] = {"error": error.code, "error_description": error.description}
    headers: dict[str, str] = {}
    if isinstance(error, errors.MfaRequiredError):
        body["mfa_token"] = error.mfa_token
        body["mfa_requirements"] = error.requirements
    if isinstance(error, errors.TooManyAttemptsError):
        headers["x-ratelimit-reset"] = str(math.ceil(error.retry_at.timestamp()))
        headers["retry-after"] = "60"
    if isinstance(error, errors.InvalidTokenError):
        headers["www-authenticate"] = (
            f'Bearer error="invalid_token", error_description="{error.description}"'
        )
    if isinstance(error, errors.InvalidClientError):
        headers["www-authenticate"] = 'Basic realm="twofold"'
    return JSONResponse(body, status_code=status_of(error), headers=headers)


async def _twofold_error(_request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, errors.TwofoldError):  # pragma: no cover - registered for the class
        raise exc
    response = error_response(exc)
    if response.status_code == 500:
        log.error("unmapped error %s", type(exc).__name__)
    return response


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    detail = exc.errors() if isinstance(exc, RequestValidationError) else []
    where = ", ".join(
        ".".join(str(part) for part in item.get("loc", ()) if part != "body") for item in detail[:3]
    )
    message = f"Invalid request parameters: {where}" if where else "Invalid request."
    return error_response(errors.InvalidRequestError(message))


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    code = {404: "not_found", 405: "method_not_allowed"}.get(status, "invalid_request")
    description = str(exc.detail) if isinstance(exc, HTTPException) else "Error."
    return JSONResponse({"error": code, "error_description": description}, status_code=status)


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    # The outermost edge: log the type only (messages may carry secrets), answer generically.
    log.exception("internal error: %s", type(exc).__name__)
    return JSONResponse(
        {"error": "server_error", "error_description": "Internal error."}, status_code=500
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.TwofoldError, _twofold_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
