"""`/api/v2/users`: create, search and read users; their MFA recovery and reset actions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from twofold.api.deps import RuntimeDep
from twofold.api.management.auth import Caller, require_scope
from twofold.api.schemas.common import errors
from twofold.api.schemas.management import (
    TEXT_PATTERN,
    RecoveryCodeOut,
    UserCreate,
    UserIdPath,
    UserOut,
    UserPage,
    UserSearch,
)
from twofold.flows import management
from twofold.flows.admin import regenerate_recovery_code, reset_mfa
from twofold.flows.users import NewUser, create_user

router = APIRouter()

NO_STORE = {"cache-control": "no-store"}


@router.post(
    "/users",
    status_code=201,
    response_model=UserOut,
    responses=errors(400, 401, 403, 409),
)
async def create(
    body: UserCreate, rt: RuntimeDep, caller: Annotated[Caller, require_scope("create:users")]
) -> dict[str, Any]:
    """Create a user in the `Username-Password-Authentication` store (409 if the email exists)."""
    management.plain_text(body.email, "email")
    management.plain_text(body.name or "", "name")
    management.unicode_text(body.password, "password")
    user = await create_user(
        rt,
        NewUser(
            email=body.email,
            password=body.password,
            name=body.name,
            email_verified=bool(body.email_verified),
            app_metadata=management.metadata(body.app_metadata, "app_metadata"),
            user_metadata=management.metadata(body.user_metadata, "user_metadata"),
        ),
        actor=caller.subject,
    )
    return management.user_json(user)


@router.get(
    "/users",
    response_model=list[UserOut] | UserPage,
    responses=errors(400, 401, 403),
)
async def search(
    params: Annotated[UserSearch, Query()],
    rt: RuntimeDep,
    _caller: Annotated[Caller, require_scope("read:users")],
) -> Any:
    """Search by email or name (see the parameters); `include_totals` wraps the page."""
    found = await management.search_users(rt, params.q, page=params.page, per_page=params.per_page)
    users = [management.user_json(user) for user in found.items]
    if params.include_totals:
        return management.page_json("users", found, users)
    return users


@router.get("/users/{user_id}", response_model=UserOut, responses=errors(401, 403, 404))
async def read(
    user_id: UserIdPath, rt: RuntimeDep, _caller: Annotated[Caller, require_scope("read:users")]
) -> dict[str, Any]:
    return management.user_json(await management.get_user(rt, user_id))


@router.get("/users-by-email", response_model=list[UserOut], responses=errors(400, 401, 403))
async def by_email(
    email: Annotated[str, Query(min_length=1, max_length=320, pattern=TEXT_PATTERN)],
    rt: RuntimeDep,
    _caller: Annotated[Caller, require_scope("read:users")],
) -> list[dict[str, Any]]:
    """An array with the user whose email this is (case-insensitive), or an empty one."""
    return [management.user_json(user) for user in await management.users_by_email(rt, email)]


@router.post(
    "/users/{user_id}/recovery-code-regeneration",
    response_model=RecoveryCodeOut,
    responses=errors(401, 403, 404),
)
async def regenerate(
    user_id: UserIdPath, rt: RuntimeDep, caller: Annotated[Caller, require_scope("update:users")]
) -> JSONResponse:
    """Replace the user's recovery code; the new one is shown only in this response."""
    user = await management.get_user(rt, user_id)
    code = await regenerate_recovery_code(rt, user.id, actor=caller.subject)
    return JSONResponse({"recovery_code": code}, headers=NO_STORE)


@router.post(
    "/users/{user_id}/multifactor/actions/invalidate-remember-browser",
    status_code=204,
    response_class=Response,
    responses=errors(401, 403, 404),
)
async def invalidate_remember_browser(
    user_id: UserIdPath, rt: RuntimeDep, caller: Annotated[Caller, require_scope("update:users")]
) -> Response:
    """Twofold does not remember browsers yet, so there is nothing to forget: a valid,
    audited no-op kept for Auth0 compatibility."""
    await management.invalidate_remember_browser(rt, user_id, actor=caller.subject)
    return Response(status_code=204)


@router.delete(
    "/users/{user_id}/authenticators",
    status_code=204,
    response_class=Response,
    responses=errors(401, 403, 404),
)
async def reset(
    user_id: UserIdPath,
    rt: RuntimeDep,
    caller: Annotated[Caller, require_scope("delete:guardian_enrollments")],
) -> Response:
    """The admin reset: every authenticator, the recovery code and open MFA transactions go."""
    user = await management.get_user(rt, user_id)
    await reset_mfa(rt, user.id, actor=caller.subject)
    return Response(status_code=204)
