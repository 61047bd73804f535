"""`/api/v2/clients`: register, list, read, change and delete applications; rotate secrets."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from twofold.api.deps import RuntimeDep
from twofold.api.management.auth import Caller, require_scope
from twofold.api.schemas.clients import (
    ClientCreate,
    ClientIdPath,
    ClientOut,
    ClientPage,
    ClientSearch,
    ClientUpdate,
    ClientWithSecret,
)
from twofold.api.schemas.common import errors
from twofold.flows import clients, management
from twofold.flows.clients import ApplicationChanges, NewApplication

router = APIRouter()


def _with_secret(new: NewApplication, response: Response) -> dict[str, Any]:
    """The one answer that holds a secret: never to be cached."""
    response.headers["cache-control"] = "no-store"
    return {**clients.client_json(new.application), "client_secret": new.client_secret}


@router.post(
    "/clients",
    status_code=201,
    response_model=ClientWithSecret,
    responses=errors(400, 401, 403),
)
async def create(
    body: ClientCreate,
    rt: RuntimeDep,
    response: Response,
    caller: Annotated[Caller, require_scope("create:clients")],
) -> dict[str, Any]:
    """Register an application; its `client_secret` is in this answer only (`null` for spa
    and native, which are public)."""
    new = await clients.create_application(
        rt,
        name=body.name,
        app_type=body.app_type,
        callbacks=body.callbacks,
        allowed_logout_urls=body.allowed_logout_urls,
        grant_types=body.grant_types,
        actor=caller.subject,
    )
    return _with_secret(new, response)


@router.get(
    "/clients",
    response_model=list[ClientOut] | ClientPage,
    responses=errors(400, 401, 403),
)
async def search(
    params: Annotated[ClientSearch, Query()],
    rt: RuntimeDep,
    _caller: Annotated[Caller, require_scope("read:clients")],
) -> Any:
    """Every application, oldest first; `include_totals` wraps the page."""
    found = await clients.list_applications(rt, page=params.page, per_page=params.per_page)
    items = [clients.client_json(application) for application in found.items]
    if params.include_totals:
        return management.page_json("clients", found, items)
    return items


@router.get("/clients/{client_id}", response_model=ClientOut, responses=errors(401, 403, 404))
async def read(
    client_id: ClientIdPath,
    rt: RuntimeDep,
    _caller: Annotated[Caller, require_scope("read:clients")],
) -> dict[str, Any]:
    return clients.client_json(await clients.get_application(rt, client_id))


@router.patch(
    "/clients/{client_id}", response_model=ClientOut, responses=errors(400, 401, 403, 404)
)
async def update(
    client_id: ClientIdPath,
    body: ClientUpdate,
    rt: RuntimeDep,
    caller: Annotated[Caller, require_scope("update:clients")],
) -> dict[str, Any]:
    """Change the members given (audited); `app_type` only between regular_web and
    non_interactive."""
    changes = ApplicationChanges(
        name=body.name,
        app_type=body.app_type,
        callbacks=body.callbacks,
        allowed_logout_urls=body.allowed_logout_urls,
        grant_types=body.grant_types,
    )
    application = await clients.update_application(rt, client_id, changes, actor=caller.subject)
    return clients.client_json(application)


@router.delete(
    "/clients/{client_id}",
    status_code=204,
    response_class=Response,
    responses=errors(401, 403, 404),
)
async def delete(
    client_id: ClientIdPath,
    rt: RuntimeDep,
    caller: Annotated[Caller, require_scope("delete:clients")],
) -> Response:
    """The application's secret and refresh tokens stop working at once (audited)."""
    await clients.delete_application(rt, client_id, actor=caller.subject)
    return Response(status_code=204)


@router.post(
    "/clients/{client_id}/rotate-secret",
    response_model=ClientWithSecret,
    responses=errors(400, 401, 403, 404),
)
async def rotate(
    client_id: ClientIdPath,
    rt: RuntimeDep,
    response: Response,
    caller: Annotated[Caller, require_scope("update:clients")],
) -> dict[str, Any]:
    """A new `client_secret`, shown only here; the old one stops working at once. A public
    application (spa, native) has none: 400."""
    return _with_secret(await clients.rotate_secret(rt, client_id, actor=caller.subject), response)
