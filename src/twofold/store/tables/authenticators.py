"""Enrolled authenticators; factor state is an envelope-encrypted opaque blob."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Table,
)

from twofold.store.tables.base import UtcDateTime, metadata

authenticators = Table(
    "authenticators",
    metadata,
    Column("id", String(80), primary_key=True),
    Column("user_id", String(64), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("type", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("name", String(200), nullable=True),
    Column("oob_channel", String(16), nullable=True),
    Column("secret", LargeBinary, nullable=True),
    Column("key_id", String(64), nullable=True),
    Column("secret_hash", String(128), nullable=True),
    Column("params", JSON, nullable=False),
    Column("last_step", BigInteger, nullable=False, default=-1),
    Column("created_at", UtcDateTime, nullable=False),
    Column("confirmed_at", UtcDateTime, nullable=True),
    Column("last_used_at", UtcDateTime, nullable=True),
    Column("credential_id_hash", String(64), nullable=True),
    Index("ix_authenticators_user_id", "user_id"),
    Index("ix_authenticators_key_id", "key_id"),
    # WebAuthn: finds a credential by its id, and refuses one registered twice (to anyone).
    Index("ix_authenticators_credential_id_hash", "credential_id_hash", unique=True),
)
