"""Bearer-token failures as HTTP answers: RFC 6750 section 3 and RFC 9470 section 3 challenges.

`BearerError` is a Starlette `HTTPException`, so a route that raises it answers with the right
status and `WWW-Authenticate` header even without `install_error_handler`; the handler adds the
OAuth-style JSON body `{"error", "error_description"}`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

MULTI_FACTOR_ACR = "http://schemas.openid.net/pape/policies/2007/06/multi-factor"
"""The OpenID PAPE multi-factor policy: the `acr` Twofold sets when MFA was performed."""

_UNSAFE = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")
"""Characters RFC 6750 section 3 forbids in `error_description` (quotes, backslash, controls)."""


class BearerError(HTTPException):
    """A refused bearer token: the status, the OAuth `error` code and the challenge to send."""

    def __init__(
        self,
        status_code: int,
        *,
        error: str,
        description: str,
        challenge: Mapping[str, str] | None = None,
    ) -> None:
        self.error = error
        self.description = _UNSAFE.sub("", description)
        headers = {"WWW-Authenticate": _challenge(challenge)} if challenge is not None else None
        super().__init__(status_code, self.description, headers)

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def missing_token(realm: str) -> BearerError:
    """No bearer token at all: RFC 6750 section 3.1 puts no error code in such a challenge,
    only the realm (the JSON body still says `invalid_token`, as Twofold's own API does)."""
    return BearerError(
        401,
        error="invalid_token",
        description="The request carries no bearer token.",
        challenge={"realm": realm},
    )


def invalid_token(description: str) -> BearerError:
    """Malformed, badly signed, expired, or meant for another issuer or audience."""
    return BearerError(
        401,
        error="invalid_token",
        description=description,
        challenge={"error": "invalid_token", "error_description": description},
    )


def insufficient_scope(missing: tuple[str, ...]) -> BearerError:
    """RFC 6750 section 3.1: a valid token without a scope this route needs (403)."""
    description = "The token does not grant the scope this route needs."
    return BearerError(
        403,
        error="insufficient_scope",
        description=description,
        challenge={
            "error": "insufficient_scope",
            "error_description": description,
            "scope": " ".join(missing),
        },
    )


def insufficient_user_authentication(
    description: str, *, acr_values: str | None, max_age: int | None
) -> BearerError:
    """RFC 9470 section 3: the user must authenticate again, as the challenge says how."""
    challenge = {"error": "insufficient_user_authentication", "error_description": description}
    if acr_values is not None:
        challenge["acr_values"] = acr_values
    if max_age is not None:
        challenge["max_age"] = str(max_age)
    return BearerError(
        401, error="insufficient_user_authentication", description=description, challenge=challenge
    )


def keys_unavailable() -> BearerError:
    """The issuer's keys could not be fetched yet: the token cannot be judged either way."""
    return BearerError(
        503,
        error="temporarily_unavailable",
        description="The issuer's signing keys could not be fetched; try again shortly.",
    )


def _challenge(params: Mapping[str, str]) -> str:
    # Every value as a quoted-string (RFC 9110 section 11.2), stripped of what would end it.
    return "Bearer " + ", ".join(
        f'{name}="{_UNSAFE.sub("", value)}"' for name, value in params.items()
    )


async def bearer_error_response(_request: Request, exc: Exception) -> JSONResponse:
    """The exception handler `install_error_handler` registers: JSON body, status, challenge."""
    if not isinstance(exc, BearerError):
        raise exc
    return JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers)


def install_error_handler(app: FastAPI) -> None:
    """Answer every `BearerError` with `{"error", "error_description"}` and its challenge."""
    app.add_exception_handler(BearerError, bearer_error_response)
