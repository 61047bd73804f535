"""Push authenticators: enrolment tickets, push transactions and device JWT ids (hashes
only; the device's push address stays sealed on its authenticator).

Revision ID: 0007
Create Date: 2026-11-30 11:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "push_enrolments",
        sa.Column("ticket_hash", sa.String(length=64), nullable=False),
        sa.Column("oob_code_hash", sa.String(length=64), nullable=False),
        sa.Column("authenticator_id", sa.String(length=80), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("transaction_id", sa.String(length=64), nullable=True),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["authenticator_id"],
            ["authenticators.id"],
            name=op.f("fk_push_enrolments_authenticator_id_authenticators"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_push_enrolments_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_hash", name=op.f("pk_push_enrolments")),
        sa.UniqueConstraint("oob_code_hash", name=op.f("uq_push_enrolments_oob_code_hash")),
    )
    op.create_table(
        "push_transactions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("authenticator_id", sa.String(length=80), nullable=False),
        sa.Column("transaction_id", sa.String(length=64), nullable=True),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("oob_code_hash", sa.String(length=64), nullable=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("polls", sa.Integer(), nullable=False),
        sa.Column("poll_window_start", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["authenticator_id"],
            ["authenticators.id"],
            name=op.f("fk_push_transactions_authenticator_id_authenticators"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_push_transactions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_transactions")),
        sa.UniqueConstraint("oob_code_hash", name=op.f("uq_push_transactions_oob_code_hash")),
    )
    with op.batch_alter_table("push_transactions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_push_transactions_user_id_status", ["user_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_push_transactions_authenticator_id", ["authenticator_id"], unique=False
        )
        batch_op.create_index(
            "uq_push_transactions_one_pending",
            ["user_id"],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
    op.create_table(
        "push_device_jtis",
        sa.Column("authenticator_id", sa.String(length=80), nullable=False),
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["authenticator_id"],
            ["authenticators.id"],
            name=op.f("fk_push_device_jtis_authenticator_id_authenticators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("authenticator_id", "jti", name=op.f("pk_push_device_jtis")),
    )
    with op.batch_alter_table("push_device_jtis", schema=None) as batch_op:
        batch_op.create_index("ix_push_device_jtis_expires_at", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("push_device_jtis", schema=None) as batch_op:
        batch_op.drop_index("ix_push_device_jtis_expires_at")
    op.drop_table("push_device_jtis")

    with op.batch_alter_table("push_transactions", schema=None) as batch_op:
        batch_op.drop_index("uq_push_transactions_one_pending")
        batch_op.drop_index("ix_push_transactions_authenticator_id")
        batch_op.drop_index("ix_push_transactions_user_id_status")
    op.drop_table("push_transactions")

    op.drop_table("push_enrolments")
