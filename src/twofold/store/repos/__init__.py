"""Repositories: SQLAlchemy Core queries that take and return domain values (store layer)."""
