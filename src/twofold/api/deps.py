"""Annotated dependencies so route signatures read as sentences."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from twofold.flows.runtime import RequestInfo, Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_request_info(request: Request) -> RequestInfo:
    user_agent = request.headers.get("user-agent")
    return RequestInfo(
        ip=request.client.host if request.client else None,
        user_agent=user_agent[:500] if user_agent else None,
    )


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
RequestInfoDep = Annotated[RequestInfo, Depends(get_request_info)]
