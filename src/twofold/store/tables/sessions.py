"""Browser sessions behind the hosted pages' cookie, and remembered browsers (ADR 006)."""

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table

from twofold.store.tables.base import UtcDateTime, metadata

browser_sessions = Table(
    "browser_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", String(64), ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("auth_time", UtcDateTime, nullable=True),
    Column("mfa_time", UtcDateTime, nullable=True),
    Column("amr", JSON, nullable=False),
    Column("ip", String(64), nullable=True),
    Column("user_agent", String(500), nullable=True),
    Index("ix_browser_sessions_user_id", "user_id"),
    Index("ix_browser_sessions_expires_at", "expires_at"),
)

remembered_browsers = Table(
    "remembered_browsers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", String(64), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("amr", JSON, nullable=False),
    Column("ip", String(64), nullable=True),
    Column("user_agent", String(500), nullable=True),
    Index("ix_remembered_browsers_user_id", "user_id"),
)
