"""Alembic migration scripts for the store; run them through `twofold.store.migrate`."""
