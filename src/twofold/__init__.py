"""Twofold: a self-hosted multi-factor authentication server. Importing it has no side effects."""

__version__ = "0.1.0"
