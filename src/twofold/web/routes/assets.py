"""The tenant's colour as a style sheet: the CSP forbids inline styles, so branding that
changes at run time is served from here rather than written into each page."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from twofold.api.deps import RuntimeDep

router = APIRouter(include_in_schema=False)


@router.get("/u/branding.css")
async def branding_css(rt: RuntimeDep) -> Response:
    # The colour is validated as #rrggbb by the settings model, so it cannot break out.
    colour = rt.settings.branding.primary_color
    body = f":root {{ --primary: {colour}; }}\n"
    return Response(body, media_type="text/css", headers={"cache-control": "max-age=300"})
