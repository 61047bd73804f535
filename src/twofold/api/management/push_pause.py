"""`/api/v2/users/{id}/push-pause`: lifting a user's push pause after an administrator looked
(a fraud report pauses pushes until then; repeated rejections, for a while)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from twofold.api.deps import RuntimeDep
from twofold.api.management.auth import Caller, require_scope
from twofold.api.schemas.common import errors
from twofold.api.schemas.management import UserIdPath
from twofold.flows import management
from twofold.flows.push_limits import clear_pause

router = APIRouter()


@router.delete(
    "/users/{user_id}/push-pause",
    status_code=204,
    response_class=Response,
    responses=errors(401, 403, 404),
)
async def clear_push_pause(
    user_id: UserIdPath, rt: RuntimeDep, caller: Annotated[Caller, require_scope("update:users")]
) -> Response:
    """Pushes work again for the user (audited as `gd_push_pause_cleared`); 204 whether or
    not a pause was on."""
    user = await management.get_user(rt, user_id)
    await clear_pause(rt, user.id, actor=caller.subject)
    return Response(status_code=204)
