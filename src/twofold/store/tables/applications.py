"""Applications (Auth0 "clients"): credentials and what they may ask for."""

from sqlalchemy import JSON, Column, String, Table

from twofold.store.tables.base import UtcDateTime, metadata

applications = Table(
    "applications",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("secret_hash", String(128), nullable=True),
    Column("app_type", String(32), nullable=False),
    Column("grant_types", JSON, nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("callbacks", JSON, nullable=False),
    Column("allowed_logout_urls", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
