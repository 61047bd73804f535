"""Out-of-band challenges: one sent code each, hashed, with its handle hashed too.

The destination is not here: it lives sealed on the authenticator (docs/decisions/007).
"""

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table

from twofold.store.tables.base import UtcDateTime, metadata

oob_challenges = Table(
    "oob_challenges",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("handle_hash", String(64), nullable=False, unique=True),
    Column(
        "authenticator_id",
        String(80),
        ForeignKey("authenticators.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("user_id", String(64), nullable=False),
    Column("transaction_id", String(64), nullable=True),
    Column("channel", String(16), nullable=False),
    Column("code_hash", String(128), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("failures", Integer, nullable=False, default=0),
    Column("used", Boolean, nullable=False, default=False),
    Column("superseded_by", String(64), nullable=True),
    Index("ix_oob_challenges_authenticator_id", "authenticator_id"),
    Index("ix_oob_challenges_expires_at", "expires_at"),
)
