"""Out-of-band challenges: one row per code sent by SMS, voice call or email (codes and
handles hashed; the destination stays sealed on its authenticator).

Revision ID: 0003
Create Date: 2026-11-30 06:42:57.118674
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "oob_challenges",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("handle_hash", sa.String(length=64), nullable=False),
        sa.Column("authenticator_id", sa.String(length=80), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("transaction_id", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("code_hash", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.Column("superseded_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["authenticator_id"],
            ["authenticators.id"],
            name=op.f("fk_oob_challenges_authenticator_id_authenticators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oob_challenges")),
        sa.UniqueConstraint("handle_hash", name=op.f("uq_oob_challenges_handle_hash")),
    )
    with op.batch_alter_table("oob_challenges", schema=None) as batch_op:
        batch_op.create_index(
            "ix_oob_challenges_authenticator_id", ["authenticator_id"], unique=False
        )
        batch_op.create_index("ix_oob_challenges_expires_at", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("oob_challenges", schema=None) as batch_op:
        batch_op.drop_index("ix_oob_challenges_expires_at")
        batch_op.drop_index("ix_oob_challenges_authenticator_id")

    op.drop_table("oob_challenges")
