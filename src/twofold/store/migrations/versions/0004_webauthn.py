"""WebAuthn: the challenges of ceremonies in flight, and the hashed credential id that finds
a security key or passkey among the authenticators (and refuses one registered twice).

Revision ID: 0004
Create Date: 2026-12-02 09:12:40.513207
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "webauthn_challenges",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("handle_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("factor", sa.String(length=32), nullable=True),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("bound_to", sa.String(length=120), nullable=False),
        sa.Column("challenge", sa.String(length=128), nullable=False),
        sa.Column("user_verification", sa.String(length=16), nullable=False),
        sa.Column("allowed", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webauthn_challenges")),
        sa.UniqueConstraint("handle_hash", name=op.f("uq_webauthn_challenges_handle_hash")),
    )
    with op.batch_alter_table("webauthn_challenges", schema=None) as batch_op:
        batch_op.create_index("ix_webauthn_challenges_expires_at", ["expires_at"], unique=False)

    # A plain ADD COLUMN and CREATE UNIQUE INDEX, no batch copy: both work in place on SQLite
    # and PostgreSQL, so a large authenticators table is not rewritten.
    op.add_column(
        "authenticators", sa.Column("credential_id_hash", sa.String(length=64), nullable=True)
    )
    op.create_index(
        "ix_authenticators_credential_id_hash",
        "authenticators",
        ["credential_id_hash"],
        unique=True,
    )


def downgrade() -> None:
    with op.batch_alter_table("authenticators", schema=None) as batch_op:
        batch_op.drop_index("ix_authenticators_credential_id_hash")
        batch_op.drop_column("credential_id_hash")

    with op.batch_alter_table("webauthn_challenges", schema=None) as batch_op:
        batch_op.drop_index("ix_webauthn_challenges_expires_at")

    op.drop_table("webauthn_challenges")
