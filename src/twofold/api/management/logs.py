"""`/api/v2/logs`: the audit log as Auth0 log events, filtered and paginated."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from twofold.api.deps import RuntimeDep
from twofold.api.management.auth import Caller, require_scope
from twofold.api.schemas.common import errors
from twofold.api.schemas.management import LogOut, LogPage, LogSearch
from twofold.flows import management

router = APIRouter()


@router.get(
    "/logs",
    response_model=list[LogOut] | LogPage,
    responses=errors(400, 401, 403),
)
async def search(
    params: Annotated[LogSearch, Query()],
    rt: RuntimeDep,
    _caller: Annotated[Caller, require_scope("read:logs")],
) -> Any:
    """Filter with `q` (see the parameters); newest first unless `sort=date:1`."""
    found = await management.search_logs(
        rt,
        management.parse_log_query(params.q),
        page=params.page,
        per_page=params.per_page,
        ascending=params.sort == "date:1",
    )
    logs = list(found.items)
    if params.include_totals:
        return management.page_json("logs", found, logs)
    return logs


@router.get("/logs/{log_id}", response_model=LogOut, responses=errors(401, 403, 404))
async def read(
    log_id: str, rt: RuntimeDep, _caller: Annotated[Caller, require_scope("read:logs")]
) -> dict[str, Any]:
    return await management.get_log(rt, log_id)
