"""`/api/v2/user-blocks/{id}`: first-factor brute-force blocks, listed and lifted."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response

from twofold.api.deps import RuntimeDep
from twofold.api.management.auth import Caller, require_scope
from twofold.api.schemas.common import errors
from twofold.api.schemas.management import UserBlocksOut, UserIdPath
from twofold.flows import management
from twofold.flows.admin import unblock_user

router = APIRouter()


@router.get("/user-blocks/{user_id}", response_model=UserBlocksOut, responses=errors(401, 403, 404))
async def blocks(
    user_id: UserIdPath, rt: RuntimeDep, _caller: Annotated[Caller, require_scope("read:users")]
) -> dict[str, Any]:
    """Each (email, IP) pair blocked after too many wrong passwords."""
    return {"blocked_for": await management.user_blocks(rt, user_id)}


@router.delete(
    "/user-blocks/{user_id}",
    status_code=204,
    response_class=Response,
    responses=errors(401, 403, 404),
)
async def unblock(
    user_id: UserIdPath, rt: RuntimeDep, caller: Annotated[Caller, require_scope("update:users")]
) -> Response:
    """Lift every first-factor block of the user (from any IP) and their factor buckets."""
    user = await management.get_user(rt, user_id)
    await unblock_user(rt, user.id, actor=caller.subject)
    return Response(status_code=204)
