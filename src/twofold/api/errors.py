"""The one error mapping: TwofoldError -> {"error", "error_description"} and an HTTP status."""

from __future__ import annotations

import datetime as dt
import logging
import math

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from twofold import errors
from twofold.api.deps import runtime_of
from twofold.channels.base import DeliveryError

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
    (errors.InvalidScopeError, 400),
    (errors.UnsupportedChallengeTypeError, 400),
    (errors.AssociationRequiredError, 400),
    (errors.InvalidPhoneNumberError, 400),
    (errors.AuthorizationPendingError, 400),
    (errors.SlowDownError, 400),
    (DeliveryError, 503),
)
"""First match wins (subclasses before their parents); anything else is a 500."""


def status_of(error: errors.TwofoldError) -> int:
    return next((status for kind, status in STATUS if isinstance(error, kind)), 500)


NEVER = dt.datetime.max.replace(tzinfo=dt.UTC)
"""The `retry_at` of a block that never lifts by itself (a bucket that never refills)."""


def rate_limit_headers(retry_at: dt.datetime, *, now: dt.datetime) -> dict[str, str]:
    """Auth0's headers on a 429: `x-ratelimit-reset` is the epoch second of the next allowed
    attempt, and `retry-after` (RFC 9110 section 10.2.3) the seconds from now until then.

    A block that never lifts by itself (only an admin unblocks it) keeps the latest
    representable reset, 253402300800, and sends no `retry-after`: no delay would be true.
    """
    reset = math.ceil(retry_at.timestamp())
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
    if retry_at < NEVER:
        headers["retry-after"] = str(max(1, reset - math.floor(now.timestamp())))
    return headers


def error_response(error: errors.TwofoldError, *, now: dt.datetime) -> JSONResponse:
    body: dict[str, object] = {"error": error.code, "error_description": error.description}
    headers: dict[str, str] = {}
    if isinstance(error, errors.MfaRequiredError):
        body["mfa_token"] = error.mfa_token
        body["mfa_requirements"] = error.requirements
    if isinstance(error, errors.InvalidRuleError) and error.line is not None:
        body["line"], body["column"] = error.line, error.column
    if isinstance(error, errors.TooManyAttemptsError):
        headers.update(rate_limit_headers(error.retry_at, now=now))
    if isinstance(error, errors.InvalidTokenError):
        quoted = error.description.replace("\\", "").replace('"', "'")
        headers["www-authenticate"] = f'Bearer error="invalid_token", error_description="{quoted}"'
    if isinstance(error, errors.InvalidClientError):
        headers["www-authenticate"] = 'Basic realm="twofold"'
    return JSONResponse(body, status_code=status_of(error), headers=headers)


async def handle_twofold_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, errors.TwofoldError):  # pragma: no cover - registered for the class
        raise exc
    response = error_response(exc, now=runtime_of(request).clock.now())
    if response.status_code == 500:
        log.error("unmapped error %s", type(exc).__name__)
    return response


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 becomes Auth0's 400 `invalid_request`, naming where (never echoing input)."""
    detail = exc.errors() if isinstance(exc, RequestValidationError) else []
    where = ", ".join(
        ".".join(str(part) for part in item.get("loc", ()) if part != "body") for item in detail[:3]
    )
    message = f"Invalid request parameters: {where}" if where else "Invalid request."
    return _oauth_error(400, "invalid_request", message)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own errors (no route, wrong method, unparsable body) in the same shape."""
    if not isinstance(exc, HTTPException):  # pragma: no cover - registered for the class
        raise exc
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "invalid_request")
    response = _oauth_error(exc.status_code, code, str(exc.detail))
    response.headers.update(exc.headers or {})
    return response


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    # The outermost edge: log the type only (messages may carry secrets), answer generically.
    log.exception("internal error: %s", type(exc).__name__)
    return _oauth_error(500, "server_error", "Internal error.")


def _oauth_error(status: int, code: str, description: str) -> JSONResponse:
    return JSONResponse({"error": code, "error_description": description}, status_code=status)


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.TwofoldError, handle_twofold_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
