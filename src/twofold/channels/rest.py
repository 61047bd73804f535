"""One HTTP POST to a provider (Twilio, an SMS webhook), its failures sorted for retry.py.

A client per call: codes go out a few times a minute, not thousands, so a pooled client's
lifecycle is not worth wiring through the app; redirects are never followed, since a
redirected POST would carry credentials and codes to a host nobody configured.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import httpx

from twofold import __version__
from twofold.channels.retry import AttemptFailedError

Explain = Callable[[httpx.Response], str]
"""Pulls the provider's own error code out of an error reply, for the audit log."""

USER_AGENT = f"Twofold/{__version__}"


def is_transient(status: int) -> bool:
    """ADR 007: retry 5xx and 429 (the provider is overloaded); any other 4xx is final."""
    return status >= 500 or status == 429


async def post(
    url: str,
    *,
    within: float,
    auth: httpx.BasicAuth | None = None,
    form: Mapping[str, str] | None = None,
    content: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    explain: Explain | None = None,
) -> httpx.Response:
    """POST once, giving up after `within` seconds of silence; a 2xx reply comes back,
    anything else raises AttemptFailedError."""
    try:
        async with httpx.AsyncClient(timeout=within, follow_redirects=False) as client:
            response = await client.post(
                url,
                auth=auth or httpx.USE_CLIENT_DEFAULT,
                data=form,
                content=content,
                headers={"user-agent": USER_AGENT, **(headers or {})},
            )
    except httpx.TimeoutException as exc:
        raise AttemptFailedError("timeout", retryable=True) from exc
    except httpx.TransportError as exc:
        raise AttemptFailedError("connection_error", retryable=True) from exc
    if response.is_success:
        return response
    detail = explain(response) if explain else ""
    raise AttemptFailedError(
        str(response.status_code), retryable=is_transient(response.status_code), detail=detail
    )
