"""`/u/mfa/push/events` and `/u/mfa/push/status`: how the push page learns the answer.

Both are bound to the browser session and the sign-in (`?state=`), and name the push by its
transaction id (`?txn=`); a push sent for another session looks unknown. The events stream
sends one `answer` event once the push is answered or expires, keepalive comments before
that; the status is the fallback for a browser without EventSource (`static/push.js`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

from twofold.api.deps import RuntimeDep
from twofold.api.params import Params
from twofold.errors import InvalidRequestError
from twofold.flows import hosted_push
from twofold.flows.runtime import Runtime
from twofold.store.repos.push_transactions import PENDING
from twofold.web.browser import BrowserSessionDep
from twofold.web.pages import NO_STORE
from twofold.web.steps import resume

router = APIRouter(include_in_schema=False)


async def _bound(rt: Runtime, request: Request, current: BrowserSessionDep) -> tuple[str, str, str]:
    """The push id, user and session, once the push is known to belong to both."""
    current, _ = await resume(rt, request, current)
    user_id = current.session.user_id
    txn = Params(dict(request.query_params)).text("txn", max_length=100)
    if user_id is None or not txn:
        raise InvalidRequestError("Missing required parameter: txn")
    await hosted_push.owned(rt, txn, user_id=user_id, session_id=current.session.id)
    return txn, user_id, current.session.id


def answer_event(status: str) -> str:
    """One server-sent event (HTML Living Standard, 9.2) saying how the push ended."""
    return f"event: answer\ndata: {json.dumps({'status': status})}\n\n"


async def answer_events(
    rt: Runtime, txn: str, *, user_id: str, session_id: str
) -> AsyncGenerator[str, None]:
    """Keepalive comments until the push is answered or expires, then its `answer` event.
    The subscription is opened before the status is read, so no answer falls between; a
    broker message only says "look again" (the database is the truth)."""
    keepalive = rt.settings.push.stream_keepalive
    async with rt.push_broker.subscribe(hosted_push.topic(txn)) as subscription:
        yield ": connected\n\n"
        while True:
            push = await hosted_push.owned(rt, txn, user_id=user_id, session_id=session_id)
            now = rt.clock.now()
            status = push.status_at(now)
            if status != PENDING:
                yield answer_event(status)
                return
            left = (push.expires_at - now).total_seconds()
            if await subscription.next(max(0.05, min(keepalive, left))) is None:
                yield ": keepalive\n\n"


@router.get("/u/mfa/push/events")
async def push_events(
    request: Request, rt: RuntimeDep, current: BrowserSessionDep
) -> StreamingResponse:
    txn, user_id, session_id = await _bound(rt, request, current)

    async def body() -> AsyncIterator[str]:
        events = answer_events(rt, txn, user_id=user_id, session_id=session_id)
        async with aclosing(events):
            async for chunk in events:
                if await request.is_disconnected():
                    return
                yield chunk

    headers = {**NO_STORE, "x-accel-buffering": "no"}
    return StreamingResponse(body(), media_type="text/event-stream", headers=headers)


@router.get("/u/mfa/push/enrolment")
async def push_enrolment_status(
    request: Request, rt: RuntimeDep, current: BrowserSessionDep
) -> JSONResponse:
    """Whether the device being set up (`?device=`, the session user's) has registered; the
    enrolment pages (the sign-in's and My MFA settings') poll it."""
    user_id = current.session.user_id if current else None
    device = Params(dict(request.query_params)).text("device", max_length=100)
    if user_id is None or not device:
        raise InvalidRequestError("Missing required parameter: device")
    status = await hosted_push.enrolment_status(rt, user_id, device)
    return JSONResponse({"status": status}, headers=dict(NO_STORE))


@router.get("/u/mfa/push/status")
async def push_status(request: Request, rt: RuntimeDep, current: BrowserSessionDep) -> JSONResponse:
    txn, user_id, session_id = await _bound(rt, request, current)
    status = await hosted_push.status(rt, txn, user_id=user_id, session_id=session_id)
    return JSONResponse({"status": status}, headers=dict(NO_STORE))
