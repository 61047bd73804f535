"""Tenant-wide settings changed at run time (MFA policy, enabled factors)."""

from sqlalchemy import JSON, Boolean, Column, String, Table

from twofold.store.tables.base import metadata

tenant_settings = Table(
    "tenant_settings",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", JSON, nullable=False),
)

guardian_factors = Table(
    "guardian_factors",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("enabled", Boolean, nullable=False),
)
