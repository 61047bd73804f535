"""WebAuthn ceremonies in flight: one row per challenge handed to a browser (ADR 008).

The row is the challenge's only copy and dies when it is answered (single use); its handle,
the `auth_session` the client holds, is kept only as a SHA-256.
"""

from sqlalchemy import JSON, Column, Index, String, Table

from twofold.store.tables.base import UtcDateTime, metadata

webauthn_challenges = Table(
    "webauthn_challenges",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("handle_hash", String(64), nullable=False, unique=True),
    Column("purpose", String(16), nullable=False),
    Column("factor", String(32), nullable=True),
    Column("user_id", String(64), nullable=True),
    Column("bound_to", String(120), nullable=False),
    Column("challenge", String(128), nullable=False),
    Column("user_verification", String(16), nullable=False),
    Column("allowed", JSON, nullable=False),
    Column("name", String(200), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Index("ix_webauthn_challenges_expires_at", "expires_at"),
)
