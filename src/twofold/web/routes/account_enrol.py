"""`/u/account/security/add`: My MFA settings adds an authenticator, through the same
enrolment calls and factor partials as the sign-in's `/u/mfa/enroll` (flows/hosted_mfa.py).

Behind the account gate, so a user who already has a factor has answered it in this session:
a stolen password alone cannot add the thief's authenticator.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from twofold.api.deps import RequestInfoDep, RuntimeDep
from twofold.api.params import Params
from twofold.errors import InvalidGrantError, InvalidRequestError, TooManyAttemptsError
from twofold.flows import account as flows
from twofold.flows import hosted_mfa, sessions
from twofold.flows.runtime import Runtime
from twofold.types import FactorType
from twofold.web.account_gate import ACCOUNT_HOME, Account, enter, enter_form
from twofold.web.account_view import account_page, page_context, recovery_code_page
from twofold.web.browser import BrowserSessionDep
from twofold.web.mfa_view import INVALID_CODE, MISSING_CODE, locked_message
from twofold.web.pages import redirect

router = APIRouter(include_in_schema=False)
ADD = f"{ACCOUNT_HOME}/add"


def _chosen(request: Request, kinds: list[FactorType]) -> FactorType | None:
    """`?factor=`, or the only factor that can be added; None when there is a choice."""
    factor = Params(dict(request.query_params)).text("factor", max_length=40)
    if factor is None:
        return kinds[0] if len(kinds) == 1 else None
    if factor not in [kind.value for kind in kinds]:
        raise InvalidRequestError("This kind of authenticator cannot be added on this tenant.")
    return FactorType(factor)


async def _kinds(rt: Runtime) -> list[FactorType]:
    kinds = await hosted_mfa.enrollable_factors(rt)
    if not kinds:
        raise InvalidRequestError("No kind of authenticator can be added on this tenant.")
    return kinds


async def _add_page(
    request: Request,
    rt: Runtime,
    account: Account,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> Response:
    found = await flows.overview(rt, account.user_id)
    values = {**page_context(rt.factors, found), **context}
    return account_page(request, rt, account, "account_add.html", values, status=status)


def _choices(rt: Runtime, kinds: list[FactorType]) -> list[dict[str, str]]:
    return [
        {
            "type": kind.value,
            "label": rt.factors[kind].page.label,
            "description": rt.factors[kind].page.description,
        }
        for kind in kinds
    ]


@router.get(ADD)
async def show_add(
    request: Request, rt: RuntimeDep, info: RequestInfoDep, current: BrowserSessionDep
) -> Response:
    kinds = await _kinds(rt)
    kind = _chosen(request, kinds)
    # The sign-in returns to this very page; the path is built from a checked factor name.
    return_to = f"{ADD}?factor={kind.value}" if kind else ADD
    gate = await enter(rt, request, current, info, return_to=return_to)
    if isinstance(gate, Response):
        return gate
    if kind is None:
        return await _add_page(request, rt, gate, {"choices": _choices(rt, kinds)})
    enrolment = await hosted_mfa.start_enrolment(rt, gate.user_id, kind, info)
    context = {"enrolment": enrolment, "page": rt.factors[kind].page}
    return await _add_page(request, rt, gate, context)


@router.post(ADD)
async def confirm_add(
    request: Request, rt: RuntimeDep, info: RequestInfoDep, current: BrowserSessionDep
) -> Response:
    gate, form = await enter_form(rt, request, current, info)
    if isinstance(gate, Response):
        return gate
    kind = _chosen(request, await _kinds(rt))
    authenticator_id = form.text("authenticator_id", max_length=100)
    if kind is None or authenticator_id is None:
        raise InvalidRequestError("This form is incomplete. Start again.")
    code = form.text("code", max_length=100)
    error, status = MISSING_CODE, 400
    if code:
        try:
            passed = await hosted_mfa.confirm_enrolment(
                rt, gate.user_id, kind, authenticator_id, code, info
            )
        except InvalidGrantError:
            error = INVALID_CODE
        except TooManyAttemptsError as exc:
            error, status = locked_message(exc.retry_at, rt.clock.now()), 429
        else:
            return await _added(request, rt, gate, passed)
    # The same pending secret again: the user's app may already hold it.
    pending = await hosted_mfa.pending_enrolment(rt, gate.user_id, kind, authenticator_id)
    context = {"enrolment": pending, "page": rt.factors[kind].page, "error": error}
    return await _add_page(request, rt, gate, context, status=status)


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
