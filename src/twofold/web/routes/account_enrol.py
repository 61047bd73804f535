"""`/u/account/security/add`: My MFA settings adds an authenticator, through the same forms
and posts as the sign-in's `/u/mfa/enroll` (web/enrol_view.py, flows/hosted_mfa.py).

Behind the account gate, so a user who already has a factor has answered it in this session:
a stolen password alone cannot add the thief's authenticator.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from twofold.api.deps import RequestInfoDep, RuntimeDep
from twofold.api.params import Params
from twofold.errors import InvalidRequestError
from twofold.flows import account as flows
from twofold.flows import hosted_mfa, sessions
from twofold.flows.factor_pages import EnrolChoices
from twofold.flows.oob_enrolment import EmailNeedsAnotherFactorError
from twofold.flows.runtime import Runtime
from twofold.web import enrol_view
from twofold.web.account_gate import ACCOUNT_HOME, Account, enter, enter_form
from twofold.web.account_view import account_page, page_context, recovery_code_page
from twofold.web.browser import BrowserSessionDep
from twofold.web.pages import redirect

router = APIRouter(include_in_schema=False)
ADD = f"{ACCOUNT_HOME}/add"
KEY = "factor"


def _factor(request: Request) -> str | None:
    return Params(dict(request.query_params)).text(KEY, max_length=40)


def _add_url(key: str | None) -> str:
    return f"{ADD}?{urlencode({KEY: key})}" if key else ADD


async def _add_page(
    request: Request,
    rt: Runtime,
    account: Account,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> Response:
    found = await flows.overview(rt, account.user_id)
    values = {**page_context(rt.factors, found), "submit_label": "Add authenticator", **context}
    return account_page(request, rt, account, "account_add.html", values, status=status)


async def _choices(rt: Runtime, account: Account) -> EnrolChoices:
    choices = await hosted_mfa.enrol_choices(rt, account.user_id)
    if not choices.offered:
        raise InvalidRequestError("No kind of authenticator can be added on this tenant.")
    return choices


@router.get(ADD)
async def show_add(
    request: Request, rt: RuntimeDep, info: RequestInfoDep, current: BrowserSessionDep
) -> Response:
    key = _factor(request)
    # The sign-in returns to this very page; the key is URL-encoded into a path of ours.
    gate = await enter(rt, request, current, info, return_to=_add_url(key))
    if isinstance(gate, Response):
        return gate
    choices = await _choices(rt, gate)
    offered = {"choices": choices.offered}
    try:
        option = choices.pick(key)
    except EmailNeedsAnotherFactorError as exc:
        refused = offered | {"error": enrol_view.refusal_message(exc)}
        return await _add_page(request, rt, gate, refused, status=403)
    if option is None:
        return await _add_page(request, rt, gate, offered)
    shown = await enrol_view.show(rt, gate.user_id, option, info)
    context = shown.context | {"action": _add_url(option.key)}
    return await _add_page(request, rt, gate, context, status=shown.status)


@router.post(ADD)
async def submit_add(
    request: Request, rt: RuntimeDep, info: RequestInfoDep, current: BrowserSessionDep
) -> Response:
    gate, form = await enter_form(rt, request, current, info)
    if isinstance(gate, Response):
        return gate
    option = (await _choices(rt, gate)).pick(_factor(request))
    if option is None:
        raise InvalidRequestError("This form is incomplete. Start again.")
    outcome = await enrol_view.submit(
        rt, form, option, gate.user_id, info, session_id=gate.current.session.id
    )
    if isinstance(outcome, enrol_view.Shown):
        context = outcome.context | {"action": _add_url(option.key)}
        return await _add_page(request, rt, gate, context, status=outcome.status)
    return await _added(request, rt, gate, outcome)


async def _added(
    request: Request, rt: Runtime, account: Account, passed: hosted_mfa.Passed
) -> Response:
    """The first code proved the new factor: this session now holds MFA (so the gate lets a
    user who had none back in). A first factor brings the recovery code, shown this once."""
    current = await sessions.record_mfa(rt, account.current, passed.amr)
    account = Account(current=current, user_id=account.user_id)
    if passed.recovery_code is None:
        return redirect(f"{ACCOUNT_HOME}?done=added")
    return await recovery_code_page(
        request,
        rt,
        account,
        passed.recovery_code,
        heading="Authenticator added: save your recovery code",
        replaced=False,
    )
