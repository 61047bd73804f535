"""`/api/v2/users/{id}/authentication-methods`: list, read and remove a user's MFA methods."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from twofold.api.deps import RuntimeDep
from twofold.api.management.auth import Caller, require_scope
from twofold.api.schemas.common import errors
from twofold.api.schemas.management import AuthenticationMethodOut, UserIdPath
from twofold.flows import management
from twofold.flows.admin import delete_authentication_method, reset_mfa

router = APIRouter()

MethodId = Annotated[str, Path(description="`totp|dev_...`, URL-encoded as `totp%7Cdev_...`.")]
PATH = "/users/{user_id}/authentication-methods"


@router.get(
    PATH,
    response_model=list[AuthenticationMethodOut],
    response_model_exclude_none=True,
    responses=errors(401, 403, 404),
)
async def list_methods(
    user_id: UserIdPath,
    rt: RuntimeDep,
    _caller: Annotated[Caller, require_scope("read:authentication_methods")],
) -> list[dict[str, Any]]:
    """Unconfirmed enrolments show `"confirmed": false`; the recovery code is `recovery-code`."""
    return [
        management.method_json(item)
        for item in await management.authentication_methods(rt, user_id)
    ]


@router.get(
    PATH + "/{method_id}",
    response_model=AuthenticationMethodOut,
    response_model_exclude_none=True,
    responses=errors(401, 403, 404),
)
async def read_method(
    user_id: UserIdPath,
    method_id: MethodId,
    rt: RuntimeDep,
    _caller: Annotated[Caller, require_scope("read:authentication_methods")],
) -> dict[str, Any]:
    return management.method_json(await management.authentication_method(rt, user_id, method_id))


@router.delete(
    PATH + "/{method_id}",
    status_code=204,
    response_class=Response,
    responses=errors(401, 403, 404),
)
async def delete_method(
    user_id: UserIdPath,
    method_id: MethodId,
    rt: RuntimeDep,
    caller: Annotated[Caller, require_scope("delete:authentication_methods")],
) -> Response:
    item = await management.authentication_method(rt, user_id, method_id)
    await delete_authentication_method(rt, item.user_id, item.id, actor=caller.subject)
    return Response(status_code=204)


@router.delete(PATH, status_code=204, response_class=Response, responses=errors(401, 403, 404))
async def delete_all(
    user_id: UserIdPath,
    rt: RuntimeDep,
    caller: Annotated[Caller, require_scope("delete:authentication_methods")],
) -> Response:
    """The admin reset (same as `DELETE /users/{id}/authenticators`): every authenticator, the
    recovery code and every open MFA transaction are removed in one transaction."""
    user = await management.get_user(rt, user_id)
    await reset_mfa(rt, user.id, actor=caller.subject)
    return Response(status_code=204)
