"""`/u/account/security`: My MFA settings. Every route passes the account gate first; posts
change one thing through `flows.account` and answer 303 back to the page (with a notice
named by key), or the page holding a one-time value (a new recovery code)."""

from __future__ import annotations

from collections.abc import Awaitable

from fastapi import APIRouter, Request
from starlette.responses import Response

from twofold.api.deps import RequestInfoDep, RuntimeDep
from twofold.api.errors import status_of
from twofold.errors import InvalidRequestError
from twofold.flows import account as flows
from twofold.flows.runtime import Runtime
from twofold.web.account_gate import ACCOUNT_HOME, Account, enter, enter_form
from twofold.web.account_view import NOTICES, account_page, page_context, recovery_code_page
from twofold.web.browser import BrowserSessionDep
from twofold.web.pages import redirect

router = APIRouter(include_in_schema=False)


async def settings_page(
    request: Request,
    rt: Runtime,
    account: Account,
    *,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    found = await flows.overview(rt, account.user_id)
    context = {**page_context(rt.factors, found), "notice": notice, "error": error}
    return account_page(request, rt, account, "account_security.html", context, status=status)


async def _change(
    request: Request, rt: Runtime, account: Account, action: Awaitable[object], *, done: str
) -> Response:
    """Run one change; a refusal the user can fix is shown on the page, with its status.

    Not found stays an error page (404): it only happens to a forged or stale form.
    """
    try:
        await action
    except InvalidRequestError as exc:
        return await settings_page(request, rt, account, error=exc.description, status=400)
    except flows.LastFactorError as exc:
        return await settings_page(
            request, rt, account, error=exc.description, status=status_of(exc)
        )
    return redirect(f"{ACCOUNT_HOME}?done={done}")


@router.get(ACCOUNT_HOME)
async def show_settings(
    request: Request, rt: RuntimeDep, info: RequestInfoDep, current: BrowserSessionDep
) -> Response:
    gate = await enter(rt, request, current, info)
    if isinstance(gate, Response):
        return gate
    notice = NOTICES.get(request.query_params.get("done") or "")
    return await settings_page(request, rt, gate, notice=notice)


@router.post(f"{ACCOUNT_HOME}/rename")
async def rename_authenticator(
    request: Request, rt: RuntimeDep, info: RequestInfoDep, current: BrowserSessionDep
) -> Response:
    gate, form = await enter_form(rt, request, current, info)
    if isinstance(gate, Response):
        return gate
    authenticator_id = form.text("authenticator_id", required=True, max_length=200) or ""
    name = form.text("name", max_length=1000)
    action = flows.rename(rt, gate.user_id, authenticator_id, name, info)
    return await _change(request, rt, gate, action, done="renamed")


@router.post(f"{ACCOUNT_HOME}/remove")
async def remove_authenticator(
    request: Request, rt: RuntimeDep, info: RequestInfoDep, current: BrowserSessionDep
) -> Response:
    gate, form = await enter_form(rt, request, current, info)
    if isinstance(gate, Response):
        return gate
    authenticator_id = form.text("authenticator_id", required=True, max_length=200) or ""
    action = flows.remove(rt, gate.user_id, authenticator_id, info)
    return await _change(request, rt, gate, action, done="removed")


@router.post(f"{ACCOUNT_HOME}/recovery-code")
async def regenerate_recovery_code(
    request: Request, rt: RuntimeDep, info: RequestInfoDep, current: BrowserSessionDep
) -> Response:
    gate, _ = await enter_form(rt, request, current, info)
    if isinstance(gate, Response):
        return gate
    try:
        code = await flows.regenerate_recovery_code(rt, gate.user_id)
    except InvalidRequestError as exc:
        return await settings_page(request, rt, gate, error=exc.description, status=400)
    return await recovery_code_page(
        request, rt, gate, code, heading="Your new recovery code", replaced=True
    )


@router.post(f"{ACCOUNT_HOME}/browsers/forget")
async def forget_browser(
    request: Request, rt: RuntimeDep, info: RequestInfoDep, current: BrowserSessionDep
) -> Response:
    gate, form = await enter_form(rt, request, current, info)
    if isinstance(gate, Response):
        return gate
    remembered_id = form.text("remembered_id", required=True, max_length=100) or ""
    action = flows.forget_browser(rt, gate.user_id, remembered_id, info)
    return await _change(request, rt, gate, action, done="forgotten")


@router.post(f"{ACCOUNT_HOME}/browsers/forget-all")
async def forget_all_browsers(
    request: Request, rt: RuntimeDep, info: RequestInfoDep, current: BrowserSessionDep
) -> Response:
    gate, _ = await enter_form(rt, request, current, info)
    if isinstance(gate, Response):
        return gate
    action = flows.forget_all_browsers(rt, gate.user_id, info)
    return await _change(request, rt, gate, action, done="forgotten-all")
