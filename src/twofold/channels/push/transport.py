"""One push over HTTP and its retries: each provider's answer sorted into an outcome.

Reuses the channels' RetryPolicy (attempts, doubling backoff, the MAX_DELAY cap, the
injected sleep) from channels/retry.py; unlike `deliver`, a push never raises for the
provider's answer, and a 429's `Retry-After` is honoured up to that same cap.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import httpx

from twofold.channels.push.base import PushOutcome, PushProvider, PushResult
from twofold.channels.rest import USER_AGENT, is_transient
from twofold.channels.retry import MAX_DELAY, RetryPolicy


@dataclass(frozen=True, slots=True)
class Answer:
    """What one attempt learnt: its outcome, and whether another attempt could change it."""

    outcome: PushOutcome
    status: int | None
    reason: str = ""
    retryable: bool = False
    retry_after: float | None = None
    reply: httpx.Response | None = field(default=None, repr=False, compare=False)
    """The successful reply, for a caller that reads its body (an OAuth token)."""


Attempt = Callable[[], Awaitable[Answer]]
Explain = Callable[[httpx.Response], Answer]
"""Sorts a provider's non-2xx reply into an outcome, keeping its own error code."""


def retry_after(response: httpx.Response) -> float | None:
    """`Retry-After` in seconds (RFC 9110 10.2.3); the HTTP-date form falls back to the
    backoff, since the wait is capped at MAX_DELAY anyway."""
    value = response.headers.get("retry-after", "").strip()
    return float(value) if value.isdigit() else None


def json_object(response: httpx.Response) -> dict[str, object]:
    """The reply's JSON object, or {} for an empty or non-JSON body (a proxy's HTML page)."""
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def failure(response: httpx.Response, reason: str) -> Answer:
    """A reply that is not about the token: retried if transient (5xx, 429), final if not."""
    status = response.status_code
    return Answer(
        PushOutcome.FAILED,
        status,
        reason,
        retryable=is_transient(status),
        retry_after=retry_after(response) if status == 429 else None,
    )


Transport = httpx.AsyncHTTPTransport


def transport(*, http2: bool = False, verify: ssl.SSLContext | bool = True) -> Transport:
    """A connection pool for one send and its retries (a push goes out per sign-in, not in
    bulk); spoken to directly rather than through an `AsyncClient`, whose request log line
    carries the URL, and with it an APNs device token or a Web Push subscription id."""
    return httpx.AsyncHTTPTransport(http2=http2, verify=verify, retries=0)


def request(
    url: str,
    *,
    timeout: float,
    headers: Mapping[str, str],
    content: bytes | None = None,
    form: Mapping[str, str] | None = None,
) -> httpx.Request:
    return httpx.Request(
        "POST",
        url,
        content=content,
        data=form,
        headers={"user-agent": USER_AGENT, **headers},
        extensions={"timeout": httpx.Timeout(timeout).as_dict()},
    )


async def exchange(pool: Transport, outgoing: httpx.Request, *, explain: Explain) -> Answer:
    """Send one request; a 2xx is DELIVERED, a dropped connection or a timeout is retryable,
    any other reply is what `explain` makes of it. Redirects are never followed: a
    redirected push would carry our credentials to a host nobody configured."""
    try:
        response = await pool.handle_async_request(outgoing)
        try:
            await response.aread()
        finally:
            await response.aclose()
    except httpx.TimeoutException:
        return Answer(PushOutcome.FAILED, None, "timeout", retryable=True)
    except httpx.TransportError:
        return Answer(PushOutcome.FAILED, None, "connection_error", retryable=True)
    if response.is_success:
        return Answer(PushOutcome.DELIVERED, response.status_code, reply=response)
    return explain(response)


def _wait(policy: RetryPolicy, failed: int, answer: Answer) -> float:
    backoff = policy.delay(failed)
    if answer.retry_after is None:
        return backoff
    return min(max(backoff, answer.retry_after), MAX_DELAY)


async def push_with_retries(
    provider: PushProvider, attempt: Attempt, policy: RetryPolicy
) -> PushResult:
    """Call `attempt` until it delivers, fails for good, or the policy's attempts are spent."""
    tries = 0
    while True:
        tries += 1
        answer = await attempt()
        final = answer.outcome is not PushOutcome.FAILED or not answer.retryable
        if final or tries >= policy.attempts:
            return PushResult(answer.outcome, provider, answer.status, answer.reason, tries)
        await policy.sleep(_wait(policy, tries, answer))
