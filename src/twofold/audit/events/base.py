"""What audit events share: the `AuditEvent` protocol, outcomes, and the request facts most
authentication events carry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from twofold.domain import AuditEntry, JsonObject

Outcome = Literal["success", "failure", "info"]


class AuditEvent(Protocol):
    def entry(self) -> AuditEntry:
        """What the store chains and writes."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestFacts:
    """Who asked, from where: the facts most authentication events share."""

    user_id: str | None
    client_id: str | None
    ip: str | None
    user_agent: str | None

    def _entry(
        self,
        type_: str,
        description: str,
        outcome: Outcome,
        details: JsonObject,
        *,
        actor: str | None = None,
    ) -> AuditEntry:
        return AuditEntry(
            type=type_,
            description=description,
            outcome=outcome,
            user_id=self.user_id,
            client_id=self.client_id,
            actor=actor,
            ip=self.ip,
            user_agent=self.user_agent,
            details=details,
        )


def admin_entry(
    type_: str, description: str, *, actor: str, user_id: str | None, details: JsonObject
) -> AuditEntry:
    return AuditEntry(
        type=type_,
        description=description,
        outcome="success",
        user_id=user_id,
        actor=actor,
        details=details,
    )
