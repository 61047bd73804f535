"""Token signing keys; the private half is envelope-encrypted."""

from sqlalchemy import JSON, Boolean, Column, LargeBinary, String, Table

from twofold.store.tables.base import UtcDateTime, metadata

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("alg", String(16), nullable=False),
    Column("private_key", LargeBinary, nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("public_jwk", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("active", Boolean, nullable=False),
)
