"""Push authenticators: enrolment tickets, push transactions and the device JWT ids seen.

Tickets, handles and codes are kept as SHA-256 hashes only (docs/decisions/010).
"""

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table, text

from twofold.store.tables.base import UtcDateTime, metadata

push_enrolments = Table(
    "push_enrolments",
    metadata,
    # SHA-256 of the enrollment_tx_id the device presents as its ticket.
    Column("ticket_hash", String(64), primary_key=True),
    # SHA-256 of the associate response's oob_code, which the enrolling client polls.
    Column("oob_code_hash", String(64), nullable=False, unique=True),
    Column(
        "authenticator_id",
        String(80),
        ForeignKey("authenticators.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("user_id", String(64), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("transaction_id", String(64), nullable=True),
    Column("client_id", String(64), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime, nullable=True),
)

push_transactions = Table(
    "push_transactions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("user_id", String(64), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column(
        "authenticator_id",
        String(80),
        ForeignKey("authenticators.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("transaction_id", String(64), nullable=True),
    Column("session_id", String(64), nullable=True),
    Column("oob_code_hash", String(64), nullable=True, unique=True),
    Column("number", Integer, nullable=False),
    Column("choices", JSON, nullable=False),
    Column("facts", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", String(32), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("answered_at", UtcDateTime, nullable=True),
    Column("polls", Integer, nullable=False, default=0),
    Column("poll_window_start", UtcDateTime, nullable=True),
    Index("ix_push_transactions_user_id_status", "user_id", "status"),
    Index("ix_push_transactions_authenticator_id", "authenticator_id"),
    # At most one pending push per user, held by the database: two nodes challenging at
    # once cannot both leave a prompt on the phone (push fatigue; docs/decisions/010).
    Index(
        "uq_push_transactions_one_pending",
        "user_id",
        unique=True,
        sqlite_where=text("status = 'pending'"),
        postgresql_where=text("status = 'pending'"),
    ),
)

push_device_jtis = Table(
    "push_device_jtis",
    metadata,
    Column(
        "authenticator_id",
        String(80),
        ForeignKey("authenticators.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("jti", String(64), primary_key=True),
    Column("expires_at", UtcDateTime, nullable=False),
    Index("ix_push_device_jtis_expires_at", "expires_at"),
)
