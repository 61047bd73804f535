"""`/api/v2/mfa/policy/rules`: the policy rules tried, in order, before the tenant policy;
`/api/v2/mfa/policy/evaluate`: the decision a hypothetical login gets, and why.

Scopes as for `/guardian/policies`: `read:mfa_policies` to read, `update:mfa_policies` for
every change. A rule is compiled when saved; a refusal is a 400 naming line and column.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from twofold.api.deps import RuntimeDep
from twofold.api.management.auth import Caller, require_scope
from twofold.api.schemas.common import errors
from twofold.api.schemas.policy_rules import (
    ActionIn,
    Explanation,
    PolicyEvaluate,
    RuleCreate,
    RuleOrder,
    RuleOut,
    RuleUpdate,
)
from twofold.flows import policy_explain, policy_rules
from twofold.policy.rules import Action

router = APIRouter(prefix="/mfa/policy")

RuleIdPath = Annotated[str, Path(description="A rule's id, `rul_...`; any other is a 404.")]
Reader = Annotated[Caller, require_scope("read:mfa_policies")]
Writer = Annotated[Caller, require_scope("update:mfa_policies")]


def _action(body: ActionIn) -> Action:
    return policy_rules.action_of(body.type, list(body.factors), body.max_age)


@router.get("/rules", response_model=list[RuleOut], responses=errors(401, 403))
async def list_rules(rt: RuntimeDep, _caller: Reader) -> list[dict[str, Any]]:
    """Every rule in evaluation order: the first enabled rule whose condition holds decides."""
    return await policy_rules.list_rules(rt)


@router.post("/rules", status_code=201, response_model=RuleOut, responses=errors(400, 401, 403))
async def create_rule(body: RuleCreate, rt: RuntimeDep, caller: Writer) -> dict[str, Any]:
    """Add a rule after the last one (audited). At most 200 rules."""
    return await policy_rules.create_rule(
        rt,
        name=body.name,
        enabled=body.enabled,
        condition=body.condition,
        action=_action(body.action),
        remember=body.remember_browser,
        actor=caller.subject,
    )


@router.put("/rules/order", response_model=list[RuleOut], responses=errors(400, 401, 403))
async def reorder_rules(body: RuleOrder, rt: RuntimeDep, caller: Writer) -> list[dict[str, Any]]:
    """Put the rules in the order of `ids`, which names every rule once (audited)."""
    return await policy_rules.reorder_rules(rt, list(body.ids), actor=caller.subject)


@router.get("/rules/{rule_id}", response_model=RuleOut, responses=errors(401, 403, 404))
async def get_rule(rule_id: RuleIdPath, rt: RuntimeDep, _caller: Reader) -> dict[str, Any]:
    return await policy_rules.get_rule(rt, rule_id)


@router.patch("/rules/{rule_id}", response_model=RuleOut, responses=errors(400, 401, 403, 404))
async def update_rule(
    rule_id: RuleIdPath, body: RuleUpdate, rt: RuntimeDep, caller: Writer
) -> dict[str, Any]:
    """Change the members named (audited); the rule is compiled again before it is saved."""
    change = policy_rules.RuleUpdate(
        name=body.name,
        enabled=body.enabled,
        condition=body.condition,
        action=None if body.action is None else _action(body.action),
        remember_browser=body.remember_browser,
        sets_remember="remember_browser" in body.model_fields_set,
    )
    return await policy_rules.update_rule(rt, rule_id, change, actor=caller.subject)


@router.delete(
    "/rules/{rule_id}", status_code=204, response_class=Response, responses=errors(401, 403, 404)
)
async def delete_rule(rule_id: RuleIdPath, rt: RuntimeDep, caller: Writer) -> Response:
    """Remove a rule (audited); the others keep their order."""
    await policy_rules.delete_rule(rt, rule_id, actor=caller.subject)
    return Response(status_code=204)


@router.post("/evaluate", response_model=Explanation, responses=errors(400, 401, 403, 404))
async def evaluate_policy(body: PolicyEvaluate, rt: RuntimeDep, _caller: Reader) -> dict[str, Any]:
    """The decision a hypothetical login gets from the current rules and tenant policy, with
    the trace a real login writes to its `tf_policy` log event. Records nothing."""
    return await policy_explain.explain(rt, _hypothetical(body))


def _hypothetical(body: PolicyEvaluate) -> policy_explain.Hypothetical:
    user = body.user
    last = body.last_login
    return policy_explain.Hypothetical(
        ip=body.ip,
        user_id=body.user_id,
        user=None
        if user is None
        else policy_explain.MadeUpUser(
            email=user.email,
            roles=tuple(user.roles),
            app_metadata=user.app_metadata,
            user_metadata=user.user_metadata,
            enrolled=tuple(user.enrolled),
        ),
        client_id=body.client_id,
        time=body.time,
        user_agent=body.user_agent,
        device_cookie=body.device_cookie,
        last_login=None if last is None else policy_explain.PreviousLogin(last.ip, last.time),
        failed_logins_from_ip=body.failed_logins_from_ip,
    )
