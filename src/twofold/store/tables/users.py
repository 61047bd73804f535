"""Users of the embedded user store (Auth0's Username-Password-Authentication)."""

from sqlalchemy import JSON, Boolean, Column, Integer, String, Table

from twofold.store.tables.base import UtcDateTime, metadata

users = Table(
    "users",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("email_verified", Boolean, nullable=False, default=False),
    Column("name", String(200), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("roles", JSON, nullable=False),
    Column("app_metadata", JSON, nullable=False),
    Column("user_metadata", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("last_login", UtcDateTime, nullable=True),
    Column("logins_count", Integer, nullable=False, default=0),
    Column("last_login_ip", String(64), nullable=True),
    Column("last_login_geo", JSON, nullable=True),
)
