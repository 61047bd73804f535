"""Steps of the policy page tests: a rule saved for one person (so no other sign-in of the
shared database matches it; `tenant` removes it afterwards), and the decision's audit."""

from __future__ import annotations

import secrets

from tests.web.mfa_steps import audit_of
from twofold.domain import AuditRecord, JsonObject
from twofold.flows.runtime import Runtime
from twofold.store.repos.policy import StoredRule


async def a_rule(
    rt: Runtime,
    condition: str,
    action: JsonObject,
    *,
    remember: bool | int | None = None,
    name: str | None = None,
) -> str:
    """Save a rule at the end of the list; returns its name."""
    now = rt.clock.now()
    name = name or f"rule {secrets.token_hex(3)}"
    async with rt.store.transaction() as tx:
        await tx.policy_rules.add(
            StoredRule(
                id="rul_" + secrets.token_hex(8),
                position=await tx.policy_rules.next_position(),
                name=name,
                enabled=True,
                condition=condition,
                action=action,
                remember=remember,
                created_at=now,
                updated_at=now,
            )
        )
    return name


def for_person(email: str, condition: str = "true") -> str:
    """A condition that only this person's sign-ins can match."""
    return f'user.email == "{email}" && ({condition})'


async def decisions(rt: Runtime, user_id: str) -> list[AuditRecord]:
    """The hosted login's policy decisions for this user, oldest first."""
    return [
        record
        for record in await audit_of(rt, user_id, "tf_policy")
        if record.details["door"] == "authorize"
    ]
