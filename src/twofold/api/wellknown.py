"""Public, unauthenticated documents: JWKS and health."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from twofold.api.deps import RuntimeDep

router = APIRouter(tags=["Discovery"])


@router.get("/.well-known/jwks.json")
async def jwks(rt: RuntimeDep) -> dict[str, Any]:
    return rt.signing.signer.jwks()


@router.get("/healthz", responses={503: {"description": "database unreachable"}})
async def healthz(rt: RuntimeDep) -> JSONResponse:
    if await rt.store.ping():
        return JSONResponse({"status": "ok"})
    return JSONResponse({"status": "unavailable"}, status_code=503)
