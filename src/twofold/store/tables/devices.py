"""Known devices (ADR 009): the devices each user signed in from, for NewDevice.

One row per (user, device cookie hash, user-agent family); a login without a cookie is kept
with an empty hash, so the family alone still counts as partly known.
"""

from sqlalchemy import Column, ForeignKey, Index, String, Table, UniqueConstraint

from twofold.store.tables.base import UtcDateTime, metadata

known_devices = Table(
    "known_devices",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("user_id", String(64), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("device_id_hash", String(64), nullable=False),
    Column("ua_family", String(64), nullable=False),
    Column("first_seen", UtcDateTime, nullable=False),
    Column("last_seen", UtcDateTime, nullable=False),
    UniqueConstraint(
        "user_id",
        "device_id_hash",
        "ua_family",
        name="uq_known_devices_user_id_device_id_hash_ua_family",
    ),
    Index("ix_known_devices_user_id_last_seen", "user_id", "last_seen"),
)
