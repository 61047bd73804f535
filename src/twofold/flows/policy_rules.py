"""Policy rules managed at run time (ADR 009): create, list, update, reorder, delete.

Every rule is compiled when saved (`policy.rules.compile_rule`), so a condition that does not
compile, or reaches outside the sandbox, is refused then with its line and column, never
found out at a login. Every change is audited as a tenant setting change.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace

from twofold.audit import events
from twofold.domain import JsonObject
from twofold.errors import InvalidRequestError, InvalidRuleError, NotFoundError
from twofold.flows.management import plain_text, timestamp, unicode_text
from twofold.flows.runtime import Runtime
from twofold.policy.rules import Action, ActionKind, Remember, compile_rule
from twofold.store.repos.policy import StoredRule
from twofold.types import FactorType

MAX_RULES = 200
"""Every rule is tried at each login until one matches: the cap bounds a decision's cost."""
_CONDITION_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
"""Line breaks and tabs are layout in CEL; other control characters no store keeps."""


_RULE_ID = re.compile(r"^rul_[0-9a-f]{24}$")


def new_rule_id() -> str:
    return "rul_" + secrets.token_hex(12)


def _known_shape(rule_id: str) -> str:
    """An id no rule can have is not looked up (PostgreSQL refuses a NUL in a query
    parameter): it does not exist."""
    if not _RULE_ID.match(rule_id):
        raise NotFoundError("The policy rule does not exist.")
    return rule_id


def action_of(kind: str, factors: list[str], max_age: int | None) -> Action:
    """The action from its JSON members, refusing unknown names (the API checks them too)."""
    try:
        return Action(ActionKind(kind), tuple(FactorType(name) for name in factors), max_age)
    except ValueError as exc:
        raise InvalidRuleError("unknown action type or factor") from exc


def rule_json(rule: StoredRule) -> JsonObject:
    return {
        "id": rule.id,
        "name": rule.name,
        "enabled": rule.enabled,
        "condition": rule.condition,
        "action": {
            "type": rule.action["type"],
            "factors": list(rule.action.get("factors", [])),
            "max_age": rule.action.get("max_age"),
        },
        "remember_browser": rule.remember,
        "position": rule.position,
        "created_at": timestamp(rule.created_at),
        "updated_at": timestamp(rule.updated_at),
    }


def _checked(
    *, name: str, enabled: bool, condition: str, action: Action, remember: Remember
) -> tuple[str, str, JsonObject]:
    """Compile the rule (refusing it with line and column) and return what is stored."""
    plain_text(unicode_text(name, "name"), "name")
    if _CONDITION_CONTROL.search(condition):
        raise InvalidRuleError("condition must not contain control characters")
    compile_rule(
        name=name, enabled=enabled, condition=condition, action=action, remember_browser=remember
    )
    stored_action: JsonObject = {
        "type": action.kind.value,
        "factors": [factor.value for factor in action.factors],
        "max_age": action.max_age,
    }
    return name, condition, stored_action


async def list_rules(rt: Runtime) -> list[JsonObject]:
    """Every rule in evaluation order (the first enabled one that matches decides)."""
    async with rt.store.read() as tx:
        return [rule_json(rule) for rule in await tx.policy_rules.in_order()]


async def get_rule(rt: Runtime, rule_id: str) -> JsonObject:
    async with rt.store.read() as tx:
        rule = await tx.policy_rules.get(_known_shape(rule_id))
    if rule is None:
        raise NotFoundError("The policy rule does not exist.")
    return rule_json(rule)


async def create_rule(
    rt: Runtime,
    *,
    name: str,
    enabled: bool,
    condition: str,
    action: Action,
    remember: Remember,
    actor: str,
) -> JsonObject:
    """Save a new rule after the last one (audited); refused past `MAX_RULES`."""
    name, condition, stored_action = _checked(
        name=name, enabled=enabled, condition=condition, action=action, remember=remember
    )
    now = rt.clock.now()
    async with rt.store.transaction() as tx:
        if await tx.policy_rules.count() >= MAX_RULES:
            raise InvalidRequestError(f"A tenant has at most {MAX_RULES} policy rules.")
        rule = StoredRule(
            id=new_rule_id(),
            position=await tx.policy_rules.next_position(),
            name=name,
            enabled=enabled,
            condition=condition,
            action=stored_action,
            remember=remember,
            created_at=now,
            updated_at=now,
        )
        await tx.policy_rules.add(rule)
        body = rule_json(rule)
        tx.record(
            events.PolicyRuleChanged(
                actor=actor, change="created", rule_id=rule.id, rule=body
            ).entry()
        )
    return body


@dataclass(frozen=True, slots=True)
class RuleUpdate:
    """The members a PATCH names; None leaves one as it is. `remember_browser` may be set to
    None (the tenant's default), so `sets_remember` says whether it was named."""

    name: str | None = None
    enabled: bool | None = None
    condition: str | None = None
    action: Action | None = None
    remember_browser: Remember = None
    sets_remember: bool = False


async def update_rule(rt: Runtime, rule_id: str, change: RuleUpdate, *, actor: str) -> JsonObject:
    """Change some members; the whole rule is compiled again before it is saved (audited)."""
    async with rt.store.transaction() as tx:
        current = await tx.policy_rules.get(_known_shape(rule_id))
        if current is None:
            raise NotFoundError("The policy rule does not exist.")
        action = change.action or action_of(
            current.action["type"],
            list(current.action.get("factors", [])),
            current.action.get("max_age"),
        )
        remember = change.remember_browser if change.sets_remember else current.remember
        enabled = current.enabled if change.enabled is None else change.enabled
        name, condition, stored_action = _checked(
            name=current.name if change.name is None else change.name,
            enabled=enabled,
            condition=current.condition if change.condition is None else change.condition,
            action=action,
            remember=remember,
        )
        rule = replace(
            current,
            name=name,
            enabled=enabled,
            condition=condition,
            action=stored_action,
            remember=remember,
            updated_at=rt.clock.now(),
        )
        await tx.policy_rules.replace(rule)
        body = rule_json(rule)
        tx.record(
            events.PolicyRuleChanged(
                actor=actor, change="updated", rule_id=rule.id, rule=body
            ).entry()
        )
    return body


async def reorder_rules(rt: Runtime, ids: list[str], *, actor: str) -> list[JsonObject]:
    """Give the rules the order of `ids`, which must name every rule exactly once (audited):
    a partial list would leave the others' place to chance."""
    async with rt.store.transaction() as tx:
        existing = {rule.id for rule in await tx.policy_rules.in_order()}
        if len(set(ids)) != len(ids):
            raise InvalidRequestError("ids must not repeat a rule.")
        if set(ids) != existing:
            unknown = len(set(ids) - existing)
            missing = len(existing - set(ids))
            raise InvalidRequestError(
                f"ids must list every policy rule once ({unknown} unknown, {missing} missing)."
            )
        await tx.policy_rules.set_positions(ids, now=rt.clock.now())
        tx.record(
            events.PolicyRuleChanged(
                actor=actor, change="reordered", rule_id=None, order=tuple(ids)
            ).entry()
        )
        return [rule_json(rule) for rule in await tx.policy_rules.in_order()]


async def delete_rule(rt: Runtime, rule_id: str, *, actor: str) -> None:
    async with rt.store.transaction() as tx:
        if not await tx.policy_rules.delete(_known_shape(rule_id)):
            raise NotFoundError("The policy rule does not exist.")
        tx.record(events.PolicyRuleChanged(actor=actor, change="deleted", rule_id=rule_id).entry())
