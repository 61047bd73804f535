"""The device API (`/api/device`, docs/push-protocol.md): enrolment with a ticket, then
calls authenticated by the device's own ES256 JWTs. Errors are OAuth JSON like the rest."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import aclosing

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from twofold.api.deps import RequestInfoDep, RuntimeDep
from twofold.api.params import bearer, read_params
from twofold.api.schemas.common import errors, request_body, security
from twofold.api.schemas.device import (
    DeviceEnrollRequest,
    DeviceEnrollResponse,
    DeviceProfile,
    DeviceUpdateRequest,
)
from twofold.flows.device_auth import authenticate_device
from twofold.flows.push_answer import answer_push, transaction_details
from twofold.flows.push_device import DeviceChanges, device_profile, unenrol_device, update_device
from twofold.flows.push_enrolment import MAX_IDENTIFIER, MAX_NAME, DeviceEnrolment, enrol_device
from twofold.flows.push_stream import device_events

router = APIRouter(prefix="/api/device", tags=["Device API"])
NO_STORE = {"cache-control": "no-store"}
DEVICE = security("DeviceJwt")


@router.post(
    "/enroll",
    status_code=201,
    response_model=DeviceEnrollResponse,
    responses=errors(400, 401),
    openapi_extra={**request_body(DeviceEnrollRequest, form=False), **security("EnrolmentTicket")},
)
async def enroll(request: Request, rt: RuntimeDep, info: RequestInfoDep) -> JSONResponse:
    """Register the device that scanned an enrolment ticket (`Authorization: Ticket id=`)."""
    params = await read_params(request)
    body = await enrol_device(
        rt,
        request.headers.get("authorization"),
        DeviceEnrolment(
            identifier=params.text("identifier", required=True, max_length=MAX_IDENTIFIER),
            name=params.text("name", required=True, max_length=MAX_NAME),
            public_key=params.json_object("public_key"),
            push=params.json_object("push"),
        ),
        info,
    )
    return JSONResponse(body, status_code=201, headers=NO_STORE)


@router.get("/me", response_model=DeviceProfile, responses=errors(401), openapi_extra=DEVICE)
async def me(request: Request, rt: RuntimeDep) -> JSONResponse:
    device = await authenticate_device(rt, bearer(request), now=rt.clock.now())
    return JSONResponse(await device_profile(rt, device), headers=NO_STORE)


@router.patch(
    "/me",
    response_model=DeviceProfile,
    responses=errors(400, 401),
    openapi_extra={**request_body(DeviceUpdateRequest, form=False), **DEVICE},
)
async def change_me(request: Request, rt: RuntimeDep, info: RequestInfoDep) -> JSONResponse:
    """A new name and/or push address (`{"name"}`, `{"push": {provider, token}}`)."""
    device = await authenticate_device(rt, bearer(request), now=rt.clock.now())
    params = await read_params(request)
    changes = DeviceChanges(
        name=params.text("name", max_length=MAX_NAME), push=params.json_object("push")
    )
    return JSONResponse(await update_device(rt, device, changes, info), headers=NO_STORE)


@router.delete(
    "/me",
    status_code=204,
    response_class=Response,
    responses=errors(401),
    openapi_extra=DEVICE,
)
async def remove_me(request: Request, rt: RuntimeDep, info: RequestInfoDep) -> Response:
    """The device unenrols itself."""
    device = await authenticate_device(rt, bearer(request), now=rt.clock.now())
    await unenrol_device(rt, device, info)
    return Response(status_code=204)


MAX_ANSWER = 4096
"""An ES256 answer JWS is ~400 characters; anything far larger is not one."""


def _sse(event: dict[str, object] | None) -> str:
    """One server-sent event (HTML Living Standard, 9.2): a push, or a keepalive comment."""
    if event is None:
        return ": keepalive\n\n"
    return f"event: push\nid: {event.get('txn')}\ndata: {json.dumps(event)}\n\n"


@router.get("/stream", responses=errors(401))
async def stream(request: Request, rt: RuntimeDep) -> StreamingResponse:
    """Server-sent events: pending pushes first, then live ones, keepalive comments between.
    Authenticated once, when the connection opens (device JWT)."""
    device = await authenticate_device(rt, bearer(request), now=rt.clock.now())

    async def body() -> AsyncIterator[str]:
        yield ": connected\n\n"
        async with aclosing(device_events(rt, device)) as events:
            async for event in events:
                if await request.is_disconnected():
                    return
                yield _sse(event)

    headers = {"cache-control": "no-store", "x-accel-buffering": "no"}
    return StreamingResponse(body(), media_type="text/event-stream", headers=headers)


@router.get("/transactions/{push_id}", responses=errors(401, 404))
async def transaction(push_id: str, request: Request, rt: RuntimeDep) -> JSONResponse:
    """A push's facts, choices, expiry and status (only the device it was sent to)."""
    device = await authenticate_device(rt, bearer(request), now=rt.clock.now())
    return JSONResponse(await transaction_details(rt, device, push_id), headers=NO_STORE)


@router.post("/transactions/{push_id}", responses=errors(400, 401, 403, 404, 409))
async def answer(
    push_id: str, request: Request, rt: RuntimeDep, info: RequestInfoDep
) -> JSONResponse:
    """Approve or deny with `{"answer": "<JWS signed by the device key>"}`."""
    device = await authenticate_device(rt, bearer(request), now=rt.clock.now())
    params = await read_params(request)
    token = params.text("answer", required=True, max_length=MAX_ANSWER) or ""
    body = await answer_push(rt, device, push_id, token, info)
    return JSONResponse(body, headers=NO_STORE)
