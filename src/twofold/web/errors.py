"""Errors on the hosted pages are pages: a person reads them, not a program.

The API's handler stays in charge of every other path; an `/authorize` error found after
the redirect URI was verified goes back to the client instead (RFC 6749 section 4.1.2.1).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.responses import Response

from twofold import errors
from twofold.api.deps import runtime_of
from twofold.api.errors import handle_twofold_error, status_of
from twofold.flows.authorize import AuthorizeRedirectError
from twofold.web.pages import redirect, render

PAGE_PREFIXES = ("/u/", "/authorize", "/oidc/logout", "/v2/logout")


def is_page(request: Request) -> bool:
    return request.url.path.startswith(PAGE_PREFIXES)


async def _page_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, AuthorizeRedirectError):
        return redirect(exc.location, status=302)
    if not isinstance(exc, errors.TwofoldError) or not is_page(request):
        return await handle_twofold_error(request, exc)
    status = status_of(exc)
    if status == 500:
        return await handle_twofold_error(request, exc)
    settings = runtime_of(request).settings
    context = {"error_code": exc.code, "message": exc.description}
    return render(request, settings, "error.html", context, status=status)


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.TwofoldError, _page_error)
