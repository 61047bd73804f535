"""Rendering the hosted pages: one Jinja2 environment, tenant branding, strict headers.

Every page answers with a Content-Security-Policy that allows no inline script or style,
so an injected tag does nothing even if escaping were ever missed (ADR 006).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from twofold.config import Settings

NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("twofold.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def origin_of(url: str | None) -> str | None:
    """`scheme://host[:port]` of an http(s) URL, for CSP source lists; None otherwise."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(settings: Settings, *, form_targets: Iterable[str] = ()) -> str:
    """`form-action` names the client's callback origin too: Chromium checks it against the
    redirect that follows a form post, and the last post of a sign-in ends at the client.
    `connect-src 'self'` lets the push pages listen for the answer (EventSource, fetch)."""
    images = ["'self'", "data:"]
    logo = origin_of(settings.branding.logo_url)
    if logo:
        images.append(logo)
    forms = ["'self'", *(o for o in (origin_of(t) for t in form_targets) if o)]
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            f"img-src {' '.join(images)}",
            f"form-action {' '.join(dict.fromkeys(forms))}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        )
    )


def security_headers(settings: Settings, *, form_targets: Iterable[str] = ()) -> dict[str, str]:
    return {
        "content-security-policy": content_security_policy(settings, form_targets=form_targets),
        "x-frame-options": "DENY",
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        **NO_STORE,
    }


def render(
    request: Request,
    settings: Settings,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    form_targets: Iterable[str] = (),
) -> HTMLResponse:
    branding = settings.branding
    page_context = {
        "tenant": branding.name or settings.tenant_name,
        "logo_url": branding.logo_url,
        "request": request,
        **(context or {}),
    }
    html = environment().get_template(template).render(page_context)
    headers = security_headers(settings, form_targets=form_targets)
    return HTMLResponse(html, status_code=status, headers=headers)


def redirect(location: str, *, status: int = 303) -> RedirectResponse:
    """303 after a form post (the browser follows with GET), never caching the hop."""
    return RedirectResponse(location, status_code=status, headers=dict(NO_STORE))
