"""Adaptive MFA: known devices, the last login's place, a transaction's policy decision,
and an index for counting failed logins per IP.

Revision ID: 0006
Create Date: 2026-11-30 10:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "known_devices",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("device_id_hash", sa.String(length=64), nullable=False),
        sa.Column("ua_family", sa.String(length=64), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_known_devices_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_known_devices")),
        sa.UniqueConstraint(
            "user_id",
            "device_id_hash",
            "ua_family",
            name=op.f("uq_known_devices_user_id_device_id_hash_ua_family"),
        ),
    )
    with op.batch_alter_table("known_devices", schema=None) as batch_op:
        batch_op.create_index(
            "ix_known_devices_user_id_last_seen", ["user_id", "last_seen"], unique=False
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_login_ip", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("last_login_geo", sa.JSON(), nullable=True))

    with op.batch_alter_table("mfa_transactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("policy", sa.JSON(), nullable=True))

    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_events_ip_type_occurred_at", ["ip", "type", "occurred_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_ip_type_occurred_at")

    with op.batch_alter_table("mfa_transactions", schema=None) as batch_op:
        batch_op.drop_column("policy")

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("last_login_geo")
        batch_op.drop_column("last_login_ip")

    with op.batch_alter_table("known_devices", schema=None) as batch_op:
        batch_op.drop_index("ix_known_devices_user_id_last_seen")

    op.drop_table("known_devices")
