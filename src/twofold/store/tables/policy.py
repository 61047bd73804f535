"""Policy rules (ADR 009): evaluated in `position` order before the tenant policy.

The condition is stored as its CEL source and compiled again when read: a compiled program
is not data, and recompiling also re-applies the sandbox's current checks.
"""

from sqlalchemy import JSON, Boolean, Column, Integer, String, Table, Text

from twofold.store.tables.base import UtcDateTime, metadata

policy_rules = Table(
    "policy_rules",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("name", String(100), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("condition", Text, nullable=False),
    Column("action", JSON, nullable=False),
    Column("remember", JSON, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
