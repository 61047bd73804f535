"""Management API tests use `machine`, `auth` and `tenant` from tests/api/conftest.py (shared
with the schemathesis run); `TokenFactory` stays importable from here."""

from __future__ import annotations

from tests.api.conftest import TokenFactory

__all__ = ["TokenFactory"]
