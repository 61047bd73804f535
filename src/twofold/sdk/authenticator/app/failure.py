"""The one error the app's commands raise: its message is the single line the user sees
before the program exits with status 2. Messages never carry a key, a seed or a token."""

from __future__ import annotations

import httpx

from twofold.sdk.authenticator.client import AuthenticatorError

EXIT_FAILURE = 2


class AppError(Exception):
    """A failure the user can act on (a bad URI, a refused ticket, no server)."""


def unreachable(base_url: str, exc: httpx.TransportError) -> AppError:
    detail = str(exc) or type(exc).__name__
    return AppError(f"cannot reach the server at {base_url}: {detail}")


def refused(action: str, exc: AuthenticatorError) -> AppError:
    return AppError(f"the server refused {action}: {exc.description} ({exc.code})")
