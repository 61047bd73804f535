"""Attempt-limit buckets for the SQL back end (GCRA: one theoretical arrival time per key)."""

from sqlalchemy import Column, Double, String, Table

from twofold.store.tables.base import metadata

limit_buckets = Table(
    "limit_buckets",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("tat", Double, nullable=False),  # theoretical arrival time, epoch seconds
    Column("expires", Double, nullable=False),
)
