"""Audit events in N parallel hash chains; `audit_heads` holds each chain's last link."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from twofold.store.tables.base import UtcDateTime, metadata

audit_events = Table(
    "audit_events",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("chain", Integer, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("type", String(64), nullable=False),
    Column("description", String(500), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("user_id", String(64), nullable=True),
    Column("client_id", String(64), nullable=True),
    Column("actor", String(200), nullable=True),
    Column("ip", String(64), nullable=True),
    Column("user_agent", String(500), nullable=True),
    Column("details", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("chain", "seq", name="uq_audit_events_chain_seq"),
    Index("ix_audit_events_user_id", "user_id"),
    Index("ix_audit_events_occurred_at", "occurred_at"),
    Index("ix_audit_events_type", "type"),
    Index("ix_audit_events_ip_type_occurred_at", "ip", "type", "occurred_at"),
)

audit_heads = Table(
    "audit_heads",
    metadata,
    Column("chain", Integer, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)
