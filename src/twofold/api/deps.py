"""Annotated dependencies so route signatures read as sentences."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from twofold.flows.runtime import RequestInfo, Runtime


def runtime_of(request: Request) -> Runtime:
    """The runtime the composition root attached to the app (for code outside routes)."""
    runtime: Runtime = request.app.state.runtime
    return runtime


# The dependencies are `async def` although they never await: FastAPI runs a plain `def`
# dependency in its thread pool, and those two hand-offs per request were ~16 % of the
# server's CPU (docs/performance.md).
async def get_runtime(request: Request) -> Runtime:
    return runtime_of(request)


async def get_request_info(request: Request) -> RequestInfo:
    user_agent = request.headers.get("user-agent")
    return RequestInfo(
        ip=request.client.host if request.client else None,
        user_agent=user_agent[:500] if user_agent else None,
    )


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
RequestInfoDep = Annotated[RequestInfo, Depends(get_request_info)]
