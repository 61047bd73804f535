"""MFA transactions: the server-side state behind an opaque `mfa_token` (stored hashed)."""

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Table

from twofold.store.tables.base import UtcDateTime, metadata

mfa_transactions = Table(
    "mfa_transactions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", String(64), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("client_id", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("auth_time", UtcDateTime, nullable=False),
    Column("failures", Integer, nullable=False, default=0),
    Column("audience", String(500), nullable=True),
    Column("scope", String(2000), nullable=True),
    Column("amr", JSON, nullable=False),
    Column("challenge", JSON, nullable=True),
    Column("ip", String(64), nullable=True),
    Column("consumed", Boolean, nullable=False, default=False),
    Column("policy", JSON, nullable=True),
    Index("ix_mfa_transactions_user_id", "user_id"),
    Index("ix_mfa_transactions_expires_at", "expires_at"),
)
