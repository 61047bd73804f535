"""Persistence: the only layer that speaks SQL (SQLAlchemy Core) or Redis."""
